// OTLP/JSON codec (jaeger-compat §1.3): the protobuf JSON mapping of ExportTraceServiceRequest with
// OTLP's own rules: trace and span IDs are hex (not base64), 64-bit integers and *UnixNano times
// are decimal strings (numbers accepted), enums are integers (names accepted), and unknown fields
// are ignored (clients.md §3: the OpenTelemetry JS SDK sends fields older receivers do not know).
//
// Decoding uses simdjson's DOM, then copies every string into the SpanSet's arena. Both the
// lowerCamelCase names and the original proto field names are accepted, as the protobuf JSON
// mapping requires of parsers; JSON null stands for an absent field.

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "model/convert/otlp.h"
#include "simdjson.h"

namespace skua::model::convert {
namespace {

namespace dom = simdjson::dom;

// True when `key` is the lowerCamelCase JSON name or the original proto name of a field.
inline bool Is(std::string_view key, std::string_view json_name, std::string_view proto_name) {
  return key == json_name || key == proto_name;
}
inline bool Is(std::string_view key, std::string_view name) { return key == name; }


class JsonDecoder {
 public:
  JsonDecoder(SpanSet& out, const OtlpDecodeOptions& options)
      : out_(out), arena_(out.arena()), options_(options) {}

  bool DecodeRequest(dom::element root) {
    dom::object obj;
    if (root.get_object().get(obj)) return Fail("", "the request must be a JSON object");
    for (dom::key_value_pair field : obj) {
      // instrumentationLibrarySpans-era exporters use the same top-level name.
      if (!Is(field.key, "resourceSpans", "resource_spans") || field.value.is_null()) continue;
      dom::array resource_spans;
      if (field.value.get_array().get(resource_spans))
        return Fail("resourceSpans", "must be an array");
      out_.spans().reserve(out_.spans().size() + CountSpans(resource_spans));
      resource_index_ = 0;
      for (dom::element rs : resource_spans) {
        if (!DecodeResourceSpans(rs)) return false;
        ++resource_index_;
      }
      resource_index_ = -1;
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  // Records the first error, prefixed with where it happened, and returns false.
  bool Fail(std::string_view field, std::string_view what) {
    if (!error_.empty()) return false;
    if (resource_index_ >= 0) absl::StrAppend(&error_, "resourceSpans[", resource_index_, "]");
    if (scope_index_ >= 0) absl::StrAppend(&error_, ".scopeSpans[", scope_index_, "]");
    if (span_index_ >= 0) absl::StrAppend(&error_, ".spans[", span_index_, "]");
    if (!field.empty()) {
      if (!error_.empty()) error_ += '.';
      error_ += field;
    }
    if (!error_.empty()) error_ += ": ";
    error_ += what;
    return false;
  }

  static size_t CountSpans(dom::array resource_spans) {
    size_t n = 0;
    for (dom::element rs : resource_spans) {
      dom::object rs_obj;
      if (rs.get_object().get(rs_obj)) continue;
      for (dom::key_value_pair f : rs_obj) {
        if (!IsScopeSpansKey(f.key)) continue;
        dom::array scope_spans;
        if (f.value.get_array().get(scope_spans)) continue;
        for (dom::element ss : scope_spans) {
          dom::array spans;
          if (ss["spans"].get_array().get(spans)) continue;
          n += spans.size();
        }
      }
    }
    return n;
  }

  static bool IsScopeSpansKey(std::string_view key) {
    // instrumentationLibrarySpans is the pre-1.0 name, still sent by old exporters.
    return Is(key, "scopeSpans", "scope_spans") ||
           Is(key, "instrumentationLibrarySpans", "instrumentation_library_spans");
  }

  // --- scalars ---

  bool GetString(dom::element e, std::string_view field, std::string_view& out) {
    std::string_view s;
    if (e.get_string().get(s)) return Fail(field, "must be a string");
    out = arena_.CopyString(s);
    return true;
  }

  bool GetBool(dom::element e, std::string_view field, bool& out) {
    if (e.get_bool().get(out)) return Fail(field, "must be a boolean");
    return true;
  }

  // An unsigned 64-bit integer given as a JSON number or a decimal string.
  bool GetUint64(dom::element e, std::string_view field, uint64_t& out) {
    switch (e.type()) {
      case dom::element_type::UINT64:
        out = e.get_uint64().value_unsafe();
        return true;
      case dom::element_type::INT64: {
        int64_t v = e.get_int64().value_unsafe();
        if (v < 0) return Fail(field, "must not be negative");
        out = static_cast<uint64_t>(v);
        return true;
      }
      case dom::element_type::DOUBLE: {
        double d = e.get_double().value_unsafe();
        if (!(d >= 0 && d < 18446744073709551616.0) || d != std::floor(d)) {
          return Fail(field, "must be an unsigned integer");
        }
        out = static_cast<uint64_t>(d);
        return true;
      }
      case dom::element_type::STRING: {
        std::string_view s = e.get_string().value_unsafe();
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
          return Fail(field, "must be an unsigned decimal integer");
        }
        return true;
      }
      default:
        return Fail(field, "must be an integer or a decimal string");
    }
  }

  // A signed 64-bit integer given as a JSON number or a decimal string.
  bool GetInt64(dom::element e, std::string_view field, int64_t& out) {
    switch (e.type()) {
      case dom::element_type::INT64:
        out = e.get_int64().value_unsafe();
        return true;
      case dom::element_type::UINT64:
        return Fail(field, "is out of the int64 range");
      case dom::element_type::DOUBLE: {
        double d = e.get_double().value_unsafe();
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::floor(d)) {
          return Fail(field, "must be an integer");
        }
        out = static_cast<int64_t>(d);
        return true;
      }
      case dom::element_type::STRING: {
        std::string_view s = e.get_string().value_unsafe();
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
          return Fail(field, "must be a decimal integer");
        }
        return true;
      }
      default:
        return Fail(field, "must be an integer or a decimal string");
    }
  }

