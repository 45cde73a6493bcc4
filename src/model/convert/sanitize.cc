// Always-on sanitizers (jaeger-compat §1.8). See sanitize.h.
//
// Model values are immutable views (resources and scopes are shared between spans, and may even
// be static), so nothing is repaired in place: a value that needs a change is rebuilt in the set's
// arena and the span is pointed at the new copy. Valid input allocates nothing.
#include "model/convert/sanitize.h"

#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "simdjson.h"
#include "model/attribute_keys.h"

namespace skua::model::convert {
namespace {
using keys::kServiceNameKey;

constexpr std::string_view kEmptyServiceName = "empty-service-name";
constexpr std::string_view kMissingServiceName = "missing-service-name";
constexpr std::string_view kWrongTypeServiceName = "service-name-wrong-type";
constexpr std::string_view kEmptySpanName = "empty-span-name";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsAscii(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t any_high = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    any_high |= word;
  }
  for (; n > 0; ++p, --n) any_high |= static_cast<unsigned char>(*p);
  return (any_high & 0x8080808080808080ull) == 0;
}

bool IsValidUtf8(std::string_view s) {
  return IsAscii(s) || simdjson::validate_utf8(s.data(), s.size());
}

// Length of the well-formed UTF-8 sequence at p[0] (a byte >= 0x80), or 0 if ill-formed:
// overlong forms, UTF-16 surrogates, code points above U+10FFFF and truncated sequences.
size_t Utf8SequenceLength(const unsigned char* p, size_t avail) {
  auto cont = [&](size_t i) { return i < avail && (p[i] & 0xC0) == 0x80; };
  const unsigned char b = p[0];
  if (b >= 0xC2 && b <= 0xDF) return cont(1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (avail < 2) return 0;
    // E0 needs A0..BF (no overlongs); ED needs 80..9F (no surrogates).
    if (b == 0xE0 && p[1] < 0xA0) return 0;
    if (b == 0xED && p[1] > 0x9F) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (avail < 2) return 0;
    // F0 needs 90..BF (no overlongs); F4 needs 80..8F (nothing above U+10FFFF).
    if (b == 0xF0 && p[1] < 0x90) return 0;
    if (b == 0xF4 && p[1] > 0x8F) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Copies `s` with every byte that is not part of a well-formed sequence replaced by U+FFFD.
std::string RepairUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      out.push_back(static_cast<char>(p[i++]));
      continue;
    }
    size_t len = Utf8SequenceLength(p + i, n - i);
    if (len == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(reinterpret_cast<const char*>(p + i), len);
      i += len;
    }
  }
  return out;
}

// Pointer → sanitized copy, for values shared between spans (resources, scopes). Batches almost
// always share one or a few, so the last answer is checked before the map.
template <typename T>
class SharedCache {
 public:
  template <typename Fn>
  const T* Get(const T* key, Fn&& make) {
    if (has_last_ && key == last_key_) return last_value_;
    auto it = map_.find(key);
    const T* value;
    if (it != map_.end()) {
      value = it->second;
    } else {
      value = make(key);
      map_.emplace(key, value);
    }
    has_last_ = true;
    last_key_ = key;
    last_value_ = value;
    return value;
  }

 private:
  bool has_last_ = false;
  const T* last_key_ = nullptr;
  const T* last_value_ = nullptr;
  absl::flat_hash_map<const T*, const T*> map_;
};

class Sanitizer {
 public:
  Sanitizer(SpanSet& set, SanitizeStats& stats) : arena_(set.arena()), stats_(stats) {}

