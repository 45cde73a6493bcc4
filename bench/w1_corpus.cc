#include "w1_corpus.h"

#include <cstdio>
#include <cstdlib>

#include "absl/container/flat_hash_map.h"
#include "model/convert/otlp.h"
#include "tracegen/workload.h"

namespace skua::bench {

W1Corpus MakeW1Corpus(size_t min_spans, uint64_t seed) {
  tracegen::W1Options options;
  options.seed = seed;
  options.repeat_ids = true;
  // A fixed start keeps the bytes identical across runs (times are part of the payload).
  options.start_time_unix_nano = 1'700'000'000'000'000'000ull;
  tracegen::W1Generator generator(options);
  W1Corpus corpus;
  while (corpus.spans < min_spans) {
    model::SpanSet request = generator.NextRequest();
    if (request.empty()) continue;
    corpus.spans += request.size();
    corpus.otlp_proto.push_back(model::convert::EncodeOtlpProto(request.spans()));
    corpus.otlp_json.push_back(model::convert::EncodeOtlpJson(request.spans()));
    corpus.otlp_proto_bytes += corpus.otlp_proto.back().size();
    corpus.otlp_json_bytes += corpus.otlp_json.back().size();
    corpus.requests.push_back(std::move(request));
  }
  return corpus;
}

std::vector<model::SpanSet> GroupByTrace(const W1Corpus& corpus) {
  std::vector<model::SpanSet> traces;
  absl::flat_hash_map<model::TraceId, size_t, model::TraceIdHash> index;
  for (const model::SpanSet& request : corpus.requests) {
    for (const model::Span& span : request.spans()) {
      auto [it, inserted] = index.try_emplace(span.trace_id, traces.size());
      if (inserted) traces.emplace_back(8 * 1024);
      traces[it->second].CopySpan(span);
    }
  }
  return traces;
}

size_t CountSpans(const std::vector<model::SpanSet>& sets) {
  size_t n = 0;
  for (const model::SpanSet& set : sets) n += set.size();
  return n;
}

}  // namespace skua::bench