  bool GetUint32(dom::element e, std::string_view field, uint32_t& out) {
    uint64_t v;
    if (!GetUint64(e, field, v)) return false;
    if (v > UINT32_MAX) return Fail(field, "is out of the uint32 range");
    out = static_cast<uint32_t>(v);
    return true;
  }

  // A double given as a JSON number, or as a string: a number, "NaN", "Infinity" or "-Infinity".
  bool GetDouble(dom::element e, std::string_view field, double& out) {
    switch (e.type()) {
      case dom::element_type::DOUBLE:
      case dom::element_type::INT64:
      case dom::element_type::UINT64:
        out = e.get_double().value_unsafe();
        return true;
      case dom::element_type::STRING: {
        std::string_view s = e.get_string().value_unsafe();
        if (s == "NaN") {
          out = std::numeric_limits<double>::quiet_NaN();
        } else if (s == "Infinity") {
          out = std::numeric_limits<double>::infinity();
        } else if (s == "-Infinity") {
          out = -std::numeric_limits<double>::infinity();
        } else {
          // from_chars also reads "nan" and "inf"; only the three spellings above are JSON's.
          auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
          if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(out)) {
            return Fail(field, "must be a number");
          }
        }
        return true;
      }
      default:
        return Fail(field, "must be a number");
    }
  }

  // An enum given as its number or its name. Unknown numbers and names map to 0 (unspecified), as
  // for the protobuf decoder.
  template <size_t N>
  bool GetEnum(dom::element e, std::string_view field, const std::string_view (&names)[N],
               uint8_t& out) {
    if (e.type() == dom::element_type::STRING) {
      std::string_view s = e.get_string().value_unsafe();
      out = 0;
      for (size_t i = 0; i < N; ++i) {
        if (s == names[i]) out = static_cast<uint8_t>(i);
      }
      return true;
    }
    int64_t v;
    if (!GetInt64(e, field, v)) return false;
    out = v >= 0 && v < static_cast<int64_t>(N) ? static_cast<uint8_t>(v) : 0;
    return true;
  }

  // A hex ID of exactly 2*N digits, or (when allowed) an empty string meaning zero.
  bool GetTraceId(dom::element e, std::string_view field, bool allow_empty, TraceId& out) {
    std::string_view s;
    if (e.get_string().get(s)) return Fail(field, "must be a hex string");
    if (s.empty() && allow_empty) {
      out = TraceId();
      return true;
    }
    std::optional<TraceId> id;
    if (s.size() != 32 || !(id = TraceId::FromHex(s))) {
      return Fail(field, "must be 32 hex digits (16 bytes)");
    }
    out = *id;
    return true;
  }

