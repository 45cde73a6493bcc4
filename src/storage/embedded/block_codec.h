// The decoded forms of a block's sections and the functions that decode them from their raw
// (decompressed) bytes: the dictionary, the search index, a page's lead (the columns searches
// scan) and a whole page (model spans). Layouts: docs/storage/embedded-blocks.md. Every decoder
// treats its input as untrusted: it returns DataLoss (with `what` in the message) on anything
// malformed and allocates only in proportion to the bytes it was given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/arena.h"
#include "model/ids.h"
#include "model/span.h"
#include "model/span_set.h"
#include "storage/embedded/block_format.h"

namespace skua::storage::embedded::block_codec {

// Column counts of a page's two parts (format version 1).
inline constexpr uint32_t kLeadColumns = 9;
inline constexpr uint32_t kBodyColumns = 15;

// Lead columns.
enum LeadColumn : uint32_t {
  kTraceIds = 0,     // 16 bytes per trace (big-endian ID)
  kTraceSpanCounts,  // varint per trace
  kTraceBaseStarts,  // varint per trace: first span start − block min_start (mod 2^64)
  kOrigins,          // varint per span: origin (resource, scope) index
  kNames,            // varint per span: name pool index
  kKinds,            // byte per span
  kStatusCodes,      // byte per span
  kStartDeltas,      // varint per span but each trace's first: start − previous start
  kDurations,        // zigzag varint per span: end − start
};

// Body columns (the key columns follow them).
enum BodyColumn : uint32_t {
  kSpanIds = 0,     // 8 bytes per span
  kParents,         // varint per span: 0 none, 1 raw (next kParentRaw), else 2 + zigzag(i−1−p)
  kParentRaw,       // 8 bytes per raw parent
  kFlags,           // varint per span
  kTraceStates,     // string per span
  kDropped,         // 3 varints per span: attributes, events, links
  kStatusMessages,  // varint per span: 0 empty, 1 literal string follows, r ≥ 2 pool[r−2]
  kAttrShapes,      // varint per span: shape of the span's attribute list
  kEventCounts,     // varint per span
  kEventTimes,      // zigzag varint per event: time − span start
  kEventNames,      // varint per event: 0 literal string follows, r ≥ 1 pool[r−1]
  kEventDropped,    // varint per event
  kEventShapes,     // varint per event
  kLinkCounts,      // varint per span
  kLinks,           // per link: trace flag, [trace ID], span ID, state, flags, dropped, shape
};

// --- Generic values (resources, scopes, nested arrays and maps) --------------------------------

// Appends `value` as type byte + payload.
void EncodeValue(const model::AnyValue& value, std::string& out);
// Appends count + (key, value)… of `attributes`.
void EncodeAttributes(model::Attributes attributes, std::string& out);
// Deepest array/map nesting in `value` (0 for a scalar).
uint32_t ValueDepth(const model::AnyValue& value);

// Decoders of the above; strings are views into the reader's input. False on malformed input.
bool DecodeValue(block_format::ByteReader& in, Arena& arena, uint32_t depth, model::AnyValue& out);
bool DecodeAttributes(block_format::ByteReader& in, Arena& arena, uint32_t depth,
                      model::Attributes& out);
// Payload of a top-level value whose type the attribute shape gives (a key column entry); string
// references resolve through `pool`.
bool DecodeTypedValue(block_format::ByteReader& in, model::ValueType type,
                      const std::vector<std::string_view>& pool, Arena& arena,
                      model::AnyValue& out);

// --- Dictionary ---------------------------------------------------------------------------------

struct ShapeEntry {
  uint32_t key = 0;
  model::ValueType type = model::ValueType::kEmpty;
};

// The block-wide tables every page refers to.
struct BlockDict {
  std::string raw;  // the decoded section; every string_view below points into it
  Arena arena{4096};
  std::vector<std::string_view> keys;
  std::vector<std::string_view> names;
  std::vector<std::string_view> event_names;
  std::vector<std::string_view> status_messages;
  std::vector<std::vector<std::string_view>> value_pools;  // by key index
  std::vector<uint32_t> shape_begin;                       // shapes + 1 offsets into shape_entries
  std::vector<ShapeEntry> shape_entries;
  std::vector<const model::Resource*> resources;
  std::vector<const model::Scope*> scopes;
  std::vector<const model::Resource*> origin_resource;
  std::vector<const model::Scope*> origin_scope;
  size_t charge = 0;  // bytes held, for the cache
};

absl::StatusOr<std::shared_ptr<const BlockDict>> DecodeDict(std::string raw);

// --- Search index -------------------------------------------------------------------------------

struct SearchIndex {
  struct Service {
    std::string name;
    std::vector<uint32_t> pages;  // ascending
    model::Resource resource;     // service_name = name: what partial spans point to
  };
  struct Op {
    uint32_t service = 0;
    uint32_t name_id = 0;  // names pool index
    std::string name;
    uint32_t kinds = 0;  // bit k: a span of kind k (k < 32)
    std::vector<uint32_t> pages;
  };
  std::vector<Service> services;         // sorted by name, unique
  std::vector<uint32_t> origin_service;  // by origin index
  std::vector<Op> ops;                   // sorted by (service, name)
  size_t charge = 0;
};

absl::StatusOr<std::shared_ptr<const SearchIndex>> DecodeSearchIndex(std::string_view raw,
                                                                     uint32_t page_count);

// --- Pages --------------------------------------------------------------------------------------

// What searches scan: trace table and per-span search fields.
struct PageLead {
  std::vector<model::TraceId> trace_ids;
  std::vector<uint32_t> trace_begin;  // traces + 1: first span of each trace
  std::vector<uint32_t> origin;
  std::vector<uint32_t> name;
  std::vector<uint8_t> kind;
  std::vector<uint8_t> status;
  std::vector<uint64_t> start;
  std::vector<uint64_t> end;
  size_t charge = 0;
  size_t span_count() const { return origin.size(); }
  // Index of `id` in trace_ids, or -1.
  int64_t FindTrace(const model::TraceId& id) const;
};

// `span_count` and `trace_count` come from the page directory and must match; origins and names
// must be below the block's counts.
absl::StatusOr<std::shared_ptr<const PageLead>> DecodeLead(
    std::string_view raw, uint64_t block_min_start, uint32_t span_count, uint32_t trace_count,
    uint32_t origin_count, uint32_t name_count);

// A fully decoded page: model spans in trace order (lead order).
struct PageData {
  std::shared_ptr<const PageLead> lead;
  std::shared_ptr<const BlockDict> dict;
  std::string body;  // decoded body; span strings point into it or into dict
  model::SpanSet spans{16 * 1024};
  size_t charge = 0;
};

absl::StatusOr<std::shared_ptr<const PageData>> DecodePage(std::shared_ptr<const PageLead> lead,
                                                           std::shared_ptr<const BlockDict> dict,
                                                           std::string body);

}  // namespace skua::storage::embedded::block_codec
