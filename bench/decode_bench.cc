// Decoder throughput on the W1 corpus: every wire format skua ingests, decoded into the span
// model (workload-and-targets T3: OTLP protobuf ≥ 3 M spans/s per core, ≥ 3.5× the libprotobuf
// parse rate that skua_baselines measures in the same run), plus the matching encoders.
//
// Adding a format is one line in kCodecs below: its name, an encoder producing the payloads of one
// export request from model spans, and the decoder under test.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bench_main.h"
#include "model/convert/jaeger_proto.h"
#include "model/convert/jaeger_thrift.h"
#include "model/convert/otlp.h"
#include "model/convert/zipkin_json.h"
#include "model/convert/zipkin_proto.h"
#include "model/span_set.h"

namespace skua::bench {
namespace {

// One wire format: `encode` turns one W1 export request into the payloads a client would send
// for it (one per request for most formats; agents split datagrams), `decode` is under test.
struct Codec {
  const char* name;
  std::vector<std::string> (*encode)(std::span<const model::Span> spans);
  absl::StatusOr<model::SpanSet> (*decode)(std::string_view payload);
};

namespace mc = model::convert;
using Spans = std::span<const model::Span>;
using Payloads = std::vector<std::string>;
constexpr auto kBinary = model::thrift::Protocol::kBinary;
constexpr auto kCompact = model::thrift::Protocol::kCompact;

const Codec kCodecs[] = {
    {"otlp_proto", [](Spans s) { return Payloads{mc::EncodeOtlpProto(s)}; },
     [](std::string_view b) { return mc::DecodeOtlpProto(b); }},
    {"otlp_json", [](Spans s) { return Payloads{mc::EncodeOtlpJson(s)}; },
     [](std::string_view b) { return mc::DecodeOtlpJson(b); }},
    {"jaeger_proto", [](Spans s) { return Payloads{mc::EncodeJaegerProtoBatch(s)}; },
     [](std::string_view b) { return mc::DecodeJaegerPostSpansRequest(b); }},
    {"jaeger_thrift_binary", [](Spans s) { return mc::EncodeJaegerThriftBatches(s, kBinary); },
     [](std::string_view b) { return mc::DecodeJaegerThriftBatch(b, kBinary); }},
    {"jaeger_agent_compact", [](Spans s) { return mc::EncodeAgentEmitBatches(s, kCompact); },
     [](std::string_view b) -> absl::StatusOr<model::SpanSet> {
       absl::StatusOr<mc::AgentMessage> m = mc::DecodeAgentMessage(b, kCompact);
       if (!m.ok()) return m.status();
       return std::move(m->spans);
     }},
    {"zipkin_v2_json", [](Spans s) { return Payloads{mc::EncodeZipkinV2Json(s)}; },
     [](std::string_view b) { return mc::DecodeZipkinV2Json(b); }},
    {"zipkin_proto", [](Spans s) { return Payloads{mc::EncodeZipkinProto(s)}; },
     [](std::string_view b) { return mc::DecodeZipkinProto(b); }},
};

// The corpus' requests in `codec`'s wire form, encoded once per codec.
const std::vector<std::string>& Encoded(const Codec& codec) {
  static auto* cache = new std::vector<std::pair<const Codec*, std::vector<std::string>>>;
  for (const auto& [c, payloads] : *cache) {
    if (c == &codec) return payloads;
  }
  std::vector<std::string> payloads;
  for (const model::SpanSet& set : SharedW1Corpus().requests) {
    for (std::string& p : codec.encode(set.spans())) payloads.push_back(std::move(p));
  }
  cache->emplace_back(&codec, std::move(payloads));
  return cache->back().second;
}

// One iteration = every payload of the corpus decoded; every span is touched.
void BM_Decode(benchmark::State& state, const Codec* codec) {
  const std::vector<std::string>& payloads = Encoded(*codec);
  size_t bytes = 0;
  for (const std::string& p : payloads) bytes += p.size();
  const size_t spans = SharedW1Corpus().spans;
  for (auto _ : state) {
    uint64_t sum = 0, decoded = 0;
    for (const std::string& payload : payloads) {
      absl::StatusOr<model::SpanSet> set = codec->decode(payload);
      if (!set.ok()) {
        state.SkipWithError(std::string(set.status().message()).c_str());
        return;
      }
      for (const model::Span& span : set->spans()) {
        sum += span.start_time_unix_nano + span.attributes.size() + span.name.size();
      }
      decoded += set->size();
    }
    benchmark::DoNotOptimize(sum);
    if (decoded != spans) {
      state.SkipWithError("decoded span count differs from the corpus");
      return;
    }
  }
  SetSpanRate(state, static_cast<double>(spans));
  state.counters["bytes/span"] = static_cast<double>(bytes) / static_cast<double>(spans);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_Encode(benchmark::State& state, const Codec* codec) {
  const W1Corpus& corpus = SharedW1Corpus();
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const model::SpanSet& set : corpus.requests) {
      std::vector<std::string> out = codec->encode(set.spans());
      for (const std::string& p : out) bytes += p.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  SetSpanRate(state, static_cast<double>(corpus.spans));
  state.counters["bytes/span"] = static_cast<double>(bytes) / static_cast<double>(corpus.spans);
}

void RegisterCodecs() {
  for (const Codec& codec : kCodecs) {
    benchmark::RegisterBenchmark((std::string("BM_Decode/") + codec.name).c_str(), BM_Decode,
                                 &codec);
    benchmark::RegisterBenchmark((std::string("BM_Encode/") + codec.name).c_str(), BM_Encode,
                                 &codec);
  }
}

}  // namespace
}  // namespace skua::bench

SKUA_BENCH_MAIN(20'000, skua::bench::RegisterCodecs)
