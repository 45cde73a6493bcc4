#include "storage/embedded/block_codec.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/attribute_keys.h"

namespace skua::storage::embedded::block_codec {

using block_format::ByteReader;
using block_format::PutFixed64;
using block_format::PutString;
using block_format::PutVarint;
using block_format::UnZigZag;
using block_format::ZigZag;
using model::AnyValue;
using model::KeyValue;
using model::ValueType;

namespace {

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(absl::StrCat("malformed ", std::string(what)));
}

constexpr uint8_t kMaxValueType = static_cast<uint8_t>(ValueType::kKvList);

// Splits `in` into `n` columns whose varint lengths lead it; the lengths must cover the rest
// exactly.
bool SplitColumns(ByteReader& in, uint32_t n, ByteReader* cols) {
  std::array<uint64_t, 32> lengths{};
  if (n > lengths.size()) return false;
  uint64_t total = 0;
  for (uint32_t i = 0; i < n; ++i) {
    lengths[i] = in.Varint();
    total += lengths[i];
    if (!in.ok() || lengths[i] > in.remaining()) return false;
  }
  if (total != in.remaining()) return false;
  for (uint32_t i = 0; i < n; ++i) cols[i] = ByteReader(in.Bytes(lengths[i]));
  return in.ok();
}

std::string_view ServiceNameOf(model::Attributes attributes) {
  const AnyValue* v = model::FindAttribute(attributes, model::keys::kServiceNameKey);
  return v != nullptr && v->type() == ValueType::kString ? v->string_value() : std::string_view();
}

}  // namespace

// --- Generic values ------------------------------------------------------------------------------

void EncodeValue(const AnyValue& value, std::string& out) {
  out.push_back(static_cast<char>(value.type()));
  switch (value.type()) {
    case ValueType::kEmpty:
      return;
    case ValueType::kString:
    case ValueType::kBytes:
      PutString(out, value.string_value());
      return;
    case ValueType::kBool:
      out.push_back(value.bool_value() ? 1 : 0);
      return;
    case ValueType::kInt:
      PutVarint(out, ZigZag(value.int_value()));
      return;
    case ValueType::kDouble: {
      uint64_t bits;
      double d = value.double_value();
      std::memcpy(&bits, &d, 8);
      PutFixed64(out, bits);
      return;
    }
    case ValueType::kArray:
      PutVarint(out, value.array_value().size());
      for (const AnyValue& item : value.array_value()) EncodeValue(item, out);
      return;
    case ValueType::kKvList:
      EncodeAttributes(value.kvlist_value(), out);
      return;
  }
}

void EncodeAttributes(model::Attributes attributes, std::string& out) {
  PutVarint(out, attributes.size());
  for (const KeyValue& kv : attributes) {
    PutString(out, kv.key);
    EncodeValue(kv.value, out);
  }
}

uint32_t ValueDepth(const AnyValue& value) {
  uint32_t deepest = 0;
  if (value.type() == ValueType::kArray) {
    for (const AnyValue& item : value.array_value()) deepest = std::max(deepest, ValueDepth(item));
    return deepest + 1;
  }
  if (value.type() == ValueType::kKvList) {
    for (const KeyValue& kv : value.kvlist_value()) {
      deepest = std::max(deepest, ValueDepth(kv.value));
    }
    return deepest + 1;
  }
  return 0;
}

