// Tests for the OTLP/JSON codec (jaeger-compat §1.3 "OTLP/JSON rules"; clients.md §3, the wire
// quirks of the OpenTelemetry JS SDK).

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/convert/otlp.h"
#include "model/convert/otlp_test_requests.h"
#include "model/convert/otlp_test_util.h"
#include "simdjson.h"

namespace skua::model::convert {
namespace {

using ::testing::HasSubstr;
using testing::SpansEquivalent;

std::string ReadFixture(const std::string& relative) {
  std::filesystem::path root;
  if (const char* dir = std::getenv("SKUA_SOURCE_DIR")) {
    root = dir;
  } else {
    root = std::filesystem::path(__FILE__).parent_path() / "../../..";
  }
  std::ifstream in(root / relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << (root / relative);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ExpectInvalid(std::string_view json, const std::string& fragment) {
  auto result = DecodeOtlpJson(json);
  ASSERT_FALSE(result.ok()) << "accepted: " << json;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(fragment)) << json;
}

// Wraps span JSON objects into a full request.
std::string Request(const std::string& spans, const std::string& resource_attrs = "[]") {
  return R"({"resourceSpans":[{"resource":{"attributes":)" + resource_attrs +
         R"(},"scopeSpans":[{"scope":{"name":"lib"},"spans":[)" + spans + "]}]}]}";
}

constexpr char kIds[] =
    R"("traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"a1a2a3a4a5a6a7a8")";

std::string SpanWithAttribute(const std::string& value_json) {
  return Request(std::string("{") + kIds + R"(,"attributes":[{"key":"k","value":)" + value_json +
                 "}]}");
}

// Decodes a one-span request whose only attribute is `value_json` and returns that value.
AnyValue DecodeValue(SpanSet& holder, const std::string& value_json) {
  auto set = DecodeOtlpJson(SpanWithAttribute(value_json));
  EXPECT_TRUE(set.ok()) << value_json << ": " << set.status();
  if (!set.ok() || set->empty() || set->spans()[0].attributes.empty()) return AnyValue();
  holder = std::move(*set);
  return holder.spans()[0].attributes[0].value;
}

// clients.md §3: the body the OpenTelemetry JS exporter sends: hex IDs, times as decimal strings,
// intValue as a JSON number, kind as a number, and a `flags` field.
TEST(OtlpJsonDecode, DecodesTheJsExporterBody) {
  std::string body = ReadFixture("tests/fixtures/corpus/otlp_json/js_exporter.json");
  auto set = DecodeOtlpJson(body);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 2u);
  const Span& server = set->spans()[0];
  EXPECT_EQ(server.trace_id.ToHex(), "5b8efff798038103d269b633813fc60c");
  EXPECT_EQ(server.span_id.ToHex(), "eee19b7ec3c1b174");
  EXPECT_TRUE(server.parent_span_id.IsZero());
  EXPECT_EQ(server.name, "GET /api/cart/:id");
  EXPECT_EQ(server.kind, SpanKind::kServer);
  EXPECT_EQ(server.flags, 257u);
  EXPECT_EQ(server.start_time_unix_nano, 1718900000123456789ULL);
  EXPECT_EQ(server.end_time_unix_nano, 1718900000173456789ULL);
  EXPECT_EQ(server.service_name(), "frontend");
  EXPECT_EQ(server.scope->name, "@opentelemetry/instrumentation-http");
  EXPECT_EQ(server.scope->version, "0.52.1");
  ASSERT_EQ(server.attributes.size(), 8u);
  const AnyValue* status = FindAttribute(server.attributes, "http.status_code");
  ASSERT_NE(status, nullptr);
  ASSERT_EQ(status->type(), ValueType::kInt);
  EXPECT_EQ(status->int_value(), 200);
  const AnyValue* length = FindAttribute(server.attributes, "http.response_content_length");
  ASSERT_NE(length, nullptr);
  EXPECT_EQ(length->double_value(), 1534.5);
  const AnyValue* pid = FindAttribute(server.resource->attributes, "process.pid");
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(pid->int_value(), 48213);
  const AnyValue* args = FindAttribute(server.resource->attributes, "process.command_args");
  ASSERT_NE(args, nullptr);
  ASSERT_EQ(args->array_value().size(), 2u);
  EXPECT_EQ(args->array_value()[1].string_value(), "/srv/app/server.js");

