// Workload W1 (shared/reference/workload-and-targets.md §1): a deterministic generator of realistic
// traces — 20 services with their own resources, 300 HTTP/SQL/gRPC-shaped operations, 5–30 spans
// per trace in a consistent call tree (client span → server child in the callee), 7–9 attributes per
// span, 2 % errors carrying an `exception` event with a multi-line stack, batched by resource into
// export requests of at most 256 spans. The same seed always yields the same spans, except that
// trace and span IDs are salted per run unless `repeat_ids` is set.
#pragma once

#include <cstdint>

#include "model/span_set.h"

namespace skua::tracegen {

struct W1Options {
  // Seed of everything generated. Default 1.
  uint64_t seed = 1;
  // When false (default), IDs are mixed with a per-process random salt so repeated runs write new
  // traces; when true, IDs depend on the seed alone (byte-identical corpora across runs).
  bool repeat_ids = false;
  // Start time of the first trace, Unix ns; 0 = now. Traces advance by a seeded step (~1 ms).
  uint64_t start_time_unix_nano = 0;
  // Upper bound on spans per export request. Default 256.
  uint32_t max_spans_per_request = 256;
};

// Not thread-safe; use one generator per sending thread (with different seeds) or serialize calls.
class W1Generator {
 public:
  explicit W1Generator(W1Options options);
  ~W1Generator();

  // Returns the spans of the next export request (never empty): at most max_spans_per_request
  // spans sharing one resource (one service), from one or more traces. Whole traces are produced
  // internally and their spans routed to per-service requests, so one trace's spans span several
  // requests.
  model::SpanSet NextRequest();

  // Spans and traces produced so far: spans in the requests NextRequest has returned, and traces
  // drawn (the spans of the most recent ones may still wait in pending requests; a pending request
  // is handed out once full or 256 traces after its first span, so older traces are complete).
  uint64_t spans_generated() const;
  uint64_t traces_generated() const;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace skua::tracegen
