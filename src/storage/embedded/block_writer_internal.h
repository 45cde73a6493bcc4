// WriteBlock with a size breakdown, for the block benchmark and tests that look at where a block's
// bytes go (docs/storage/embedded-blocks.md, "Size"). Not part of the store's interface.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "model/span.h"
#include "storage/embedded/block.h"

namespace skua::storage::embedded {

struct BlockEncodingStats {
  uint64_t spans_in = 0;
  uint64_t spans_stored = 0;  // after de-duplication
  uint64_t pages = 0;
  // Stored bytes by file part.
  uint64_t header_and_trailer = 0;
  uint64_t page_leads = 0;
  uint64_t page_bodies = 0;
  uint64_t dictionary = 0;
  uint64_t search_index = 0;
  uint64_t tag_filter = 0;
  uint64_t trace_filter = 0;
  uint64_t meta = 0;
  uint64_t raw_page_bytes = 0;  // decoded size of every lead and body
  uint64_t tag_filter_entries = 0;
  // With measure_columns: (column name, raw bytes, bytes when zstd-compressed on its own, page by
  // page), for every lead, body and attribute key column, summed over pages.
  struct Column {
    std::string name;
    uint64_t raw = 0;
    uint64_t compressed = 0;
  };
  std::vector<Column> columns;
};

// WriteBlock, also filling `stats`. With `measure_columns`, every column of every page is
// additionally compressed on its own to attribute the stored bytes (slow; for analysis only).
absl::StatusOr<BlockInfo> WriteBlockWithStats(const std::string& path, uint64_t id,
                                              std::string_view tenant,
                                              std::span<const model::Span> spans,
                                              const BlockWriteOptions& options,
                                              bool measure_columns, BlockEncodingStats* stats);

}  // namespace skua::storage::embedded
