// WriteBlock: sorts and de-duplicates the spans, builds the block-wide dictionary in a first pass,
// encodes pages of whole traces column by column in a second, then writes the dictionary, search
// index, filters, meta section and trailer (docs/storage/embedded-blocks.md).
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <bitset>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/crc32c.h"
#include "base/status.h"
#include "model/attribute_keys.h"
#include "storage/embedded/block.h"
#include "storage/embedded/block_codec.h"
#include "storage/embedded/block_format.h"
#include "storage/embedded/block_writer_internal.h"
#include "storage/span_match.h"

namespace skua::storage::embedded {

using block_codec::BodyColumn;
using block_codec::LeadColumn;
using block_format::BloomBlocksFor;
using block_format::BloomInsert;
using block_format::Hash64;
using block_format::kBloomBlockBytes;
using block_format::kCodecNone;
using block_format::kCodecZstd;
using block_format::kFormatVersion;
using block_format::kMagic;
using block_format::kMaxExpansion;
using block_format::kMaxValueDepth;
using block_format::kTagChunkBlocks;
using block_format::kTagChunkBytes;
using block_format::LoadFixed64;
using block_format::PutFixed32;
using block_format::PutFixed64;
using block_format::PutString;
using block_format::PutVarint;
using block_format::TagHash;
using block_format::TagKeyHash;
using block_format::TraceIdHash;
using block_format::ZigZag;
using model::AnyValue;
using model::KeyValue;
using model::ValueType;

namespace {

absl::string_view AV(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Attribute string values seen at least this often in a block go to their key's value pool;
// rarer ones are stored inline in the pages (where zstd still finds repeats nearby).
constexpr uint32_t kPoolMinCount = 3;
// Bloom filter sizes: bits per distinct entry (about 1 % false positives for tags).
constexpr uint32_t kTraceFilterBits = 12;
constexpr uint32_t kTagFilterBits = 10;

bool ValueDepthTooDeep(const AnyValue& value) {
  return block_codec::ValueDepth(value) > kMaxValueDepth;
}

// A string value of one attribute key, with its tag filter hash (TagHash of key and value), which
// also serves as its hash table hash.
struct KeyedString {
  uint32_t key;
  std::string_view value;
  uint64_t hash;
  bool operator==(const KeyedString& o) const { return key == o.key && value == o.value; }
};
struct KeyedStringHash {
  size_t operator()(const KeyedString& k) const { return static_cast<size_t>(k.hash); }
};

struct SortKey {
  uint64_t high, low, start, span_id;
  uint32_t index;
};

// Strings a value may be searched by (SpanHasTag compares against these): ValueToString's
// rendering, plus the "NaN" / "+Inf" / "-Inf" spellings tag matching uses for doubles.
template <typename Fn>
void ForEachTagString(const AnyValue& value, Fn&& fn) {
  fn(model::ValueToString(value));
  if (value.type() == ValueType::kDouble) {
    double d = value.double_value();
    if (std::isnan(d)) fn(std::string("NaN"));
    if (std::isinf(d)) fn(std::string(d > 0 ? "+Inf" : "-Inf"));
  }
}

// Lower-case hex of `bytes`, as tag matching renders bytes values.
std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

// Appends to a file through a buffer; tracks the offset.
class FileSink {
 public:
  explicit FileSink(int fd) : fd_(fd) { buf_.reserve(kBufferBytes); }
  uint64_t offset() const { return offset_; }
  absl::Status Append(std::string_view data) {
    offset_ += data.size();
    if (buf_.size() + data.size() > kBufferBytes) {
      SKUA_RETURN_IF_ERROR(Flush());
      if (data.size() >= kBufferBytes) return WriteAll(data);
    }
    buf_.append(data);
    return absl::OkStatus();
  }
  absl::Status Flush() {
    absl::Status s = WriteAll(buf_);
    buf_.clear();
    return s;
  }

 private:
  static constexpr size_t kBufferBytes = 1 << 20;
  absl::Status WriteAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return absl::UnavailableError(absl::StrCat("write: ", std::strerror(errno)));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }
  int fd_;
  std::string buf_;
  uint64_t offset_ = 0;
};

struct PartRef {
  uint64_t stored = 0;
  uint64_t raw = 0;
  uint8_t codec = kCodecNone;
  uint32_t crc = 0;
};

struct PageEntry {
  uint64_t offset = 0;
  PartRef lead, body;
  uint32_t spans = 0;
  uint32_t traces = 0;
  model::TraceId first_trace, last_trace;
  uint64_t min_start = UINT64_MAX, max_start = 0;
  uint64_t min_duration = UINT64_MAX, max_duration = 0;
};

class BlockBuilder {
 public:
  BlockBuilder(uint64_t id, std::string_view tenant, std::span<const model::Span> input,
               const BlockWriteOptions& options)
      : id_(id), tenant_(tenant), input_(input), options_(options) {}
  ~BlockBuilder() {
    if (cctx_ != nullptr) ZSTD_freeCCtx(cctx_);
  }

  // Sorting, de-duplication and the dictionary pass. InvalidArgument for unstorable spans.
  absl::Status Prepare();
  // Writes the whole file to `sink`.
  absl::Status Write(FileSink& sink);
  const BlockInfo& info() const { return info_; }
  BlockEncodingStats stats() const { return stats_; }
  void set_measure_columns(bool on) { measure_columns_ = on; }

 private:
  // Spans are visited in trace order, scattered in memory: fetch the ones a few steps ahead.
  void Prefetch(size_t i) const {
    if (i + 8 < spans_.size()) __builtin_prefetch(spans_[i + 8]);
    if (i + 4 < spans_.size()) {
      const model::Attributes a = spans_[i + 4]->attributes;
      __builtin_prefetch(a.data());
      if (a.size() > 2) __builtin_prefetch(a.data() + a.size() - 1);
    }
  }

  // --- pass 1 ---
  uint32_t KeyId(std::string_view key);
  uint32_t ShapeId(const std::string& signature, const std::vector<uint32_t>& keys,
                   model::Attributes attributes);
  uint32_t ShapeOf(model::Attributes attributes);
  bool ShapeMatches(uint32_t shape, model::Attributes attributes) const;
  absl::Status AnalyzeList(model::Attributes attributes);
  uint32_t OriginId(const model::Span& span);
  uint32_t NameId(std::string_view name);
  uint32_t ResourceId(const model::Resource& resource);
  uint32_t ScopeId(const model::Scope& scope);
  void AddTag(uint64_t key_hash, std::string_view value) { tags_.insert(TagHash(key_hash, value)); }
  void AddTag(std::string_view key, std::string_view value) { AddTag(TagKeyHash(key), value); }
  void AddAttributeTags(model::Attributes attributes);
  void FinishDictionary();

  // --- pass 2 ---
  absl::Status EncodePages(FileSink& sink);
  void EncodeSpan(const model::Span& span, size_t i);
  void EncodeValues(model::Attributes attributes, uint32_t shape);
  void EncodeParent(const model::Span& span, size_t i);
  void CloseTracePart();
  size_t PageBytes() const;
  absl::Status FlushPage(FileSink& sink);
  absl::StatusOr<PartRef> WritePart(FileSink& sink, const std::string& raw);
  std::string EncodeDict() const;
  std::string EncodeSearchIndex();
  std::string EncodeMeta(const PartRef& dict, uint64_t dict_off, const PartRef& search,
                         uint64_t search_off, uint64_t tag_off, uint64_t tag_blocks,
                         const std::vector<uint32_t>& tag_crcs, uint64_t trace_off,
                         uint64_t trace_blocks, uint32_t trace_crc) const;
  void MeasureColumns();

