// Zipkin v1 and v2 JSON decoding (jaeger-compat §1.7) and the v2 → model translation (zipkin.h);
// the v2 encoder, checked by decoding what it writes.
#include "model/convert/zipkin_json.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/convert/jaeger.h"
#include "model/convert/zipkin_test_util.h"

namespace skua::model::convert {
namespace {

using ::skua::model::convert::testing::Attr;
using ::skua::model::convert::testing::FindSpan;
using ::testing::HasSubstr;

// A client span and the server span that shares its ID (as Zipkin's B3 instrumentation reports
// them), plus a 64-bit-trace-ID local span without a timestamp or local endpoint.
constexpr std::string_view kV2Shared = R"([
  {"traceId": "463ac35c9f6413ad48485a3953bb6124", "id": "a2fb4a1d1a96d312",
   "parentId": "0020000000000001", "kind": "CLIENT", "name": "get /api",
   "timestamp": 1472470996199000, "duration": 207000, "debug": true,
   "localEndpoint": {"serviceName": "frontend", "ipv4": "192.168.99.1", "port": 3306},
   "remoteEndpoint": {"serviceName": "backend", "ipv4": "172.19.0.2", "port": 9000},
   "annotations": [{"timestamp": 1472470996238000, "value": "ws"},
                   {"timestamp": 1472470996403000, "value": "wr"}],
   "tags": {"http.path": "/api", "clnt/finagle.version": "6.45.0"}},
  {"traceId": "463ac35c9f6413ad48485a3953bb6124", "id": "a2fb4a1d1a96d312",
   "parentId": "0020000000000001", "kind": "SERVER", "name": "get /api", "shared": true,
   "timestamp": 1472470996250000, "duration": 100000,
   "localEndpoint": {"serviceName": "backend", "ipv6": "2001:db8::c001", "port": 9000},
   "remoteEndpoint": {"ipv4": "192.168.99.1", "port": 54321},
   "annotations": [{"timestamp": 1472470996260000, "value": "{\"event\":\"retry\",\"attempt\":2}"},
                   {"timestamp": 1472470996270000, "value": "gc|{\"pause.ms\":1.5}|3"}],
   "tags": {"error": "connection reset", "otel.scope.name": "zipkin-js",
            "telemetry.sdk.language": "nodejs"}},
  {"traceId": "48485a3953bb6124", "id": "0000000000000007", "name": "local",
   "annotations": [{"timestamp": 1000, "value": "start"}, {"timestamp": 1500, "value": "done"}],
   "tags": {"span.kind": "internal", "unknown.field.is": "kept"}, "unknownField": [1, 2]}
])";

