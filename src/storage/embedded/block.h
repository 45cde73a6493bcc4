// Immutable block files: the embedded store's spans at rest. A block holds the spans of one tenant
// flushed together, sorted by trace, in compressed column-oriented pages, with the indexes and
// skip structures that let a lookup or a search read only what can match. The byte layout, with
// its version number, is documented in docs/storage/embedded-blocks.md.
//
// A block is written once (WriteBlock) and then only read (BlockReader) until the store deletes
// the whole file (retention, quota). Readers never trust the file: every section is checksummed,
// and damage is reported as DataLoss, never a crash, a hang or an unbounded allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/ids.h"
#include "model/span_set.h"
#include "storage/storage.h"

namespace skua::storage::embedded {

// What the store keeps in memory about every block (and can rebuild from the file alone).
struct BlockInfo {
  uint64_t id = 0;            // unique within the data directory, chosen by the store
  std::string tenant;
  uint64_t min_start = 0;     // earliest span start in the block (Unix ns)
  uint64_t max_start = 0;     // latest span start in the block (Unix ns)
  uint64_t span_count = 0;
  uint64_t trace_count = 0;
  uint64_t file_bytes = 0;    // size of the block file
};

struct BlockWriteOptions {
  // zstd level of the page and index sections. Default 3.
  int compression_level = 3;
  // Pages are cut at trace boundaries once they hold about this many uncompressed bytes (a trace
  // larger than this gets a page of its own, or several). Default 256 KiB.
  uint32_t page_target_bytes = 256 * 1024;
};

// Writes `spans` (any order, any number of traces, all of `tenant`) as the block file `path`:
// the bytes go to `path` + ".tmp", are fdatasync'ed, and the file is renamed to `path` and the
// directory synced, so after OK the block survives a crash and before OK no file named `path`
// exists. Spans identical by storage::SpanContentEquals are stored once. Errors: InvalidArgument
// for an empty span list; Unavailable for I/O errors (disk full, read-only file system) — the
// temporary file is removed.
absl::StatusOr<BlockInfo> WriteBlock(const std::string& path, uint64_t id, std::string_view tenant,
                                     std::span<const model::Span> spans,
                                     const BlockWriteOptions& options = {});

// A bounded cache of decoded block sections (pages, indexes), shared by every reader of a store
// so the store's memory does not grow with the amount stored. Thread-safe.
class BlockCache {
 public:
  // `capacity_bytes` bounds the decoded bytes held; least recently used entries go first. An
  // entry larger than the capacity is used once and not kept.
  static std::shared_ptr<BlockCache> Create(size_t capacity_bytes);
  virtual ~BlockCache() = default;
  virtual size_t capacity_bytes() const = 0;
  virtual size_t used_bytes() const = 0;
  virtual uint64_t hits() const = 0;
  virtual uint64_t misses() const = 0;
};

// A trace of one block with a span matching a query.
struct BlockMatch {
  model::TraceId trace_id;
  uint64_t newest_match = 0;  // start of the trace's newest matching span in this block
  uint64_t start_time = 0;    // earliest span start of the trace in this block
  uint64_t end_time = 0;      // latest span end of the trace in this block
};

// The operations of one service in a block.
struct ServiceOperations {
  std::string service;
  std::vector<Operation> operations;  // sorted by (name, span_kind), unique
};

// Reads one block file. Thread-safe; immutable after Open. The file is opened once and kept open
// (so a block deleted from the directory stays readable by readers still holding it).
class BlockReader {
 public:
  // Opens and verifies the footer and the parts that stay resident (BlockInfo, trace-ID filter).
  // DataLoss, naming the file and what is wrong, if the file is not a block, has an unsupported
  // version, is truncated or fails a checksum; Unavailable / NotFound for I/O errors.
  static absl::StatusOr<std::shared_ptr<BlockReader>> Open(const std::string& path,
                                                           std::shared_ptr<BlockCache> cache);
  virtual ~BlockReader() = default;

  virtual const BlockInfo& info() const = 0;
  // Memory this reader holds outside the cache (info, filters, section offsets).
  virtual size_t resident_bytes() const = 0;

  // False if the block surely holds no span of trace `id`; true if it may.
  virtual bool MayContainTrace(const model::TraceId& id) const = 0;

  // Appends deep copies of the block's spans of trace `id` to `out`; appends nothing if there
  // are none. DataLoss if a section needed is damaged.
  virtual absl::Status ReadTrace(const model::TraceId& id, model::SpanSet& out) const = 0;

  // The block's traces with a span matching `query` (storage::SpanMatches on this block's
  // spans; query.service_name may be empty), newest match first, trace ID breaking ties, at most
  // query.num_traces. Reads only the sections that can match: a block whose services,
  // operations, time range or tag filter rule the query out answers without decoding pages.
  // DataLoss if a section needed is damaged.
  virtual absl::StatusOr<std::vector<BlockMatch>> Search(const TraceQuery& query) const = 0;

  // Services of the block with their operations and span kinds, sorted by service.
  virtual absl::StatusOr<std::vector<ServiceOperations>> Catalog() const = 0;

  // Parent→child edges between spans of different services, both spans in this block and of one
  // trace, counted once per (child span); only traces of the block with a span starting in
  // [start_time, end_time]. Links carry source "jaeger", sorted by (parent, child), merged.
  virtual absl::StatusOr<std::vector<DependencyLink>> Dependencies(uint64_t start_time,
                                                                   uint64_t end_time) const = 0;

  // Calls `fn` with every trace of the block (deep copies), in trace ID order, until it returns
  // false. For compaction and tools. DataLoss if a page is damaged.
  virtual absl::Status ForEachTrace(const std::function<bool(model::SpanSet trace)>& fn) const = 0;
};

}  // namespace skua::storage::embedded