  bool GetSpanId(dom::element e, std::string_view field, bool allow_empty, SpanId& out) {
    std::string_view s;
    if (e.get_string().get(s)) return Fail(field, "must be a hex string");
    if (s.empty() && allow_empty) {
      out = SpanId();
      return true;
    }
    std::optional<SpanId> id;
    if (s.size() != 16 || !(id = SpanId::FromHex(s))) {
      return Fail(field, "must be 16 hex digits (8 bytes)");
    }
    out = *id;
    return true;
  }

  // --- common.v1 ---

  // {"stringValue": …} | {"boolValue": …} | … ; {} is the empty value.
  bool GetAnyValue(dom::element e, std::string_view field, uint32_t depth, AnyValue& out) {
    out = AnyValue();
    dom::object obj;
    if (e.get_object().get(obj)) return Fail(field, "must be an AnyValue object");
    for (dom::key_value_pair f : obj) {
      std::string_view k = f.key;
      if (f.value.is_null()) continue;
      if (Is(k, "stringValue", "string_value")) {
        std::string_view s;
        if (!GetString(f.value, field, s)) return false;
        out = AnyValue::String(s);
      } else if (Is(k, "boolValue", "bool_value")) {
        bool b = false;
        if (!GetBool(f.value, field, b)) return false;
        out = AnyValue::Bool(b);
      } else if (Is(k, "intValue", "int_value")) {
        int64_t v = 0;
        if (!GetInt64(f.value, field, v)) return false;
        out = AnyValue::Int(v);
      } else if (Is(k, "doubleValue", "double_value")) {
        double d = 0;
        if (!GetDouble(f.value, field, d)) return false;
        out = AnyValue::Double(d);
      } else if (Is(k, "bytesValue", "bytes_value")) {
        std::string_view s, b;
        if (f.value.get_string().get(s)) return Fail(field, "bytesValue must be a base64 string");
        if (!DecodeBase64(s, arena_, b)) return Fail(field, "bytesValue is not valid base64");
        out = AnyValue::Bytes(b);
      } else if (Is(k, "arrayValue", "array_value")) {
        if (depth >= options_.max_value_depth) return Fail(field, "values nested too deeply");
        dom::array values;
        bool present;
        if (!GetValuesArray(f.value, field, values, present)) return false;
        AnyValue* items = nullptr;
        size_t n = 0;
        if (present) {
          items = arena_.AllocateArray<AnyValue>(values.size());
          for (dom::element item : values) {
            if (!GetAnyValue(item, field, depth + 1, items[n])) return false;
            ++n;
          }
        }
        out = AnyValue::Array({items, n});
      } else if (Is(k, "kvlistValue", "kvlist_value")) {
        if (depth >= options_.max_value_depth) return Fail(field, "values nested too deeply");
        dom::array values;
        bool present;
        if (!GetValuesArray(f.value, field, values, present)) return false;
        Attributes list;
        if (present && !GetKeyValues(values, field, depth + 1, list)) return false;
        out = AnyValue::KvList(list);
      }
    }
    return true;
  }