TEST(ZipkinV2Json, DecodesSharedClientAndServerSpans) {
  absl::StatusOr<SpanSet> set = DecodeZipkinV2Json(kV2Shared);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 3u);

  const Span* client = FindSpan(*set, SpanKind::kClient);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->trace_id, (TraceId{0x463ac35c9f6413adull, 0x48485a3953bb6124ull}));
  EXPECT_EQ(client->span_id.value, 0xa2fb4a1d1a96d312ull);
  EXPECT_EQ(client->parent_span_id.value, 0x0020000000000001ull);
  EXPECT_EQ(client->name, "get /api");
  EXPECT_EQ(client->start_time_unix_nano, 1472470996199000000ull);
  EXPECT_EQ(client->end_time_unix_nano, 1472470996199000000ull + 207000000ull);
  EXPECT_EQ(client->service_name(), "frontend");
  EXPECT_EQ(client->flags, 3u) << "sampled | debug";
  EXPECT_EQ(Attr(client->attributes, "net.host.ip"), "s:192.168.99.1");
  EXPECT_EQ(Attr(client->attributes, "net.host.port"), "i:3306");
  EXPECT_EQ(Attr(client->attributes, "peer.service"), "s:backend");
  EXPECT_EQ(Attr(client->attributes, "net.peer.ip"), "s:172.19.0.2");
  EXPECT_EQ(Attr(client->attributes, "net.peer.port"), "i:9000");
  EXPECT_EQ(Attr(client->attributes, "http.path"), "s:/api");
  EXPECT_EQ(Attr(client->attributes, "clnt/finagle.version"), "s:6.45.0");
  ASSERT_EQ(client->events.size(), 2u);
  EXPECT_EQ(client->events[0].name, "ws");
  EXPECT_EQ(client->events[0].time_unix_nano, 1472470996238000000ull);
  EXPECT_EQ(client->status.code, StatusCode::kUnset);

  const Span* server = FindSpan(*set, SpanKind::kServer);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->span_id, client->span_id) << "shared span keeps its ID in storage";
  EXPECT_EQ(server->service_name(), "backend");
  EXPECT_EQ(server->flags, 1u);
  EXPECT_EQ(Attr(server->attributes, "net.host.ip"), "s:2001:db8::c001");
  EXPECT_EQ(Attr(server->attributes, "net.peer.ip"), "s:192.168.99.1");
  EXPECT_EQ(Attr(server->attributes, "net.peer.port"), "i:54321");
  EXPECT_EQ(Attr(server->attributes, "peer.service"), "<absent>");
  EXPECT_EQ(Attr(server->attributes, "error"), "<absent>") << "folded into the status";
  EXPECT_EQ(server->status.code, StatusCode::kError);
  EXPECT_EQ(server->status.message, "connection reset");
  EXPECT_EQ(server->scope->name, "zipkin-js");
  // An OpenTelemetry resource key travels back to the resource.
  EXPECT_EQ(Attr(server->resource->attributes, "telemetry.sdk.language"), "s:nodejs");
  EXPECT_EQ(Attr(server->attributes, "telemetry.sdk.language"), "<absent>");
  ASSERT_EQ(server->events.size(), 2u);
  EXPECT_EQ(server->events[0].name, "retry");
  EXPECT_EQ(Attr(server->events[0].attributes, "attempt"), "i:2");
  EXPECT_EQ(server->events[1].name, "gc");
  EXPECT_EQ(Attr(server->events[1].attributes, "pause.ms"), "d:1.5");
  EXPECT_EQ(server->events[1].dropped_attributes_count, 3u);

  const Span& local = set->spans()[2];
  EXPECT_EQ(local.trace_id, (TraceId{0, 0x48485a3953bb6124ull}));
  EXPECT_TRUE(local.parent_span_id.IsZero());
  EXPECT_EQ(local.kind, SpanKind::kInternal);
  EXPECT_EQ(Attr(local.attributes, "span.kind"), "<absent>");
  EXPECT_EQ(Attr(local.attributes, "unknown.field.is"), "s:kept");
  EXPECT_EQ(local.start_time_unix_nano, 1000000u) << "earliest annotation";
  EXPECT_EQ(local.end_time_unix_nano, 1500000u) << "latest annotation";
  EXPECT_EQ(local.service_name(), "");
  EXPECT_NE(local.resource, nullptr);
  EXPECT_NE(local.scope, nullptr);
}

// jaeger-compat §2.5: the shared ID survives storage as two spans, and the query-time
// SpanIDDeduper turns the server span into a child of the client span.
TEST(ZipkinV2Json, SharedSpansAreSeparatedBySpanIdDeduper) {
  absl::StatusOr<SpanSet> set = DecodeZipkinV2Json(kV2Shared);
  ASSERT_TRUE(set.ok()) << set.status();
  jaeger::JaegerTrace trace = jaeger::ToJaegerTrace(std::span(set->spans()).first(2));
  jaeger::DedupeSharedSpanIds(trace);
  ASSERT_EQ(trace.spans.size(), 2u);
  const jaeger::Span& client = trace.spans[0];
  const jaeger::Span& server = trace.spans[1];
  EXPECT_EQ(client.Kind(), "client");
  EXPECT_EQ(server.Kind(), "server");
  EXPECT_EQ(client.span_id.value, 0xa2fb4a1d1a96d312ull);
  EXPECT_NE(server.span_id, client.span_id);
  EXPECT_EQ(server.ParentSpanId(), client.span_id);
  EXPECT_EQ(trace.processes[client.process_index].service_name, "frontend");
  EXPECT_EQ(trace.processes[server.process_index].service_name, "backend");
}

TEST(ZipkinV2Json, SpansOfOneServiceShareOneResource) {
  absl::StatusOr<SpanSet> set = DecodeZipkinV2Json(R"([
    {"traceId": "1", "id": "1", "localEndpoint": {"serviceName": "a"}},
    {"traceId": "1", "id": "2", "localEndpoint": {"serviceName": "b"}},
    {"traceId": "1", "id": "3", "localEndpoint": {"serviceName": "a"}}])");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 3u);
  EXPECT_EQ(set->spans()[0].resource, set->spans()[2].resource);
  EXPECT_NE(set->spans()[0].resource, set->spans()[1].resource);
  EXPECT_EQ(set->spans()[1].service_name(), "b");
}