  const Span& client = set->spans()[1];
  EXPECT_EQ(client.parent_span_id, server.span_id);
  EXPECT_EQ(client.kind, SpanKind::kClient);
  EXPECT_EQ(client.resource, server.resource);
  EXPECT_NE(client.scope, server.scope);
  EXPECT_EQ(client.status.code, StatusCode::kError);
  EXPECT_EQ(client.status.message, "connection reset");
  ASSERT_EQ(client.events.size(), 1u);
  EXPECT_EQ(client.events[0].name, "exception");
  EXPECT_EQ(client.events[0].time_unix_nano, 1718900000150000000ULL);
  EXPECT_THAT(
      std::string(
          FindAttribute(client.events[0].attributes, "exception.stacktrace")->string_value()),
      HasSubstr("\n    at Socket.emit"));
  ASSERT_EQ(client.links.size(), 1u);
  EXPECT_EQ(client.links[0].trace_id.ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(client.links[0].span_id.ToHex(), "00f067aa0ba902b7");
  EXPECT_EQ(client.links[0].flags, 769u);
  EXPECT_EQ(FindAttribute(client.attributes, "db.retry")->bool_value(), false);
}

// §1.3: "64-bit ints and *UnixNano timestamps are JSON strings (accept numbers too)".
TEST(OtlpJsonDecode, AcceptsIntegersAsStringsOrNumbers) {
  SpanSet holder;
  EXPECT_EQ(DecodeValue(holder, R"({"intValue":"-9223372036854775808"})").int_value(), INT64_MIN);
  EXPECT_EQ(DecodeValue(holder, R"({"intValue":9223372036854775807})").int_value(), INT64_MAX);
  EXPECT_EQ(DecodeValue(holder, R"({"intValue":-42})").int_value(), -42);
  EXPECT_EQ(DecodeValue(holder, R"({"intValue":"42"})").int_value(), 42);
  EXPECT_EQ(DecodeValue(holder, R"({"intValue":1e3})").int_value(), 1000);

  for (const char* times : {R"("startTimeUnixNano":"18446744073709551615","endTimeUnixNano":5)",
                            R"("startTimeUnixNano":18446744073709551615,"endTimeUnixNano":"5")"}) {
    auto set = DecodeOtlpJson(Request(std::string("{") + kIds + "," + times + "}"));
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(set->spans()[0].start_time_unix_nano, UINT64_MAX);
    EXPECT_EQ(set->spans()[0].end_time_unix_nano, 5u);
  }
}

TEST(OtlpJsonDecode, DecodesEveryValueType) {
  SpanSet holder;
  AnyValue v = DecodeValue(holder, R"({"stringValue":"a\"b\u00e9\n"})");
  EXPECT_EQ(v.string_value(), "a\"b\xc3\xa9\n");
  EXPECT_EQ(DecodeValue(holder, R"({"boolValue":true})").bool_value(), true);
  EXPECT_EQ(DecodeValue(holder, R"({"doubleValue":2.5})").double_value(), 2.5);
  EXPECT_EQ(DecodeValue(holder, R"({"doubleValue":3})").double_value(), 3.0);
  EXPECT_EQ(DecodeValue(holder, R"({"doubleValue":"-1.25"})").double_value(), -1.25);
  EXPECT_TRUE(std::isnan(DecodeValue(holder, R"({"doubleValue":"NaN"})").double_value()));
  EXPECT_EQ(DecodeValue(holder, R"({"doubleValue":"-Infinity"})").double_value(),
            -std::numeric_limits<double>::infinity());
  // bytesValue is base64 (the protobuf JSON mapping); padding and the URL-safe alphabet are
  // optional.
  EXPECT_EQ(DecodeValue(holder, R"({"bytesValue":"AAH+/w=="})").string_value(),
            std::string("\x00\x01\xfe\xff", 4));
  EXPECT_EQ(DecodeValue(holder, R"({"bytesValue":"AAH-_w"})").string_value(),
            std::string("\x00\x01\xfe\xff", 4));
  EXPECT_EQ(DecodeValue(holder, R"({"bytesValue":""})").string_value(), "");
  EXPECT_EQ(DecodeValue(holder, R"({"bytesValue":""})").type(), ValueType::kBytes);
  EXPECT_EQ(DecodeValue(holder, R"({})").type(), ValueType::kEmpty);
  EXPECT_EQ(DecodeValue(holder, R"({"stringValue":null})").type(), ValueType::kEmpty);

