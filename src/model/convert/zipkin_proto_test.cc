// Zipkin v2 protobuf decoding (jaeger-compat §1.7), checked against payloads built with
// libprotobuf from proto/zipkin/zipkin.proto and against the equivalent v2 JSON; and the encoder,
// checked against libprotobuf's parser and against the JSON encoder.
#include "model/convert/zipkin_proto.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/convert/otlp_test_util.h"
#include "model/convert/zipkin_json.h"
#include "model/convert/zipkin_test_util.h"
#include "tracegen/workload.h"
#include "zipkin/zipkin.pb.h"

namespace skua::model::convert {
namespace {

using ::skua::model::convert::testing::Attr;
using ::skua::model::convert::testing::FindSpan;
using ::testing::HasSubstr;

std::string BigEndian(uint64_t v, int bytes = 8) {
  std::string out(bytes, '\0');
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

// The same client/server pair as the JSON test's fixture below.
zipkin::proto3::ListOfSpans SharedPair() {
  zipkin::proto3::ListOfSpans list;
  zipkin::proto3::Span* c = list.add_spans();
  c->set_trace_id(BigEndian(0x463ac35c9f6413adull) + BigEndian(0x48485a3953bb6124ull));
  c->set_id(BigEndian(0xa2fb4a1d1a96d312ull));
  c->set_parent_id(BigEndian(0x0020000000000001ull));
  c->set_kind(zipkin::proto3::Span::CLIENT);
  c->set_name("get /api");
  c->set_timestamp(1472470996199000ull);
  c->set_duration(207000);
  c->set_debug(true);
  c->mutable_local_endpoint()->set_service_name("frontend");
  c->mutable_local_endpoint()->set_ipv4(std::string("\xc0\xa8\x63\x01", 4));
  c->mutable_local_endpoint()->set_port(3306);
  c->mutable_remote_endpoint()->set_service_name("backend");
  c->mutable_remote_endpoint()->set_ipv4(std::string("\xac\x13\x00\x02", 4));
  c->mutable_remote_endpoint()->set_port(9000);
  zipkin::proto3::Annotation* a = c->add_annotations();
  a->set_timestamp(1472470996238000ull);
  a->set_value("ws");
  (*c->mutable_tags())["http.path"] = "/api";

  zipkin::proto3::Span* s = list.add_spans();
  s->set_trace_id(c->trace_id());
  s->set_id(c->id());
  s->set_parent_id(c->parent_id());
  s->set_kind(zipkin::proto3::Span::SERVER);
  s->set_name("get /api");
  s->set_shared(true);
  s->set_timestamp(1472470996250000ull);
  s->set_duration(100000);
  s->mutable_local_endpoint()->set_service_name("backend");
  std::string v6(16, '\0');
  v6[0] = '\x20';
  v6[1] = '\x01';
  v6[2] = '\x0d';
  v6[3] = '\xb8';
  v6[14] = '\xc0';
  v6[15] = '\x01';
  s->mutable_local_endpoint()->set_ipv6(v6);
  (*s->mutable_tags())["error"] = "connection reset";
  return list;
}

constexpr std::string_view kSharedPairJson = R"([
  {"traceId": "463ac35c9f6413ad48485a3953bb6124", "id": "a2fb4a1d1a96d312",
   "parentId": "0020000000000001", "kind": "CLIENT", "name": "get /api",
   "timestamp": 1472470996199000, "duration": 207000, "debug": true,
   "localEndpoint": {"serviceName": "frontend", "ipv4": "192.168.99.1", "port": 3306},
   "remoteEndpoint": {"serviceName": "backend", "ipv4": "172.19.0.2", "port": 9000},
   "annotations": [{"timestamp": 1472470996238000, "value": "ws"}],
   "tags": {"http.path": "/api"}},
  {"traceId": "463ac35c9f6413ad48485a3953bb6124", "id": "a2fb4a1d1a96d312",
   "parentId": "0020000000000001", "kind": "SERVER", "name": "get /api", "shared": true,
   "timestamp": 1472470996250000, "duration": 100000,
   "localEndpoint": {"serviceName": "backend", "ipv6": "2001:db8::c001"},
   "tags": {"error": "connection reset"}}])";

TEST(ZipkinProto, DecodesLibprotobufPayload) {
  std::string bytes = SharedPair().SerializeAsString();
  absl::StatusOr<SpanSet> set = DecodeZipkinProto(bytes);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  const Span* client = FindSpan(*set, SpanKind::kClient);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->trace_id, (TraceId{0x463ac35c9f6413adull, 0x48485a3953bb6124ull}));
  EXPECT_EQ(client->span_id.value, 0xa2fb4a1d1a96d312ull);
  EXPECT_EQ(client->parent_span_id.value, 0x0020000000000001ull);
  EXPECT_EQ(client->start_time_unix_nano, 1472470996199000000ull);
  EXPECT_EQ(client->service_name(), "frontend");
  EXPECT_EQ(client->flags, 3u);
  EXPECT_EQ(Attr(client->attributes, "net.host.ip"), "s:192.168.99.1");
  EXPECT_EQ(Attr(client->attributes, "peer.service"), "s:backend");
  EXPECT_EQ(Attr(client->attributes, "net.peer.port"), "i:9000");
  ASSERT_EQ(client->events.size(), 1u);
  EXPECT_EQ(client->events[0].name, "ws");
  const Span* server = FindSpan(*set, SpanKind::kServer);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->span_id, client->span_id);
  EXPECT_EQ(server->service_name(), "backend");
  EXPECT_EQ(Attr(server->attributes, "net.host.ip"), "s:2001:db8::c001");
  EXPECT_EQ(server->status.code, StatusCode::kError);
  EXPECT_EQ(server->status.message, "connection reset");
}