  // The `values` array of an ArrayValue / KeyValueList object; `present` is false when it is
  // absent or null (an empty list).
  bool GetValuesArray(dom::element e, std::string_view field, dom::array& out, bool& present) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail(field, "arrayValue/kvlistValue must be an object");
    present = false;
    for (dom::key_value_pair f : obj) {
      if (f.key != "values" || f.value.is_null()) continue;
      if (f.value.get_array().get(out)) return Fail(field, "values must be an array");
      present = true;
    }
    return true;
  }

  bool GetKeyValues(dom::array items, std::string_view field, uint32_t depth, Attributes& out) {
    KeyValue* kvs = arena_.AllocateArray<KeyValue>(items.size());
    size_t n = 0;
    for (dom::element item : items) {
      dom::object obj;
      if (item.get_object().get(obj)) return Fail(field, "entries must be {key, value} objects");
      KeyValue& kv = kvs[n];
      kv = KeyValue();
      for (dom::key_value_pair f : obj) {
        if (f.value.is_null()) continue;
        if (Is(f.key, "key")) {
          if (!GetString(f.value, field, kv.key)) return false;
        } else if (Is(f.key, "value")) {
          if (!GetAnyValue(f.value, field, depth, kv.value)) return false;
        }
      }
      ++n;
    }
    out = Attributes(kvs, n);
    return true;
  }

  // A top-level attribute list (span, resource, scope, event, link).
  bool GetAttributes(dom::element e, std::string_view field, Attributes& out) {
    dom::array items;
    if (e.get_array().get(items)) return Fail(field, "must be an array");
    return GetKeyValues(items, field, 0, out);
  }

  bool DecodeScope(dom::element e, Scope& scope) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("scope", "must be an object");
    for (dom::key_value_pair f : obj) {
      std::string_view k = f.key;
      if (f.value.is_null()) continue;
      if (Is(k, "name")) {
        if (!GetString(f.value, "scope.name", scope.name)) return false;
      } else if (Is(k, "version")) {
        if (!GetString(f.value, "scope.version", scope.version)) return false;
      } else if (Is(k, "attributes")) {
        if (!GetAttributes(f.value, "scope.attributes", scope.attributes)) return false;
      } else if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        if (!GetUint32(f.value, "scope.droppedAttributesCount", scope.dropped_attributes_count)) {
          return false;
        }
      }
    }
    return true;
  }

  // --- resource.v1 ---

  bool DecodeResource(dom::element e, Resource& resource) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("resource", "must be an object");
    for (dom::key_value_pair f : obj) {
      std::string_view k = f.key;
      if (f.value.is_null()) continue;
      if (Is(k, "attributes")) {
        if (!GetAttributes(f.value, "resource.attributes", resource.attributes)) return false;
      } else if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        if (!GetUint32(f.value, "resource.droppedAttributesCount",
                       resource.dropped_attributes_count)) {
          return false;
        }
      }
    }
    return true;
  }

  // --- trace.v1 ---

  bool DecodeResourceSpans(dom::element e) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("", "must be an object");
    Resource* resource = arena_.New<Resource>();
    for (dom::key_value_pair f : obj) {
      std::string_view k = f.key;
      if (f.value.is_null()) continue;
      if (Is(k, "resource")) {
        if (!DecodeResource(f.value, *resource)) return false;
      } else if (IsScopeSpansKey(k)) {
        dom::array scope_spans;
        if (f.value.get_array().get(scope_spans)) return Fail("scopeSpans", "must be an array");
        scope_index_ = 0;
        for (dom::element ss : scope_spans) {
          if (!DecodeScopeSpans(ss, resource)) return false;
          ++scope_index_;
        }
        scope_index_ = -1;
      } else if (Is(k, "schemaUrl", "schema_url")) {
        if (!GetString(f.value, "schemaUrl", resource->schema_url)) return false;
      }
    }
    const AnyValue* service = FindAttribute(resource->attributes, "service.name");
    if (service != nullptr && service->type() == ValueType::kString) {
      resource->service_name = service->string_value();
    }
    return true;
  }

  bool DecodeScopeSpans(dom::element e, const Resource* resource) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("", "must be an object");
    Scope* scope = arena_.New<Scope>();
    for (dom::key_value_pair f : obj) {
      std::string_view k = f.key;
      if (f.value.is_null()) continue;
      if (Is(k, "scope") || Is(k, "instrumentationLibrary", "instrumentation_library")) {
        if (!DecodeScope(f.value, *scope)) return false;
      } else if (Is(k, "spans")) {
        dom::array spans;
        if (f.value.get_array().get(spans)) return Fail("spans", "must be an array");
        span_index_ = 0;
        for (dom::element s : spans) {
          Span& span = out_.spans().emplace_back();
          span.resource = resource;
          span.scope = scope;
          if (!DecodeSpan(s, span)) return false;
          ++span_index_;
        }
        span_index_ = -1;
      } else if (Is(k, "schemaUrl", "schema_url")) {
        if (!GetString(f.value, "schemaUrl", scope->schema_url)) return false;
      }
    }
    return true;
  }

  bool DecodeSpan(dom::element e, Span& span) {
    static constexpr std::string_view kKinds[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                                  "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                                  "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("", "must be an object");
    for (dom::key_value_pair f : obj) {
      std::string_view k = f.key;
      dom::element v = f.value;
      if (v.is_null()) continue;
      if (Is(k, "traceId", "trace_id")) {
        if (!GetTraceId(v, "traceId", /*allow_empty=*/false, span.trace_id)) return false;
      } else if (Is(k, "spanId", "span_id")) {
        if (!GetSpanId(v, "spanId", /*allow_empty=*/false, span.span_id)) return false;
      } else if (Is(k, "parentSpanId", "parent_span_id")) {
        if (!GetSpanId(v, "parentSpanId", /*allow_empty=*/true, span.parent_span_id)) return false;
      } else if (Is(k, "traceState", "trace_state")) {
        if (!GetString(v, "traceState", span.trace_state)) return false;
      } else if (Is(k, "flags")) {
        if (!GetUint32(v, "flags", span.flags)) return false;
      } else if (Is(k, "name")) {
        if (!GetString(v, "name", span.name)) return false;
      } else if (Is(k, "kind")) {
        uint8_t kind;
        if (!GetEnum(v, "kind", kKinds, kind)) return false;
        span.kind = static_cast<SpanKind>(kind);
      } else if (Is(k, "startTimeUnixNano", "start_time_unix_nano")) {
        if (!GetUint64(v, "startTimeUnixNano", span.start_time_unix_nano)) return false;
      } else if (Is(k, "endTimeUnixNano", "end_time_unix_nano")) {
        if (!GetUint64(v, "endTimeUnixNano", span.end_time_unix_nano)) return false;
      } else if (Is(k, "attributes")) {
        if (!GetAttributes(v, "attributes", span.attributes)) return false;
      } else if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
        if (!GetUint32(v, "droppedAttributesCount", span.dropped_attributes_count)) return false;
      } else if (Is(k, "events")) {
        if (!DecodeEvents(v, span)) return false;
      } else if (Is(k, "droppedEventsCount", "dropped_events_count")) {
        if (!GetUint32(v, "droppedEventsCount", span.dropped_events_count)) return false;
      } else if (Is(k, "links")) {
        if (!DecodeLinks(v, span)) return false;
      } else if (Is(k, "droppedLinksCount", "dropped_links_count")) {
        if (!GetUint32(v, "droppedLinksCount", span.dropped_links_count)) return false;
      } else if (Is(k, "status")) {
        if (!DecodeStatus(v, span.status)) return false;
      }
    }
    if (span.trace_id.IsZero()) return Fail("traceId", "missing or all zero");
    if (span.span_id.IsZero()) return Fail("spanId", "missing or all zero");
    return true;
  }

  bool DecodeEvents(dom::element e, Span& span) {
    dom::array items;
    if (e.get_array().get(items)) return Fail("events", "must be an array");
    Event* events = arena_.AllocateArray<Event>(items.size());
    size_t n = 0;
    for (dom::element item : items) {
      dom::object obj;
      if (item.get_object().get(obj)) return Fail("events", "entries must be objects");
      Event& event = events[n++];
      event = Event();
      for (dom::key_value_pair f : obj) {
        std::string_view k = f.key;
        if (f.value.is_null()) continue;
        if (Is(k, "timeUnixNano", "time_unix_nano")) {
          if (!GetUint64(f.value, "events.timeUnixNano", event.time_unix_nano)) return false;
        } else if (Is(k, "name")) {
          if (!GetString(f.value, "events.name", event.name)) return false;
        } else if (Is(k, "attributes")) {
          if (!GetAttributes(f.value, "events.attributes", event.attributes)) return false;
        } else if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
          if (!GetUint32(f.value, "events.droppedAttributesCount",
                         event.dropped_attributes_count)) {
            return false;
          }
        }
      }
    }
    span.events = {events, n};
    return true;
  }

  bool DecodeLinks(dom::element e, Span& span) {
    dom::array items;
    if (e.get_array().get(items)) return Fail("links", "must be an array");
    Link* links = arena_.AllocateArray<Link>(items.size());
    size_t n = 0;
    for (dom::element item : items) {
      dom::object obj;
      if (item.get_object().get(obj)) return Fail("links", "entries must be objects");
      Link& link = links[n++];
      link = Link();
      for (dom::key_value_pair f : obj) {
        std::string_view k = f.key;
        if (f.value.is_null()) continue;
        if (Is(k, "traceId", "trace_id")) {
          if (!GetTraceId(f.value, "links.traceId", /*allow_empty=*/true, link.trace_id))
            return false;
        } else if (Is(k, "spanId", "span_id")) {
          if (!GetSpanId(f.value, "links.spanId", /*allow_empty=*/true, link.span_id)) return false;
        } else if (Is(k, "traceState", "trace_state")) {
          if (!GetString(f.value, "links.traceState", link.trace_state)) return false;
        } else if (Is(k, "attributes")) {
          if (!GetAttributes(f.value, "links.attributes", link.attributes)) return false;
        } else if (Is(k, "droppedAttributesCount", "dropped_attributes_count")) {
          if (!GetUint32(f.value, "links.droppedAttributesCount", link.dropped_attributes_count)) {
            return false;
          }
        } else if (Is(k, "flags")) {
          if (!GetUint32(f.value, "links.flags", link.flags)) return false;
        }
      }
    }
    span.links = {links, n};
    return true;
  }

  bool DecodeStatus(dom::element e, Status& status) {
    static constexpr std::string_view kCodes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK",
                                                  "STATUS_CODE_ERROR"};
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("status", "must be an object");
    for (dom::key_value_pair f : obj) {
      std::string_view k = f.key;
      if (f.value.is_null()) continue;
      if (Is(k, "message")) {
        if (!GetString(f.value, "status.message", status.message)) return false;
      } else if (Is(k, "code")) {
        uint8_t code;
        if (!GetEnum(f.value, "status.code", kCodes, code)) return false;
        status.code = static_cast<StatusCode>(code);
      }
    }
    return true;
  }

  SpanSet& out_;
  Arena& arena_;
  const OtlpDecodeOptions& options_;
  std::string error_;
  int resource_index_ = -1;
  int scope_index_ = -1;
  int span_index_ = -1;
};