  void SanitizeSpan(Span& span) {
    // Resource: shared, sanitized once. A span renamed by it counts once per span.
    span.resource =
        resources_.Get(span.resource, [&](const Resource* r) { return SanitizeResource(r); });
    if (!renamed_resources_.empty() && renamed_resources_.contains(span.resource)) {
      ++stats_.renamed_services;
    }
    if (span.scope != nullptr) {
      span.scope = scopes_.Get(span.scope, [&](const Scope* s) { return SanitizeScope(*s); });
    }

    if (span.name.empty()) {
      span.name = kEmptySpanName;
      ++stats_.renamed_spans;
    } else {
      span.name = Str(span.name);
    }
    span.trace_state = Str(span.trace_state);
    span.status.message = Str(span.status.message);
    Attributes attributes;
    if (Attrs(span.attributes, attributes)) span.attributes = attributes;
    SanitizeEvents(span);
    SanitizeLinks(span);
    if (span.end_time_unix_nano < span.start_time_unix_nano) {
      span.end_time_unix_nano = span.start_time_unix_nano;
      ++stats_.fixed_durations;
    }
  }

 private:
  // `s` if valid UTF-8, else a repaired copy in the arena.
  std::string_view Str(std::string_view s) {
    if (IsValidUtf8(s)) return s;
    ++stats_.repaired_strings;
    return arena_.CopyString(RepairUtf8(s));
  }

  // Sets `out` and returns true if `in` needed a change.
  bool Value(const AnyValue& in, AnyValue& out) {
    switch (in.type()) {
      case ValueType::kString: {
        std::string_view s = Str(in.string_value());
        if (s.data() == in.string_value().data()) return false;
        out = AnyValue::String(s);
        return true;
      }
      case ValueType::kArray: {
        std::span<const AnyValue> items = in.array_value();
        AnyValue* copy = nullptr;
        for (size_t i = 0; i < items.size(); ++i) {
          AnyValue fixed;
          if (!Value(items[i], fixed)) continue;
          if (copy == nullptr) {
            copy = arena_.AllocateArray<AnyValue>(items.size());
            std::memcpy(static_cast<void*>(copy), items.data(), sizeof(AnyValue) * items.size());
          }
          copy[i] = fixed;
        }
        if (copy == nullptr) return false;
        out = AnyValue::Array(std::span<const AnyValue>(copy, items.size()));
        return true;
      }
      case ValueType::kKvList: {
        Attributes fixed;
        if (!Attrs(in.kvlist_value(), fixed)) return false;
        out = AnyValue::KvList(fixed);
        return true;
      }
      default:
        return false;
    }
  }

  // Sets `out` and returns true if some key or value of `in` needed a change.
  bool Attrs(Attributes in, Attributes& out) {
    KeyValue* copy = nullptr;
    for (size_t i = 0; i < in.size(); ++i) {
      std::string_view key = Str(in[i].key);
      AnyValue value;
      bool value_changed = Value(in[i].value, value);
      if (key.data() == in[i].key.data() && !value_changed) continue;
      if (copy == nullptr) {
        copy = arena_.AllocateArray<KeyValue>(in.size());
        std::memcpy(static_cast<void*>(copy), in.data(), sizeof(KeyValue) * in.size());
      }
      copy[i].key = key;
      if (value_changed) copy[i].value = value;
    }
    if (copy == nullptr) return false;
    out = Attributes(copy, in.size());
    return true;
  }