TEST(ZipkinV2Json, StatusTagsAndErrorFalse) {
  absl::StatusOr<SpanSet> set = DecodeZipkinV2Json(R"([
    {"traceId": "1", "id": "1",
     "tags": {"otel.status_code": "ERROR", "otel.status_description": "boom"}},
    {"traceId": "1", "id": "2", "tags": {"error": ""}},
    {"traceId": "1", "id": "3", "tags": {"error": "false"}},
    {"traceId": "1", "id": "4", "tags": {"otel.status_code": "OK", "w3c.tracestate": "k=v"}},
    {"traceId": "1", "id": "5", "parentId": "5"}])");
  ASSERT_TRUE(set.ok()) << set.status();
  const auto& s = set->spans();
  EXPECT_EQ(s[0].status.code, StatusCode::kError);
  EXPECT_EQ(s[0].status.message, "boom");
  EXPECT_EQ(s[1].status.code, StatusCode::kError);
  EXPECT_EQ(s[1].status.message, "");
  EXPECT_EQ(s[2].status.code, StatusCode::kUnset);
  EXPECT_EQ(s[3].status.code, StatusCode::kOk);
  EXPECT_EQ(s[3].trace_state, "k=v");
  EXPECT_TRUE(s[4].parent_span_id.IsZero()) << "a span is not its own parent";
}

TEST(ZipkinV2Json, AcceptsNullsNonStringTagsAndEmptyLists) {
  absl::StatusOr<SpanSet> set = DecodeZipkinV2Json("[]");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->empty());
  set = DecodeZipkinV2Json(R"([{"traceId": "1", "id": "2", "parentId": null, "kind": null,
      "localEndpoint": null, "tags": {"n": 5, "b": true, "d": 0.25, "z": null},
      "kind": "WEIRD", "timestamp": 1.5e6}])");
  ASSERT_TRUE(set.ok()) << set.status();
  const Span& s = set->spans()[0];
  EXPECT_EQ(s.kind, SpanKind::kUnspecified);
  EXPECT_EQ(Attr(s.attributes, "n"), "i:5");
  EXPECT_EQ(Attr(s.attributes, "b"), "b:true");
  EXPECT_EQ(Attr(s.attributes, "d"), "d:0.25");
  EXPECT_EQ(Attr(s.attributes, "z"), "<absent>");
  EXPECT_EQ(s.start_time_unix_nano, 1500000000u);
}

TEST(ZipkinV2Json, AnnotationValueForms) {
  std::string big = "{\\\"k\\\":\\\"" + std::string(20000, 'v') + "\\\"}";
  absl::StatusOr<SpanSet> set = DecodeZipkinV2Json(
      R"([{"traceId": "1", "id": "1", "annotations": [
        {"timestamp": 1, "value": "a|b|c"},
        {"timestamp": 2, "value": "flush|{}|0"},
        {"timestamp": 3, "value": "{\"k\": {\"nested\": 1}}"},
        {"timestamp": 4, "value": "{\"event\": \"e\", \"k\": \"v\"}"},
        {"timestamp": 5, "value": ")" +
      big + R"("}]}])");
  ASSERT_TRUE(set.ok()) << set.status();
  const auto& events = set->spans()[0].events;
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].name, "a|b|c") << "not OpenTelemetry's form: kept as it is";
  EXPECT_EQ(events[1].name, "flush");
  EXPECT_TRUE(events[1].attributes.empty());
  EXPECT_EQ(events[2].name, "{\"k\": {\"nested\": 1}}") << "only flat objects are unpacked";
  EXPECT_EQ(events[3].name, "e");
  EXPECT_EQ(Attr(events[3].attributes, "k"), "s:v");
  EXPECT_EQ(Attr(events[3].attributes, "event"), "<absent>");
  EXPECT_EQ(events[4].name.size(), 20008u) << "large values stay plain names";
  EXPECT_EQ(events[4].time_unix_nano, 5000u);
}