// ---------------------------------------------------------------------------------------------
// Encoding.

template <typename T>
void AppendInteger(std::string& out, T v) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ptr);
}

// 64-bit integers are quoted, as the protobuf JSON mapping requires.
template <typename T>
void AppendQuotedInteger(std::string& out, T v) {
  out.push_back('"');
  AppendInteger(out, v);
  out.push_back('"');
}

void AppendDouble(std::string& out, double d) {
  if (std::isnan(d)) {
    out.append("\"NaN\"");
  } else if (std::isinf(d)) {
    out.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buf[32];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
    std::string_view s(buf, static_cast<size_t>(ptr - buf));
    out.append(s);
    // "-0" would read back as the integer 0 and lose its sign.
    if (s.find_first_of(".eE") == std::string_view::npos) out.append(".0");
  }
}

class JsonEncoder {
 public:
  explicit JsonEncoder(std::string& out) : out_(out) {}

  void Request(std::span<const Span> spans) {
    static const Resource kNoResource;
    static const Scope kNoScope;
    out_.append("{\"resourceSpans\":[");
    size_t i = 0;
    while (i < spans.size()) {
      const Resource* resource = spans[i].resource;
      size_t resource_end = i + 1;
      while (resource_end < spans.size() && SameResource(resource, spans[resource_end].resource)) {
        ++resource_end;
      }
      const Resource& r = resource ? *resource : kNoResource;
      if (i > 0) out_.push_back(',');
      out_.append("{\"resource\":{\"attributes\":");
      KeyValues(r.attributes);
      if (r.dropped_attributes_count != 0) {
        out_.append(",\"droppedAttributesCount\":");
        AppendInteger(out_, r.dropped_attributes_count);
      }
      out_.append("},\"scopeSpans\":[");
      size_t j = i;
      while (j < resource_end) {
        const Scope* scope = spans[j].scope;
        size_t scope_end = j + 1;
        while (scope_end < resource_end && SameScope(scope, spans[scope_end].scope)) ++scope_end;
        const Scope& s = scope ? *scope : kNoScope;
        if (j > i) out_.push_back(',');
        out_.append("{\"scope\":{\"name\":");
        AppendJsonString(s.name, out_);
        if (!s.version.empty()) {
          out_.append(",\"version\":");
          AppendJsonString(s.version, out_);
        }
        if (!s.attributes.empty()) {
          out_.append(",\"attributes\":");
          KeyValues(s.attributes);
        }
        if (s.dropped_attributes_count != 0) {
          out_.append(",\"droppedAttributesCount\":");
          AppendInteger(out_, s.dropped_attributes_count);
        }
        out_.append("},\"spans\":[");
        for (size_t k = j; k < scope_end; ++k) {
          if (k > j) out_.push_back(',');
          SpanObject(spans[k]);
        }
        out_.push_back(']');
        if (!s.schema_url.empty()) {
          out_.append(",\"schemaUrl\":");
          AppendJsonString(s.schema_url, out_);
        }
        out_.push_back('}');
        j = scope_end;
      }
      out_.push_back(']');
      if (!r.schema_url.empty()) {
        out_.append(",\"schemaUrl\":");
        AppendJsonString(r.schema_url, out_);
      }
      out_.push_back('}');
      i = resource_end;
    }
    out_.append("]}");
  }