  v = DecodeValue(holder,
                  R"({"arrayValue":{"values":[{"intValue":"1"},{"arrayValue":{"values":[]}},)"
                  R"({"kvlistValue":{"values":[{"key":"x","value":{"boolValue":false}}]}},{}]}})");
  ASSERT_EQ(v.type(), ValueType::kArray);
  ASSERT_EQ(v.array_value().size(), 4u);
  EXPECT_EQ(v.array_value()[0].int_value(), 1);
  EXPECT_EQ(v.array_value()[1].type(), ValueType::kArray);
  EXPECT_TRUE(v.array_value()[1].array_value().empty());
  ASSERT_EQ(v.array_value()[2].kvlist_value().size(), 1u);
  EXPECT_EQ(v.array_value()[2].kvlist_value()[0].key, "x");
  EXPECT_EQ(v.array_value()[3].type(), ValueType::kEmpty);
  EXPECT_EQ(DecodeValue(holder, R"({"kvlistValue":{}})").type(), ValueType::kKvList);
}

// §1.3: enums are integers; the protobuf JSON mapping's names are accepted too.
TEST(OtlpJsonDecode, AcceptsEnumsAsNumbersOrNames) {
  auto set = DecodeOtlpJson(Request(
      std::string("{") + kIds +
      R"(,"kind":"SPAN_KIND_PRODUCER","status":{"code":"STATUS_CODE_OK"}},)" +
      R"({"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000002","kind":5,)"
      R"("status":{"code":2}},)"
      R"({"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000003","kind":17})"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->spans()[0].kind, SpanKind::kProducer);
  EXPECT_EQ(set->spans()[0].status.code, StatusCode::kOk);
  EXPECT_EQ(set->spans()[1].kind, SpanKind::kConsumer);
  EXPECT_EQ(set->spans()[1].status.code, StatusCode::kError);
  EXPECT_EQ(set->spans()[2].kind, SpanKind::kUnspecified);
}

// clients.md §3: "Unknown fields must be ignored, never a 400", at every level and of any JSON
// type; null means absent.
TEST(OtlpJsonDecode, IgnoresUnknownFieldsAndNulls) {
  std::string json = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",
      "value":{"stringValue":"svc"},"extra":1}],"entityRefs":[{"type":"x"}],
      "droppedAttributesCount":null},
    "scopeSpans":[{"scope":{"name":"lib","futureField":{"a":[1,2,{"b":null}]}},
      "spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"a1a2a3a4a5a6a7a8",
        "flags":1,"newThing":"x","parentSpanId":null,"traceState":null,
        "events":[{"name":"e","unknown":true}],"links":[{"traceId":"","spanId":"","x":[]}],
        "status":{"code":1,"deprecatedCode":3},
        "attributes":[{"key":"k","value":{"intValue":"7","someNewValue":{}}}]}],
      "other":[]}],"schemaUrl":"s","unknownTop":1.5}],"partialSuccess":{}})";
  auto set = DecodeOtlpJson(json);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 1u);
  const Span& s = set->spans()[0];
  EXPECT_EQ(s.service_name(), "svc");
  EXPECT_EQ(s.flags, 1u);
  EXPECT_EQ(s.status.code, StatusCode::kOk);
  EXPECT_EQ(s.attributes[0].value.int_value(), 7);
  EXPECT_EQ(s.events[0].name, "e");
  EXPECT_TRUE(s.links[0].trace_id.IsZero());
  EXPECT_EQ(s.resource->schema_url, "s");
}