// A v1 span carrying both halves of an RPC (cs/sr/ss/cr), typed binary annotations and address
// annotations, followed by a local span identified by its "lc" binary annotation.
constexpr std::string_view kV1 = R"([
  {"traceId": "000000000000000a", "id": "000000000000000b", "name": "get",
   "timestamp": 1000, "duration": 500,
   "annotations": [
     {"timestamp": 1000, "value": "cs",
      "endpoint": {"serviceName": "web", "ipv4": "10.0.0.1", "port": 8080}},
     {"timestamp": 1100, "value": "sr",
      "endpoint": {"serviceName": "api", "ipv4": "10.0.0.2", "port": 9090}},
     {"timestamp": 1200, "value": "cache miss",
      "endpoint": {"serviceName": "api", "ipv4": "10.0.0.2"}},
     {"timestamp": 1400, "value": "ss",
      "endpoint": {"serviceName": "api", "ipv4": "10.0.0.2", "port": 9090}},
     {"timestamp": 1500, "value": "cr",
      "endpoint": {"serviceName": "web", "ipv4": "10.0.0.1", "port": 8080}}],
   "binaryAnnotations": [
     {"key": "http.url", "value": "/x", "endpoint": {"serviceName": "web"}},
     {"key": "db.rows", "value": 42, "type": "I64", "endpoint": {"serviceName": "api"}},
     {"key": "cached", "value": true, "type": "BOOL", "endpoint": {"serviceName": "api"}},
     {"key": "ratio", "value": "0.5", "type": "DOUBLE"},
     {"key": "blob", "value": "AAEC", "type": "BYTES"},
     {"key": "count", "value": "7", "type": "I32"},
     {"key": "sa", "value": true, "type": "BOOL",
      "endpoint": {"serviceName": "api-lb", "ipv4": "10.0.0.9", "port": 443}},
     {"key": "ca", "value": true, "type": "BOOL",
      "endpoint": {"ipv4": "10.0.0.1", "port": 50000}}]},
  {"traceId": "000000000000000a", "id": "000000000000000c", "parentId": "000000000000000b",
   "name": "compute", "timestamp": 1250, "duration": 10,
   "binaryAnnotations": [{"key": "lc", "value": "worker", "endpoint": {"serviceName": "api"}}]}
])";

TEST(ZipkinV1Json, SplitsClientAndServerAndKeepsTypes) {
  absl::StatusOr<SpanSet> set = DecodeZipkinV1Json(kV1);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 3u);

  const Span* client = FindSpan(*set, SpanKind::kClient);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->service_name(), "web");
  EXPECT_EQ(client->trace_id, (TraceId{0, 10}));
  EXPECT_EQ(client->span_id.value, 11u);
  EXPECT_EQ(client->start_time_unix_nano, 1000000u);
  EXPECT_EQ(client->end_time_unix_nano, 1500000u);
  EXPECT_EQ(Attr(client->attributes, "net.host.ip"), "s:10.0.0.1");
  EXPECT_EQ(Attr(client->attributes, "peer.service"), "s:api-lb");
  EXPECT_EQ(Attr(client->attributes, "net.peer.ip"), "s:10.0.0.9");
  EXPECT_EQ(Attr(client->attributes, "net.peer.port"), "i:443");
  EXPECT_EQ(Attr(client->attributes, "http.url"), "s:/x");
  EXPECT_EQ(Attr(client->attributes, "ratio"), "d:0.5");
  EXPECT_EQ(Attr(client->attributes, "blob"), "x:000102");
  EXPECT_EQ(Attr(client->attributes, "count"), "i:7");
  EXPECT_EQ(Attr(client->attributes, "sa"), "<absent>");
  EXPECT_EQ(Attr(client->attributes, "db.rows"), "<absent>") << "logged by the server";
  EXPECT_TRUE(client->events.empty()) << "core annotations are not events";

  const Span* server = FindSpan(*set, SpanKind::kServer);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->service_name(), "api");
  EXPECT_EQ(server->span_id, client->span_id);
  EXPECT_EQ(server->start_time_unix_nano, 1100000u);
  EXPECT_EQ(server->end_time_unix_nano, 1400000u);
  EXPECT_EQ(Attr(server->attributes, "net.host.ip"), "s:10.0.0.2");
  EXPECT_EQ(Attr(server->attributes, "net.host.port"), "i:9090");
  EXPECT_EQ(Attr(server->attributes, "net.peer.ip"), "s:10.0.0.1");
  EXPECT_EQ(Attr(server->attributes, "net.peer.port"), "i:50000");
  EXPECT_EQ(Attr(server->attributes, "db.rows"), "i:42");
  EXPECT_EQ(Attr(server->attributes, "cached"), "b:true");
  ASSERT_EQ(server->events.size(), 1u);
  EXPECT_EQ(server->events[0].name, "cache miss");
  EXPECT_EQ(server->events[0].time_unix_nano, 1200000u);

  const Span& local = set->spans()[2];
  EXPECT_EQ(local.kind, SpanKind::kUnspecified);
  EXPECT_EQ(local.service_name(), "api");
  EXPECT_EQ(local.parent_span_id.value, 11u);
  EXPECT_EQ(Attr(local.attributes, "lc"), "s:worker");
  EXPECT_EQ(local.start_time_unix_nano, 1250000u);
  EXPECT_EQ(local.end_time_unix_nano, 1260000u);
}

