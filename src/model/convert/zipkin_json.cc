// Zipkin v1 and v2 JSON decoding (jaeger-compat §1.7) with simdjson's DOM. Each span is read into
// a reused ZipkinSpan / ZipkinV1Span whose strings are views into the parsed document, then handed
// to ZipkinConverter, which copies what it keeps into the result's arena. The v2 encoder at the end
// writes text directly, in one pass per span.
#include "model/convert/zipkin_json.h"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status.h"
#include "model/convert/zipkin.h"
#include "simdjson.h"

namespace skua::model::convert {
namespace {

namespace dom = simdjson::dom;

// Concatenates string pieces (std::string_view, which this abseil's StrCat does not take).
template <typename... Parts>
std::string Join(const Parts&... parts) {
  std::string out;
  (out.append(std::string_view(parts)), ...);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(ToAbsl(a), ToAbsl(b));
}


enum class Version { kV1, kV2 };

class JsonDecoder {
 public:
  JsonDecoder(SpanSet& out, Version version) : out_(out), converter_(out), version_(version) {}

  bool Decode(dom::element root) {
    dom::array spans;
    if (root.get_array().get(spans)) {
      return Fail("", "the body must be a JSON array of spans");
    }
    out_.spans().reserve(spans.size() * (version_ == Version::kV1 ? 2 : 1));
    span_index_ = 0;
    for (dom::element span : spans) {
      if (!(version_ == Version::kV2 ? DecodeV2Span(span) : DecodeV1Span(span))) return false;
      ++span_index_;
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  // Records the first error as "span[i].field: what" and returns false.
  bool Fail(std::string_view field, std::string_view what) {
    if (!error_.empty()) return false;
    if (span_index_ >= 0) absl::StrAppend(&error_, "span[", span_index_, "]");
    if (!field.empty()) {
      if (!error_.empty()) error_ += '.';
      error_ += field;
    }
    if (!error_.empty()) error_ += ": ";
    error_ += what;
    return false;
  }

  bool GetString(dom::element e, std::string_view field, std::string_view& out) {
    if (e.get_string().get(out)) return Fail(field, "must be a string");
    return true;
  }

  bool GetBool(dom::element e, std::string_view field, bool& out) {
    if (e.get_bool().get(out)) return Fail(field, "must be a boolean");
    return true;
  }

  // Epoch or duration microseconds: a non-negative integer (a float is truncated; a string of
  // digits is accepted).
  bool GetMicros(dom::element e, std::string_view field, uint64_t& out) {
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
        if (!std::isfinite(d) || d < 0 || d >= 18446744073709551616.0) {
          return Fail(field, "must be a non-negative number of microseconds");
        }
        out = static_cast<uint64_t>(d);
        return true;
      }
      case dom::element_type::STRING: {
        std::string_view s = e.get_string().value_unsafe();
        auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
          return Fail(field, "must be a non-negative integer number of microseconds");
        }
        return true;
      }
      default:
        return Fail(field, "must be a number of microseconds");
    }
  }

  bool GetTraceId(dom::element e, std::string_view field, TraceId& out) {
    std::string_view hex;
    if (!GetString(e, field, hex)) return false;
    std::optional<TraceId> id = hex.size() <= 32 ? TraceId::FromHex(hex) : std::nullopt;
    if (!id) return Fail(field, "must be 16 or 32 hex digits");
    out = *id;
    return true;
  }

  bool GetSpanId(dom::element e, std::string_view field, SpanId& out) {
    std::string_view hex;
    if (!GetString(e, field, hex)) return false;
    if (hex.empty()) {  // an empty parentId is an absent one
      out = SpanId();
      return true;
    }
    std::optional<SpanId> id = SpanId::FromHex(hex);
    if (!id) return Fail(field, "must be up to 16 hex digits");
    out = *id;
    return true;
  }