  const uint64_t id_;
  const std::string_view tenant_;
  const std::span<const model::Span> input_;
  const BlockWriteOptions options_;
  bool measure_columns_ = false;
  BlockInfo info_;
  BlockEncodingStats stats_;
  ZSTD_CCtx* cctx_ = nullptr;

  std::vector<const model::Span*> spans_;  // sorted by (trace, start, span ID), unique
  std::vector<uint32_t> trace_begin_;      // traces + 1

  // Pass 1 tables.
  std::vector<std::string_view> keys_;
  absl::flat_hash_map<absl::string_view, uint32_t> key_index_;
  std::vector<uint64_t> key_hash_;
  std::vector<std::string> shapes_;  // signature: (varint key, type byte)…
  std::vector<uint32_t> shape_sizes_;
  std::vector<uint32_t> shape_keys_;             // key indexes of every shape, concatenated
  std::vector<ValueType> shape_types_;           // their value types, likewise
  std::vector<uint32_t> shape_key_begin_{0, 0};  // shapes + 1 offsets into shape_keys_
  // Shapes by a hash of their key strings and types, so a list's shape is found with one hash
  // and one probe rather than one lookup per key. Verified on every hit.
  absl::flat_hash_map<uint64_t, uint32_t> shape_by_hash_;
  std::string signature_scratch_;
  std::vector<uint32_t> list_keys_scratch_;
  absl::flat_hash_map<std::string, uint32_t> shape_index_;
  std::vector<KeyedString> values_;
  std::vector<uint32_t> value_counts_;
  struct ValueSlot {
    uint32_t id;
    uint32_t count;  // kept in the slot: one cache miss per lookup, not two
  };
  absl::flat_hash_map<KeyedString, ValueSlot, KeyedStringHash> value_index_;
  std::vector<absl::flat_hash_set<int64_t>> int_values_;  // by key
  std::vector<uint8_t> bool_values_;                      // by key: bit 0 false, bit 1 true
  std::vector<std::string_view> names_;
  std::vector<uint32_t> name_counts_;
  absl::flat_hash_map<absl::string_view, uint32_t> name_index_;
  // A direct-mapped cache in front of name_index_, by a cheap hint (names repeat a lot).
  struct NameSlot {
    std::string_view name;
    uint32_t id = UINT32_MAX;
  };
  std::vector<NameSlot> name_cache_ = std::vector<NameSlot>(1024);
  std::vector<std::string_view> messages_;
  std::vector<uint32_t> message_counts_;
  absl::flat_hash_map<absl::string_view, uint32_t> message_index_;
  std::vector<std::string_view> event_names_;
  std::vector<uint32_t> event_name_counts_;
  absl::flat_hash_map<absl::string_view, uint32_t> event_name_index_;
  absl::flat_hash_set<absl::string_view> trace_states_;
  std::vector<std::string> resources_;  // encoded
  std::vector<const model::Resource*> resource_ptrs_;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> resource_by_hash_;
  std::vector<std::string> scopes_;
  std::vector<const model::Scope*> scope_ptrs_;
  absl::flat_hash_map<uint64_t, std::vector<uint32_t>> scope_by_hash_;
  std::vector<std::pair<uint32_t, uint32_t>> origins_;
  absl::flat_hash_map<std::pair<uint32_t, uint32_t>, uint32_t> origin_index_;
  absl::flat_hash_map<std::pair<const model::Resource*, const model::Scope*>, uint32_t>
      origin_by_ptr_;
  std::bitset<256> kinds_seen_, status_seen_;
  absl::flat_hash_set<uint64_t> tags_;
  // Per span: origin, name; per attribute list (span, events, links in order): shape; per
  // top-level string value in the same order: value index.
  std::vector<uint32_t> span_origin_, span_name_, span_message_, list_shapes_, string_ids_,
      event_name_ids_;

  // Derived by FinishDictionary.
  std::vector<uint32_t> name_remap_;  // pass-1 id → pool index
  std::vector<uint32_t> value_ref_;   // value index → 0 literal, else pool index + 1
  std::vector<std::vector<uint32_t>> value_pools_;  // by key: value indexes
  std::vector<uint32_t> message_ref_;               // 1 literal, else pool index + 2
  std::vector<uint32_t> message_pool_;
  std::vector<uint32_t> event_name_ref_;  // 0 literal, else pool index + 1
  std::vector<uint32_t> event_name_pool_;
  std::vector<std::string> services_;  // sorted
  std::vector<uint32_t> origin_service_;