TEST(ZipkinV1Json, TimesFromCoreAnnotationsWhenTheSpanHasNone) {
  absl::StatusOr<SpanSet> set = DecodeZipkinV1Json(R"([
    {"traceId": "1", "id": "2", "name": "x", "annotations": [
      {"timestamp": 2000, "value": "sr", "endpoint": {"serviceName": "s"}},
      {"timestamp": 2600, "value": "ss", "endpoint": {"serviceName": "s"}}]},
    {"traceId": "1", "id": "3", "name": "m", "annotations": [
      {"timestamp": 3000, "value": "ms", "endpoint": {"serviceName": "p"}}],
     "binaryAnnotations": [{"key": "ma", "value": true, "type": "BOOL",
                            "endpoint": {"serviceName": "kafka"}}]}])");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ(set->spans()[0].kind, SpanKind::kServer);
  EXPECT_EQ(set->spans()[0].start_time_unix_nano, 2000000u);
  EXPECT_EQ(set->spans()[0].end_time_unix_nano, 2600000u);
  EXPECT_EQ(set->spans()[1].kind, SpanKind::kProducer);
  EXPECT_EQ(set->spans()[1].service_name(), "p");
  EXPECT_EQ(Attr(set->spans()[1].attributes, "peer.service"), "s:kafka");
}

TEST(ZipkinJson, RejectsMalformedInputWithClearErrors) {
  struct Case {
    bool v1;
    std::string body;
    std::string want;
  };
  const Case cases[] = {
      {false, "", "invalid Zipkin v2 JSON"},
      {false, "[{", "invalid Zipkin v2 JSON"},
      {false, "{}", "must be a JSON array of spans"},
      {false, "[1]", "span[0]: must be an object"},
      {false, R"([{"traceId": 1, "id": "1"}])", "span[0].traceId: must be a string"},
      {false, R"([{"traceId": "xyz", "id": "1"}])", "span[0].traceId: must be 16 or 32 hex"},
      {false, R"([{"traceId": "1", "id": "12345678901234567"}])", "span[0].id"},
      {false, R"([{"traceId": "1"}])", "span[0]: span id is missing or zero"},
      {false, R"([{"traceId": "0", "id": "1"}])", "traceId is missing or zero"},
      {false, R"([{"traceId": "1", "id": "1", "timestamp": -5}])", "must not be negative"},
      {false, R"([{"traceId": "1", "id": "1", "timestamp": 1e300}])", "timestamp"},
      {false, R"([{"traceId": "1", "id": "1", "timestamp": "soon"}])", "timestamp"},
      {false, R"([{"traceId": "1", "id": "1", "tags": {"a": {}}}])",
       "span[0].tags.a: must be a string"},
      {false, R"([{"traceId": "1", "id": "1", "tags": []}])", "span[0].tags: must be an object"},
      {false, R"([{"traceId": "1", "id": "1", "debug": "yes"}])",
       "span[0].debug: must be a boolean"},
      {false, R"([{"traceId": "1", "id": "1", "localEndpoint": {"port": "80"}}])",
       "span[0].localEndpoint.port: must be an integer"},
      {false, R"([{"traceId": "1", "id": "1", "annotations": [{"value": 3}]}])",
       "span[0].annotations[0].value: must be a string"},
      {false, "[{\"traceId\": \"1\", \"id\": \"1\", \"name\": \"\xff\xfe\"}]", "UTF-8"},
      {true,
       R"([{"traceId": "1", "id": "1",
            "binaryAnnotations": [{"key": "k", "value": "v", "type": "UUID"}]}])",
       "span[0].binaryAnnotations[0].value: has unknown type 'UUID'"},
      {true,
       R"([{"traceId": "1", "id": "1",
            "binaryAnnotations": [{"key": "k", "value": "!!", "type": "BYTES"}]}])",
       "must be a base64 string"},
      {true,
       R"([{"traceId": "1", "id": "1",
            "binaryAnnotations": [{"key": "k", "value": "x", "type": "I64"}]}])",
       "must be an integer (type I64)"},
      {true, R"([{"traceId": "1", "id": "1", "binaryAnnotations": [{"key": "k", "value": [1]}]}])",
       "must be a string, number or boolean"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SpanSet> set = c.v1 ? DecodeZipkinV1Json(c.body) : DecodeZipkinV2Json(c.body);
    ASSERT_FALSE(set.ok()) << c.body;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_THAT(std::string(set.status().message()), HasSubstr(c.want)) << c.body;
  }
}

TEST(ZipkinJson, DeepNestingIsRejectedNotOverflowed) {
  std::string deep = "[" + std::string(100000, '[') + std::string(100000, ']') + "]";
  EXPECT_FALSE(DecodeZipkinV2Json(deep).ok());
  EXPECT_FALSE(DecodeZipkinV1Json(deep).ok());
  // Deep nesting inside an annotation value that looks like JSON stays a plain event name.
  std::string value = "{\\\"a\\\":" + std::string(5000, '[') + std::string(5000, ']') + "}";
  absl::StatusOr<SpanSet> set = DecodeZipkinV2Json(
      R"([{"traceId": "1", "id": "1", "annotations": [{"timestamp": 1, "value": ")" + value +
      R"("}]}])");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->spans()[0].events.size(), 1u);
  EXPECT_TRUE(set->spans()[0].events[0].attributes.empty());
}