TEST(ZipkinProto, MatchesTheEquivalentJson) {
  absl::StatusOr<SpanSet> from_proto = DecodeZipkinProto(SharedPair().SerializeAsString());
  absl::StatusOr<SpanSet> from_json = DecodeZipkinV2Json(kSharedPairJson);
  ASSERT_TRUE(from_proto.ok()) << from_proto.status();
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  std::string why;
  EXPECT_TRUE(testing::SpansEquivalent(from_proto->spans(), from_json->spans(), &why)) << why;
}

TEST(ZipkinProto, DebugOptionAnd64BitTraceIds) {
  zipkin::proto3::ListOfSpans list;
  zipkin::proto3::Span* s = list.add_spans();
  s->set_trace_id(BigEndian(42));
  s->set_id(BigEndian(7));
  absl::StatusOr<SpanSet> set = DecodeZipkinProto(list.SerializeAsString(), {.debug = true});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->spans()[0].trace_id, (TraceId{0, 42}));
  EXPECT_EQ(set->spans()[0].flags, 3u) << "X-B3-Flags: 1 marks spans debug";
  EXPECT_TRUE(set->spans()[0].parent_span_id.IsZero());
}

TEST(ZipkinProto, SkipsUnknownFieldsAndMergesDuplicateTagKeys) {
  zipkin::proto3::ListOfSpans list;
  zipkin::proto3::Span* s = list.add_spans();
  s->set_trace_id(BigEndian(1));
  s->set_id(BigEndian(2));
  std::string bytes = list.SerializeAsString();
  // Append to the span: an unknown varint (field 99), an unknown fixed32 (field 98) and two map
  // entries with the same key; then an unknown top-level LEN field.
  std::string extra;
  extra += "\x98\x06\x01";              // field 99, varint 1
  extra += "\x95\x06\x01\x02\x03\x04";  // field 98, fixed32
  extra += std::string("\x5a\x08\x0a\x01k\x12\x03old", 10);
  extra += std::string("\x5a\x08\x0a\x01k\x12\x03new", 10);
  std::string span_bytes = list.spans(0).SerializeAsString() + extra;
  std::string body;
  body += '\x0a';
  body += static_cast<char>(span_bytes.size());
  body += span_bytes;
  body += std::string("\xa2\x06\x02hi", 5);  // field 100, LEN "hi"
  absl::StatusOr<SpanSet> set = DecodeZipkinProto(body);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ(set->spans()[0].attributes.size(), 1u);
  EXPECT_EQ(Attr(set->spans()[0].attributes, "k"), "s:new");
}

