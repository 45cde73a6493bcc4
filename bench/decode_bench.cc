// Decoder throughput on the W1 corpus: every wire format skua ingests, decoded into the span
// model (workload-and-targets T3: OTLP protobuf ≥ 3 M spans/s per core, ≥ 3.5× the libprotobuf
// parse rate that skua_baselines measures in the same run), plus the matching encoders.
//
// Adding a format is one line in kCodecs below: its name, an encoder producing one export
// request's bytes from model spans, and the decoder under test.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "bench_main.h"
#include "model/convert/otlp.h"
#include "model/span_set.h"

namespace skua::bench {
namespace {

struct Codec {
  const char* name;
  std::string (*encode)(std::span<const model::Span> spans);
  absl::StatusOr<model::SpanSet> (*decode)(std::string_view bytes);
};

const Codec kCodecs[] = {
    {"otlp_proto", [](std::span<const model::Span> s) { return model::convert::EncodeOtlpProto(s); },
     [](std::string_view b) { return model::convert::DecodeOtlpProto(b); }},
    {"otlp_json", [](std::span<const model::Span> s) { return model::convert::EncodeOtlpJson(s); },
     [](std::string_view b) { return model::convert::DecodeOtlpJson(b); }},
    // Jaeger Thrift / api_v2 protobuf and Zipkin JSON: one line each here when they land.
};

// The corpus' requests in `codec`'s wire form, encoded once per codec.
const std::vector<std::string>& Encoded(const Codec& codec) {
  static auto* cache = new std::vector<std::pair<const Codec*, std::vector<std::string>>>;
  for (const auto& [c, requests] : *cache) {
    if (c == &codec) return requests;
  }
  std::vector<std::string> requests;
  for (const model::SpanSet& set : SharedW1Corpus().requests) {
    requests.push_back(codec.encode(set.spans()));
  }
  cache->emplace_back(&codec, std::move(requests));
  return cache->back().second;
}

// One iteration = every request of the corpus decoded; every span is touched.
void BM_Decode(benchmark::State& state, const Codec* codec) {
  const std::vector<std::string>& requests = Encoded(*codec);
  size_t bytes = 0;
  for (const std::string& r : requests) bytes += r.size();
  const size_t spans = SharedW1Corpus().spans;
  for (auto _ : state) {
    uint64_t sum = 0;
    for (const std::string& request : requests) {
      absl::StatusOr<model::SpanSet> set = codec->decode(request);
      if (!set.ok()) {
        state.SkipWithError(std::string(set.status().message()).c_str());
        return;
      }
      for (const model::Span& span : set->spans()) {
        sum += span.start_time_unix_nano + span.attributes.size() + span.name.size();
      }
    }
    benchmark::DoNotOptimize(sum);
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
      std::string out = codec->encode(set.spans());
      bytes += out.size();
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
