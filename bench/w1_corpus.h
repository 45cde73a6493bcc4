// The W1 corpus every benchmark and baseline runs on (workload-and-targets §1): a fixed number of
// spans from tracegen::W1Generator with a fixed seed and repeatable IDs, kept both as the model's
// export requests and in their wire forms, plus the same spans regrouped into whole traces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/span_set.h"

namespace skua::bench {

struct W1Corpus {
  // Export requests as the generator produced them (≤ 256 spans each, one resource each).
  std::vector<model::SpanSet> requests;
  // The same requests as OTLP protobuf (ExportTraceServiceRequest) and OTLP/JSON bodies.
  std::vector<std::string> otlp_proto;
  std::vector<std::string> otlp_json;
  size_t spans = 0;
  size_t otlp_proto_bytes = 0;
  size_t otlp_json_bytes = 0;
};

// Generates requests until at least `min_spans` spans exist. Deterministic for a given seed
// (IDs depend on the seed alone). Aborts if the generator's output cannot be encoded.
W1Corpus MakeW1Corpus(size_t min_spans, uint64_t seed = 1);

// The corpus' spans regrouped by trace ID, one SpanSet per trace, in order of first appearance.
// Traces still incomplete when the corpus was cut are included as they are.
std::vector<model::SpanSet> GroupByTrace(const W1Corpus& corpus);

// Spans per request in `requests`, summed.
size_t CountSpans(const std::vector<model::SpanSet>& sets);

}  // namespace skua::bench