  // Pass 2 state.
  size_t cursor_shape_ = 0, cursor_string_ = 0, cursor_event_name_ = 0;
  std::string lead_[block_codec::kLeadColumns];
  std::string body_[block_codec::kBodyColumns];
  std::vector<std::string> key_cols_;  // by key
  std::vector<uint32_t> key_page_;     // by key: 1 + last page with data for it
  std::vector<uint32_t> page_keys_;    // keys with data in the current page
  PageEntry page_;
  std::vector<PageEntry> pages_;
  // The open trace part (a trace's spans in the current page).
  size_t part_begin_ = 0;
  size_t next_span_ = 0;  // the span after the last one encoded
  bool part_open_ = false;
  uint64_t prev_start_ = 0;
  absl::flat_hash_map<uint64_t, uint32_t> parent_index_;  // span ID → index, large parts only
  size_t parent_indexed_ = 0;                             // spans of the part in parent_index_
  struct OpEntry {
    uint32_t service = 0, name = 0;
    uint32_t kinds = 0;
    std::vector<uint32_t> pages;
  };
  std::vector<OpEntry> ops_;
  absl::flat_hash_map<uint64_t, uint32_t> op_index_;
  std::vector<std::vector<uint32_t>> service_pages_;
  std::string compressed_;
};

uint32_t BlockBuilder::KeyId(std::string_view key) {
  auto [it, inserted] = key_index_.try_emplace(AV(key), static_cast<uint32_t>(keys_.size()));
  if (inserted) {
    keys_.push_back(key);
    key_hash_.push_back(TagKeyHash(key));
    int_values_.emplace_back();
    bool_values_.push_back(0);
  }
  return it->second;
}

uint32_t BlockBuilder::ShapeId(const std::string& signature, const std::vector<uint32_t>& keys,
                               model::Attributes attributes) {
  auto [it, inserted] = shape_index_.try_emplace(signature, static_cast<uint32_t>(shapes_.size()));
  if (inserted) {
    shapes_.push_back(signature);
    shape_sizes_.push_back(static_cast<uint32_t>(keys.size()));
    shape_keys_.insert(shape_keys_.end(), keys.begin(), keys.end());
    for (const KeyValue& kv : attributes) shape_types_.push_back(kv.value.type());
    shape_key_begin_.push_back(static_cast<uint32_t>(shape_keys_.size()));
  }
  return it->second;
}

bool BlockBuilder::ShapeMatches(uint32_t shape, model::Attributes attributes) const {
  const uint32_t begin = shape_key_begin_[shape];
  if (shape_key_begin_[shape + 1] - begin != attributes.size()) return false;
  for (size_t j = 0; j < attributes.size(); ++j) {
    if (shape_types_[begin + j] != attributes[j].value.type() ||
        keys_[shape_keys_[begin + j]] != attributes[j].key) {
      return false;
    }
  }
  return true;
}

// A cheap hash of an attribute list's keys and types: length, first and last 8 bytes of each
// key. Only a hint: ShapeOf verifies every hit, and a collision merely costs the slow path.
uint64_t ShapeHint(model::Attributes attributes) {
  uint64_t h = 0x736b75612d736870ull;  // "skua-shp"
  for (const KeyValue& kv : attributes) {
    const std::string_view k = kv.key;
    uint64_t head = 0, tail = 0;
    if (k.size() >= 8) {
      head = LoadFixed64(k.data());
      tail = LoadFixed64(k.data() + k.size() - 8);
    } else if (!k.empty()) {
      std::memcpy(&head, k.data(), k.size());
    }
    h = (h ^ head) * 0x9E3779B97F4A7C15ull;
    h = (h ^ tail ^ (k.size() << 8) ^ static_cast<uint64_t>(kv.value.type())) *
        0xBF58476D1CE4E5B9ull;
    h ^= h >> 29;
  }
  return h;
}

uint32_t BlockBuilder::ShapeOf(model::Attributes attributes) {
  const uint64_t h = ShapeHint(attributes);
  auto cached = shape_by_hash_.find(h);
  if (cached != shape_by_hash_.end() && ShapeMatches(cached->second, attributes)) {
    return cached->second;
  }
  // First time this list of keys and types is seen (or a hash collision): by key indexes.
  std::string& signature = signature_scratch_;
  signature.clear();
  list_keys_scratch_.clear();
  for (const KeyValue& kv : attributes) {
    const uint32_t key = KeyId(kv.key);
    list_keys_scratch_.push_back(key);
    PutVarint(signature, key);
    signature.push_back(static_cast<char>(kv.value.type()));
  }
  const uint32_t shape = ShapeId(signature, list_keys_scratch_, attributes);
  if (cached == shape_by_hash_.end()) shape_by_hash_.emplace(h, shape);
  return shape;
}

absl::Status BlockBuilder::AnalyzeList(model::Attributes attributes) {
  if (attributes.empty()) {
    list_shapes_.push_back(0);
    return absl::OkStatus();
  }
  const uint32_t shape = ShapeOf(attributes);
  list_shapes_.push_back(shape);
  const uint32_t* keys = shape_keys_.data() + shape_key_begin_[shape];
  for (size_t j = 0; j < attributes.size(); ++j) {
    const KeyValue& kv = attributes[j];
    const uint32_t key = keys[j];
    switch (kv.value.type()) {
      case ValueType::kString: {
        const KeyedString v{key, kv.value.string_value(),
                            TagHash(key_hash_[key], kv.value.string_value())};
        auto [it, inserted] =
            value_index_.try_emplace(v, ValueSlot{static_cast<uint32_t>(values_.size()), 0});
        if (inserted) values_.push_back(v);
        ++it->second.count;
        string_ids_.push_back(it->second.id);
        break;
      }
      case ValueType::kInt:
        int_values_[key].insert(kv.value.int_value());
        break;
      case ValueType::kBool:
        bool_values_[key] |= kv.value.bool_value() ? 2 : 1;
        break;
      case ValueType::kEmpty:
        AddTag(key_hash_[key], "");
        break;
      case ValueType::kBytes:
        AddTag(key_hash_[key], Hex(kv.value.string_value()));
        break;
      case ValueType::kArray:
      case ValueType::kKvList:
        if (ValueDepthTooDeep(kv.value)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "attribute '", AV(kv.key), "' nests values deeper than ", kMaxValueDepth, " levels"));
        }
        [[fallthrough]];
      case ValueType::kDouble:
        ForEachTagString(kv.value, [&](const std::string& s) { AddTag(key_hash_[key], s); });
        break;
    }
  }
  return absl::OkStatus();
}

void BlockBuilder::AddAttributeTags(model::Attributes attributes) {
  for (const KeyValue& kv : attributes) {
    const uint64_t key_hash = TagKeyHash(kv.key);
    ForEachTagString(kv.value, [&](const std::string& s) { AddTag(key_hash, s); });
  }
}

// Content hash and equality of values as the format stores them (doubles by bit pattern), so
// equal-content resources and scopes held at different addresses (one copy per trace in a head)
// are stored once without encoding each copy.
uint64_t MixWord(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 31);
}

// A cheap digest of a string (length, first and last 8 bytes): enough to tell resources apart in
// practice; every match is verified with ExactEquals.
uint64_t MixString(uint64_t h, std::string_view s) {
  uint64_t head = 0, tail = 0;
  if (s.size() >= 8) {
    head = LoadFixed64(s.data());
    tail = LoadFixed64(s.data() + s.size() - 8);
  } else if (!s.empty()) {
    std::memcpy(&head, s.data(), s.size());
  }
  return MixWord(MixWord(MixWord(h, s.size()), head), tail);
}

uint64_t HashAttributes(model::Attributes attributes, uint64_t h);

uint64_t HashValue(const AnyValue& v, uint64_t h) {
  h = MixWord(h, static_cast<uint64_t>(v.type()) + 1);
  switch (v.type()) {
    case ValueType::kEmpty:
      return h;
    case ValueType::kString:
    case ValueType::kBytes:
      return MixString(h, v.string_value());
    case ValueType::kBool:
      return MixWord(h, v.bool_value());
    case ValueType::kInt:
      return MixWord(h, static_cast<uint64_t>(v.int_value()));
    case ValueType::kDouble: {
      uint64_t bits;
      double d = v.double_value();
      std::memcpy(&bits, &d, 8);
      return MixWord(h, bits);
    }
    case ValueType::kArray:
      h = MixWord(h, v.array_value().size());
      for (const AnyValue& item : v.array_value()) h = HashValue(item, h);
      return h;
    case ValueType::kKvList:
      return HashAttributes(v.kvlist_value(), h);
  }
  return h;
}

uint64_t HashAttributes(model::Attributes attributes, uint64_t h) {
  h = MixWord(h, attributes.size());
  for (const KeyValue& kv : attributes) h = HashValue(kv.value, MixString(h, kv.key));
  return h;
}

bool ExactEquals(model::Attributes a, model::Attributes b);

bool ExactEquals(const AnyValue& a, const AnyValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kDouble: {
      double x = a.double_value(), y = b.double_value();
      return std::memcmp(&x, &y, 8) == 0;
    }
    case ValueType::kArray: {
      auto x = a.array_value(), y = b.array_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!ExactEquals(x[i], y[i])) return false;
      }
      return true;
    }
    case ValueType::kKvList:
      return ExactEquals(a.kvlist_value(), b.kvlist_value());
    default:
      return model::ValueEquals(a, b);
  }
}

bool ExactEquals(model::Attributes a, model::Attributes b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || !ExactEquals(a[i].value, b[i].value)) return false;
  }
  return true;
}

uint32_t BlockBuilder::ResourceId(const model::Resource& r) {
  const uint64_t h =
      MixString(HashAttributes(r.attributes, r.dropped_attributes_count), r.schema_url);
  auto [it, inserted] = resource_by_hash_.try_emplace(h);
  for (uint32_t id : it->second) {
    const model::Resource& o = *resource_ptrs_[id];
    if (o.dropped_attributes_count == r.dropped_attributes_count && o.schema_url == r.schema_url &&
        ExactEquals(o.attributes, r.attributes)) {
      return id;
    }
  }
  std::string encoded;
  block_codec::EncodeAttributes(r.attributes, encoded);
  PutVarint(encoded, r.dropped_attributes_count);
  PutString(encoded, r.schema_url);
  const uint32_t id = static_cast<uint32_t>(resources_.size());
  resources_.push_back(std::move(encoded));
  resource_ptrs_.push_back(&r);
  it->second.push_back(id);
  return id;
}

