// Zipkin v1/v2 spans → the span model; the mapping is documented in zipkin.h.
#include "model/convert/zipkin.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "model/attribute_keys.h"
#include "base/status.h"
#include "simdjson.h"

namespace skua::model::convert {
namespace {
using keys::kServiceNameKey;
using keys::kSpanKindKey;
using keys::kStatusCodeKey;
using keys::kStatusDescriptionKey;
using keys::kErrorKey;
using keys::kTraceStateKey;
using keys::kScopeNameKey;
using keys::kScopeVersionKey;
using keys::kLibraryNameKey;
using keys::kLibraryVersionKey;
using keys::kEventKey;

namespace dom = simdjson::dom;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(ToAbsl(a), ToAbsl(b));
}


// Jaeger's flag bits (jaeger-compat §1.4); the model keeps them in the low byte of Span::flags.
constexpr uint32_t kSampledFlag = 1;
constexpr uint32_t kDebugFlag = 2;

// Tag key prefixes of OpenTelemetry's resource semantic conventions. An OpenTelemetry SDK's Zipkin
// exporter flattens the resource into tags; these go back to the resource.
constexpr std::string_view kResourcePrefixes[] = {"service.",    "telemetry.", "host.", "os.",
                                                  "process.",    "container.", "k8s.",  "cloud.",
                                                  "deployment.", "device.",    "faas."};

bool IsResourceKey(std::string_view key) {
  for (std::string_view prefix : kResourcePrefixes) {
    if (key.starts_with(prefix)) return true;
  }
  return false;
}

uint64_t MicrosToNanos(uint64_t us) { return us > UINT64_MAX / 1000 ? UINT64_MAX : us * 1000; }
uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Sets `out` to the value's string and returns true if the value is a string.
bool StringValue(const AnyValue& v, std::string_view& out) {
  if (v.type() != ValueType::kString) return false;
  out = v.string_value();
  return true;
}

// Renders an endpoint's address as text: dotted quad for IPv4, RFC 5952 form for IPv6.
std::string_view IpString(const ZipkinEndpoint& e, bool v6, Arena& arena) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (!v6) {
    uint32_t be = htonl(e.ipv4);
    if (inet_ntop(AF_INET, &be, buf, sizeof(buf)) == nullptr) return {};
  } else {
    if (inet_ntop(AF_INET6, e.ipv6.data(), buf, sizeof(buf)) == nullptr) return {};
  }
  return arena.CopyString(buf);
}

void AppendEndpointAttributes(const ZipkinEndpoint& e, bool remote, Arena& arena,
                              std::vector<KeyValue>& out) {
  if (remote && !e.service_name.empty()) {
    out.push_back({"peer.service", AnyValue::String(arena.CopyString(e.service_name))});
  }
  std::string_view ip_key = remote ? "net.peer.ip" : "net.host.ip";
  // IPv6 wins when both are set, as in the OpenTelemetry translator (it writes v4, then v6).
  if (e.has_ipv6) {
    out.push_back({ip_key, AnyValue::String(IpString(e, true, arena))});
  } else if (e.has_ipv4) {
    out.push_back({ip_key, AnyValue::String(IpString(e, false, arena))});
  }
  if (e.port != 0) {
    out.push_back({remote ? "net.peer.port" : "net.host.port", AnyValue::Int(e.port)});
  }
}

// Appends `s` with a length prefix, so that distinct field lists give distinct keys.
void AppendKeyPart(std::string_view s, std::string& key) {
  uint32_t n = static_cast<uint32_t>(s.size());
  key.append(reinterpret_cast<const char*>(&n), sizeof(n));
  key.append(s);
}

// Annotation values longer than this stay plain event names, so that the per-thread parser below
// never grows beyond a small buffer.
constexpr size_t kMaxStructuredAnnotationBytes = 16 << 10;

// A reused parser for annotation values that hold JSON (separate from the one a JSON body is
// parsed with, whose document is still in use while annotations are converted).
dom::parser& AnnotationParser() {
  thread_local dom::parser parser;
  return parser;
}

