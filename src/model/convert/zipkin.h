// Zipkin spans → the span model (jaeger-compat §1.7). The wire decoders (zipkin_json.h,
// zipkin_proto.h, zipkin_thrift.h) fill the reusable values below with views into their input and
// hand them to ZipkinConverter, which translates them the way the OpenTelemetry Zipkin receiver
// embedded by Jaeger does (v1 spans first become v2 spans) and copies what it keeps into the
// SpanSet's arena. The mapping is spelled out on ZipkinConverter.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "model/ids.h"
#include "model/span.h"
#include "model/span_set.h"

namespace skua::model::convert {

// Zipkin v2 span kinds (numbered as in zipkin.proto).
enum class ZipkinKind : uint8_t {
  kUnspecified = 0,
  kClient = 1,
  kServer = 2,
  kProducer = 3,
  kConsumer = 4
};

// A node of the service graph. All fields optional.
struct ZipkinEndpoint {
  std::string_view service_name;
  bool has_ipv4 = false;
  uint32_t ipv4 = 0;  // 1.2.3.4 is 0x01020304
  bool has_ipv6 = false;
  std::array<uint8_t, 16> ipv6{};
  uint16_t port = 0;  // 0 = unknown

  bool empty() const { return service_name.empty() && !has_ipv4 && !has_ipv6 && port == 0; }
  void Clear() { *this = ZipkinEndpoint(); }
};

// An annotation (timestamped event). `endpoint` is only used by v1 spans (the host that logged it).
struct ZipkinAnnotation {
  uint64_t timestamp_us = 0;
  std::string_view value;
  ZipkinEndpoint endpoint;
};

// A v2 tag or a v1 binary annotation. v2 values are strings; v1 values keep their Thrift/JSON type
// (bool, int, double, bytes, string). `endpoint` is only used by v1 binary annotations.
struct ZipkinTag {
  std::string_view key;
  AnyValue value;
  ZipkinEndpoint endpoint;
};

// A Zipkin v2 span. Zero timestamps, durations and IDs mean "absent".
struct ZipkinSpan {
  TraceId trace_id;  // high = 0 for a 64-bit trace ID
  SpanId id;
  SpanId parent_id;
  ZipkinKind kind = ZipkinKind::kUnspecified;
  std::string_view name;
  uint64_t timestamp_us = 0;
  uint64_t duration_us = 0;
  ZipkinEndpoint local_endpoint;
  ZipkinEndpoint remote_endpoint;
  std::vector<ZipkinAnnotation> annotations;
  std::vector<ZipkinTag> tags;
  bool debug = false;
  bool shared = false;

  // Resets every field, keeping the vectors' capacity.
  void Clear();
};

// A Zipkin v1 span (v1 JSON, zipkincore.thrift).
struct ZipkinV1Span {
  TraceId trace_id;
  SpanId id;
  SpanId parent_id;  // zero = root (Thrift's parent_id 0 means the same, §1.7)
  std::string_view name;
  bool has_timestamp = false;
  int64_t timestamp_us = 0;
  bool has_duration = false;
  int64_t duration_us = 0;
  bool debug = false;
  std::vector<ZipkinAnnotation> annotations;
  std::vector<ZipkinTag> binary_annotations;