TEST(ZipkinProto, RejectsMalformedInput) {
  struct Case {
    std::string bytes;
    std::string want;
  };
  const std::string ok_ids = std::string("\x0a\x08", 2) + BigEndian(1) + "\x1a\x08" + BigEndian(2);
  auto span = [](const std::string& inner) {
    return std::string("\x0a", 1) + static_cast<char>(inner.size()) + inner;
  };
  const Case cases[] = {
      {"\x0a", "truncated or overlong length varint"},
      {"\x0a\x05\x01", "length exceeds"},
      {std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11), "length exceeds"},
      {std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),
       "truncated or overlong length varint"},
      {std::string("\x00", 1), "invalid field tag"},
      {"\x0b", "groups (wire types 3 and 4) are not supported"},
      {span(std::string("\x0a\x07", 2) + std::string(7, '\x01') + "\x1a\x08" + BigEndian(2)),
       "span[0]: trace_id must be 8 or 16 bytes"},
      {span(std::string("\x0a\x08", 2) + BigEndian(1) + "\x1a\x04" + "abcd"), "id must be 8 bytes"},
      {span(ok_ids + "\x12\x03" + "abc"), "parent_id must be 8 bytes"},
      {span(std::string("\x0a\x08", 2) + BigEndian(1)), "span id is missing or zero"},
      {span(std::string("\x1a\x08", 2) + BigEndian(2)), "traceId is missing or zero"},
      {span(ok_ids + "\x31" + "1234"), "truncated fixed64"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SpanSet> set = DecodeZipkinProto(c.bytes);
    ASSERT_FALSE(set.ok()) << c.want;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(set.status().message()), HasSubstr(c.want));
  }
}

TEST(ZipkinProto, TruncatedBodiesNeverCrash) {
  std::string bytes = SharedPair().SerializeAsString();
  for (size_t n = 1; n < bytes.size(); ++n) {
    // A prefix may end exactly between spans and then decodes; it must never crash.
    absl::StatusOr<SpanSet> set = DecodeZipkinProto(std::string_view(bytes).substr(0, n));
    if (set.ok()) {
      EXPECT_LT(set->size(), 2u) << n;
    }
  }
}

TEST(ZipkinProto, InvalidUtf8IsCarriedForTheSanitizer) {
  // libprotobuf would refuse to parse a proto3 string with invalid UTF-8; skua keeps the bytes and
  // leaves the repair to the always-on sanitizers (jaeger-compat §1.8), so the span is not lost.
  zipkin::proto3::ListOfSpans list;
  zipkin::proto3::Span* s = list.add_spans();
  s->set_trace_id(BigEndian(1));
  s->set_id(BigEndian(2));
  s->set_name("badX");
  std::string bytes = list.SerializeAsString();
  size_t x = bytes.find("badX");
  ASSERT_NE(x, std::string::npos);
  bytes[x + 3] = '\xff';
  absl::StatusOr<SpanSet> set = DecodeZipkinProto(bytes);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->spans()[0].name, std::string("bad\xff", 4));
}

// ---- EncodeZipkinProto --------------------------------------------------------------------------

// Decodes `spans` encoded as Zipkin protobuf and as Zipkin JSON, and expects the same spans. The
// JSON path is the reference: both encoders make the same choices, and both decoders translate the
// same way, so any difference is the protobuf encoder's.
void ExpectProtoRoundTripEqualsJson(std::span<const Span> spans) {
  absl::StatusOr<SpanSet> from_proto = DecodeZipkinProto(EncodeZipkinProto(spans));
  absl::StatusOr<SpanSet> from_json = DecodeZipkinV2Json(EncodeZipkinV2Json(spans));
  ASSERT_TRUE(from_proto.ok()) << from_proto.status();
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  ASSERT_EQ(from_proto->size(), spans.size());
  std::string why;
  EXPECT_TRUE(testing::SpansEquivalent(from_proto->spans(), from_json->spans(), &why)) << why;
}