// True when `v` is a JSON object whose members are all strings, numbers or booleans.
bool IsScalarObject(dom::object obj) {
  for (dom::key_value_pair kv : obj) {
    switch (kv.value.type()) {
      case dom::element_type::STRING:
      case dom::element_type::INT64:
      case dom::element_type::UINT64:
      case dom::element_type::DOUBLE:
      case dom::element_type::BOOL:
        break;
      default:
        return false;
    }
  }
  return true;
}

bool IsZipkinCore(std::string_view v) {
  return v == "cs" || v == "cr" || v == "sr" || v == "ss" || v == "ms" || v == "mr";
}

bool SameService(const ZipkinEndpoint& a, const ZipkinEndpoint* b) {
  return b != nullptr && !a.service_name.empty() && a.service_name == b->service_name;
}

}  // namespace

void ZipkinSpan::Clear() {
  trace_id = {};
  id = {};
  parent_id = {};
  kind = ZipkinKind::kUnspecified;
  name = {};
  timestamp_us = 0;
  duration_us = 0;
  local_endpoint.Clear();
  remote_endpoint.Clear();
  annotations.clear();
  tags.clear();
  debug = false;
  shared = false;
}

void ZipkinV1Span::Clear() {
  trace_id = {};
  id = {};
  parent_id = {};
  name = {};
  has_timestamp = false;
  timestamp_us = 0;
  has_duration = false;
  duration_us = 0;
  debug = false;
  annotations.clear();
  binary_annotations.clear();
}

void SanitizeZipkinThriftSpan(ZipkinV1Span& span) {
  // Start time: the client's send, else the server's receive.
  if (!span.has_timestamp) {
    const ZipkinAnnotation* server_recv = nullptr;
    for (const ZipkinAnnotation& a : span.annotations) {
      if (a.value == "cs") {
        span.has_timestamp = true;
        span.timestamp_us = static_cast<int64_t>(a.timestamp_us);
        server_recv = nullptr;
        break;
      }
      if (a.value == "sr" && server_recv == nullptr) server_recv = &a;
    }
    if (server_recv != nullptr) {
      span.has_timestamp = true;
      span.timestamp_us = static_cast<int64_t>(server_recv->timestamp_us);
    }
  }
  // Duration: first to last annotation, else 1 µs.
  if (!span.has_duration || span.duration_us <= 0) {
    int64_t duration = 1;
    if (span.annotations.size() >= 2) {
      uint64_t first = span.annotations.front().timestamp_us;
      uint64_t last = span.annotations.back().timestamp_us;
      if (first < last && last - first <= static_cast<uint64_t>(INT64_MAX)) {
        duration = static_cast<int64_t>(last - first);
        if (!span.has_timestamp) {
          span.has_timestamp = true;
          span.timestamp_us = static_cast<int64_t>(first);
        }
      }
    }
    span.has_duration = true;
    span.duration_us = duration;
  }
  // `error` as a bool, with any message kept apart.
  const size_t n = span.binary_annotations.size();
  for (size_t i = 0; i < n; ++i) {
    ZipkinTag& tag = span.binary_annotations[i];
    if (!EqualsIgnoreCase(tag.key, kErrorKey) || tag.value.type() == ValueType::kBool) continue;
    std::string_view text =
        tag.value.type() == ValueType::kString || tag.value.type() == ValueType::kBytes
            ? tag.value.string_value()
            : std::string_view("true");
    if (text.empty() || EqualsIgnoreCase(text, "true")) {
      tag.value = AnyValue::Bool(true);
    } else if (EqualsIgnoreCase(text, "false")) {
      tag.value = AnyValue::Bool(false);
    } else {
      tag.value = AnyValue::Bool(true);
      ZipkinTag message;
      message.key = "error.message";
      message.value = AnyValue::String(text);
      message.endpoint = tag.endpoint;
      span.binary_annotations.push_back(message);  // `tag` is not used after this
    }
  }
}

ZipkinConverter::ZipkinConverter(SpanSet& out) : out_(out), arena_(out.arena()) {}