  bool DecodeEndpoint(dom::element e, std::string_view field, ZipkinEndpoint& out) {
    out.Clear();
    if (e.is_null()) return true;
    dom::object obj;
    if (e.get_object().get(obj)) return Fail(field, "must be an object");
    for (dom::key_value_pair kv : obj) {
      if (kv.value.is_null()) continue;
      if (kv.key == "serviceName") {
        if (!GetString(kv.value, Join(field, ".serviceName"), out.service_name)) {
          return false;
        }
      } else if (kv.key == "ipv4" || kv.key == "ipv6") {
        std::string_view text;
        if (!GetString(kv.value, Join(field, ".", kv.key), text)) return false;
        // An address that does not parse is left out, as Zipkin's own readers do.
        std::string ip(text);
        if (kv.key == "ipv4") {
          in_addr addr;
          if (inet_pton(AF_INET, ip.c_str(), &addr) == 1) {
            out.has_ipv4 = true;
            out.ipv4 = ntohl(addr.s_addr);
          }
        } else {
          // Some clients put an IPv4 address in the ipv6 field; keep it as IPv4.
          in6_addr addr;
          in_addr v4;
          if (inet_pton(AF_INET6, ip.c_str(), &addr) == 1) {
            out.has_ipv6 = true;
            std::memcpy(out.ipv6.data(), &addr, 16);
          } else if (!out.has_ipv4 && inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
            out.has_ipv4 = true;
            out.ipv4 = ntohl(v4.s_addr);
          }
        }
      } else if (kv.key == "port") {
        int64_t port;
        if (kv.value.get_int64().get(port)) {
          return Fail(Join(field, ".port"), "must be an integer");
        }
        if (port > 0 && port <= 65535) out.port = static_cast<uint16_t>(port);
      }
    }
    return true;
  }

  bool DecodeAnnotations(dom::element e, bool with_endpoint, std::vector<ZipkinAnnotation>& out) {
    dom::array annotations;
    if (e.get_array().get(annotations)) return Fail("annotations", "must be an array");
    size_t i = 0;
    for (dom::element a : annotations) {
      std::string field = absl::StrCat("annotations[", i++, "]");
      dom::object obj;
      if (a.get_object().get(obj)) return Fail(field, "must be an object");
      ZipkinAnnotation& annotation = out.emplace_back();
      for (dom::key_value_pair kv : obj) {
        if (kv.value.is_null()) continue;
        if (kv.key == "timestamp") {
          if (!GetMicros(kv.value, Join(field, ".timestamp"), annotation.timestamp_us)) {
            return false;
          }
        } else if (kv.key == "value") {
          if (!GetString(kv.value, Join(field, ".value"), annotation.value)) return false;
        } else if (kv.key == "endpoint" && with_endpoint) {
          if (!DecodeEndpoint(kv.value, Join(field, ".endpoint"), annotation.endpoint)) {
            return false;
          }
        }
      }
    }
    return true;
  }

  // ---- v2 ------------------------------------------------------------------------------------

  bool DecodeV2Span(dom::element e) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("", "must be an object");
    ZipkinSpan& z = v2_;
    z.Clear();
    for (dom::key_value_pair kv : obj) {
      std::string_view key = kv.key;
      dom::element v = kv.value;
      if (v.is_null()) continue;
      bool ok = true;
      if (key == "traceId") {
        ok = GetTraceId(v, key, z.trace_id);
      } else if (key == "id") {
        ok = GetSpanId(v, key, z.id);
      } else if (key == "parentId") {
        ok = GetSpanId(v, key, z.parent_id);
      } else if (key == "name") {
        ok = GetString(v, key, z.name);
      } else if (key == "kind") {
        std::string_view kind;
        ok = GetString(v, key, kind);
        // An unknown kind is treated as absent rather than failing the whole request.
        if (EqualsIgnoreCase(kind, "CLIENT")) {
          z.kind = ZipkinKind::kClient;
        } else if (EqualsIgnoreCase(kind, "SERVER")) {
          z.kind = ZipkinKind::kServer;
        } else if (EqualsIgnoreCase(kind, "PRODUCER")) {
          z.kind = ZipkinKind::kProducer;
        } else if (EqualsIgnoreCase(kind, "CONSUMER")) {
          z.kind = ZipkinKind::kConsumer;
        }
      } else if (key == "timestamp") {
        ok = GetMicros(v, key, z.timestamp_us);
      } else if (key == "duration") {
        ok = GetMicros(v, key, z.duration_us);
      } else if (key == "debug") {
        ok = GetBool(v, key, z.debug);
      } else if (key == "shared") {
        ok = GetBool(v, key, z.shared);
      } else if (key == "localEndpoint") {
        ok = DecodeEndpoint(v, key, z.local_endpoint);
      } else if (key == "remoteEndpoint") {
        ok = DecodeEndpoint(v, key, z.remote_endpoint);
      } else if (key == "annotations") {
        ok = DecodeAnnotations(v, /*with_endpoint=*/false, z.annotations);
      } else if (key == "tags") {
        ok = DecodeTags(v, z.tags);
      }
      if (!ok) return false;
    }
    absl::Status s = converter_.Append(z);
    if (!s.ok()) return Fail("", StatusMessage(s));
    return true;
  }