// Every prefix of a valid body either decodes or fails cleanly.
TEST(ZipkinJson, TruncatedBodiesNeverCrash) {
  for (bool v1 : {false, true}) {
    std::string_view body = v1 ? kV1 : kV2Shared;
    for (size_t n = 0; n < body.size(); ++n) {
      std::string prefix(body.substr(0, n));
      absl::StatusOr<SpanSet> set = v1 ? DecodeZipkinV1Json(prefix) : DecodeZipkinV2Json(prefix);
      EXPECT_FALSE(set.ok()) << n;
    }
  }
}

TEST(ZipkinJson, V1BodySentToV2DecoderIsHandled) {
  // A v1 body on the v2 path decodes (unknown fields ignored) rather than crashing; a v2 body on
  // the v1 path likewise.
  absl::StatusOr<SpanSet> v2 = DecodeZipkinV2Json(kV1);
  ASSERT_TRUE(v2.ok()) << v2.status();
  EXPECT_EQ(v2->size(), 2u);
  absl::StatusOr<SpanSet> v1 = DecodeZipkinV1Json(kV2Shared);
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->size(), 3u);
}

// ---- EncodeZipkinV2Json ------------------------------------------------------------------------

// Builds spans by hand: each call adds one span with its own resource and scope. References
// returned by Add stay valid for up to kMaxSpans spans.
class SpanBuilder {
 public:
  static constexpr size_t kMaxSpans = 16;
  SpanBuilder() { set_.spans().reserve(kMaxSpans); }
  Span& Add(std::vector<KeyValue> resource, Scope scope = {}) {
    EXPECT_LT(set_.size(), kMaxSpans);
    Span s;
    s.resource = MakeResource(set_.arena(), set_.CopyAttributes(resource));
    s.scope = set_.CopyScope(scope);
    set_.spans().push_back(s);
    return set_.spans().back();
  }
  Attributes Copy(std::vector<KeyValue> attributes) { return set_.CopyAttributes(attributes); }
  std::span<const Event> Events(std::vector<Event> events) {
    return set_.arena().CopyArray(std::span<const Event>(events));
  }
  const SpanSet& set() const { return set_; }

 private:
  SpanSet set_;
};

constexpr uint64_t kStart = 1'704'067'200'123'456'789ull;  // sub-µs digits on purpose