namespace {

// Payload of a value of known type; `depth` = enclosing arrays/maps.
bool DecodePayload(ByteReader& in, ValueType type, Arena& arena, uint32_t depth, AnyValue& out) {
  switch (type) {
    case ValueType::kEmpty:
      out = AnyValue();
      return true;
    case ValueType::kString:
      out = AnyValue::String(in.String());
      return in.ok();
    case ValueType::kBytes:
      out = AnyValue::Bytes(in.String());
      return in.ok();
    case ValueType::kBool: {
      uint8_t b = in.Byte();
      if (b > 1) return false;
      out = AnyValue::Bool(b == 1);
      return in.ok();
    }
    case ValueType::kInt:
      out = AnyValue::Int(UnZigZag(in.Varint()));
      return in.ok();
    case ValueType::kDouble: {
      uint64_t bits = in.Fixed64();
      double d;
      std::memcpy(&d, &bits, 8);
      out = AnyValue::Double(d);
      return in.ok();
    }
    case ValueType::kArray: {
      if (depth >= block_format::kMaxValueDepth) return false;
      uint64_t n = in.Count(1);  // every item has a type byte
      if (!in.ok()) return false;
      AnyValue* items = arena.AllocateArray<AnyValue>(n);
      for (uint64_t i = 0; i < n; ++i) {
        if (!DecodeValue(in, arena, depth + 1, items[i])) return false;
      }
      out = AnyValue::Array({items, static_cast<size_t>(n)});
      return true;
    }
    case ValueType::kKvList: {
      if (depth >= block_format::kMaxValueDepth) return false;
      model::Attributes list;
      if (!DecodeAttributes(in, arena, depth + 1, list)) return false;
      out = AnyValue::KvList(list);
      return true;
    }
  }
  return false;
}

}  // namespace

bool DecodeValue(ByteReader& in, Arena& arena, uint32_t depth, AnyValue& out) {
  uint8_t type = in.Byte();
  if (!in.ok() || type > kMaxValueType) return false;
  return DecodePayload(in, static_cast<ValueType>(type), arena, depth, out);
}

bool DecodeAttributes(ByteReader& in, Arena& arena, uint32_t depth, model::Attributes& out) {
  uint64_t n = in.Count(2);  // key length + type byte at least
  if (!in.ok()) return false;
  KeyValue* kvs = arena.AllocateArray<KeyValue>(n);
  for (uint64_t i = 0; i < n; ++i) {
    kvs[i].key = in.String();
    if (!DecodeValue(in, arena, depth, kvs[i].value)) return false;
  }
  out = {kvs, static_cast<size_t>(n)};
  return in.ok();
}

bool DecodeTypedValue(ByteReader& in, ValueType type, const std::vector<std::string_view>& pool,
                      Arena& arena, AnyValue& out) {
  switch (type) {
    case ValueType::kEmpty:
      // One marker byte, so every decoded value consumes input.
      if (in.Byte() != 0) return false;
      out = AnyValue();
      return in.ok();
    case ValueType::kString: {
      uint64_t ref = in.Varint();
      if (ref == 0) {
        out = AnyValue::String(in.String());
      } else {
        if (ref > pool.size()) return false;
        out = AnyValue::String(pool[ref - 1]);
      }
      return in.ok();
    }
    case ValueType::kArray: {
      uint64_t n = in.Count(1);
      if (!in.ok()) return false;
      AnyValue* items = arena.AllocateArray<AnyValue>(n);
      for (uint64_t i = 0; i < n; ++i) {
        if (!DecodeValue(in, arena, 1, items[i])) return false;
      }
      out = AnyValue::Array({items, static_cast<size_t>(n)});
      return true;
    }
    case ValueType::kKvList: {
      model::Attributes list;
      if (!DecodeAttributes(in, arena, 1, list)) return false;
      out = AnyValue::KvList(list);
      return true;
    }
    default:
      return DecodePayload(in, type, arena, 0, out);
  }
}

// --- Dictionary --------------------------------------------------------------------------------