uint32_t BlockBuilder::ScopeId(const model::Scope& s) {
  const uint64_t h = MixString(
      MixString(MixString(HashAttributes(s.attributes, s.dropped_attributes_count), s.name),
                s.version),
      s.schema_url);
  auto [it, inserted] = scope_by_hash_.try_emplace(h);
  for (uint32_t id : it->second) {
    const model::Scope& o = *scope_ptrs_[id];
    if (o.name == s.name && o.version == s.version &&
        o.dropped_attributes_count == s.dropped_attributes_count && o.schema_url == s.schema_url &&
        ExactEquals(o.attributes, s.attributes)) {
      return id;
    }
  }
  std::string encoded;
  PutString(encoded, s.name);
  PutString(encoded, s.version);
  block_codec::EncodeAttributes(s.attributes, encoded);
  PutVarint(encoded, s.dropped_attributes_count);
  PutString(encoded, s.schema_url);
  const uint32_t id = static_cast<uint32_t>(scopes_.size());
  scopes_.push_back(std::move(encoded));
  scope_ptrs_.push_back(&s);
  it->second.push_back(id);
  return id;
}

uint32_t BlockBuilder::NameId(std::string_view name) {
  uint64_t head = 0, tail = 0;
  if (name.size() >= 8) {
    head = LoadFixed64(name.data());
    tail = LoadFixed64(name.data() + name.size() - 8);
  } else if (!name.empty()) {
    std::memcpy(&head, name.data(), name.size());
  }
  const uint64_t hint =
      ((head ^ (tail * 0xBF58476D1CE4E5B9ull) ^ name.size()) * 0x9E3779B97F4A7C15ull) >> 54;
  NameSlot& slot = name_cache_[hint];
  if (slot.id != UINT32_MAX && slot.name == name) return slot.id;
  auto [it, inserted] = name_index_.try_emplace(AV(name), static_cast<uint32_t>(names_.size()));
  if (inserted) {
    names_.push_back(name);
    name_counts_.push_back(0);
  }
  slot = NameSlot{name, it->second};
  return it->second;
}

uint32_t BlockBuilder::OriginId(const model::Span& span) {
  auto cached = origin_by_ptr_.find(std::make_pair(span.resource, span.scope));
  if (cached != origin_by_ptr_.end()) return cached->second;
  // A missing resource or scope is stored as an empty one, as SpanSet::CopySpan does.
  static const model::Resource kEmptyResource;
  static const model::Scope kEmptyScope;
  auto pair = std::make_pair(ResourceId(span.resource ? *span.resource : kEmptyResource),
                             ScopeId(span.scope ? *span.scope : kEmptyScope));
  auto [oit, onew] = origin_index_.try_emplace(pair, static_cast<uint32_t>(origins_.size()));
  if (onew) origins_.push_back(pair);
  origin_by_ptr_.emplace(std::make_pair(span.resource, span.scope), oit->second);
  return oit->second;
}

absl::Status BlockBuilder::Prepare() {
  // Sort by (trace, start, span ID), input order breaking ties, and drop exact duplicates.
  std::vector<SortKey> order(input_.size());
  for (size_t i = 0; i < input_.size(); ++i) {
    const model::Span& s = input_[i];
    order[i] = {s.trace_id.high, s.trace_id.low, s.start_time_unix_nano, s.span_id.value,
                static_cast<uint32_t>(i)};
  }
  std::sort(order.begin(), order.end(), [](const SortKey& a, const SortKey& b) {
    if (a.high != b.high) return a.high < b.high;
    if (a.low != b.low) return a.low < b.low;
    if (a.start != b.start) return a.start < b.start;
    if (a.span_id != b.span_id) return a.span_id < b.span_id;
    return a.index < b.index;
  });
  spans_.reserve(order.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (j < order.size() && order[j].high == order[i].high && order[j].low == order[i].low &&
           order[j].start == order[i].start && order[j].span_id == order[i].span_id) {
      ++j;
    }
    const size_t kept_begin = spans_.size();
    for (size_t k = i; k < j; ++k) {
      const model::Span& s = input_[order[k].index];
      bool duplicate = false;
      for (size_t m = kept_begin; m < spans_.size() && !duplicate; ++m) {
        duplicate = SpanContentEquals(*spans_[m], s);
      }
      if (!duplicate) spans_.push_back(&s);
    }
    i = j;
  }
  stats_.spans_in = input_.size();
  stats_.spans_stored = spans_.size();

  info_.id = id_;
  info_.tenant = std::string(tenant_);
  info_.min_start = UINT64_MAX;
  info_.span_count = spans_.size();
  span_origin_.reserve(spans_.size());
  span_name_.reserve(spans_.size());
  span_message_.reserve(spans_.size());
  list_shapes_.reserve(spans_.size() + spans_.size() / 8);
  string_ids_.reserve(spans_.size() * 8);
  shapes_.push_back("");  // shape 0: no attributes (shape_key_begin_ starts {0, 0} for it)
  shape_sizes_.push_back(0);
  shape_index_.emplace("", 0);

  for (size_t i = 0; i < spans_.size(); ++i) {
    Prefetch(i);
    const model::Span& s = *spans_[i];
    if (i == 0 || s.trace_id != spans_[i - 1]->trace_id) {
      trace_begin_.push_back(static_cast<uint32_t>(i));
    }
    info_.min_start = std::min(info_.min_start, s.start_time_unix_nano);
    info_.max_start = std::max(info_.max_start, s.start_time_unix_nano);
    span_origin_.push_back(OriginId(s));
    const uint32_t name = NameId(s.name);
    ++name_counts_[name];
    span_name_.push_back(name);
    kinds_seen_.set(static_cast<uint8_t>(s.kind));
    status_seen_.set(static_cast<uint8_t>(s.status.code));
    if (!s.status.message.empty()) {
      auto [mit, mnew] =
          message_index_.try_emplace(AV(s.status.message), static_cast<uint32_t>(messages_.size()));
      if (mnew) {
        messages_.push_back(s.status.message);
        message_counts_.push_back(0);
      }
      ++message_counts_[mit->second];
      span_message_.push_back(mit->second);
    } else {
      span_message_.push_back(UINT32_MAX);
    }
    if (!s.trace_state.empty()) trace_states_.insert(AV(s.trace_state));
    SKUA_RETURN_IF_ERROR(AnalyzeList(s.attributes));
    for (const model::Event& e : s.events) {
      auto [eit, enew] =
          event_name_index_.try_emplace(AV(e.name), static_cast<uint32_t>(event_names_.size()));
      if (enew) {
        event_names_.push_back(e.name);
        event_name_counts_.push_back(0);
      }
      ++event_name_counts_[eit->second];
      event_name_ids_.push_back(eit->second);
      SKUA_RETURN_IF_ERROR(AnalyzeList(e.attributes));
    }
    for (const model::Link& l : s.links) SKUA_RETURN_IF_ERROR(AnalyzeList(l.attributes));
  }
  trace_begin_.push_back(static_cast<uint32_t>(spans_.size()));
  info_.trace_count = trace_begin_.size() - 1;
  for (const model::Resource* r : resource_ptrs_) {
    for (const KeyValue& kv : r->attributes) {
      if (ValueDepthTooDeep(kv.value)) {
        return absl::InvalidArgumentError("resource attribute nests values too deeply");
      }
    }
  }
  for (const model::Scope* s : scope_ptrs_) {
    for (const KeyValue& kv : s->attributes) {
      if (ValueDepthTooDeep(kv.value)) {
        return absl::InvalidArgumentError("scope attribute nests values too deeply");
      }
    }
  }
  FinishDictionary();
  return absl::OkStatus();
}

