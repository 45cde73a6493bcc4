// Query-time adjusters (jaeger-compat §2.5), applied to search results and to trace-by-ID results
// unless raw=true. Each mutates the trace in place and may append warnings to spans.
#pragma once

#include <cstdint>

#include "model/convert/jaeger.h"

namespace skua::query {

struct AdjusterOptions {
  // Maximum clock-skew correction, microseconds. 0 disables clock-skew adjustment (the default, as
  // Jaeger's --query.max-clock-skew-adjustment=0).
  uint64_t max_clock_skew_adjustment_us = 0;
};

// 1. SpanIDDeduper: a server span sharing its ID with a client span gets a fresh ID and the client
//    span as its CHILD_OF parent.
void DedupeSpanIds(model::jaeger::JaegerTrace& trace);
// 2. ClockSkew. With max_adjustment_us == 0 nothing moves, but (as in Jaeger, whose default this is)
//    each span that would move gets "clock skew adjustment disabled; not applying calculated delta
//    of D"; duplicate IDs and unknown parents get their own warnings either way.
void AdjustClockSkew(model::jaeger::JaegerTrace& trace, uint64_t max_adjustment_us);
// 3. IP tags: packed IPv4 `ip` / `peer.ipv4` int64 tags → dotted strings; process tags sorted.
void AdjustIpTags(model::jaeger::JaegerTrace& trace);
// 4. OTel tags: telemetry.sdk.* / telemetry.distro.* span tags move to the process; process tags sorted.
void MoveOtelTagsToProcess(model::jaeger::JaegerTrace& trace);
// 5. SortLogFields: `event` first, the rest by key.
void SortLogFields(model::jaeger::JaegerTrace& trace);
// 6. SpanReferences: drop references with an all-zero trace ID (with a warning).
void RemoveInvalidReferences(model::jaeger::JaegerTrace& trace);
// 7. ParentReference: CHILD_OF references first.
void ParentReferenceFirst(model::jaeger::JaegerTrace& trace);

// All of the above in Jaeger's order.
void ApplyStandardAdjusters(model::jaeger::JaegerTrace& trace, const AdjusterOptions& options);

}  // namespace skua::query