namespace {

bool ReadStrings(ByteReader& in, std::vector<std::string_view>& out) {
  uint64_t n = in.Count(1);
  out.reserve(n);
  for (uint64_t i = 0; i < n && in.ok(); ++i) out.push_back(in.String());
  return in.ok();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const BlockDict>> DecodeDict(std::string raw) {
  auto dict = std::make_shared<BlockDict>();
  dict->raw = std::move(raw);
  BlockDict& d = *dict;
  ByteReader in(d.raw);
  if (!ReadStrings(in, d.keys) || !ReadStrings(in, d.names) || !ReadStrings(in, d.event_names) ||
      !ReadStrings(in, d.status_messages)) {
    return Malformed("dictionary string tables");
  }
  d.value_pools.resize(d.keys.size());
  uint64_t pools = in.Count(2);
  for (uint64_t i = 0; i < pools && in.ok(); ++i) {
    uint64_t key = in.Varint();
    if (key >= d.keys.size() || !d.value_pools[key].empty()) return Malformed("value pool key");
    if (!ReadStrings(in, d.value_pools[key])) return Malformed("value pool");
  }
  uint64_t shapes = in.Count(1);
  d.shape_begin.reserve(shapes + 1);
  d.shape_begin.push_back(0);
  for (uint64_t i = 0; i < shapes && in.ok(); ++i) {
    uint64_t n = in.Count(2);
    for (uint64_t j = 0; j < n && in.ok(); ++j) {
      uint64_t key = in.Varint();
      uint8_t type = in.Byte();
      if (key >= d.keys.size() || type > kMaxValueType) return Malformed("attribute shape");
      d.shape_entries.push_back({static_cast<uint32_t>(key), static_cast<ValueType>(type)});
    }
    d.shape_begin.push_back(static_cast<uint32_t>(d.shape_entries.size()));
  }
  if (!in.ok()) return Malformed("attribute shapes");
  uint64_t resources = in.Count(3);
  d.resources.reserve(resources);
  for (uint64_t i = 0; i < resources && in.ok(); ++i) {
    model::Resource* r = d.arena.New<model::Resource>();
    if (!DecodeAttributes(in, d.arena, 0, r->attributes)) return Malformed("resource");
    r->dropped_attributes_count = in.Varint32();
    r->schema_url = in.String();
    r->service_name = ServiceNameOf(r->attributes);
    d.resources.push_back(r);
  }
  uint64_t scopes = in.Count(4);
  d.scopes.reserve(scopes);
  for (uint64_t i = 0; i < scopes && in.ok(); ++i) {
    model::Scope* s = d.arena.New<model::Scope>();
    s->name = in.String();
    s->version = in.String();
    if (!DecodeAttributes(in, d.arena, 0, s->attributes)) return Malformed("scope");
    s->dropped_attributes_count = in.Varint32();
    s->schema_url = in.String();
    d.scopes.push_back(s);
  }
  uint64_t origins = in.Count(2);
  d.origin_resource.reserve(origins);
  d.origin_scope.reserve(origins);
  for (uint64_t i = 0; i < origins && in.ok(); ++i) {
    uint64_t r = in.Varint();
    uint64_t s = in.Varint();
    if (r >= d.resources.size() || s >= d.scopes.size()) return Malformed("origin");
    d.origin_resource.push_back(d.resources[r]);
    d.origin_scope.push_back(d.scopes[s]);
  }
  if (!in.ok() || !in.empty()) return Malformed("dictionary");
  d.charge = sizeof(BlockDict) + d.raw.capacity() + d.arena.bytes_reserved() +
             (d.keys.size() + d.names.size() + d.event_names.size() + d.status_messages.size()) *
                 sizeof(std::string_view) +
             d.value_pools.size() * sizeof(d.value_pools[0]) +
             d.shape_entries.size() * sizeof(ShapeEntry) + d.shape_begin.size() * 4 +
             (d.resources.size() + d.scopes.size() + 2 * origins) * sizeof(void*);
  for (const auto& pool : d.value_pools) d.charge += pool.size() * sizeof(std::string_view);
  return std::shared_ptr<const BlockDict>(std::move(dict));
}

// --- Search index ------------------------------------------------------------------------------

namespace {

bool ReadPageList(ByteReader& in, uint32_t page_count, std::vector<uint32_t>& out) {
  uint64_t n = in.Count(1);
  if (n > page_count) return false;
  out.reserve(n);
  uint64_t page = 0;
  for (uint64_t i = 0; i < n && in.ok(); ++i) {
    uint64_t delta = in.Varint();
    page = i == 0 ? delta : page + delta + 1;
    if (page >= page_count) return false;
    out.push_back(static_cast<uint32_t>(page));
  }
  return in.ok();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const SearchIndex>> DecodeSearchIndex(std::string_view raw,
                                                                     uint32_t page_count) {
  auto index = std::make_shared<SearchIndex>();
  SearchIndex& x = *index;
  ByteReader in(raw);
  uint64_t services = in.Count(2);
  x.services.resize(services);
  for (uint64_t i = 0; i < services && in.ok(); ++i) {
    x.services[i].name = std::string(in.String());
    if (!ReadPageList(in, page_count, x.services[i].pages)) return Malformed("service pages");
    if (i > 0 && !(x.services[i - 1].name < x.services[i].name)) return Malformed("service order");
  }
  uint64_t origins = in.Count(1);
  x.origin_service.reserve(origins);
  for (uint64_t i = 0; i < origins && in.ok(); ++i) {
    uint64_t s = in.Varint();
    if (s >= services) return Malformed("origin service");
    x.origin_service.push_back(static_cast<uint32_t>(s));
  }
  uint64_t ops = in.Count(5);
  x.ops.resize(ops);
  for (uint64_t i = 0; i < ops && in.ok(); ++i) {
    SearchIndex::Op& op = x.ops[i];
    uint64_t service = in.Varint();
    if (service >= services) return Malformed("operation service");
    op.service = static_cast<uint32_t>(service);
    op.name_id = in.Varint32();
    op.name = std::string(in.String());
    op.kinds = in.Varint32();
    if (!ReadPageList(in, page_count, op.pages)) return Malformed("operation pages");
  }
  if (!in.ok() || !in.empty()) return Malformed("search index");
  size_t charge = sizeof(SearchIndex) + x.origin_service.size() * 4;
  for (SearchIndex::Service& s : x.services) {
    s.resource.service_name = s.name;  // the vector is final: views stay valid
    charge += sizeof(s) + s.name.capacity() + s.pages.size() * 4;
  }
  for (const SearchIndex::Op& op : x.ops) {
    charge += sizeof(op) + op.name.capacity() + op.pages.size() * 4;
  }
  x.charge = charge;
  return std::shared_ptr<const SearchIndex>(std::move(index));
}

// --- Page lead ---------------------------------------------------------------------------------

int64_t PageLead::FindTrace(const model::TraceId& id) const {
  auto it = std::lower_bound(trace_ids.begin(), trace_ids.end(), id);
  if (it == trace_ids.end() || *it != id) return -1;
  return it - trace_ids.begin();
}

absl::StatusOr<std::shared_ptr<const PageLead>> DecodeLead(
    std::string_view raw, uint64_t block_min_start, uint32_t span_count, uint32_t trace_count,
    uint32_t origin_count, uint32_t name_count) {
  ByteReader in(raw);
  ByteReader cols[kLeadColumns];
  if (in.Varint() != kLeadColumns || !SplitColumns(in, kLeadColumns, cols)) {
    return Malformed("page lead columns");
  }
  // Fixed-width columns pin the counts to the bytes actually present.
  if (trace_count == 0 || span_count < trace_count ||
      cols[kTraceIds].remaining() != uint64_t{trace_count} * 16 ||
      cols[kKinds].remaining() != span_count || cols[kStatusCodes].remaining() != span_count) {
    return Malformed("page lead counts");
  }
  auto lead = std::make_shared<PageLead>();
  PageLead& l = *lead;
  l.trace_ids.resize(trace_count);
  l.trace_begin.resize(trace_count + 1);
  l.origin.resize(span_count);
  l.name.resize(span_count);
  l.kind.resize(span_count);
  l.status.resize(span_count);
  l.start.resize(span_count);
  l.end.resize(span_count);
  uint32_t span = 0;
  for (uint32_t t = 0; t < trace_count; ++t) {
    std::string_view id = cols[kTraceIds].Bytes(16);
    l.trace_ids[t] = model::TraceId::FromBytes(reinterpret_cast<const uint8_t*>(id.data()));
    if (t > 0 && !(l.trace_ids[t - 1] < l.trace_ids[t])) return Malformed("page trace order");
    uint64_t n = cols[kTraceSpanCounts].Varint();
    uint64_t base = cols[kTraceBaseStarts].Varint() + block_min_start;
    if (n == 0 || n > span_count - span) return Malformed("page trace span counts");
    l.trace_begin[t] = span;
    uint64_t start = base;
    for (uint64_t i = 0; i < n; ++i, ++span) {
      uint64_t origin = cols[kOrigins].Varint();
      uint64_t name = cols[kNames].Varint();
      if (origin >= origin_count || name >= name_count) return Malformed("page lead references");
      l.origin[span] = static_cast<uint32_t>(origin);
      l.name[span] = static_cast<uint32_t>(name);
      l.kind[span] = cols[kKinds].Byte();
      l.status[span] = cols[kStatusCodes].Byte();
      if (i > 0) start += cols[kStartDeltas].Varint();
      l.start[span] = start;
      l.end[span] = start + static_cast<uint64_t>(UnZigZag(cols[kDurations].Varint()));
    }
  }
  l.trace_begin[trace_count] = span;
  if (span != span_count) return Malformed("page lead span count");
  for (const ByteReader& c : cols) {
    if (!c.ok() || !c.empty()) return Malformed("page lead");
  }
  l.charge = sizeof(PageLead) + trace_count * (16 + 4) + span_count * (4 + 4 + 1 + 1 + 8 + 8);
  return std::shared_ptr<const PageLead>(std::move(lead));
}

// --- Page body ---------------------------------------------------------------------------------

namespace {

class BodyDecoder {
 public:
  BodyDecoder(const PageLead& lead, const BlockDict& dict, PageData& page)
      : lead_(lead), dict_(dict), page_(page), arena_(page.spans.arena()) {}

  bool Run() {
    ByteReader in(page_.body);
    if (in.Varint() != kBodyColumns || !ReadHeader(in)) return false;
    const size_t n = lead_.span_count();
    // Every span takes 8 bytes of span IDs: the count is pinned to the bytes present.
    if (cols_[kSpanIds].remaining() != n * 8) return false;
    std::vector<model::Span>& spans = page_.spans.spans();
    spans.resize(n);
    for (size_t t = 0; t + 1 < lead_.trace_begin.size(); ++t) {
      const uint32_t begin = lead_.trace_begin[t];
      const uint32_t end = lead_.trace_begin[t + 1];
      for (uint32_t i = begin; i < end; ++i) {
        if (!DecodeSpan(t, begin, i, spans[i])) return false;
      }
    }
    for (const ByteReader& c : cols_) {
      if (!c.ok() || !c.empty()) return false;
    }
    for (const ByteReader& c : key_cols_) {
      if (!c.ok() || !c.empty()) return false;
    }
    return true;
  }

 private:
  bool ReadHeader(ByteReader& in) {
    uint64_t lengths[kBodyColumns];
    uint64_t total = 0;
    for (uint64_t& len : lengths) {
      len = in.Varint();
      total += len;
      if (len > in.remaining()) return false;
    }
    uint64_t keys = in.Count(2);
    if (!in.ok() || keys > dict_.keys.size()) return false;
    std::vector<std::pair<uint32_t, uint64_t>> key_lengths;
    key_lengths.reserve(keys);
    for (uint64_t i = 0; i < keys; ++i) {
      uint64_t key = in.Varint();
      uint64_t len = in.Varint();
      if (!in.ok() || key >= dict_.keys.size() || len > in.remaining()) return false;
      key_lengths.emplace_back(static_cast<uint32_t>(key), len);
      total += len;
    }
    if (total != in.remaining()) return false;
    for (uint32_t i = 0; i < kBodyColumns; ++i) {
      std::string_view col = in.Bytes(lengths[i]);
      if (i == kSpanIds) span_ids_ = col;
      cols_[i] = ByteReader(col);
    }
    key_cols_.resize(dict_.keys.size());
    std::vector<bool> seen(dict_.keys.size());
    for (const auto& [key, len] : key_lengths) {
      if (seen[key]) return false;
      seen[key] = true;
      key_cols_[key] = ByteReader(in.Bytes(len));
      key_bytes_ += len;
    }
    return in.ok() && in.empty();
  }

  // The attribute list of shape `shape`, values from the key columns.
  bool ShapedAttributes(uint64_t shape, model::Attributes& out) {
    if (shape + 1 >= dict_.shape_begin.size()) return false;
    const uint32_t first = dict_.shape_begin[shape];
    const uint32_t n = dict_.shape_begin[shape + 1] - first;
    if (n == 0) {
      out = {};
      return true;
    }
    // Each value takes at least one byte of some key column.
    if (n > key_bytes_) return false;
    key_bytes_ -= n;
    KeyValue* kvs = arena_.AllocateArray<KeyValue>(n);
    for (uint32_t j = 0; j < n; ++j) {
      const ShapeEntry& e = dict_.shape_entries[first + j];
      kvs[j].key = dict_.keys[e.key];
      if (!DecodeTypedValue(key_cols_[e.key], e.type, dict_.value_pools[e.key], arena_,
                            kvs[j].value)) {
        return false;
      }
    }
    out = {kvs, n};
    return true;
  }

  bool DecodeSpan(size_t trace, uint32_t trace_begin, uint32_t i, model::Span& s) {
    s.trace_id = lead_.trace_ids[trace];
    s.span_id.value = cols_[kSpanIds].Fixed64();
    const uint64_t parent = cols_[kParents].Varint();
    if (parent == 1) {
      s.parent_span_id.value = cols_[kParentRaw].Fixed64();
    } else if (parent >= 2) {
      const int64_t back = UnZigZag(parent - 2);
      // Bounded first so the arithmetic below cannot overflow.
      if (back < -static_cast<int64_t>(lead_.span_count()) || back > static_cast<int64_t>(i)) {
        return false;
      }
      const int64_t p = static_cast<int64_t>(i) - 1 - back;
      // The parent is an earlier or later span of the same trace in this page; its ID column
      // entry may not be decoded yet, so read it from the column's bytes.
      if (p < static_cast<int64_t>(trace_begin) ||
          p >= static_cast<int64_t>(lead_.trace_begin[trace + 1])) {
        return false;
      }
      s.parent_span_id.value = SpanIdAt(static_cast<size_t>(p));
    }
    s.flags = cols_[kFlags].Varint32();
    s.trace_state = cols_[kTraceStates].String();
    s.dropped_attributes_count = cols_[kDropped].Varint32();
    s.dropped_events_count = cols_[kDropped].Varint32();
    s.dropped_links_count = cols_[kDropped].Varint32();
    const uint64_t msg = cols_[kStatusMessages].Varint();
    if (msg == 1) {
      s.status.message = cols_[kStatusMessages].String();
    } else if (msg >= 2) {
      if (msg - 2 >= dict_.status_messages.size()) return false;
      s.status.message = dict_.status_messages[msg - 2];
    }
    s.status.code = static_cast<model::StatusCode>(lead_.status[i]);
    s.name = dict_.names[lead_.name[i]];
    s.kind = static_cast<model::SpanKind>(lead_.kind[i]);
    s.start_time_unix_nano = lead_.start[i];
    s.end_time_unix_nano = lead_.end[i];
    const uint32_t origin = lead_.origin[i];
    if (origin >= dict_.origin_resource.size()) return false;
    s.resource = dict_.origin_resource[origin];
    s.scope = dict_.origin_scope[origin];
    if (!ShapedAttributes(cols_[kAttrShapes].Varint(), s.attributes)) return false;

    const uint64_t events = cols_[kEventCounts].Varint();
    if (events > 0) {
      if (events > cols_[kEventTimes].remaining()) return false;
      model::Event* ev = arena_.AllocateArray<model::Event>(events);
      for (uint64_t e = 0; e < events; ++e) {
        ev[e] = model::Event();
        ev[e].time_unix_nano =
            s.start_time_unix_nano + static_cast<uint64_t>(UnZigZag(cols_[kEventTimes].Varint()));
        const uint64_t name = cols_[kEventNames].Varint();
        if (name == 0) {
          ev[e].name = cols_[kEventNames].String();
        } else {
          if (name - 1 >= dict_.event_names.size()) return false;
          ev[e].name = dict_.event_names[name - 1];
        }
        ev[e].dropped_attributes_count = cols_[kEventDropped].Varint32();
        if (!ShapedAttributes(cols_[kEventShapes].Varint(), ev[e].attributes)) return false;
      }
      s.events = {ev, static_cast<size_t>(events)};
    }

    ByteReader& lc = cols_[kLinks];
    const uint64_t links = cols_[kLinkCounts].Varint();
    if (links > 0) {
      if (links > lc.remaining() / 12) return false;  // flag, span ID, state, flags, dropped, shape
      model::Link* lk = arena_.AllocateArray<model::Link>(links);
      for (uint64_t k = 0; k < links; ++k) {
        lk[k] = model::Link();
        const uint8_t flag = lc.Byte();
        if (flag == 0) {
          lk[k].trace_id = s.trace_id;
        } else if (flag == 1) {
          std::string_view id = lc.Bytes(16);
          if (!lc.ok()) return false;
          lk[k].trace_id = model::TraceId::FromBytes(reinterpret_cast<const uint8_t*>(id.data()));
        } else {
          return false;
        }
        lk[k].span_id.value = lc.Fixed64();
        lk[k].trace_state = lc.String();
        lk[k].flags = lc.Varint32();
        lk[k].dropped_attributes_count = lc.Varint32();
        if (!ShapedAttributes(lc.Varint(), lk[k].attributes)) return false;
      }
      s.links = {lk, static_cast<size_t>(links)};
    }
    for (const ByteReader& c : cols_) {
      if (!c.ok()) return false;
    }
    return true;
  }

  // Span ID of span `i` of the page (Run checked the column holds every span's).
  uint64_t SpanIdAt(size_t i) const { return block_format::LoadFixed64(span_ids_.data() + 8 * i); }

  const PageLead& lead_;
  const BlockDict& dict_;
  PageData& page_;
  Arena& arena_;
  ByteReader cols_[kBodyColumns];
  std::vector<ByteReader> key_cols_;
  uint64_t key_bytes_ = 0;
  std::string_view span_ids_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<const PageData>> DecodePage(std::shared_ptr<const PageLead> lead,
                                                           std::shared_ptr<const BlockDict> dict,
                                                           std::string body) {
  auto page = std::make_shared<PageData>();
  page->lead = std::move(lead);
  page->dict = std::move(dict);
  page->body = std::move(body);
  BodyDecoder decoder(*page->lead, *page->dict, *page);
  if (!decoder.Run()) return Malformed("page body");
  page->charge = sizeof(PageData) + page->body.capacity() + page->spans.bytes_used();
  return std::shared_ptr<const PageData>(std::move(page));
}

}  // namespace skua::storage::embedded::block_codec