 private:
  static bool SameResource(const Resource* a, const Resource* b) {
    return a == b || (a != nullptr && b != nullptr && ResourceEquals(*a, *b));
  }
  static bool SameScope(const Scope* a, const Scope* b) {
    return a == b || (a != nullptr && b != nullptr && ScopeEquals(*a, *b));
  }

  void TraceIdString(const TraceId& id) {
    char buf[34];
    buf[0] = '"';
    WriteHex64(id.high, buf + 1);
    WriteHex64(id.low, buf + 17);
    buf[33] = '"';
    out_.append(buf, 34);
  }

  void SpanIdString(const SpanId& id) {
    char buf[18];
    buf[0] = '"';
    WriteHex64(id.value, buf + 1);
    buf[17] = '"';
    out_.append(buf, 18);
  }

  void Value(const AnyValue& v) {
    switch (v.type()) {
      case ValueType::kEmpty:
        out_.append("{}");
        return;
      case ValueType::kString:
        out_.append("{\"stringValue\":");
        AppendJsonString(v.string_value(), out_);
        break;
      case ValueType::kBool:
        out_.append(v.bool_value() ? "{\"boolValue\":true" : "{\"boolValue\":false");
        break;
      case ValueType::kInt:
        out_.append("{\"intValue\":");
        AppendQuotedInteger(out_, v.int_value());
        break;
      case ValueType::kDouble:
        out_.append("{\"doubleValue\":");
        AppendDouble(out_, v.double_value());
        break;
      case ValueType::kBytes:
        out_.append("{\"bytesValue\":\"");
        AppendBase64(v.string_value(), out_);
        out_.push_back('"');
        break;
      case ValueType::kArray: {
        out_.append("{\"arrayValue\":{\"values\":[");
        bool first = true;
        for (const AnyValue& item : v.array_value()) {
          if (!first) out_.push_back(',');
          first = false;
          Value(item);
        }
        out_.append("]}");
        break;
      }
      case ValueType::kKvList:
        out_.append("{\"kvlistValue\":{\"values\":");
        KeyValues(v.kvlist_value());
        out_.push_back('}');
        break;
    }
    out_.push_back('}');
  }