  bool DecodeTags(dom::element e, std::vector<ZipkinTag>& out) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("tags", "must be an object");
    for (dom::key_value_pair kv : obj) {
      ZipkinTag tag;
      tag.key = kv.key;
      switch (kv.value.type()) {
        case dom::element_type::STRING:
          tag.value = AnyValue::String(kv.value.get_string().value_unsafe());
          break;
        case dom::element_type::BOOL:
          tag.value = AnyValue::Bool(kv.value.get_bool().value_unsafe());
          break;
        case dom::element_type::INT64:
          tag.value = AnyValue::Int(kv.value.get_int64().value_unsafe());
          break;
        case dom::element_type::UINT64:
          tag.value = AnyValue::Double(static_cast<double>(kv.value.get_uint64().value_unsafe()));
          break;
        case dom::element_type::DOUBLE:
          tag.value = AnyValue::Double(kv.value.get_double().value_unsafe());
          break;
        case dom::element_type::NULL_VALUE:
          continue;
        default:
          return Fail(Join("tags.", kv.key), "must be a string");
      }
      out.push_back(tag);
    }
    return true;
  }

  // ---- v1 ------------------------------------------------------------------------------------

  bool DecodeV1Span(dom::element e) {
    dom::object obj;
    if (e.get_object().get(obj)) return Fail("", "must be an object");
    ZipkinV1Span& z = v1_;
    z.Clear();
    for (dom::key_value_pair kv : obj) {
      std::string_view key = kv.key;
      dom::element v = kv.value;
      if (v.is_null()) continue;
      bool ok = true;
      if (key == "traceId") {
        ok = GetTraceId(v, key, z.trace_id);
      } else if (key == "id") {
        ok = GetSpanId(v, key, z.id);
      } else if (key == "parentId") {
        ok = GetSpanId(v, key, z.parent_id);
      } else if (key == "name") {
        ok = GetString(v, key, z.name);
      } else if (key == "timestamp" || key == "duration") {
        uint64_t us;
        ok = GetMicros(v, key, us);
        if (ok && us > static_cast<uint64_t>(INT64_MAX)) ok = Fail(key, "is out of range");
        if (ok && key == "timestamp") {
          z.has_timestamp = true;
          z.timestamp_us = static_cast<int64_t>(us);
        } else if (ok) {
          z.has_duration = true;
          z.duration_us = static_cast<int64_t>(us);
        }
      } else if (key == "debug") {
        ok = GetBool(v, key, z.debug);
      } else if (key == "annotations") {
        ok = DecodeAnnotations(v, /*with_endpoint=*/true, z.annotations);
      } else if (key == "binaryAnnotations") {
        ok = DecodeBinaryAnnotations(v, z.binary_annotations);
      }
      if (!ok) return false;
    }
    absl::Status s = converter_.AppendV1(z);
    if (!s.ok()) return Fail("", StatusMessage(s));
    return true;
  }

  bool DecodeBinaryAnnotations(dom::element e, std::vector<ZipkinTag>& out) {
    dom::array list;
    if (e.get_array().get(list)) return Fail("binaryAnnotations", "must be an array");
    size_t i = 0;
    for (dom::element b : list) {
      std::string field = absl::StrCat("binaryAnnotations[", i++, "]");
      dom::object obj;
      if (b.get_object().get(obj)) return Fail(field, "must be an object");
      ZipkinTag& tag = out.emplace_back();
      std::string_view type;
      dom::element value;
      bool has_value = false;
      for (dom::key_value_pair kv : obj) {
        if (kv.value.is_null()) continue;
        if (kv.key == "key") {
          if (!GetString(kv.value, Join(field, ".key"), tag.key)) return false;
        } else if (kv.key == "value") {
          value = kv.value;
          has_value = true;
        } else if (kv.key == "type") {
          if (!GetString(kv.value, Join(field, ".type"), type)) return false;
        } else if (kv.key == "endpoint") {
          if (!DecodeEndpoint(kv.value, Join(field, ".endpoint"), tag.endpoint)) {
            return false;
          }
        }
      }
      if (!has_value) {
        tag.value = AnyValue::String("");
        continue;
      }
      if (!BinaryAnnotationValue(value, type, Join(field, ".value"), tag.value)) {
        return false;
      }
    }
    return true;
  }

  bool BinaryAnnotationValue(dom::element v, std::string_view type, std::string_view field,
                             AnyValue& out) {
    const dom::element_type t = v.type();
    if (t == dom::element_type::ARRAY || t == dom::element_type::OBJECT) {
      return Fail(field, "must be a string, number or boolean");
    }
    std::string_view text;
    const bool is_string = t == dom::element_type::STRING;
    if (is_string) text = v.get_string().value_unsafe();
    if (type.empty() || type == "STRING") {
      switch (t) {
        case dom::element_type::BOOL:
          out = AnyValue::Bool(v.get_bool().value_unsafe());
          break;
        case dom::element_type::INT64:
          out = AnyValue::Int(v.get_int64().value_unsafe());
          break;
        case dom::element_type::UINT64:
          out = AnyValue::Double(static_cast<double>(v.get_uint64().value_unsafe()));
          break;
        case dom::element_type::DOUBLE:
          out = AnyValue::Double(v.get_double().value_unsafe());
          break;
        default:
          out = AnyValue::String(text);
          break;
      }
      return true;
    }
    if (type == "BOOL") {
      if (t == dom::element_type::BOOL) {
        out = AnyValue::Bool(v.get_bool().value_unsafe());
      } else if (is_string && (EqualsIgnoreCase(text, "true") || EqualsIgnoreCase(text, "false"))) {
        out = AnyValue::Bool(EqualsIgnoreCase(text, "true"));
      } else {
        return Fail(field, "must be a boolean (type BOOL)");
      }
      return true;
    }
    if (type == "I16" || type == "I32" || type == "I64") {
      int64_t n;
      if (t == dom::element_type::INT64) {
        n = v.get_int64().value_unsafe();
      } else if (is_string) {
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
          return Fail(field, Join("must be an integer (type ", type, ")"));
        }
      } else {
        return Fail(field, Join("must be an integer (type ", type, ")"));
      }
      out = AnyValue::Int(n);
      return true;
    }
    if (type == "DOUBLE") {
      if (t == dom::element_type::DOUBLE || t == dom::element_type::INT64 ||
          t == dom::element_type::UINT64) {
        double d;
        if (v.get_double().get(d)) return Fail(field, "must be a number (type DOUBLE)");
        out = AnyValue::Double(d);
        return true;
      }
      if (is_string) {
        // Special values as Go and Java spell them; anything else must be a plain number.
        std::string s(text);
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (s.empty() || end != s.c_str() + s.size()) {
          return Fail(field, "must be a number (type DOUBLE)");
        }
        out = AnyValue::Double(d);
        return true;
      }
      return Fail(field, "must be a number (type DOUBLE)");
    }
    if (type == "BYTES") {
      std::string_view bytes;
      if (!is_string || !DecodeBase64(text, out_.arena(), bytes)) {
        return Fail(field, "must be a base64 string (type BYTES)");
      }
      out = AnyValue::Bytes(bytes);
      return true;
    }
    return Fail(field, Join("has unknown type '", type,
                            "' (expected BOOL, BYTES, I16, I32, I64, DOUBLE or STRING)"));
  }

  SpanSet& out_;
  ZipkinConverter converter_;
  Version version_;
  ZipkinSpan v2_;
  ZipkinV1Span v1_;
  int64_t span_index_ = -1;
  std::string error_;
};

