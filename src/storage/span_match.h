// Span-level predicates shared by every backend that evaluates queries itself (memory, embedded):
// the search semantics of jaeger-compat §3.2 and the span identity used for idempotent writes.
// One place for each, so every backend agrees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// For stores that index operations as a bit set of span kinds (bit i = SpanKind value i): appends
// one Operation{name, kind} per set bit, keeping only `span_kind` when it has a value.
void AppendOperationKinds(std::string_view name, uint8_t kinds,
                          const std::optional<std::string>& span_kind, std::vector<Operation>& out);

}  // namespace skua::storage