// The protobuf JSON mapping lets parsers accept the original field names, and pre-1.0 exporters
// send instrumentationLibrarySpans.
TEST(OtlpJsonDecode, AcceptsProtoFieldNamesAndLegacyScopeNames) {
  std::string json = R"({"resource_spans":[{"instrumentationLibrarySpans":[{
      "instrumentationLibrary":{"name":"old-lib","version":"0.1"},
      "spans":[{"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"a1a2a3a4a5a6a7a8",
        "parent_span_id":"0000000000000001","start_time_unix_nano":"10","end_time_unix_nano":"20",
        "dropped_attributes_count":2}]}]}]})";
  auto set = DecodeOtlpJson(json);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 1u);
  const Span& s = set->spans()[0];
  EXPECT_EQ(s.scope->name, "old-lib");
  EXPECT_EQ(s.scope->version, "0.1");
  EXPECT_EQ(s.parent_span_id.value, 1u);
  EXPECT_EQ(s.duration_nanos(), 10u);
  EXPECT_EQ(s.dropped_attributes_count, 2u);
}

TEST(OtlpJsonDecode, EmptyRequests) {
  for (const char* json :
       {"{}", R"({"resourceSpans":[]})", R"({"resourceSpans":null})", R"({"resourceSpans":[{}]})",
        R"({"resourceSpans":[{"scopeSpans":[{}]}]})"}) {
    auto set = DecodeOtlpJson(json);
    ASSERT_TRUE(set.ok()) << json << ": " << set.status();
    EXPECT_TRUE(set->empty());
  }
}

// §1.3: a body that does not decode is a 400 (InvalidArgument) with a message naming the problem.
TEST(OtlpJsonDecode, RejectsMalformedJson) {
  ExpectInvalid("", "invalid OTLP/JSON");
  ExpectInvalid(R"({"resourceSpans":[)", "invalid OTLP/JSON");
  ExpectInvalid(R"({"resourceSpans":[]} trailing)", "invalid OTLP/JSON");
  ExpectInvalid("[]", "must be a JSON object");
  ExpectInvalid(R"({"resourceSpans":{}})", "resourceSpans: must be an array");
  ExpectInvalid(R"({"resourceSpans":[1]})", "resourceSpans[0]: must be an object");
  ExpectInvalid(R"({"resourceSpans":[{"scopeSpans":7}]})", "scopeSpans");
  ExpectInvalid(R"({"resourceSpans":[{"resource":{"attributes":{}}}]})", "resource.attributes");
}

// §1.3: IDs are hex with the OTLP lengths; same rules as the protobuf decoder.
TEST(OtlpJsonDecode, RejectsBadIds) {
  auto span = [](const std::string& fields) { return Request("{" + fields + "}"); };
  const std::string span_id = R"("spanId":"a1a2a3a4a5a6a7a8")";
  const std::string trace_id = R"("traceId":"0102030405060708090a0b0c0d0e0f10")";
  ExpectInvalid(span(R"("traceId":"0102030405060708090a0b0c0d0e0f1",)" + span_id),
                "resourceSpans[0].scopeSpans[0].spans[0].traceId: must be 32 hex digits");
  ExpectInvalid(span(R"("traceId":"0102030405060708090a0b0c0d0e0fxx",)" + span_id), "traceId");
  // The base64 form some protobuf JSON encoders produce is not OTLP/JSON.
  ExpectInvalid(span(R"("traceId":"AQIDBAUGBwgJCgsMDQ4PEA==",)" + span_id), "traceId");
  ExpectInvalid(span(R"("traceId":"00000000000000000000000000000000",)" + span_id),
                "traceId: missing or all zero");
  ExpectInvalid(span(span_id), "traceId: missing");
  ExpectInvalid(span(trace_id), "spanId: missing");
  ExpectInvalid(span(trace_id + R"(,"spanId":"a1a2a3a4a5a6a7")"), "spanId: must be 16 hex digits");
  ExpectInvalid(span(trace_id + R"(,"spanId":12)"), "spanId: must be a hex string");
  ExpectInvalid(span(trace_id + "," + span_id + R"(,"parentSpanId":"abc")"), "parentSpanId");
  ExpectInvalid(span(trace_id + "," + span_id + R"(,"links":[{"traceId":"01"}])"), "links.traceId");
  ExpectInvalid(Request("{" + trace_id + "," + span_id + "}, 5"), "spans[1]: must be an object");
}