AnyValue ZipkinConverter::CopyValue(const AnyValue& value) {
  switch (value.type()) {
    case ValueType::kString:
      return AnyValue::String(arena_.CopyString(value.string_value()));
    case ValueType::kBytes:
      return AnyValue::Bytes(arena_.CopyString(value.string_value()));
    case ValueType::kArray:
    case ValueType::kKvList:
      return out_.CopyValue(value);
    default:
      return value;
  }
}

const Resource* ZipkinConverter::GetResource(std::string_view service_name) {
  key_.clear();
  AppendKeyPart(service_name, key_);
  for (const KeyValue& kv : resource_attributes_) {
    AppendKeyPart(kv.key, key_);
    key_.push_back(static_cast<char>(kv.value.type()));
    std::string value;
    AppendValueString(kv.value, value);
    AppendKeyPart(value, key_);
  }
  if (last_resource_ != nullptr && key_ == last_resource_key_) return last_resource_;
  auto [it, inserted] = resources_.try_emplace(key_, nullptr);
  if (inserted) {
    const size_t n = resource_attributes_.size() + (service_name.empty() ? 0 : 1);
    KeyValue* attrs = arena_.AllocateArray<KeyValue>(n);
    size_t i = 0;
    if (!service_name.empty()) {
      attrs[i++] = {kServiceNameKey, AnyValue::String(arena_.CopyString(service_name))};
    }
    for (const KeyValue& kv : resource_attributes_) {
      attrs[i++] = {arena_.CopyString(kv.key), CopyValue(kv.value)};
    }
    it->second = MakeResource(arena_, Attributes(attrs, n));
  }
  last_resource_ = it->second;
  last_resource_key_ = key_;
  return it->second;
}

const Scope* ZipkinConverter::GetScope(std::string_view name, std::string_view version) {
  key_.clear();
  AppendKeyPart(name, key_);
  AppendKeyPart(version, key_);
  auto [it, inserted] = scopes_.try_emplace(key_, nullptr);
  if (inserted) {
    Scope* scope = arena_.New<Scope>();
    scope->name = arena_.CopyString(name);
    scope->version = arena_.CopyString(version);
    it->second = scope;
  }
  return it->second;
}

void ZipkinConverter::AppendEvent(const ZipkinAnnotation& annotation, std::vector<Event>& events) {
  Event event;
  event.time_unix_nano = MicrosToNanos(annotation.timestamp_us);
  std::string_view value = annotation.value;
  std::string_view name = value;
  std::string_view json;
  uint32_t dropped = 0;
  bool pipe_form = false;
  // OpenTelemetry's form: "name|{json}|dropped count".
  if (size_t first = value.find('|'), last = value.rfind('|');
      first != std::string_view::npos && last > first) {
    std::string_view count = value.substr(last + 1);
    std::string_view middle = value.substr(first + 1, last - first - 1);
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
    if (!count.empty() && ec == std::errc() && ptr == count.data() + count.size() &&
        middle.size() >= 2 && middle.front() == '{' && middle.back() == '}') {
      name = value.substr(0, first);
      json = middle;
      dropped = n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
      pipe_form = true;
    }
  }
  // Jaeger's form for key-value logs sent through Zipkin: the value is a JSON object.
  if (!pipe_form && value.size() >= 2 && value.front() == '{' && value.back() == '}') json = value;

  event_attributes_.clear();
  bool structured = false;
  std::string_view event_member;
  if (!json.empty() && json.size() <= kMaxStructuredAnnotationBytes) {
    dom::element root;
    dom::object obj;
    if (!AnnotationParser().parse(json.data(), json.size()).get(root) &&
        !root.get_object().get(obj) && (pipe_form || obj.size() > 0) && IsScalarObject(obj)) {
      structured = true;
      for (dom::key_value_pair kv : obj) {
        if (!pipe_form && kv.key == kEventKey && kv.value.is_string() && event_member.empty()) {
          event_member = kv.value.get_string().value_unsafe();
          continue;
        }
        AnyValue v;
        switch (kv.value.type()) {
          case dom::element_type::STRING:
            v = AnyValue::String(arena_.CopyString(kv.value.get_string().value_unsafe()));
            break;
          case dom::element_type::INT64:
            v = AnyValue::Int(kv.value.get_int64().value_unsafe());
            break;
          case dom::element_type::UINT64:
            v = AnyValue::Double(static_cast<double>(kv.value.get_uint64().value_unsafe()));
            break;
          case dom::element_type::DOUBLE:
            v = AnyValue::Double(kv.value.get_double().value_unsafe());
            break;
          case dom::element_type::BOOL:
            v = AnyValue::Bool(kv.value.get_bool().value_unsafe());
            break;
          default:
            break;
        }
        event_attributes_.push_back({arena_.CopyString(kv.key), v});
      }
    }
  }
  if (structured) {
    event.name = arena_.CopyString(pipe_form ? name : event_member);
    event.attributes = arena_.CopyArray(std::span<const KeyValue>(event_attributes_));
    event.dropped_attributes_count = dropped;
  } else {
    event.name = arena_.CopyString(value);
  }
  events.push_back(event);
}