// jaeger-compat §1.7: what tracegen sends to the Zipkin endpoint must come back out of the
// receiver's decoder as the same spans, within what Zipkin v2 can carry (µs times, string tags).
TEST(ZipkinV2JsonEncode, RoundTripsThroughTheDecoder) {
  SpanBuilder b;
  Span& client = b.Add({{"service.name", AnyValue::String("frontend")},
                        {"host.name", AnyValue::String("web-1")},
                        {"telemetry.sdk.language", AnyValue::String("go")}},
                       Scope{.name = "io.opentelemetry.http", .version = "1.2.0"});
  client.trace_id = {0x463ac35c9f6413adull, 0x48485a3953bb6124ull};
  client.span_id = {0xa2fb4a1d1a96d312ull};
  client.parent_span_id = {0x0020000000000001ull};
  client.kind = SpanKind::kClient;
  client.name = "GET /api/cart \"v2\" \u2603";
  client.flags = 3;  // sampled | debug
  client.trace_state = "vendor=x";
  client.start_time_unix_nano = kStart;
  client.end_time_unix_nano = kStart + 207'000'999;
  client.attributes = b.Copy({{"http.request.method", AnyValue::String("GET")},
                              {"http.response.status_code", AnyValue::Int(503)},
                              {"retry", AnyValue::Bool(true)},
                              {"ratio", AnyValue::Double(0.25)},
                              {"note", AnyValue::String("line1\nline2\t<tab>")}});
  client.status = {StatusCode::kError, "upstream unavailable"};
  static const KeyValue kExceptionAttrs[] = {
      {"exception.type", AnyValue::String("IOError")},
      {"exception.stacktrace", AnyValue::String("at a()\n\tat \"b\"()")},
      {"attempt", AnyValue::Int(2)}};
  client.events = b.Events({{kStart + 1'000'500, "retry", {}, 0},
                            {kStart + 2'000'000, "exception", kExceptionAttrs, 1}});

  Span& server = b.Add({{"service.name", AnyValue::String("backend")}});
  server.trace_id = {0, 0x48485a3953bb6124ull};  // a 64-bit trace ID
  server.span_id = {1};
  server.kind = SpanKind::kServer;
  server.name = "serve";
  server.flags = 1;
  server.start_time_unix_nano = kStart + 5'000;
  server.end_time_unix_nano = kStart + 9'000'000;
  server.status = {StatusCode::kError, ""};

  Span& producer = b.Add({{"service.name", AnyValue::String("queue")}});
  producer.trace_id = {7, 8};
  producer.span_id = {9};
  producer.parent_span_id = {1};
  producer.kind = SpanKind::kProducer;
  producer.name = "publish";
  producer.flags = 1;
  producer.start_time_unix_nano = kStart;
  producer.end_time_unix_nano = kStart + 1'000;
  producer.status = {StatusCode::kOk, ""};

  Span& consumer = b.Add({{"service.name", AnyValue::String("worker")}});
  const Resource* worker = consumer.resource;
  consumer = producer;
  consumer.resource = worker;
  consumer.span_id = {10};
  consumer.parent_span_id = {9};
  consumer.kind = SpanKind::kConsumer;
  consumer.status = {};

  Span& local = b.Add({{"service.name", AnyValue::String("frontend")}});
  local.trace_id = client.trace_id;
  local.span_id = {11};
  local.parent_span_id = client.span_id;
  local.kind = SpanKind::kInternal;
  local.name = "render";
  local.flags = 1;
  local.start_time_unix_nano = kStart + 10'000;
  local.end_time_unix_nano = kStart + 10'000;  // zero duration: omitted, decoded as zero

  const std::vector<Span>& in = b.set().spans();
  const std::string json = EncodeZipkinV2Json(in);
  absl::StatusOr<SpanSet> out = DecodeZipkinV2Json(json);
  ASSERT_TRUE(out.ok()) << out.status() << "\n" << json;
  ASSERT_EQ(out->size(), in.size()) << json;

  for (size_t i = 0; i < in.size(); ++i) {
    const Span& want = in[i];
    const Span& got = out->spans()[i];
    SCOPED_TRACE(std::string(want.name));
    EXPECT_EQ(got.trace_id, want.trace_id);
    EXPECT_EQ(got.span_id, want.span_id);
    EXPECT_EQ(got.parent_span_id, want.parent_span_id);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.kind, want.kind == SpanKind::kInternal ? SpanKind::kUnspecified : want.kind);
    EXPECT_EQ(got.service_name(), want.service_name());
    EXPECT_EQ(got.start_time_unix_nano, want.start_time_unix_nano / 1000 * 1000);
    EXPECT_EQ(got.end_time_unix_nano, want.end_time_unix_nano / 1000 * 1000);
    EXPECT_EQ(got.flags, 1u | (want.flags & 2u)) << "sampled, plus debug when it was set";
    EXPECT_EQ(got.trace_state, want.trace_state);
    EXPECT_EQ(got.status.code, want.status.code);
    EXPECT_EQ(got.status.message, want.status.message);
    // Every attribute comes back, as a string rendered the way Jaeger renders tags.
    EXPECT_EQ(got.attributes.size(), want.attributes.size());
    for (const KeyValue& kv : want.attributes) {
      EXPECT_EQ(Attr(got.attributes, kv.key), "s:" + ValueToString(kv.value)) << kv.key;
    }
    ASSERT_EQ(got.events.size(), want.events.size());
    for (size_t e = 0; e < want.events.size(); ++e) {
      EXPECT_EQ(got.events[e].name, want.events[e].name);
      EXPECT_EQ(got.events[e].time_unix_nano, want.events[e].time_unix_nano / 1000 * 1000);
      EXPECT_EQ(got.events[e].attributes.size(), want.events[e].attributes.size());
      EXPECT_EQ(got.events[e].dropped_attributes_count, want.events[e].dropped_attributes_count);
    }
  }
  // Resource attributes and the scope travel as tags and return to their places.
  const Span& got_client = out->spans()[0];
  EXPECT_EQ(Attr(got_client.resource->attributes, "host.name"), "s:web-1");
  EXPECT_EQ(Attr(got_client.resource->attributes, "telemetry.sdk.language"), "s:go");
  EXPECT_EQ(got_client.scope->name, "io.opentelemetry.http");
  EXPECT_EQ(got_client.scope->version, "1.2.0");
  // Event attributes keep their JSON types.
  const Event& exception = got_client.events[1];
  EXPECT_EQ(Attr(exception.attributes, "exception.type"), "s:IOError");
  EXPECT_EQ(Attr(exception.attributes, "exception.stacktrace"), "s:at a()\n\tat \"b\"()");
  EXPECT_EQ(Attr(exception.attributes, "attempt"), "i:2");

  // The wire form itself, per the Zipkin v2 field list.
  EXPECT_THAT(json, HasSubstr(R"("traceId":"463ac35c9f6413ad48485a3953bb6124")"));
  EXPECT_THAT(json, HasSubstr(R"("traceId":"48485a3953bb6124","id":"0000000000000001","kind")"))
      << "a 64-bit trace ID as 16 digits; no parentId for a root";
  EXPECT_THAT(json, HasSubstr(R"("timestamp":1704067200123456,"duration":207001)"));
  EXPECT_THAT(json, HasSubstr(R"("localEndpoint":{"serviceName":"frontend"})"));
  EXPECT_THAT(json, HasSubstr(R"("http.response.status_code":"503")"));
  EXPECT_THAT(json, HasSubstr(R"("error":"upstream unavailable")"));
  EXPECT_THAT(json, HasSubstr(R"("error":"true")"));
  EXPECT_THAT(json, HasSubstr(R"("otel.status_code":"OK")"));
  EXPECT_EQ(json.find("\"debug\""), json.rfind("\"debug\"")) << "only the debug span";
  EXPECT_EQ(json.find("INTERNAL"), std::string::npos);
}