// Adds spans with their own resource and scope; references stay valid for up to 16 spans.
class SpanBuilder {
 public:
  SpanBuilder() { set_.spans().reserve(16); }
  Span& Add(std::vector<KeyValue> resource, Scope scope = {}) {
    EXPECT_LT(set_.size(), 16u);
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

// Spans that use every part of the mapping: 128- and 64-bit trace IDs, each kind, status OK /
// ERROR with and without a message, trace state, scope, resource attributes, attributes of every
// type, a span attribute over a resource attribute of the same key, events with and without
// attributes, the debug flag, zero and sub-µs durations.
SpanBuilder EveryFeature() {
  SpanBuilder b;
  Span& client = b.Add({{"service.name", AnyValue::String("frontend")},
                        {"host.name", AnyValue::String("web-1")},
                        {"region", AnyValue::String("eu")}},
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
  static const AnyValue kList[] = {AnyValue::Int(1), AnyValue::String("two")};
  client.attributes = b.Copy({{"http.request.method", AnyValue::String("GET")},
                              {"http.response.status_code", AnyValue::Int(503)},
                              {"retry", AnyValue::Bool(true)},
                              {"ratio", AnyValue::Double(0.25)},
                              {"blob", AnyValue::Bytes(std::string_view("\x00\xff", 2))},
                              {"list", AnyValue::Array(kList)},
                              {"region", AnyValue::String("us")},
                              {"note", AnyValue::String("line1\nline2\t<tab>")}});
  client.status = {StatusCode::kError, "upstream unavailable"};
  static const KeyValue kExceptionAttrs[] = {
      {"exception.type", AnyValue::String("IOError")},
      {"exception.stacktrace", AnyValue::String("at a()\n\tat \"b\"()")},
      {"attempt", AnyValue::Int(2)},
      {"list", AnyValue::Array(kList)}};
  client.events = b.Events({{kStart + 1'000'500, "retry", {}, 0},
                            {kStart + 2'000'000, "exception", kExceptionAttrs, 1},
                            {kStart + 3'000'000, "a|b", kExceptionAttrs, 0}});

  Span& server = b.Add({{"service.name", AnyValue::String("backend")}});
  server.trace_id = {0, 0x48485a3953bb6124ull};  // a 64-bit trace ID
  server.span_id = {1};
  server.kind = SpanKind::kServer;
  server.name = "serve";
  server.flags = 1;
  server.start_time_unix_nano = kStart + 5'000;
  server.end_time_unix_nano = kStart + 9'000'000;
  server.status = {StatusCode::kError, ""};

  Span& producer = b.Add({{"service.name", AnyValue::String("queue")}}, Scope{.name = "lib"});
  producer.trace_id = {7, 8};
  producer.span_id = {9};
  producer.parent_span_id = {1};
  producer.kind = SpanKind::kProducer;
  producer.name = "publish";
  producer.flags = 1;
  producer.start_time_unix_nano = kStart;
  producer.end_time_unix_nano = kStart + 100;  // within the same µs: no duration
  producer.status = {StatusCode::kOk, ""};

  Span& consumer = b.Add({{"service.name", AnyValue::String("worker")}});
  consumer.trace_id = {7, 8};
  consumer.span_id = {10};
  consumer.parent_span_id = {9};
  consumer.kind = SpanKind::kConsumer;
  consumer.start_time_unix_nano = kStart + 2'000;
  consumer.end_time_unix_nano = kStart + 3'000;

  Span& local = b.Add({});  // no service name, no name, no times
  local.trace_id = {0, 5};
  local.span_id = {11};
  local.kind = SpanKind::kInternal;
  return b;
}

TEST(ZipkinProtoEncode, RoundTripEqualsTheJsonRoundTrip) {
  SpanBuilder b = EveryFeature();
  ExpectProtoRoundTripEqualsJson(b.set().spans());
  // One span at a time too: nothing depends on the neighbours.
  for (const Span& s : b.set().spans()) ExpectProtoRoundTripEqualsJson(std::span(&s, 1));
}

TEST(ZipkinProtoEncode, RoundTripEqualsTheJsonRoundTripOnW1) {
  tracegen::W1Generator generator({.seed = 7, .repeat_ids = true});
  size_t spans = 0;
  while (spans < 3000) {
    SpanSet request = generator.NextRequest();
    spans += request.size();
    ExpectProtoRoundTripEqualsJson(request.spans());
    if (HasFatalFailure()) return;
  }
}

TEST(ZipkinProtoEncode, LibprotobufReadsTheFieldsOfZipkinProto3) {
  SpanBuilder b = EveryFeature();
  zipkin::proto3::ListOfSpans list;
  ASSERT_TRUE(list.ParseFromString(EncodeZipkinProto(b.set().spans())));
  ASSERT_EQ(list.spans_size(), 5);

  const zipkin::proto3::Span& client = list.spans(0);
  EXPECT_EQ(client.trace_id(), BigEndian(0x463ac35c9f6413adull) + BigEndian(0x48485a3953bb6124ull));
  EXPECT_EQ(client.id(), BigEndian(0xa2fb4a1d1a96d312ull));
  EXPECT_EQ(client.parent_id(), BigEndian(0x0020000000000001ull));
  EXPECT_EQ(client.kind(), zipkin::proto3::Span::CLIENT);
  EXPECT_EQ(client.name(), "GET /api/cart \"v2\" \u2603");
  EXPECT_EQ(client.timestamp(), 1'704'067'200'123'456ull);  // µs, truncated
  EXPECT_EQ(client.duration(), 207'001u);                   // end µs − start µs
  EXPECT_TRUE(client.debug());
  EXPECT_FALSE(client.shared());
  EXPECT_EQ(client.local_endpoint().service_name(), "frontend");
  EXPECT_FALSE(client.has_remote_endpoint());
  ASSERT_EQ(client.annotations_size(), 3);
  EXPECT_EQ(client.annotations(0).timestamp(), (kStart + 1'000'500) / 1000);
  EXPECT_EQ(client.annotations(0).value(), "retry");
  EXPECT_EQ(client.annotations(1).value(),
            "exception|{\"exception.type\":\"IOError\",\"exception.stacktrace\":"
            "\"at a()\\n\\tat \\\"b\\\"()\",\"attempt\":2,\"list\":\"[1,\\\"two\\\"]\"}|1");
  EXPECT_EQ(client.annotations(2).value(), "a|b");
  const auto& tags = client.tags();
  EXPECT_EQ(tags.at("host.name"), "web-1");
  EXPECT_EQ(tags.at("region"), "us") << "the span attribute wins over the resource's";
  EXPECT_EQ(tags.count("service.name"), 0u) << "it is the local endpoint";
  EXPECT_EQ(tags.at("otel.scope.name"), "io.opentelemetry.http");
  EXPECT_EQ(tags.at("otel.scope.version"), "1.2.0");
  EXPECT_EQ(tags.at("http.response.status_code"), "503");
  EXPECT_EQ(tags.at("retry"), "true");
  EXPECT_EQ(tags.at("ratio"), "0.25");
  EXPECT_EQ(tags.at("blob"), "00ff");
  EXPECT_EQ(tags.at("w3c.tracestate"), "vendor=x");
  EXPECT_EQ(tags.at("error"), "upstream unavailable");
  EXPECT_EQ(tags.count("otel.status_code"), 0u);

  const zipkin::proto3::Span& server = list.spans(1);
  EXPECT_EQ(server.trace_id(), BigEndian(0x48485a3953bb6124ull)) << "64-bit: 8 bytes";
  EXPECT_TRUE(server.parent_id().empty());
  EXPECT_EQ(server.kind(), zipkin::proto3::Span::SERVER);
  EXPECT_FALSE(server.debug());
  EXPECT_EQ(server.tags().at("error"), "true");

  EXPECT_EQ(list.spans(2).kind(), zipkin::proto3::Span::PRODUCER);
  EXPECT_EQ(list.spans(2).duration(), 0u);
  EXPECT_EQ(list.spans(2).tags().at("otel.status_code"), "OK");
  EXPECT_EQ(list.spans(3).kind(), zipkin::proto3::Span::CONSUMER);
  EXPECT_EQ(list.spans(3).duration(), 1u);
  const zipkin::proto3::Span& local = list.spans(4);
  EXPECT_EQ(local.kind(), zipkin::proto3::Span::SPAN_KIND_UNSPECIFIED) << "no INTERNAL in Zipkin";
  EXPECT_EQ(local.timestamp(), 0u);
  EXPECT_FALSE(local.has_local_endpoint());
  EXPECT_TRUE(local.tags().empty());
}

TEST(ZipkinProtoEncode, EmptyListAndRawBytes) {
  EXPECT_EQ(EncodeZipkinProto({}), "");
  absl::StatusOr<SpanSet> none = DecodeZipkinProto("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->size(), 0u);

  // Protobuf strings carry any bytes; the sanitizers repair them later (unlike JSON, which
  // replaces ill-formed UTF-8 while encoding).
  SpanBuilder b;
  Span& s = b.Add({{"service.name", AnyValue::String("svc\xff")}});
  s.trace_id = {0, 1};
  s.span_id = {2};
  s.name = "bad\xff\xfe";
  s.attributes = b.Copy({{"k\x80", AnyValue::String(std::string_view("\x00v", 2))}});
  static const KeyValue kNan[] = {
      {"nan", AnyValue::Double(std::numeric_limits<double>::quiet_NaN())}};
  s.events = b.Events({{kStart, "odd", kNan, 0}});
  absl::StatusOr<SpanSet> out = DecodeZipkinProto(EncodeZipkinProto(b.set().spans()));
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 1u);
  const Span& got = out->spans()[0];
  EXPECT_EQ(got.service_name(), "svc\xff");
  EXPECT_EQ(got.name, "bad\xff\xfe");
  EXPECT_EQ(Attr(got.attributes, "k\x80"), std::string("s:\0v", 4));
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].name, "odd");
  EXPECT_EQ(Attr(got.events[0].attributes, "nan"), "s:NaN");
}

}  // namespace
}  // namespace skua::model::convert
