// Span-level predicates shared by every backend that evaluates queries itself (memory, embedded):
// the search semantics of jaeger-compat §3.2 and the span identity used for idempotent writes.
// One place for each, so every backend agrees.
#pragma once

#include "model/span.h"
#include "storage/storage.h"

namespace skua::storage {

// True if `span` satisfies every predicate of `query` by itself: service and operation exact,
// start in [start_time_min, start_time_max], duration within the inclusive bounds (0 = unbounded),
// and every tag found on this one span — span, resource, scope and event attributes plus the
// derived Jaeger tags (model::jaeger::SpanHasTag); link attributes are not searched.
bool SpanMatches(const model::Span& span, const TraceQuery& query);

// Span identity for idempotent writes: IDs and every field of content, including the resource and
// scope the span came from. Two spans that compare equal are the same write seen twice.
bool SpanContentEquals(const model::Span& a, const model::Span& b);

}  // namespace skua::storage
