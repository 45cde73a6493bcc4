// The span model: OTLP-native values (resource, scope, span, attributes, events, links, status).
//
// Every value here is a trivially copyable *view*: strings are std::string_view and lists are
// std::span into memory owned by an Arena held by the enclosing SpanSet (model/span_set.h). A Span
// is only valid while the SpanSet that owns its memory lives. To keep a span beyond that, copy it
// with SpanSet::CopySpan, which deep-copies into the destination's arena.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "model/ids.h"

namespace skua::model {

struct KeyValue;

enum class ValueType : uint8_t { kEmpty, kString, kBool, kInt, kDouble, kBytes, kArray, kKvList };

// An OTLP AnyValue. 16 bytes; the active member is selected by `type`.
class AnyValue {
 public:
  AnyValue() : type_(ValueType::kEmpty), size_(0), int_(0) {}
  static AnyValue String(std::string_view s) { return AnyValue(ValueType::kString, s); }
  static AnyValue Bytes(std::string_view b) { return AnyValue(ValueType::kBytes, b); }
  static AnyValue Bool(bool v) { AnyValue a; a.type_ = ValueType::kBool; a.bool_ = v; return a; }
  static AnyValue Int(int64_t v) { AnyValue a; a.type_ = ValueType::kInt; a.int_ = v; return a; }
  static AnyValue Double(double v) { AnyValue a; a.type_ = ValueType::kDouble; a.double_ = v; return a; }
  static AnyValue Array(std::span<const AnyValue> items) {
    AnyValue a; a.type_ = ValueType::kArray; a.array_ = items.data();
    a.size_ = static_cast<uint32_t>(items.size()); return a;
  }
  static AnyValue KvList(std::span<const KeyValue> items);

  ValueType type() const { return type_; }
  // Valid for kString and kBytes.
  std::string_view string_value() const { return {str_, size_}; }
  bool bool_value() const { return bool_; }
  int64_t int_value() const { return int_; }
  double double_value() const { return double_; }
  std::span<const AnyValue> array_value() const { return {array_, size_}; }
  std::span<const KeyValue> kvlist_value() const;

 private:
  AnyValue(ValueType t, std::string_view s)
      : type_(t), size_(static_cast<uint32_t>(s.size())), str_(s.data()) {}

  ValueType type_;
  uint32_t size_;
  union {
    bool bool_;
    int64_t int_;
    double double_;
    const char* str_;
    const AnyValue* array_;
    const KeyValue* kvlist_;
  };
};

struct KeyValue {
  std::string_view key;
  AnyValue value;
};

inline AnyValue AnyValue::KvList(std::span<const KeyValue> items) {
  AnyValue a;
  a.type_ = ValueType::kKvList;
  a.kvlist_ = items.data();
  a.size_ = static_cast<uint32_t>(items.size());
  return a;
}
inline std::span<const KeyValue> AnyValue::kvlist_value() const { return {kvlist_, size_}; }

using Attributes = std::span<const KeyValue>;

// Returns the first attribute named `key`, or nullptr.
const AnyValue* FindAttribute(Attributes attributes, std::string_view key);

// The resource (Jaeger: process) that produced spans.
struct Resource {
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::string_view schema_url;
  // The `service.name` attribute's string value, cached; empty if absent or not a string.
  std::string_view service_name;
};

// The instrumentation scope (library) that produced spans.
struct Scope {
  std::string_view name;
  std::string_view version;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::string_view schema_url;
};

// Values follow OTLP's SpanKind enum numbering.
enum class SpanKind : uint8_t {
  kUnspecified = 0, kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5
};
// Lower-case name as Jaeger's `span.kind` tag spells it ("server", …); "" for kUnspecified.
std::string_view SpanKindName(SpanKind kind);
// Inverse of SpanKindName; kUnspecified for anything unknown (including "").
SpanKind SpanKindFromName(std::string_view name);

// Values follow OTLP's Status.StatusCode numbering.
enum class StatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

struct Status {
  StatusCode code = StatusCode::kUnset;
  std::string_view message;
};

struct Event {
  uint64_t time_unix_nano = 0;
  std::string_view name;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
};

struct Link {
  TraceId trace_id;
  SpanId span_id;
  std::string_view trace_state;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // zero for a root span
  std::string_view trace_state;
  uint32_t flags = 0;  // W3C trace flags in the low 8 bits (bit 0 = sampled)
  std::string_view name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::span<const Event> events;
  uint32_t dropped_events_count = 0;
  std::span<const Link> links;
  uint32_t dropped_links_count = 0;
  Status status;
  // Never null in a span that came out of a SpanSet; shared between spans of one export.
  const Resource* resource = nullptr;
  const Scope* scope = nullptr;

  std::string_view service_name() const { return resource ? resource->service_name : ""; }
  uint64_t duration_nanos() const {
    return end_time_unix_nano > start_time_unix_nano ? end_time_unix_nano - start_time_unix_nano : 0;
  }
};

}  // namespace skua::model

namespace skua::model {

// Deep equality of values (arrays and maps element-wise; doubles compare by ==).
bool ValueEquals(const AnyValue& a, const AnyValue& b);
// Element-wise equality of attribute lists (order matters).
bool AttributesEqual(Attributes a, Attributes b);
bool ResourceEquals(const Resource& a, const Resource& b);
bool ScopeEquals(const Scope& a, const Scope& b);

// Jaeger's AsString() rendering used by tag search (jaeger-compat §3.2): bool "true"/"false",
// int decimal, double as %.10g, bytes lower-case hex, string as is; arrays and maps as JSON.
std::string ValueToString(const AnyValue& value);
// Appends the same rendering to `out`.
void AppendValueString(const AnyValue& value, std::string& out);
// Appends `value` as JSON (strings escaped, bytes base64, maps as objects) to `out`.
void AppendValueJson(const AnyValue& value, std::string& out);

}  // namespace skua::model