absl::Status ZipkinConverter::Append(const ZipkinSpan& z) {
  if (z.trace_id.IsZero()) return absl::InvalidArgumentError("traceId is missing or zero");
  if (z.id.IsZero()) return absl::InvalidArgumentError("span id is missing or zero");

  Span s;
  s.trace_id = z.trace_id;
  s.span_id = z.id;
  if (z.parent_id != z.id) s.parent_span_id = z.parent_id;
  s.name = arena_.CopyString(z.name);
  s.flags = kSampledFlag | (z.debug ? kDebugFlag : 0);

  // Times. Annotations stand in for a missing timestamp (and then for a missing duration).
  uint64_t start_us = z.timestamp_us;
  uint64_t duration_us = z.duration_us;
  if (start_us == 0 && !z.annotations.empty()) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const ZipkinAnnotation& a : z.annotations) {
      lo = std::min(lo, a.timestamp_us);
      hi = std::max(hi, a.timestamp_us);
    }
    start_us = lo;
    if (duration_us == 0) duration_us = hi - lo;
  }
  s.start_time_unix_nano = MicrosToNanos(start_us);
  s.end_time_unix_nano = MicrosToNanos(SaturatingAdd(start_us, duration_us));

  // Tags. Each special key is folded in its first occurrence only; repeats stay attributes.
  attributes_.clear();
  resource_attributes_.clear();
  bool have_status_code = false, have_status_description = false, have_error = false;
  bool have_kind_tag = false, have_trace_state = false, have_scope_name = false;
  bool have_scope_version = false;
  std::string_view status_code, status_description, error_value, kind_tag, trace_state;
  std::string_view scope_name, scope_version;
  bool error_false = false;
  std::string_view service_name = z.local_endpoint.service_name;
  bool service_from_tag = false;
  for (const ZipkinTag& tag : z.tags) {
    std::string_view key = tag.key;
    std::string_view str;
    const bool is_string = StringValue(tag.value, str);
    if (key == kStatusCodeKey && is_string && !have_status_code) {
      have_status_code = true;
      status_code = str;
      continue;
    }
    if (key == kStatusDescriptionKey && is_string && !have_status_description) {
      have_status_description = true;
      status_description = str;
      continue;
    }
    if (key == kErrorKey && !have_error) {
      have_error = true;
      if (tag.value.type() == ValueType::kBool) {
        error_false = !tag.value.bool_value();
      } else if (is_string) {
        error_false = EqualsIgnoreCase(str, "false");
        error_value = str;
      }
      continue;
    }
    if (key == kSpanKindKey && is_string && !have_kind_tag) {
      have_kind_tag = true;
      kind_tag = str;
      continue;
    }
    if (key == kTraceStateKey && is_string && !have_trace_state) {
      have_trace_state = true;
      trace_state = str;
      continue;
    }
    if ((key == kScopeNameKey || key == kLibraryNameKey) && is_string && !have_scope_name) {
      have_scope_name = true;
      scope_name = str;
      continue;
    }
    if ((key == kScopeVersionKey || key == kLibraryVersionKey) && is_string &&
        !have_scope_version) {
      have_scope_version = true;
      scope_version = str;
      continue;
    }
    if (key == kServiceNameKey && is_string && !service_from_tag) {
      if (service_name.empty()) {
        service_name = str;
        service_from_tag = true;
        continue;
      }
      if (service_name == str) continue;  // the local endpoint already says so
      attributes_.push_back({arena_.CopyString(key), CopyValue(tag.value)});
      continue;
    }
    if (IsResourceKey(key)) {
      resource_attributes_.push_back({key, tag.value});
      continue;
    }
    attributes_.push_back({arena_.CopyString(key), CopyValue(tag.value)});
  }
  AppendEndpointAttributes(z.local_endpoint, /*remote=*/false, arena_, attributes_);
  AppendEndpointAttributes(z.remote_endpoint, /*remote=*/true, arena_, attributes_);
  s.attributes = arena_.CopyArray(std::span<const KeyValue>(attributes_));

  switch (z.kind) {
    case ZipkinKind::kClient:
      s.kind = SpanKind::kClient;
      break;
    case ZipkinKind::kServer:
      s.kind = SpanKind::kServer;
      break;
    case ZipkinKind::kProducer:
      s.kind = SpanKind::kProducer;
      break;
    case ZipkinKind::kConsumer:
      s.kind = SpanKind::kConsumer;
      break;
    case ZipkinKind::kUnspecified:
      s.kind = SpanKindFromName(absl::AsciiStrToLower(ToAbsl(kind_tag)));
      break;
  }

  if (have_status_code) {
    if (EqualsIgnoreCase(status_code, "ERROR")) {
      s.status.code = StatusCode::kError;
    } else if (EqualsIgnoreCase(status_code, "OK")) {
      s.status.code = StatusCode::kOk;
    }
    if (have_status_description) s.status.message = arena_.CopyString(status_description);
  }
  if (have_error && !error_false) {
    s.status.code = StatusCode::kError;
    if (s.status.message.empty() && !error_value.empty() &&
        !EqualsIgnoreCase(error_value, "true")) {
      s.status.message = arena_.CopyString(error_value);
    }
  }
  s.trace_state = arena_.CopyString(trace_state);

  events_.clear();
  for (const ZipkinAnnotation& a : z.annotations) AppendEvent(a, events_);
  s.events = arena_.CopyArray(std::span<const Event>(events_));

  s.resource = GetResource(service_name);
  s.scope = GetScope(scope_name, scope_version);
  out_.spans().push_back(s);
  return absl::OkStatus();
}