TEST(ZipkinV2JsonEncode, EmptyListAndHostileStrings) {
  EXPECT_EQ(EncodeZipkinV2Json({}), "[]");
  ASSERT_TRUE(DecodeZipkinV2Json("[]").ok());

  SpanBuilder b;
  Span& s = b.Add({{"service.name", AnyValue::String("svc\"\\")}});
  s.trace_id = {0, 1};
  s.span_id = {2};
  s.name = "bad\xff\xfe utf8 \x01 \"q\"";
  s.attributes = b.Copy(
      {{"k\"ey", AnyValue::Bytes(std::string_view("\x00\xff", 2))}, {"list", AnyValue::Array({})}});
  static const KeyValue kOdd[] = {
      {"nan", AnyValue::Double(std::numeric_limits<double>::quiet_NaN())}};
  s.events = b.Events({{kStart, "a|b", kOdd, 0}, {kStart, "odd", kOdd, 0}});
  const std::string json = EncodeZipkinV2Json(b.set().spans());
  absl::StatusOr<SpanSet> out = DecodeZipkinV2Json(json);
  ASSERT_TRUE(out.ok()) << out.status() << "\n" << json;
  ASSERT_EQ(out->size(), 1u);
  const Span& got = out->spans()[0];
  EXPECT_EQ(got.service_name(), "svc\"\\");
  EXPECT_EQ(got.name, "bad\ufffd\ufffd utf8 \x01 \"q\"") << "ill-formed UTF-8 replaced, rest kept";
  EXPECT_EQ(Attr(got.attributes, "k\"ey"), "s:00ff") << "bytes as Jaeger's hex rendering";
  EXPECT_EQ(Attr(got.attributes, "list"), "s:[]");
  ASSERT_EQ(got.events.size(), 2u);
  EXPECT_EQ(got.events[0].name, "a|b") << "a '|' in the name: the attributes are left out";
  EXPECT_EQ(got.events[1].name, "odd");
  EXPECT_EQ(Attr(got.events[1].attributes, "nan"), "s:NaN");
}

// A key written from the span's own fields is not written again from its attributes, and a span
// attribute replaces a resource attribute of the same key: the tags object has unique keys.
TEST(ZipkinV2JsonEncode, TagKeysAreUnique) {
  SpanBuilder b;
  Span& s = b.Add(
      {{"service.name", AnyValue::String("svc")}, {"host.name", AnyValue::String("from-resource")}},
      Scope{.name = "lib"});
  s.trace_id = {0, 1};
  s.span_id = {2};
  s.attributes = b.Copy({{"host.name", AnyValue::String("from-span")},
                         {"error", AnyValue::Bool(true)},
                         {"otel.scope.name", AnyValue::String("other")}});
  s.status = {StatusCode::kError, "boom"};
  const std::string json = EncodeZipkinV2Json(b.set().spans());
  for (const char* key : {"\"host.name\"", "\"error\"", "\"otel.scope.name\""}) {
    EXPECT_EQ(json.find(key), json.rfind(key)) << key << " in " << json;
  }
  absl::StatusOr<SpanSet> out = DecodeZipkinV2Json(json);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(Attr(out->spans()[0].resource->attributes, "host.name"), "s:from-span");
  EXPECT_EQ(out->spans()[0].scope->name, "lib");
  EXPECT_EQ(out->spans()[0].status.message, "boom");
}

}  // namespace
}  // namespace skua::model::convert