  void Clear();
};

// The Zipkin sanitizers Jaeger applies to Zipkin Thrift spans (jaeger-compat §1.7, §1.8): a missing
// start time is taken from the `cs` annotation, else `sr`; a missing or non-positive duration
// becomes last annotation − first annotation (also setting a still-missing start), else 1 µs; an
// `error` binary annotation that is not a bool becomes bool true ("false" → false), and a value
// other than "", "true" or "false" is kept as an extra string binary annotation `error.message`.
// (A parent ID of 0 already means "no parent" in ZipkinV1Span.)
void SanitizeZipkinThriftSpan(ZipkinV1Span& span);

// The Zipkin annotation value for event `e`, as both Zipkin encoders write it: the event's name,
// or OpenTelemetry's "name|{json attributes}|dropped count" when it has attributes (unless the
// name itself holds a '|', which would make the form ambiguous). Replaces `out`; `scratch` is
// reused working space.
void ZipkinAnnotationValue(const Event& e, std::string& out, std::string& scratch);

// Calls `tag(key, value)` for every Zipkin tag of span `s`, in the order both Zipkin encoders
// write them: resource attributes (but service.name, and keys the span's own attributes override),
// otel.scope.name/version, span attributes, w3c.tracestate, otel.status_code=OK, error. Keys written
// from the span's own fields win over attributes of the same key. Values are rendered as
// model::ValueToString does; `scratch` is reused working space.
void ForEachZipkinTag(const Span& s, const std::function<void(std::string_view key,
                                                              std::string_view value)>& tag,
                      std::string& scratch);

// Appends model spans to a SpanSet, sharing resources and scopes between spans of equal content.
//
// v2 → model (after the OpenTelemetry Zipkin translator):
// - IDs copied; a parent equal to the span's own ID is dropped; flags = sampled (1), | 2 if debug
//   (Jaeger's debug flag);
// - kind CLIENT/SERVER/PRODUCER/CONSUMER → the same SpanKind; without one, a `span.kind` tag
//   (client, server, producer, consumer, internal) decides;
// - start = timestamp, end = start + duration; a missing timestamp falls back to the earliest
//   annotation, and then a missing duration to the latest − earliest annotation;
// - localEndpoint.serviceName → resource service.name (else a `service.name` tag); other tags whose
//   key belongs to OpenTelemetry's resource namespaces (service.*, telemetry.*, host.*, os.*,
//   process.*, container.*, k8s.*, cloud.*, deployment.*, device.*, faas.*) → resource attributes,
//   which is where a Zipkin exporter of an OpenTelemetry SDK got them from;
// - local endpoint ipv4/ipv6 → net.host.ip, port → net.host.port; remote endpoint serviceName →
//   peer.service, ipv4/ipv6 → net.peer.ip, port → net.peer.port;
// - tags `otel.status_code` / `otel.status_description` → status; `error` (any value but "false")
//   → status ERROR, its value (unless "" or "true") the status message; `w3c.tracestate` →
//   trace_state; `otel.scope.name|version` (or `otel.library.*`) → the scope; `span.kind` is folded
//   into the kind; every other tag → an attribute (v1 binary annotations keep their types);
// - annotations → events named by their value. A value (up to 16 KiB) that is a JSON object of
//   scalars becomes an event with those attributes (named by its `event` member, Jaeger's
//   convention for key-value logs), and OpenTelemetry's "name|{json attributes}|dropped count"
//   form is unpacked likewise.
//
// v1 → v2 (after Zipkin's own v1 converter): core annotations set the kind and the times and are
// not kept as events. A span with both client (cs/cr) and server (sr/ss) annotations — a span ID
// shared by both sides — becomes two spans, the client first and then the server (shared), so the
// query-time SpanIDDeduper (§2.5) can tell them apart; ms/mr likewise yield producer/consumer. The
// span's timestamp/duration belong to the first side; otherwise cs..cr, sr..ss. Each side's local
// endpoint is the endpoint of its core annotations (else the `lc` binary annotation's, else the
// first endpoint with a service name); binary annotations ca/sa/ma give the remote endpoint (for
// a client/server pair each side's remote defaults to the other side); other annotations and
// binary annotations go to the side whose service logged them (default: the first side).
//
// Thread-safety: none. `out` must outlive the converter.
class ZipkinConverter {
 public:
  explicit ZipkinConverter(SpanSet& out);

  // Appends one span. InvalidArgument for a zero trace ID or span ID (nothing is appended).
  absl::Status Append(const ZipkinSpan& span);
  // Appends the one or two spans `span` stands for. InvalidArgument as above.
  absl::Status AppendV1(const ZipkinV1Span& span);

 private:
  const Resource* GetResource(std::string_view service_name);
  const Scope* GetScope(std::string_view name, std::string_view version);
  void AppendEvent(const ZipkinAnnotation& annotation, std::vector<Event>& events);
  AnyValue CopyValue(const AnyValue& value);

  SpanSet& out_;
  Arena& arena_;
  // Scratch reused across spans (capacity is kept).
  std::vector<KeyValue> attributes_;
  std::vector<KeyValue> resource_attributes_;
  std::vector<KeyValue> event_attributes_;
  std::vector<Event> events_;
  std::string key_;
  ZipkinSpan sides_[2];
  // Resources and scopes by content (see GetResource / GetScope for the key layout).
  absl::flat_hash_map<std::string, const Resource*> resources_;
  absl::flat_hash_map<std::string, const Scope*> scopes_;
  const Resource* last_resource_ = nullptr;
  std::string last_resource_key_;
};

}  // namespace skua::model::convert