absl::StatusOr<SpanSet> Decode(std::string_view json, Version version) {
  const char* what =
      version == Version::kV1 ? "invalid Zipkin v1 JSON: " : "invalid Zipkin v2 JSON: ";
  // A parser keeps its buffers between documents; reusing one per thread saves allocating them
  // for every request. Large documents get a parser of their own so a thread never holds on to
  // more than a bounded amount of parser memory.
  constexpr size_t kReusedParserMaxBytes = 1 << 20;
  thread_local dom::parser reused_parser;
  dom::parser one_off_parser;
  dom::parser& parser = json.size() <= kReusedParserMaxBytes ? reused_parser : one_off_parser;
  dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root); error) {
    return absl::InvalidArgumentError(absl::StrCat(what, simdjson::error_message(error)));
  }
  SpanSet out(json.size() + 4096);
  JsonDecoder decoder(out, version);
  if (!decoder.Decode(root)) return absl::InvalidArgumentError(absl::StrCat(what, decoder.error()));
  return out;
}

}  // namespace

absl::StatusOr<SpanSet> DecodeZipkinV2Json(std::string_view json) {
  return Decode(json, Version::kV2);
}

absl::StatusOr<SpanSet> DecodeZipkinV1Json(std::string_view json) {
  return Decode(json, Version::kV1);
}