TEST(OtlpJsonDecode, RejectsValuesOfTheWrongType) {
  ExpectInvalid(SpanWithAttribute(R"({"intValue":"12x"})"), "decimal integer");
  ExpectInvalid(SpanWithAttribute(R"({"intValue":""})"), "decimal integer");
  ExpectInvalid(SpanWithAttribute(R"({"intValue":true})"), "integer");
  ExpectInvalid(SpanWithAttribute(R"({"intValue":1.5})"), "integer");
  ExpectInvalid(SpanWithAttribute(R"({"intValue":9223372036854775808})"), "int64");
  ExpectInvalid(SpanWithAttribute(R"({"stringValue":5})"), "must be a string");
  ExpectInvalid(SpanWithAttribute(R"({"boolValue":"true"})"), "boolean");
  ExpectInvalid(SpanWithAttribute(R"({"doubleValue":"abc"})"), "number");
  ExpectInvalid(SpanWithAttribute(R"({"bytesValue":"@@@@"})"), "base64");
  ExpectInvalid(SpanWithAttribute(R"({"bytesValue":"A"})"), "base64");
  ExpectInvalid(SpanWithAttribute(R"({"arrayValue":[]})"), "must be an object");
  ExpectInvalid(SpanWithAttribute(R"({"arrayValue":{"values":{}}})"), "values must be an array");
  ExpectInvalid(SpanWithAttribute(R"({"kvlistValue":{"values":[1]}})"), "{key, value}");
  ExpectInvalid(SpanWithAttribute(R"("x")"), "AnyValue");
  ExpectInvalid(Request(std::string("{") + kIds + R"(,"startTimeUnixNano":-1})"), "negative");
  ExpectInvalid(Request(std::string("{") + kIds + R"(,"startTimeUnixNano":"1e9"})"),
                "startTimeUnixNano");
  ExpectInvalid(Request(std::string("{") + kIds + R"(,"flags":4294967296})"), "uint32");
  ExpectInvalid(Request(std::string("{") + kIds + R"(,"kind":{}})"), "kind");
  ExpectInvalid(Request(std::string("{") + kIds + R"(,"name":["x"]})"), "name: must be a string");
  ExpectInvalid(Request(std::string("{") + kIds + R"(,"events":{}})"), "events");
  ExpectInvalid(Request(std::string("{") + kIds + R"(,"status":3})"), "status");
}

std::string NestedArraysJson(int depth) {
  std::string json = R"({"intValue":1})";
  for (int i = 0; i < depth; ++i) json = R"({"arrayValue":{"values":[)" + json + "]}}";
  return json;
}

TEST(OtlpJsonDecode, LimitsValueNesting) {
  EXPECT_TRUE(DecodeOtlpJson(SpanWithAttribute(NestedArraysJson(32))).ok());
  ExpectInvalid(SpanWithAttribute(NestedArraysJson(33)), "nested too deeply");
  OtlpDecodeOptions tight;
  tight.max_value_depth = 1;
  EXPECT_TRUE(DecodeOtlpJson(SpanWithAttribute(NestedArraysJson(1)), tight).ok());
  EXPECT_FALSE(DecodeOtlpJson(SpanWithAttribute(NestedArraysJson(2)), tight).ok());
  // Nesting far beyond what the JSON parser itself accepts is an error, not a crash.
  EXPECT_FALSE(DecodeOtlpJson(SpanWithAttribute(NestedArraysJson(5000))).ok());
}

// Encoder output follows §1.3: hex IDs, 64-bit integers and times as strings, enums as integers.
TEST(OtlpJsonEncode, WritesOtlpJsonConventions) {
  auto set = DecodeOtlpProto(testing::MakeFullRequest().SerializeAsString());
  ASSERT_TRUE(set.ok());
  std::string json = EncodeOtlpJson(set->spans());
  EXPECT_THAT(json, HasSubstr(R"("traceId":"0102030405060708090a0b0c0d0e0f10")"));
  EXPECT_THAT(json, HasSubstr(R"("spanId":"a1a2a3a4a5a6a7a8")"));
  EXPECT_THAT(json, HasSubstr(R"("parentSpanId":"b1b2b3b4b5b6b7b8")"));
  EXPECT_THAT(json, HasSubstr(R"("startTimeUnixNano":"1718900000123456789")"));
  EXPECT_THAT(json, HasSubstr(R"({"key":"int.neg","value":{"intValue":"-1234567890123"}})"));
  EXPECT_THAT(json, HasSubstr(R"({"key":"bytes","value":{"bytesValue":"AAH+/w=="}})"));
  EXPECT_THAT(json, HasSubstr(R"("kind":2)"));
  EXPECT_THAT(json, HasSubstr(R"("status":{"message":"boom","code":2})"));
  EXPECT_THAT(json, HasSubstr(R"("flags":769)"));
  EXPECT_THAT(json, HasSubstr(R"("stringValue":"hello \"world\"\n)"
                              "\xc3\xa9\"}"));
  EXPECT_THAT(json, HasSubstr(R"("stringValue":"at a()\n\tat b()\n")"));

  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
}