  void KeyValues(Attributes attributes) {
    out_.push_back('[');
    bool first = true;
    for (const KeyValue& kv : attributes) {
      if (!first) out_.push_back(',');
      first = false;
      out_.append("{\"key\":");
      AppendJsonString(kv.key, out_);
      out_.append(",\"value\":");
      Value(kv.value);
      out_.push_back('}');
    }
    out_.push_back(']');
  }

  void SpanObject(const Span& span) {
    out_.append("{\"traceId\":");
    TraceIdString(span.trace_id);
    out_.append(",\"spanId\":");
    SpanIdString(span.span_id);
    if (!span.parent_span_id.IsZero()) {
      out_.append(",\"parentSpanId\":");
      SpanIdString(span.parent_span_id);
    }
    if (!span.trace_state.empty()) {
      out_.append(",\"traceState\":");
      AppendJsonString(span.trace_state, out_);
    }
    if (span.flags != 0) {
      out_.append(",\"flags\":");
      AppendInteger(out_, span.flags);
    }
    out_.append(",\"name\":");
    AppendJsonString(span.name, out_);
    out_.append(",\"kind\":");
    AppendInteger(out_, static_cast<int>(span.kind));
    out_.append(",\"startTimeUnixNano\":");
    AppendQuotedInteger(out_, span.start_time_unix_nano);
    out_.append(",\"endTimeUnixNano\":");
    AppendQuotedInteger(out_, span.end_time_unix_nano);
    out_.append(",\"attributes\":");
    KeyValues(span.attributes);
    if (span.dropped_attributes_count != 0) {
      out_.append(",\"droppedAttributesCount\":");
      AppendInteger(out_, span.dropped_attributes_count);
    }
    if (!span.events.empty()) {
      out_.append(",\"events\":[");
      bool first = true;
      for (const Event& e : span.events) {
        if (!first) out_.push_back(',');
        first = false;
        out_.append("{\"timeUnixNano\":");
        AppendQuotedInteger(out_, e.time_unix_nano);
        out_.append(",\"name\":");
        AppendJsonString(e.name, out_);
        out_.append(",\"attributes\":");
        KeyValues(e.attributes);
        if (e.dropped_attributes_count != 0) {
          out_.append(",\"droppedAttributesCount\":");
          AppendInteger(out_, e.dropped_attributes_count);
        }
        out_.push_back('}');
      }
      out_.push_back(']');
    }
    if (span.dropped_events_count != 0) {
      out_.append(",\"droppedEventsCount\":");
      AppendInteger(out_, span.dropped_events_count);
    }
    if (!span.links.empty()) {
      out_.append(",\"links\":[");
      bool first = true;
      for (const Link& l : span.links) {
        if (!first) out_.push_back(',');
        first = false;
        out_.append("{\"traceId\":");
        if (l.trace_id.IsZero()) {
          out_.append("\"\"");
        } else {
          TraceIdString(l.trace_id);
        }
        out_.append(",\"spanId\":");
        if (l.span_id.IsZero()) {
          out_.append("\"\"");
        } else {
          SpanIdString(l.span_id);
        }
        if (!l.trace_state.empty()) {
          out_.append(",\"traceState\":");
          AppendJsonString(l.trace_state, out_);
        }
        out_.append(",\"attributes\":");
        KeyValues(l.attributes);
        if (l.dropped_attributes_count != 0) {
          out_.append(",\"droppedAttributesCount\":");
          AppendInteger(out_, l.dropped_attributes_count);
        }
        if (l.flags != 0) {
          out_.append(",\"flags\":");
          AppendInteger(out_, l.flags);
        }
        out_.push_back('}');
      }
      out_.push_back(']');
    }
    if (span.dropped_links_count != 0) {
      out_.append(",\"droppedLinksCount\":");
      AppendInteger(out_, span.dropped_links_count);
    }
    out_.append(",\"status\":{");
    if (!span.status.message.empty()) {
      out_.append("\"message\":");
      AppendJsonString(span.status.message, out_);
      out_.push_back(',');
    }
    out_.append("\"code\":");
    AppendInteger(out_, static_cast<int>(span.status.code));
    out_.append("}}");
  }