// Sorts the ids of `counts` with at least `min_count` occurrences by count (descending, id
// breaking ties).
std::vector<uint32_t> Popular(const std::vector<uint32_t>& counts, uint32_t min_count) {
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < counts.size(); ++i) {
    if (counts[i] >= min_count) ids.push_back(i);
  }
  std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) {
    return counts[a] != counts[b] ? counts[a] > counts[b] : a < b;
  });
  return ids;
}

void BlockBuilder::FinishDictionary() {
  // Names: all pooled, most frequent first (small references).
  std::vector<uint32_t> names = Popular(name_counts_, 0);
  name_remap_.assign(names_.size(), 0);
  for (uint32_t i = 0; i < names.size(); ++i) name_remap_[names[i]] = i;
  std::vector<std::string_view> sorted_names;
  for (uint32_t id : names) sorted_names.push_back(names_[id]);
  names_ = std::move(sorted_names);

  // Attribute string values seen at least kPoolMinCount times go to their key's pool.
  value_ref_.assign(values_.size(), 0);
  value_pools_.assign(keys_.size(), {});
  value_counts_.assign(values_.size(), 0);
  for (const auto& [v, slot] : value_index_) value_counts_[slot.id] = slot.count;
  for (uint32_t v : Popular(value_counts_, kPoolMinCount)) {
    auto& pool = value_pools_[values_[v].key];
    pool.push_back(v);
    value_ref_[v] = static_cast<uint32_t>(pool.size());
  }
  message_ref_.assign(messages_.size(), 1);
  message_pool_ = Popular(message_counts_, 2);
  for (uint32_t i = 0; i < message_pool_.size(); ++i) message_ref_[message_pool_[i]] = i + 2;
  event_name_ref_.assign(event_names_.size(), 0);
  event_name_pool_ = Popular(event_name_counts_, 2);
  for (uint32_t i = 0; i < event_name_pool_.size(); ++i) {
    event_name_ref_[event_name_pool_[i]] = i + 1;
  }

  // Services: the resources' service.name (as SpanSet::CopySpan derives it), sorted.
  std::vector<std::string_view> resource_service(resource_ptrs_.size());
  for (size_t i = 0; i < resource_ptrs_.size(); ++i) {
    const AnyValue* v =
        model::FindAttribute(resource_ptrs_[i]->attributes, model::keys::kServiceNameKey);
    resource_service[i] =
        v != nullptr && v->type() == ValueType::kString ? v->string_value() : std::string_view();
  }
  for (const auto& [r, s] : origins_) services_.emplace_back(resource_service[r]);
  std::sort(services_.begin(), services_.end());
  services_.erase(std::unique(services_.begin(), services_.end()), services_.end());
  for (const auto& [r, s] : origins_) {
    origin_service_.push_back(static_cast<uint32_t>(
        std::lower_bound(services_.begin(), services_.end(), resource_service[r]) -
        services_.begin()));
  }
  service_pages_.resize(services_.size());

  // Tag filter entries (every (key, value) SpanHasTag can match in this block).
  for (const KeyedString& v : values_) tags_.insert(v.hash);
  char buf[24];
  for (uint32_t k = 0; k < keys_.size(); ++k) {
    for (int64_t i : int_values_[k]) {
      auto r = std::to_chars(buf, buf + sizeof buf, i);
      AddTag(key_hash_[k], std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
    }
    if (bool_values_[k] & 1) AddTag(key_hash_[k], "false");
    if (bool_values_[k] & 2) AddTag(key_hash_[k], "true");
  }
  for (const model::Resource* r : resource_ptrs_) AddAttributeTags(r->attributes);
  for (const model::Scope* s : scope_ptrs_) {
    AddAttributeTags(s->attributes);
    if (!s->name.empty()) AddTag(model::keys::kScopeNameKey, s->name);
    if (!s->version.empty()) AddTag(model::keys::kScopeVersionKey, s->version);
  }
  for (size_t k = 0; k < kinds_seen_.size(); ++k) {
    if (!kinds_seen_[k]) continue;
    std::string_view name = model::SpanKindName(static_cast<model::SpanKind>(k));
    if (!name.empty()) AddTag(model::keys::kSpanKindKey, name);
  }
  if (status_seen_[static_cast<size_t>(model::StatusCode::kOk)]) {
    AddTag(model::keys::kStatusCodeKey, "OK");
  }
  if (status_seen_[static_cast<size_t>(model::StatusCode::kError)]) {
    AddTag(model::keys::kStatusCodeKey, "ERROR");
    AddTag(model::keys::kErrorKey, "true");
  }
  for (std::string_view m : messages_) AddTag(model::keys::kStatusDescriptionKey, m);
  for (absl::string_view t : trace_states_) AddTag(model::keys::kTraceStateKey, ToStd(t));
  for (std::string_view e : event_names_) {
    if (!e.empty()) AddTag(model::keys::kEventKey, e);
  }
  int_values_.clear();
  value_index_.clear();
}

// --- Pass 2 ------------------------------------------------------------------------------------

void BlockBuilder::EncodeValues(model::Attributes attributes, uint32_t shape) {
  const uint32_t* keys = shape_keys_.data() + shape_key_begin_[shape];
  for (size_t j = 0; j < attributes.size(); ++j) {
    const uint32_t key = keys[j];
    if (key_page_[key] != pages_.size() + 1) {
      key_page_[key] = static_cast<uint32_t>(pages_.size() + 1);
      page_keys_.push_back(key);
    }
    std::string& col = key_cols_[key];
    const AnyValue& v = attributes[j].value;
    switch (v.type()) {
      case ValueType::kEmpty:
        col.push_back(0);
        break;
      case ValueType::kString: {
        const uint32_t ref = value_ref_[string_ids_[cursor_string_++]];
        PutVarint(col, ref);
        if (ref == 0) PutString(col, v.string_value());
        break;
      }
      case ValueType::kBool:
        col.push_back(v.bool_value() ? 1 : 0);
        break;
      case ValueType::kInt:
        PutVarint(col, ZigZag(v.int_value()));
        break;
      case ValueType::kDouble: {
        uint64_t bits;
        double d = v.double_value();
        std::memcpy(&bits, &d, 8);
        PutFixed64(col, bits);
        break;
      }
      case ValueType::kBytes:
        PutString(col, v.string_value());
        break;
      case ValueType::kArray:
        PutVarint(col, v.array_value().size());
        for (const AnyValue& item : v.array_value()) block_codec::EncodeValue(item, col);
        break;
      case ValueType::kKvList:
        block_codec::EncodeAttributes(v.kvlist_value(), col);
        break;
    }
  }
}

void BlockBuilder::EncodeParent(const model::Span& span, size_t i) {
  std::string& col = body_[BodyColumn::kParents];
  const uint64_t parent = span.parent_span_id.value;
  if (parent == 0) {
    col.push_back(0);
    return;
  }
  // An earlier span of this trace part (or the span itself) with the parent's ID: coded as the
  // distance back; anything else (parent in another page or trace, or later by start) raw.
  int64_t found = -1;
  if (i - part_begin_ <= 64) {
    for (size_t p = i + 1; p-- > part_begin_;) {
      if (spans_[p]->span_id.value == parent) {
        found = static_cast<int64_t>(p);
        break;
      }
    }
  } else {
    for (; parent_indexed_ <= i - part_begin_; ++parent_indexed_) {
      parent_index_.try_emplace(spans_[part_begin_ + parent_indexed_]->span_id.value,
                                static_cast<uint32_t>(part_begin_ + parent_indexed_));
    }
    auto it = parent_index_.find(parent);
    if (it != parent_index_.end()) found = it->second;
  }
  if (found < 0) {
    col.push_back(1);
    PutFixed64(body_[BodyColumn::kParentRaw], parent);
    return;
  }
  PutVarint(col, 2 + ZigZag(static_cast<int64_t>(i) - 1 - found));
}

void BlockBuilder::CloseTracePart() {
  if (!part_open_) return;
  part_open_ = false;
  parent_index_.clear();
  parent_indexed_ = 0;
  PutVarint(lead_[LeadColumn::kTraceSpanCounts], next_span_ - part_begin_);
  uint8_t id[16];
  page_.last_trace.ToBytes(id);
  lead_[LeadColumn::kTraceIds].append(reinterpret_cast<const char*>(id), 16);
}

void BlockBuilder::EncodeSpan(const model::Span& s, size_t i) {
  // Lead.
  const uint32_t origin = span_origin_[i];
  PutVarint(lead_[LeadColumn::kOrigins], origin);
  const uint32_t name = name_remap_[span_name_[i]];
  PutVarint(lead_[LeadColumn::kNames], name);
  lead_[LeadColumn::kKinds].push_back(static_cast<char>(s.kind));
  lead_[LeadColumn::kStatusCodes].push_back(static_cast<char>(s.status.code));
  if (i != part_begin_)
    PutVarint(lead_[LeadColumn::kStartDeltas], s.start_time_unix_nano - prev_start_);
  prev_start_ = s.start_time_unix_nano;
  PutVarint(lead_[LeadColumn::kDurations],
            ZigZag(static_cast<int64_t>(s.end_time_unix_nano - s.start_time_unix_nano)));

  // Body.
  PutFixed64(body_[BodyColumn::kSpanIds], s.span_id.value);
  EncodeParent(s, i);
  PutVarint(body_[BodyColumn::kFlags], s.flags);
  PutString(body_[BodyColumn::kTraceStates], s.trace_state);
  std::string& dropped = body_[BodyColumn::kDropped];
  PutVarint(dropped, s.dropped_attributes_count);
  PutVarint(dropped, s.dropped_events_count);
  PutVarint(dropped, s.dropped_links_count);
  std::string& msg = body_[BodyColumn::kStatusMessages];
  if (s.status.message.empty()) {
    msg.push_back(0);
  } else {
    const uint32_t ref = message_ref_[span_message_[i]];
    PutVarint(msg, ref);
    if (ref == 1) PutString(msg, s.status.message);
  }
  uint32_t shape = list_shapes_[cursor_shape_++];
  PutVarint(body_[BodyColumn::kAttrShapes], shape);
  EncodeValues(s.attributes, shape);
  PutVarint(body_[BodyColumn::kEventCounts], s.events.size());
  for (const model::Event& e : s.events) {
    PutVarint(body_[BodyColumn::kEventTimes],
              ZigZag(static_cast<int64_t>(e.time_unix_nano - s.start_time_unix_nano)));
    const uint32_t ref = event_name_ref_[event_name_ids_[cursor_event_name_++]];
    PutVarint(body_[BodyColumn::kEventNames], ref);
    if (ref == 0) PutString(body_[BodyColumn::kEventNames], e.name);
    PutVarint(body_[BodyColumn::kEventDropped], e.dropped_attributes_count);
    shape = list_shapes_[cursor_shape_++];
    PutVarint(body_[BodyColumn::kEventShapes], shape);
    EncodeValues(e.attributes, shape);
  }
  PutVarint(body_[BodyColumn::kLinkCounts], s.links.size());
  std::string& links = body_[BodyColumn::kLinks];
  for (const model::Link& l : s.links) {
    if (l.trace_id == s.trace_id) {
      links.push_back(0);
    } else {
      links.push_back(1);
      uint8_t id[16];
      l.trace_id.ToBytes(id);
      links.append(reinterpret_cast<const char*>(id), 16);
    }
    PutFixed64(links, l.span_id.value);
    PutString(links, l.trace_state);
    PutVarint(links, l.flags);
    PutVarint(links, l.dropped_attributes_count);
    shape = list_shapes_[cursor_shape_++];
    PutVarint(links, shape);
    EncodeValues(l.attributes, shape);
  }

  // Page statistics and search index membership.
  page_.spans++;
  page_.min_start = std::min(page_.min_start, s.start_time_unix_nano);
  page_.max_start = std::max(page_.max_start, s.start_time_unix_nano);
  page_.min_duration = std::min(page_.min_duration, s.duration_nanos());
  page_.max_duration = std::max(page_.max_duration, s.duration_nanos());
  const uint32_t page = static_cast<uint32_t>(pages_.size());
  const uint32_t service = origin_service_[origin];
  auto& sp = service_pages_[service];
  if (sp.empty() || sp.back() != page) sp.push_back(page);
  const uint64_t op_key = (uint64_t{service} << 32) | name;
  auto [it, inserted] = op_index_.try_emplace(op_key, static_cast<uint32_t>(ops_.size()));
  if (inserted) {
    ops_.emplace_back();
    ops_.back().service = service;
    ops_.back().name = name;
  }
  OpEntry& op = ops_[it->second];
  if (static_cast<uint32_t>(s.kind) < 32) op.kinds |= uint32_t{1} << static_cast<uint32_t>(s.kind);
  if (op.pages.empty() || op.pages.back() != page) op.pages.push_back(page);
}

size_t BlockBuilder::PageBytes() const {
  size_t n = 0;
  for (const std::string& c : lead_) n += c.size();
  for (const std::string& c : body_) n += c.size();
  for (uint32_t k : page_keys_) n += key_cols_[k].size();
  return n;
}

absl::StatusOr<PartRef> BlockBuilder::WritePart(FileSink& sink, const std::string& raw) {
  PartRef ref;
  ref.raw = raw.size();
  std::string_view stored = raw;
  ref.codec = kCodecNone;
  if (!raw.empty()) {
    if (cctx_ == nullptr) {
      cctx_ = ZSTD_createCCtx();
      if (cctx_ == nullptr) return absl::ResourceExhaustedError("zstd: cannot create a context");
    }
    compressed_.resize(ZSTD_compressBound(raw.size()));
    size_t n = ZSTD_compressCCtx(cctx_, compressed_.data(), compressed_.size(), raw.data(),
                                 raw.size(), options_.compression_level);
    // Stored raw when zstd fails, does not help, or expands more than readers accept.
    if (!ZSTD_isError(n) && n < raw.size() && n * kMaxExpansion >= raw.size()) {
      stored = std::string_view(compressed_.data(), n);
      ref.codec = kCodecZstd;
    }
  }
  ref.stored = stored.size();
  ref.crc = Crc32c(stored);
  SKUA_RETURN_IF_ERROR(sink.Append(stored));
  return ref;
}

void BlockBuilder::MeasureColumns() {
  static const char* kLeadNames[] = {"lead.trace_ids",
                                     "lead.trace_span_counts",
                                     "lead.trace_base_starts",
                                     "lead.origins",
                                     "lead.names",
                                     "lead.kinds",
                                     "lead.status_codes",
                                     "lead.start_deltas",
                                     "lead.durations"};
  static const char* kBodyNames[] = {"body.span_ids",     "body.parents",      "body.parent_raw",
                                     "body.flags",        "body.trace_states", "body.dropped",
                                     "body.status_msgs",  "body.attr_shapes",  "body.event_counts",
                                     "body.event_times",  "body.event_names",  "body.event_dropped",
                                     "body.event_shapes", "body.link_counts",  "body.links"};
  auto add = [&](std::string name, const std::string& data) {
    if (data.empty()) return;
    BlockEncodingStats::Column* c = nullptr;
    for (auto& existing : stats_.columns) {
      if (existing.name == name) c = &existing;
    }
    if (c == nullptr) {
      stats_.columns.push_back({std::move(name), 0, 0});
      c = &stats_.columns.back();
    }
    c->raw += data.size();
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t n =
        ZSTD_compress(out.data(), out.size(), data.data(), data.size(), options_.compression_level);
    c->compressed += ZSTD_isError(n) ? data.size() : n;
  };
  for (uint32_t i = 0; i < block_codec::kLeadColumns; ++i) add(kLeadNames[i], lead_[i]);
  for (uint32_t i = 0; i < block_codec::kBodyColumns; ++i) add(kBodyNames[i], body_[i]);
  for (uint32_t k : page_keys_) add(absl::StrCat("attr:", AV(keys_[k])), key_cols_[k]);
}

absl::Status BlockBuilder::FlushPage(FileSink& sink) {
  CloseTracePart();
  if (page_.spans == 0) return absl::OkStatus();
  if (measure_columns_) MeasureColumns();
  std::string raw;
  PutVarint(raw, block_codec::kLeadColumns);
  for (const std::string& c : lead_) PutVarint(raw, c.size());
  for (const std::string& c : lead_) raw.append(c);
  page_.offset = sink.offset();
  SKUA_ASSIGN_OR_RETURN(page_.lead, WritePart(sink, raw));
  raw.clear();
  PutVarint(raw, block_codec::kBodyColumns);
  for (const std::string& c : body_) PutVarint(raw, c.size());
  std::sort(page_keys_.begin(), page_keys_.end());
  PutVarint(raw, page_keys_.size());
  for (uint32_t k : page_keys_) {
    PutVarint(raw, k);
    PutVarint(raw, key_cols_[k].size());
  }
  for (const std::string& c : body_) raw.append(c);
  for (uint32_t k : page_keys_) raw.append(key_cols_[k]);
  SKUA_ASSIGN_OR_RETURN(page_.body, WritePart(sink, raw));
  stats_.page_leads += page_.lead.stored;
  stats_.page_bodies += page_.body.stored;
  stats_.raw_page_bytes += page_.lead.raw + page_.body.raw;
  pages_.push_back(page_);
  page_ = PageEntry();
  for (std::string& c : lead_) c.clear();
  for (std::string& c : body_) c.clear();
  for (uint32_t k : page_keys_) key_cols_[k].clear();
  page_keys_.clear();
  return absl::OkStatus();
}

absl::Status BlockBuilder::EncodePages(FileSink& sink) {
  key_cols_.resize(keys_.size());
  key_page_.assign(keys_.size(), 0);
  const size_t target = std::max<uint32_t>(options_.page_target_bytes, 1);
  for (size_t t = 0; t + 1 < trace_begin_.size(); ++t) {
    const size_t begin = trace_begin_[t], end = trace_begin_[t + 1];
    for (size_t i = begin; i < end; ++i) {
      // A trace larger than a page is cut into parts, checked every 64 spans.
      if (part_open_ && (i - part_begin_) % 64 == 0 && PageBytes() >= target) {
        SKUA_RETURN_IF_ERROR(FlushPage(sink));
      }
      Prefetch(i);
      const model::Span& s = *spans_[i];
      if (!part_open_) {
        part_open_ = true;
        part_begin_ = i;
        if (page_.traces == 0) page_.first_trace = s.trace_id;
        page_.last_trace = s.trace_id;
        page_.traces++;
        PutVarint(lead_[LeadColumn::kTraceBaseStarts], s.start_time_unix_nano - info_.min_start);
      }
      EncodeSpan(s, i);
      next_span_ = i + 1;
    }
    CloseTracePart();
    if (PageBytes() >= target) SKUA_RETURN_IF_ERROR(FlushPage(sink));
  }
  return FlushPage(sink);
}

// --- Dictionary, search index, filters, meta ---------------------------------------------------

void PutPageList(std::string& out, const std::vector<uint32_t>& pages) {
  PutVarint(out, pages.size());
  for (size_t i = 0; i < pages.size(); ++i) {
    PutVarint(out, i == 0 ? pages[0] : pages[i] - pages[i - 1] - 1);
  }
}

std::string BlockBuilder::EncodeDict() const {
  std::string out;
  PutVarint(out, keys_.size());
  for (std::string_view k : keys_) PutString(out, k);
  PutVarint(out, names_.size());
  for (std::string_view n : names_) PutString(out, n);
  PutVarint(out, event_name_pool_.size());
  for (uint32_t e : event_name_pool_) PutString(out, event_names_[e]);
  PutVarint(out, message_pool_.size());
  for (uint32_t m : message_pool_) PutString(out, messages_[m]);
  size_t pools = 0;
  for (const auto& pool : value_pools_) pools += pool.empty() ? 0 : 1;
  PutVarint(out, pools);
  for (uint32_t k = 0; k < value_pools_.size(); ++k) {
    if (value_pools_[k].empty()) continue;
    PutVarint(out, k);
    PutVarint(out, value_pools_[k].size());
    for (uint32_t v : value_pools_[k]) PutString(out, values_[v].value);
  }
  PutVarint(out, shapes_.size());
  for (size_t i = 0; i < shapes_.size(); ++i) {
    PutVarint(out, shape_sizes_[i]);
    out.append(shapes_[i]);
  }
  PutVarint(out, resources_.size());
  for (const std::string& r : resources_) out.append(r);
  PutVarint(out, scopes_.size());
  for (const std::string& sc : scopes_) out.append(sc);
  PutVarint(out, origins_.size());
  for (const auto& [r, sc] : origins_) {
    PutVarint(out, r);
    PutVarint(out, sc);
  }
  return out;
}

std::string BlockBuilder::EncodeSearchIndex() {
  std::string out;
  PutVarint(out, services_.size());
  for (size_t i = 0; i < services_.size(); ++i) {
    PutString(out, services_[i]);
    PutPageList(out, service_pages_[i]);
  }
  PutVarint(out, origin_service_.size());
  for (uint32_t s : origin_service_) PutVarint(out, s);
  std::sort(ops_.begin(), ops_.end(), [&](const OpEntry& a, const OpEntry& b) {
    if (a.service != b.service) return a.service < b.service;
    return names_[a.name] < names_[b.name];
  });
  PutVarint(out, ops_.size());
  for (const OpEntry& op : ops_) {
    PutVarint(out, op.service);
    PutVarint(out, op.name);
    PutString(out, names_[op.name]);
    PutVarint(out, op.kinds);
    PutPageList(out, op.pages);
  }
  return out;
}

void PutPart(std::string& out, const PartRef& part) {
  PutVarint(out, part.stored);
  PutVarint(out, part.raw);
  out.push_back(static_cast<char>(part.codec));
  PutFixed32(out, part.crc);
}

std::string BlockBuilder::EncodeMeta(const PartRef& dict, uint64_t dict_off, const PartRef& search,
                                     uint64_t search_off, uint64_t tag_off, uint64_t tag_blocks,
                                     const std::vector<uint32_t>& tag_crcs, uint64_t trace_off,
                                     uint64_t trace_blocks, uint32_t trace_crc) const {
  std::string out;
  PutVarint(out, info_.id);
  PutString(out, info_.tenant);
  PutVarint(out, info_.min_start);
  PutVarint(out, info_.max_start);
  PutVarint(out, info_.span_count);
  PutVarint(out, info_.trace_count);
  PutVarint(out, ZigZag(options_.compression_level));
  PutVarint(out, options_.page_target_bytes);
  PutVarint(out, origins_.size());
  PutVarint(out, names_.size());
  PutVarint(out, dict_off);
  PutPart(out, dict);
  PutVarint(out, search_off);
  PutPart(out, search);
  PutVarint(out, tag_off);
  PutVarint(out, tag_blocks);
  PutVarint(out, tag_crcs.size());
  for (uint32_t crc : tag_crcs) PutFixed32(out, crc);
  PutVarint(out, trace_off);
  PutVarint(out, trace_blocks);
  PutFixed32(out, trace_crc);
  PutVarint(out, pages_.size());
  uint8_t id[16];
  for (const PageEntry& p : pages_) {
    PutVarint(out, p.offset);
    PutPart(out, p.lead);
    PutPart(out, p.body);
    PutVarint(out, p.spans);
    PutVarint(out, p.traces);
    p.first_trace.ToBytes(id);
    out.append(reinterpret_cast<const char*>(id), 16);
    p.last_trace.ToBytes(id);
    out.append(reinterpret_cast<const char*>(id), 16);
    PutVarint(out, p.min_start - info_.min_start);
    PutVarint(out, p.max_start - info_.min_start);
    PutVarint(out, p.min_duration);
    PutVarint(out, p.max_duration);
  }
  return out;
}

absl::Status BlockBuilder::Write(FileSink& sink) {
  std::string header(kMagic, sizeof kMagic);
  PutFixed32(header, kFormatVersion);
  PutFixed32(header, 0);
  SKUA_RETURN_IF_ERROR(sink.Append(header));
  SKUA_RETURN_IF_ERROR(EncodePages(sink));
  stats_.pages = pages_.size();

  const uint64_t dict_off = sink.offset();
  SKUA_ASSIGN_OR_RETURN(PartRef dict, WritePart(sink, EncodeDict()));
  const uint64_t search_off = sink.offset();
  SKUA_ASSIGN_OR_RETURN(PartRef search, WritePart(sink, EncodeSearchIndex()));

  // Tag filter: chunks of kTagChunkBlocks Bloom blocks, each with its own checksum.
  const uint64_t tag_blocks = BloomBlocksFor(tags_.size(), kTagFilterBits);
  std::string filter(tag_blocks * kBloomBlockBytes, '\0');
  for (uint64_t h : tags_) BloomInsert(filter.data(), tag_blocks, h);
  std::vector<uint32_t> tag_crcs;
  for (size_t off = 0; off < filter.size(); off += kTagChunkBytes) {
    tag_crcs.push_back(Crc32c(std::string_view(filter).substr(off, kTagChunkBytes)));
  }
  const uint64_t tag_off = sink.offset();
  SKUA_RETURN_IF_ERROR(sink.Append(filter));
  stats_.tag_filter = filter.size();
  stats_.tag_filter_entries = tags_.size();

  const uint64_t trace_blocks = BloomBlocksFor(info_.trace_count, kTraceFilterBits);
  filter.assign(trace_blocks * kBloomBlockBytes, '\0');
  for (size_t t = 0; t + 1 < trace_begin_.size(); ++t) {
    const model::TraceId& id = spans_[trace_begin_[t]]->trace_id;
    BloomInsert(filter.data(), trace_blocks, TraceIdHash(id.high, id.low));
  }
  const uint64_t trace_off = sink.offset();
  const uint32_t trace_crc = Crc32c(filter);
  SKUA_RETURN_IF_ERROR(sink.Append(filter));
  stats_.trace_filter = filter.size();

  const std::string meta = EncodeMeta(dict, dict_off, search, search_off, tag_off, tag_blocks,
                                      tag_crcs, trace_off, trace_blocks, trace_crc);
  const uint64_t meta_off = sink.offset();
  SKUA_RETURN_IF_ERROR(sink.Append(meta));
  std::string trailer;
  PutFixed64(trailer, meta_off);
  PutFixed32(trailer, static_cast<uint32_t>(meta.size()));
  PutFixed32(trailer, Crc32c(meta));
  PutFixed32(trailer, kFormatVersion);
  PutFixed32(trailer, Crc32c(trailer));
  trailer.append(kMagic, sizeof kMagic);
  SKUA_RETURN_IF_ERROR(sink.Append(trailer));
  SKUA_RETURN_IF_ERROR(sink.Flush());

  stats_.dictionary = dict.stored;
  stats_.search_index = search.stored;
  stats_.meta = meta.size();
  stats_.header_and_trailer = header.size() + trailer.size();
  info_.file_bytes = sink.offset();
  return absl::OkStatus();
}

absl::Status Unavailable(std::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(absl::StrCat(AV(what), " ", path, ": ", std::strerror(err)));
}

}  // namespace