absl::Status ZipkinConverter::AppendV1(const ZipkinV1Span& v) {
  // The first of each core annotation, and the address binary annotations.
  const ZipkinAnnotation *cs = nullptr, *cr = nullptr, *sr = nullptr, *ss = nullptr;
  const ZipkinAnnotation *ms = nullptr, *mr = nullptr;
  for (const ZipkinAnnotation& a : v.annotations) {
    const ZipkinAnnotation** slot = a.value == "cs"   ? &cs
                                    : a.value == "cr" ? &cr
                                    : a.value == "sr" ? &sr
                                    : a.value == "ss" ? &ss
                                    : a.value == "ms" ? &ms
                                    : a.value == "mr" ? &mr
                                                      : nullptr;
    if (slot != nullptr && *slot == nullptr) *slot = &a;
  }
  const ZipkinEndpoint *ca = nullptr, *sa = nullptr, *ma = nullptr, *lc = nullptr;
  const ZipkinEndpoint* any_endpoint = nullptr;  // first endpoint with a service name
  for (const ZipkinAnnotation& a : v.annotations) {
    if (any_endpoint == nullptr && !a.endpoint.service_name.empty()) any_endpoint = &a.endpoint;
  }
  for (const ZipkinTag& b : v.binary_annotations) {
    if (b.key == "ca" && ca == nullptr && !b.endpoint.empty()) ca = &b.endpoint;
    if (b.key == "sa" && sa == nullptr && !b.endpoint.empty()) sa = &b.endpoint;
    if (b.key == "ma" && ma == nullptr && !b.endpoint.empty()) ma = &b.endpoint;
    if (b.key == "lc" && lc == nullptr && !b.endpoint.service_name.empty()) lc = &b.endpoint;
    if (any_endpoint == nullptr && !b.endpoint.service_name.empty() && b.key != "ca" &&
        b.key != "sa" && b.key != "ma") {
      any_endpoint = &b.endpoint;
    }
  }
  const ZipkinEndpoint* fallback = lc != nullptr ? lc : any_endpoint;

  struct Side {
    ZipkinKind kind = ZipkinKind::kUnspecified;
    const ZipkinAnnotation* begin = nullptr;
    const ZipkinAnnotation* end = nullptr;
    const ZipkinEndpoint* local = nullptr;
    const ZipkinEndpoint* remote = nullptr;
  };
  auto local_of = [&](const ZipkinAnnotation* a, const ZipkinAnnotation* b) {
    if (a != nullptr && !a->endpoint.service_name.empty()) return &a->endpoint;
    if (b != nullptr && !b->endpoint.service_name.empty()) return &b->endpoint;
    return fallback;
  };
  Side sides[2];
  int count = 1;
  const bool client = cs != nullptr || cr != nullptr;
  const bool server = sr != nullptr || ss != nullptr;
  if (client || server) {
    Side c{ZipkinKind::kClient, cs, cr, local_of(cs, cr), sa};
    Side s{ZipkinKind::kServer, sr, ss, local_of(sr, ss), ca};
    if (client && server) {
      if (c.remote == nullptr) c.remote = s.local;
      if (s.remote == nullptr) s.remote = c.local;
      sides[0] = c;
      sides[1] = s;
      count = 2;
    } else {
      sides[0] = client ? c : s;
    }
  } else if (ms != nullptr || mr != nullptr) {
    Side p{ZipkinKind::kProducer, ms, nullptr, local_of(ms, nullptr), ma};
    Side c{ZipkinKind::kConsumer, mr, nullptr, local_of(mr, nullptr), ma};
    if (ms != nullptr && mr != nullptr) {
      sides[0] = p;
      sides[1] = c;
      count = 2;
    } else {
      sides[0] = ms != nullptr ? p : c;
    }
  } else {
    sides[0].local = fallback;
    sides[0].remote = sa != nullptr ? sa : ca;
  }

  for (int i = 0; i < count; ++i) {
    ZipkinSpan& z = sides_[i];
    const Side& side = sides[i];
    z.Clear();
    z.trace_id = v.trace_id;
    z.id = v.id;
    z.parent_id = v.parent_id;
    z.name = v.name;
    z.kind = side.kind;
    z.debug = v.debug;
    z.shared = i == 1;
    if (side.local != nullptr) z.local_endpoint = *side.local;
    if (side.remote != nullptr) z.remote_endpoint = *side.remote;
    // The span's own timestamp and duration belong to the side that started it.
    if (i == 0 && v.has_timestamp && v.timestamp_us > 0) {
      z.timestamp_us = static_cast<uint64_t>(v.timestamp_us);
    } else if (side.begin != nullptr) {
      z.timestamp_us = side.begin->timestamp_us;
    }
    if (i == 0 && v.has_duration && v.duration_us > 0) {
      z.duration_us = static_cast<uint64_t>(v.duration_us);
    } else if (side.begin != nullptr && side.end != nullptr &&
               side.end->timestamp_us >= side.begin->timestamp_us) {
      z.duration_us = side.end->timestamp_us - side.begin->timestamp_us;
    }
  }
  // Non-core annotations and binary annotations go to the side whose service logged them.
  auto side_for = [&](const ZipkinEndpoint& logged_by) -> ZipkinSpan& {
    if (count == 2 && !SameService(logged_by, sides[0].local) &&
        SameService(logged_by, sides[1].local)) {
      return sides_[1];
    }
    return sides_[0];
  };
  for (const ZipkinAnnotation& a : v.annotations) {
    if (a.value.empty() || IsZipkinCore(a.value)) continue;
    ZipkinAnnotation copy = a;
    copy.endpoint.Clear();
    side_for(a.endpoint).annotations.push_back(copy);
  }
  for (const ZipkinTag& b : v.binary_annotations) {
    if (b.key == "ca" || b.key == "sa" || b.key == "ma") continue;
    if (b.key == "lc" && b.value.type() == ValueType::kString && b.value.string_value().empty()) {
      continue;
    }
    ZipkinTag copy = b;
    copy.endpoint.Clear();
    side_for(b.endpoint).tags.push_back(copy);
  }
  // A local span without a timestamp still gets one from its annotations (see Append), but those
  // must be the original ones, core annotations included.
  if (count == 1 && sides_[0].timestamp_us == 0 && !v.annotations.empty()) {
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const ZipkinAnnotation& a : v.annotations) {
      lo = std::min(lo, a.timestamp_us);
      hi = std::max(hi, a.timestamp_us);
    }
    sides_[0].timestamp_us = lo;
    if (sides_[0].duration_us == 0) sides_[0].duration_us = hi - lo;
  }
  for (int i = 0; i < count; ++i) {
    absl::Status s = Append(sides_[i]);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void ZipkinAnnotationValue(const Event& e, std::string& out, std::string& scratch) {
  out.clear();
  out += e.name;
  if (e.attributes.empty() || e.name.find('|') != std::string_view::npos) return;
  out += "|{";
  bool first = true;
  for (const KeyValue& kv : e.attributes) {
    if (kv.value.type() == ValueType::kEmpty) continue;
    if (!first) out += ',';
    first = false;
    AppendJsonString(kv.key, out);
    out += ':';
    if (kv.value.type() == ValueType::kArray || kv.value.type() == ValueType::kKvList) {
      // Only scalar members are unpacked by readers; a list travels as its string rendering.
      scratch.clear();
      AppendValueString(kv.value, scratch);
      AppendJsonString(scratch, out);
    } else {
      AppendValueJson(kv.value, out);
    }
  }
  absl::StrAppend(&out, "}|", e.dropped_attributes_count);
}

void ForEachZipkinTag(const Span& s, const std::function<void(std::string_view key,
                                                              std::string_view value)>& tag,
                      std::string& scratch) {
  const bool error = s.status.code == StatusCode::kError;
  const bool ok = s.status.code == StatusCode::kOk;
  const bool scope_name = s.scope != nullptr && !s.scope->name.empty();
  const bool scope_version = s.scope != nullptr && !s.scope->version.empty();
  const bool trace_state = !s.trace_state.empty();
  // Keys written from the span's own fields; attributes of the same key are left out.
  auto reserved = [&](std::string_view key) {
    return (error && key == keys::kErrorKey) || (ok && key == keys::kStatusCodeKey) ||
           (scope_name && key == keys::kScopeNameKey) || (scope_version && key == keys::kScopeVersionKey) ||
           (trace_state && key == keys::kTraceStateKey);
  };
  auto tag_value = [&](std::string_view key, const AnyValue& value) {
    scratch.clear();
    AppendValueString(value, scratch);
    tag(key, scratch);
  };
  if (s.resource != nullptr) {
    for (const KeyValue& kv : s.resource->attributes) {
      if (kv.key == keys::kServiceNameKey && !s.resource->service_name.empty()) continue;
      if (reserved(kv.key) || FindAttribute(s.attributes, kv.key) != nullptr) continue;
      tag_value(kv.key, kv.value);
    }
  }
  if (scope_name) tag(keys::kScopeNameKey, s.scope->name);
  if (scope_version) tag(keys::kScopeVersionKey, s.scope->version);
  for (const KeyValue& kv : s.attributes) {
    if (!reserved(kv.key)) tag_value(kv.key, kv.value);
  }
  if (trace_state) tag(keys::kTraceStateKey, s.trace_state);
  if (ok) tag(keys::kStatusCodeKey, "OK");
  if (error) tag(keys::kErrorKey, s.status.message.empty() ? "true" : s.status.message);
}

}  // namespace skua::model::convert