  std::string& out_;
};

}  // namespace

absl::StatusOr<SpanSet> DecodeOtlpJson(std::string_view json, const OtlpDecodeOptions& options) {
  // A parser keeps its buffers between documents; reusing one per thread saves allocating and
  // faulting in fresh memory for every request. Large documents get a parser of their own so a
  // thread never holds more than a bounded amount of parser memory.
  constexpr size_t kReusedParserMaxBytes = 1 << 20;
  thread_local dom::parser reused_parser;
  dom::parser one_off_parser;
  dom::parser& parser = json.size() <= kReusedParserMaxBytes ? reused_parser : one_off_parser;
  dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid OTLP/JSON: ", simdjson::error_message(error)));
  }
  SpanSet out(json.size() + 4096);
  JsonDecoder decoder(out, options);
  if (!decoder.DecodeRequest(root)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid OTLP/JSON: ", decoder.error()));
  }
  return out;
}

std::string EncodeOtlpJson(std::span<const Span> spans) {
  std::string out;
  out.reserve(64 + spans.size() * 900);
  JsonEncoder(out).Request(spans);
  return out;
}

std::string EncodeRpcStatusJson(int code, std::string_view message) {
  std::string out = "{\"code\":";
  AppendInteger(out, code);
  out.append(",\"message\":");
  AppendJsonString(message, out);
  out.push_back('}');
  return out;
}

}  // namespace skua::model::convert