absl::StatusOr<BlockInfo> WriteBlockWithStats(const std::string& path, uint64_t id,
                                              std::string_view tenant,
                                              std::span<const model::Span> spans,
                                              const BlockWriteOptions& options,
                                              bool measure_columns, BlockEncodingStats* stats) {
  if (spans.empty()) return absl::InvalidArgumentError("WriteBlock: no spans");
  if (spans.size() > UINT32_MAX) return absl::InvalidArgumentError("WriteBlock: too many spans");
  BlockBuilder builder(id, tenant, spans, options);
  builder.set_measure_columns(measure_columns);
  SKUA_RETURN_IF_ERROR(builder.Prepare());

  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("creating", tmp, errno);
  absl::Status status;
  {
    FileSink sink(fd);
    status = builder.Write(sink);
  }
  if (status.ok() && ::fdatasync(fd) != 0) status = Unavailable("syncing", tmp, errno);
  if (::close(fd) != 0 && status.ok()) status = Unavailable("closing", tmp, errno);
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = Unavailable("renaming", tmp, errno);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    if (status.code() != absl::StatusCode::kUnavailable) return status;
    return absl::UnavailableError(absl::StrCat("writing block ", path, ": ", status.message()));
  }
  // Make the rename durable.
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash + 1);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int rc = dfd < 0 ? -1 : ::fsync(dfd);
  int err = errno;
  if (dfd >= 0) ::close(dfd);
  if (rc != 0) {
    // Not known to be durable: the contract is that no block file exists before OK.
    ::unlink(path.c_str());
    return Unavailable("syncing directory", dir, err);
  }
  if (stats != nullptr) *stats = builder.stats();
  return builder.info();
}

absl::StatusOr<BlockInfo> WriteBlock(const std::string& path, uint64_t id, std::string_view tenant,
                                     std::span<const model::Span> spans,
                                     const BlockWriteOptions& options) {
  return WriteBlockWithStats(path, id, tenant, spans, options, false, nullptr);
}

}  // namespace skua::storage::embedded