// Round trips: JSON -> model -> JSON -> model, and protobuf -> model -> JSON -> model.
TEST(OtlpJsonEncode, RoundTrips) {
  std::string body = ReadFixture("tests/fixtures/corpus/otlp_json/js_exporter.json");
  auto first = DecodeOtlpJson(body);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = DecodeOtlpJson(EncodeOtlpJson(first->spans()));
  ASSERT_TRUE(second.ok()) << second.status();
  std::string why;
  EXPECT_TRUE(SpansEquivalent(first->spans(), second->spans(), &why)) << why;

  auto req = testing::MakeFullRequest();
  auto from_proto = DecodeOtlpProto(req.SerializeAsString());
  ASSERT_TRUE(from_proto.ok());
  auto from_json = DecodeOtlpJson(EncodeOtlpJson(from_proto->spans()));
  ASSERT_TRUE(from_json.ok()) << from_json.status();
  EXPECT_TRUE(SpansEquivalent(from_proto->spans(), from_json->spans(), &why)) << why;
  testing::ExpectSetMatchesRequest(req, *from_json);
}

TEST(OtlpJsonEncode, PreservesSpecialDoubles) {
  SpanSet set;
  KeyValue* kvs = set.arena().AllocateArray<KeyValue>(6);
  double values[] = {-0.0,
                     1e300,
                     5e-324,
                     std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN(),
                     0.1};
  for (int i = 0; i < 6; ++i) kvs[i] = KeyValue{"d", AnyValue::Double(values[i])};
  Span& span = set.spans().emplace_back();
  span.trace_id = TraceId{0, 1};
  span.span_id = SpanId{1};
  span.attributes = Attributes(kvs, 6);
  std::string json = EncodeOtlpJson(set.spans());
  EXPECT_THAT(json, HasSubstr(R"({"doubleValue":-0.0})"));
  EXPECT_THAT(json, HasSubstr(R"({"doubleValue":"NaN"})"));
  EXPECT_THAT(json, HasSubstr(R"({"doubleValue":"Infinity"})"));
  auto back = DecodeOtlpJson(json);
  ASSERT_TRUE(back.ok()) << back.status() << json;
  std::string why;
  EXPECT_TRUE(SpansEquivalent(set.spans(), back->spans(), &why)) << why << json;
}

// Protobuf strings are not UTF-8-checked on decode; the JSON encoder must still emit valid JSON.
TEST(OtlpJsonEncode, EscapesControlCharactersAndReplacesInvalidUtf8) {
  SpanSet set;
  Span& span = set.spans().emplace_back();
  span.trace_id = TraceId{0, 1};
  span.span_id = SpanId{1};
  const std::string name = "a\x01\x1f\x7f/\\\"\xff\xc3(\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80z";
  span.name = name;
  std::string json = EncodeOtlpJson(set.spans());
  EXPECT_THAT(json, HasSubstr("\"name\":\"a\\u0001\\u001f\x7f/\\\\\\\"\\ufffd\\ufffd(\xe2\x82\xac"
                              "\xf0\x9f\x98\x80\\ufffd\\ufffd\\ufffdz\""));
  auto back = DecodeOtlpJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->spans()[0].name,
            "a\x01\x1f\x7f/\\\"\xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac\xf0\x9f\x98\x80"
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz");
}

// §1.3: decode errors are answered with a google.rpc.Status in JSON for JSON requests.
TEST(OtlpJsonEncode, RpcStatus) {
  std::string json = EncodeRpcStatusJson(3, "bad \"field\"\n");
  EXPECT_EQ(json, R"({"code":3,"message":"bad \"field\"\n"})");
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(root["code"]), 3);
  EXPECT_EQ(std::string_view(root["message"]), "bad \"field\"\n");
}

}  // namespace
}  // namespace skua::model::convert
