// libFuzzer target: the parsers of ClickHouse query results (results.h), which read bytes from the
// network. Every parser must reject or accept any input without crashing, hanging or allocating
// beyond a small multiple of the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "storage/clickhouse/results.h"
#include "storage/clickhouse/row_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::storage::clickhouse;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  (void)ParseSearchRows(body);
  (void)ParseSpanRows(body);
  (void)ParseBoundsRows(body);
  (void)ParseStringRows(body);
  (void)ParseStringPairRows(body);
  (void)ParseUInt64Rows(body);
  auto edges = ParseEdgeRows(body);
  if (edges.ok()) {
    for (const EdgeRow& row : *edges) (void)EncodeEdgeRefs(row.span.references);
  }
  (void)DecodeEdgeRefs(body);
  RowBinaryReader r(body);
  while (!r.AtEnd()) {
    auto n = r.ArraySize(1);
    if (!n.ok()) break;
    for (uint64_t i = 0; i < *n; ++i) {
      if (!r.String().ok()) break;
    }
  }
  return 0;
}
