// Parsers for the RowBinary results of the backend's queries, one per result shape, and the
// encoding of the per-span dependency references (spans.dep_refs). Results come from the network:
// every parser checks bounds and shapes and returns Internal ("malformed ClickHouse result …")
// instead of crashing or allocating without bound. Views point into the parsed body.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/convert/jaeger.h"
#include "model/ids.h"

namespace skua::storage::clickhouse {

// trace_id FixedString(16), newest matching start UInt64.
struct SearchRow {
  model::TraceId trace_id;
  uint64_t newest = 0;
};
absl::StatusOr<std::vector<SearchRow>> ParseSearchRows(std::string_view body);

// trace_id FixedString(16), span String (OTLP protobuf of one span).
struct SpanRow {
  model::TraceId trace_id;
  std::string_view span;
};
absl::StatusOr<std::vector<SpanRow>> ParseSpanRows(std::string_view body);

// trace_id FixedString(16), earliest start UInt64, latest end UInt64.
struct BoundsRow {
  model::TraceId trace_id;
  uint64_t start = 0;
  uint64_t end = 0;
};
absl::StatusOr<std::vector<BoundsRow>> ParseBoundsRows(std::string_view body);

// One String column.
absl::StatusOr<std::vector<std::string_view>> ParseStringRows(std::string_view body);

// Two String columns.
struct StringPair {
  std::string_view first;
  std::string_view second;
};
absl::StatusOr<std::vector<StringPair>> ParseStringPairRows(std::string_view body);

// One UInt64 column.
absl::StatusOr<std::vector<uint64_t>> ParseUInt64Rows(std::string_view body);

// trace_id FixedString(16), span_id UInt64, start_ns UInt64, service String, dep_kind String,
// dep_refs String (EncodeEdgeRefs).
struct EdgeRow {
  model::TraceId trace_id;
  uint64_t start_ns = 0;
  model::jaeger::EdgeSpan span;
};
absl::StatusOr<std::vector<EdgeRow>> ParseEdgeRows(std::string_view body);

// spans.dep_refs: per reference one byte (0 CHILD_OF, 1 FOLLOWS_FROM) and the span ID as UInt64
// little-endian. Decode fails (Internal) on a length that is not a multiple of 9 or an unknown type.
std::string EncodeEdgeRefs(std::span<const model::jaeger::Reference> refs);
absl::StatusOr<std::vector<model::jaeger::Reference>> DecodeEdgeRefs(std::string_view bytes);

}  // namespace skua::storage::clickhouse