  // Service name rules of §1.8 (v2): missing → "missing-service-name", not a string →
  // "service-name-wrong-type", empty → "empty-service-name"; plus UTF-8 repair of every attribute.
  const Resource* SanitizeResource(const Resource* in) {
    static const Resource kNoResource;
    const Resource& r = in != nullptr ? *in : kNoResource;
    Attributes attributes = r.attributes;
    Attributes fixed;
    bool changed = Attrs(attributes, fixed);
    if (changed) attributes = fixed;

    std::string_view rename;
    size_t service_index = SIZE_MAX;
    for (size_t i = 0; i < attributes.size(); ++i) {
      if (attributes[i].key == kServiceNameKey) {
        service_index = i;
        break;
      }
    }
    if (service_index == SIZE_MAX) {
      rename = kMissingServiceName;
    } else if (attributes[service_index].value.type() != ValueType::kString) {
      rename = kWrongTypeServiceName;
    } else if (attributes[service_index].value.string_value().empty()) {
      rename = kEmptyServiceName;
    }
    if (!rename.empty()) {
      if (service_index == SIZE_MAX) {
        KeyValue* copy = arena_.AllocateArray<KeyValue>(attributes.size() + 1);
        copy[0] = KeyValue{kServiceNameKey, AnyValue::String(rename)};
        if (!attributes.empty()) {
          std::memcpy(static_cast<void*>(copy + 1), attributes.data(),
                      sizeof(KeyValue) * attributes.size());
        }
        attributes = Attributes(copy, attributes.size() + 1);
      } else {
        KeyValue* copy = arena_.AllocateArray<KeyValue>(attributes.size());
        std::memcpy(static_cast<void*>(copy), attributes.data(),
                    sizeof(KeyValue) * attributes.size());
        copy[service_index].value = AnyValue::String(rename);
        attributes = Attributes(copy, attributes.size());
      }
      changed = true;
    }
    std::string_view schema_url = Str(r.schema_url);
    changed = changed || schema_url.data() != r.schema_url.data();
    if (!changed && in != nullptr) return in;

    Resource* out = arena_.New<Resource>(r);
    out->attributes = attributes;
    out->schema_url = schema_url;
    out->service_name =
        attributes[service_index == SIZE_MAX ? 0 : service_index].value.string_value();
    if (!rename.empty()) renamed_resources_.insert(out);
    return out;
  }

  const Scope* SanitizeScope(const Scope& in) {
    Scope s = in;
    bool changed = false;
    auto fix = [&](std::string_view& v) {
      std::string_view f = Str(v);
      changed = changed || f.data() != v.data();
      v = f;
    };
    fix(s.name);
    fix(s.version);
    fix(s.schema_url);
    Attributes attributes;
    if (Attrs(s.attributes, attributes)) {
      s.attributes = attributes;
      changed = true;
    }
    return changed ? arena_.New<Scope>(s) : &in;
  }

  void SanitizeEvents(Span& span) {
    Event* copy = nullptr;
    for (size_t i = 0; i < span.events.size(); ++i) {
      const Event& e = span.events[i];
      std::string_view name = Str(e.name);
      Attributes attributes;
      bool attributes_changed = Attrs(e.attributes, attributes);
      if (name.data() == e.name.data() && !attributes_changed) continue;
      if (copy == nullptr) copy = CopyOf(span.events);
      copy[i].name = name;
      if (attributes_changed) copy[i].attributes = attributes;
    }
    if (copy != nullptr) span.events = std::span<const Event>(copy, span.events.size());
  }

  void SanitizeLinks(Span& span) {
    Link* copy = nullptr;
    for (size_t i = 0; i < span.links.size(); ++i) {
      const Link& l = span.links[i];
      std::string_view trace_state = Str(l.trace_state);
      Attributes attributes;
      bool attributes_changed = Attrs(l.attributes, attributes);
      if (trace_state.data() == l.trace_state.data() && !attributes_changed) continue;
      if (copy == nullptr) copy = CopyOf(span.links);
      copy[i].trace_state = trace_state;
      if (attributes_changed) copy[i].attributes = attributes;
    }
    if (copy != nullptr) span.links = std::span<const Link>(copy, span.links.size());
  }

  template <typename T>
  T* CopyOf(std::span<const T> items) {
    T* copy = arena_.AllocateArray<T>(items.size());
    std::memcpy(static_cast<void*>(copy), items.data(), sizeof(T) * items.size());
    return copy;
  }

  Arena& arena_;
  SanitizeStats& stats_;
  SharedCache<Resource> resources_;
  SharedCache<Scope> scopes_;
  // Sanitized resources whose service was renamed (to count renamed spans).
  absl::flat_hash_set<const Resource*> renamed_resources_;
};

}  // namespace

SanitizeStats SanitizeSpans(SpanSet& batch) {
  SanitizeStats stats;
  Sanitizer sanitizer(batch, stats);
  for (Span& span : batch.spans()) sanitizer.SanitizeSpan(span);
  return stats;
}

}  // namespace skua::model::convert