// ---- v2 encoding ------------------------------------------------------------------------------

namespace {

// Jaeger's debug flag bit (jaeger-compat §1.4), as ZipkinConverter sets it.
constexpr uint32_t kDebugFlagBit = 2;

std::string_view ZipkinKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kClient:
      return "CLIENT";
    case SpanKind::kServer:
      return "SERVER";
    case SpanKind::kProducer:
      return "PRODUCER";
    case SpanKind::kConsumer:
      return "CONSUMER";
    default:
      return {};  // Zipkin has no INTERNAL kind: a local span has none
  }
}

class V2JsonEncoder {
 public:
  explicit V2JsonEncoder(std::string& out) : out_(out) {}

  void AppendSpan(const model::Span& s) {
    out_ += "{\"traceId\":\"";
    out_ += s.trace_id.ToJaegerHex();
    out_ += "\",\"id\":\"";
    out_ += s.span_id.ToHex();
    out_ += '"';
    if (!s.parent_span_id.IsZero()) {
      out_ += ",\"parentId\":\"";
      out_ += s.parent_span_id.ToHex();
      out_ += '"';
    }
    if (std::string_view kind = ZipkinKindName(s.kind); !kind.empty()) {
      absl::StrAppend(&out_, ",\"kind\":\"", ToAbsl(kind), "\"");
    }
    if (!s.name.empty()) {
      out_ += ",\"name\":";
      AppendJsonString(s.name, out_);
    }
    // Both ends truncated to µs, so that start and end each survive a round trip at µs precision.
    const uint64_t start_us = s.start_time_unix_nano / 1000;
    const uint64_t end_us = s.end_time_unix_nano / 1000;
    if (start_us > 0) {
      absl::StrAppend(&out_, ",\"timestamp\":", start_us);
      if (end_us > start_us) absl::StrAppend(&out_, ",\"duration\":", end_us - start_us);
    }
    if ((s.flags & kDebugFlagBit) != 0) out_ += ",\"debug\":true";
    std::string_view service = s.service_name();
    if (!service.empty()) {
      out_ += ",\"localEndpoint\":{\"serviceName\":";
      AppendJsonString(service, out_);
      out_ += '}';
    }
    if (!s.events.empty()) {
      out_ += ",\"annotations\":[";
      for (size_t i = 0; i < s.events.size(); ++i) {
        const Event& e = s.events[i];
        absl::StrAppend(&out_, i == 0 ? "" : ",", "{\"timestamp\":", e.time_unix_nano / 1000,
                        ",\"value\":");
        ZipkinAnnotationValue(e, scratch_, value_);
        AppendJsonString(scratch_, out_);
        out_ += '}';
      }
      out_ += ']';
    }
    Tags(s);
    out_ += '}';
  }

 private:
  // The tags of `s`, as an object member of the span (omitted when there are none).
  void Tags(const model::Span& s) {
    tags_ = 0;
    ForEachZipkinTag(
        s, [&](std::string_view key, std::string_view value) { Tag(key, value); }, value_);
    if (tags_ > 0) out_ += '}';
  }

  void Tag(std::string_view key, std::string_view value) {
    out_ += tags_++ == 0 ? ",\"tags\":{" : ",";
    AppendJsonString(key, out_);
    out_ += ':';
    AppendJsonString(value, out_);
  }

  std::string& out_;
  size_t tags_ = 0;
  std::string scratch_;
  std::string value_;
};

}  // namespace

std::string EncodeZipkinV2Json(std::span<const Span> spans) {
  std::string out;
  out.reserve(spans.size() * 512 + 2);
  V2JsonEncoder encoder(out);
  out += '[';
  for (size_t i = 0; i < spans.size(); ++i) {
    if (i > 0) out += ',';
    encoder.AppendSpan(spans[i]);
  }
  out += ']';
  return out;
}

}  // namespace skua::model::convert
