// Zipkin v1 Thrift decoding (jaeger-compat §1.7): payloads built with the Thrift writer in both
// protocols, Jaeger's Zipkin sanitizers, and malformed input.
#include "model/convert/zipkin_thrift.h"

#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/convert/thrift/writer.h"
#include "model/convert/zipkin.h"
#include "model/convert/zipkin_test_util.h"

namespace skua::model::convert {
namespace {

using ::skua::model::convert::testing::Attr;
using ::skua::model::convert::testing::FindSpan;
using ::testing::HasSubstr;
using thrift::Protocol;
using thrift::Type;
using thrift::Writer;

struct Endpoint {
  int32_t ipv4 = 0;
  int16_t port = 0;
  std::string service;
};

void WriteEndpoint(Writer& w, int16_t field, const Endpoint& e) {
  w.WriteFieldBegin(Type::kStruct, field);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI32, 1);
  w.WriteI32(e.ipv4);
  w.WriteFieldBegin(Type::kI16, 2);
  w.WriteI16(e.port);
  w.WriteFieldBegin(Type::kString, 3);
  w.WriteString(e.service);
  w.WriteStructEnd();
}

struct Annotation {
  int64_t ts;
  std::string value;
  Endpoint host;
};

struct BinaryAnnotation {
  std::string key;
  std::string value;
  int32_t type;  // 0 BOOL, 1 BYTES, 2 I16, 3 I32, 4 I64, 5 DOUBLE, 6 STRING
  Endpoint host;
};

std::string Be(uint64_t v, int n) {
  std::string out(n, '\0');
  for (int i = n - 1; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xff);
  return out;
}

struct V1Span {
  int64_t trace_id = 0;
  int64_t trace_id_high = 0;
  int64_t id = 0;
  int64_t parent_id = 0;  // written when non-zero
  std::string name;
  std::vector<Annotation> annotations;
  std::vector<BinaryAnnotation> binary_annotations;
  bool debug = false;
  int64_t timestamp = 0;  // written when non-zero
  int64_t duration = 0;   // written when non-zero
};

void WriteSpan(Writer& w, const V1Span& s) {
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI64, 1);
  w.WriteI64(s.trace_id);
  w.WriteFieldBegin(Type::kString, 3);
  w.WriteString(s.name);
  w.WriteFieldBegin(Type::kI64, 4);
  w.WriteI64(s.id);
  if (s.parent_id != 0) {
    w.WriteFieldBegin(Type::kI64, 5);
    w.WriteI64(s.parent_id);
  }
  w.WriteFieldBegin(Type::kList, 6);
  w.WriteListBegin(Type::kStruct, static_cast<uint32_t>(s.annotations.size()));
  for (const Annotation& a : s.annotations) {
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kI64, 1);
    w.WriteI64(a.ts);
    w.WriteFieldBegin(Type::kString, 2);
    w.WriteString(a.value);
    WriteEndpoint(w, 3, a.host);
    w.WriteStructEnd();
  }
  w.WriteFieldBegin(Type::kList, 8);
  w.WriteListBegin(Type::kStruct, static_cast<uint32_t>(s.binary_annotations.size()));
  for (const BinaryAnnotation& b : s.binary_annotations) {
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kString, 1);
    w.WriteString(b.key);
    w.WriteFieldBegin(Type::kString, 2);
    w.WriteString(b.value);
    w.WriteFieldBegin(Type::kI32, 3);
    w.WriteI32(b.type);
    WriteEndpoint(w, 4, b.host);
    w.WriteStructEnd();
  }
  if (s.debug) {
    w.WriteFieldBegin(Type::kBool, 9);
    w.WriteBool(true);
  }
  if (s.timestamp != 0) {
    w.WriteFieldBegin(Type::kI64, 10);
    w.WriteI64(s.timestamp);
  }
  if (s.duration != 0) {
    w.WriteFieldBegin(Type::kI64, 11);
    w.WriteI64(s.duration);
  }
  if (s.trace_id_high != 0) {
    w.WriteFieldBegin(Type::kI64, 12);
    w.WriteI64(s.trace_id_high);
  }
  w.WriteStructEnd();
}

std::string EncodeList(Protocol protocol, const std::vector<V1Span>& spans) {
  std::string out;
  Writer w(protocol, out);
  w.WriteListBegin(Type::kStruct, static_cast<uint32_t>(spans.size()));
  for (const V1Span& s : spans) WriteSpan(w, s);
  return out;
}

const Endpoint kWeb{0x0a000001, 8080, "web"};
const Endpoint kApi{0x0a000002, static_cast<int16_t>(40000), "api"};  // port > 32767: sent negative

// A shared client/server span without timestamp or duration (left to the sanitizers), with typed
// binary annotations and a string `error`.
std::vector<V1Span> Fixture() {
  V1Span rpc;
  rpc.trace_id = 0x48485a3953bb6124;
  rpc.trace_id_high = 0x463ac35c9f6413ad;
  rpc.id = 0x0b;
  rpc.name = "get";
  rpc.debug = true;
  rpc.annotations = {{1000, "cs", kWeb},
                     {1100, "sr", kApi},
                     {1200, "cache miss", kApi},
                     {1400, "ss", kApi},
                     {1500, "cr", kWeb}};
  rpc.binary_annotations = {
      {"http.url", "/x", 6, kWeb},
      {"db.rows", Be(42, 8), 4, kApi},
      {"cached", std::string(1, '\1'), 0, kApi},
      {"ratio", Be(0x3fe0000000000000ull, 8), 5, kWeb},  // 0.5
      {"port16", Be(0xfffe, 2), 2, kWeb},                // -2
      {"n32", Be(7, 4), 3, kWeb},
      {"raw", "\x01\x02", 1, kWeb},
      {"error", "timeout", 6, kApi},
      {"sa", std::string(1, '\1'), 0, {0x0a000009, 443, "api-lb"}},
  };
  V1Span local;
  local.trace_id = rpc.trace_id;
  local.trace_id_high = rpc.trace_id_high;
  local.id = 0x0c;
  local.parent_id = 0x0b;
  local.name = "compute";
  local.timestamp = 1250;
  local.duration = 10;
  local.binary_annotations = {{"lc", "worker", 6, kApi}};
  return {rpc, local};
}

void CheckFixture(const SpanSet& set) {
  ASSERT_EQ(set.size(), 3u);
  const Span* client = FindSpan(set, SpanKind::kClient);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->trace_id, (TraceId{0x463ac35c9f6413adull, 0x48485a3953bb6124ull}));
  EXPECT_EQ(client->span_id.value, 0x0bu);
  EXPECT_TRUE(client->parent_span_id.IsZero());
  EXPECT_EQ(client->flags, 3u);
  EXPECT_EQ(client->service_name(), "web");
  // §1.7 sanitizers: start from `cs`, duration = last − first annotation.
  EXPECT_EQ(client->start_time_unix_nano, 1000000u);
  EXPECT_EQ(client->end_time_unix_nano, 1500000u);
  EXPECT_EQ(Attr(client->attributes, "net.host.ip"), "s:10.0.0.1");
  EXPECT_EQ(Attr(client->attributes, "net.host.port"), "i:8080");
  EXPECT_EQ(Attr(client->attributes, "peer.service"), "s:api-lb");
  EXPECT_EQ(Attr(client->attributes, "net.peer.ip"), "s:10.0.0.9");
  EXPECT_EQ(Attr(client->attributes, "http.url"), "s:/x");
  EXPECT_EQ(Attr(client->attributes, "ratio"), "d:0.5");
  EXPECT_EQ(Attr(client->attributes, "port16"), "i:-2");
  EXPECT_EQ(Attr(client->attributes, "n32"), "i:7");
  EXPECT_EQ(Attr(client->attributes, "raw"), "x:0102");

  const Span* server = FindSpan(set, SpanKind::kServer);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->service_name(), "api");
  EXPECT_EQ(server->span_id, client->span_id);
  EXPECT_EQ(server->start_time_unix_nano, 1100000u);
  EXPECT_EQ(server->end_time_unix_nano, 1400000u);
  EXPECT_EQ(Attr(server->attributes, "net.host.port"), "i:40000");
  EXPECT_EQ(Attr(server->attributes, "db.rows"), "i:42");
  EXPECT_EQ(Attr(server->attributes, "cached"), "b:true");
  // §1.7: a string `error` becomes bool true (→ status ERROR) plus `error.message`.
  EXPECT_EQ(server->status.code, StatusCode::kError);
  EXPECT_EQ(Attr(server->attributes, "error.message"), "s:timeout");
  ASSERT_EQ(server->events.size(), 1u);
  EXPECT_EQ(server->events[0].name, "cache miss");

  const Span& local = set.spans()[2];
  EXPECT_EQ(local.service_name(), "api");
  EXPECT_EQ(local.parent_span_id.value, 0x0bu);
  EXPECT_EQ(Attr(local.attributes, "lc"), "s:worker");
  EXPECT_EQ(local.start_time_unix_nano, 1250000u);
  EXPECT_EQ(local.end_time_unix_nano, 1260000u);
}

TEST(ZipkinThrift, DecodesBinaryProtocolList) {
  absl::StatusOr<SpanSet> set = DecodeZipkinThrift(EncodeList(Protocol::kBinary, Fixture()));
  ASSERT_TRUE(set.ok()) << set.status();
  CheckFixture(*set);
}

// The agent's emitZipkinBatch hands over the same list in the compact protocol (§1.6).
TEST(ZipkinThrift, AppendsFromACompactReader) {
  std::string bytes = EncodeList(Protocol::kCompact, Fixture());
  thrift::Reader reader(bytes, Protocol::kCompact);
  SpanSet set;
  absl::Status s = AppendZipkinThriftSpans(reader, set);
  ASSERT_TRUE(s.ok()) << s;
  CheckFixture(set);
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(ZipkinThriftSanitizer, FollowsJaegerRules) {
  ZipkinV1Span span;
  span.annotations = {{5000, "sr", {}}, {5100, "x", {}}, {5300, "ss", {}}};
  span.binary_annotations.push_back({"error", AnyValue::String("false"), {}});
  span.binary_annotations.push_back({"Error", AnyValue::String(""), {}});
  SanitizeZipkinThriftSpan(span);
  EXPECT_TRUE(span.has_timestamp);
  EXPECT_EQ(span.timestamp_us, 5000) << "sr when there is no cs";
  EXPECT_EQ(span.duration_us, 300);
  ASSERT_EQ(span.binary_annotations.size(), 2u) << "no error.message for true/false/empty";
  EXPECT_EQ(span.binary_annotations[0].value.type(), ValueType::kBool);
  EXPECT_FALSE(span.binary_annotations[0].value.bool_value());
  EXPECT_TRUE(span.binary_annotations[1].value.bool_value());

  ZipkinV1Span lonely;
  lonely.has_duration = true;
  lonely.duration_us = -4;
  SanitizeZipkinThriftSpan(lonely);
  EXPECT_EQ(lonely.duration_us, 1) << "non-positive duration without annotations → 1 µs";
  EXPECT_FALSE(lonely.has_timestamp);
}

TEST(ZipkinThrift, SkipsUnknownFieldsAndFieldsOfTheWrongType) {
  std::string out;
  Writer w(Protocol::kBinary, out);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI64, 1);
  w.WriteI64(5);
  w.WriteFieldBegin(Type::kString, 4);  // id with the wrong type: skipped
  w.WriteString("nope");
  w.WriteFieldBegin(Type::kI64, 4);
  w.WriteI64(6);
  w.WriteFieldBegin(Type::kMap, 77);  // unknown field
  w.WriteMapBegin(Type::kString, Type::kI32, 1);
  w.WriteString("k");
  w.WriteI32(1);
  w.WriteStructEnd();
  absl::StatusOr<SpanSet> set = DecodeZipkinThrift(out);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ(set->spans()[0].span_id.value, 6u);
  EXPECT_EQ(set->spans()[0].trace_id, (TraceId{0, 5}));
}

TEST(ZipkinThrift, RejectsMalformedInput) {
  struct Case {
    std::string bytes;
    std::string want;
  };
  std::string wrong_element;
  Writer(Protocol::kBinary, wrong_element).WriteListBegin(Type::kI64, 0);
  std::string absurd;
  Writer(Protocol::kBinary, absurd).WriteListBegin(Type::kStruct, 0x7fffffff);
  std::string zero_ids = EncodeList(Protocol::kBinary, {V1Span{}});
  const Case cases[] = {
      {"", "invalid Zipkin Thrift"},
      {wrong_element, "expected a list of Span structs"},
      {absurd, "invalid Zipkin Thrift"},
      {zero_ids, "span[0]: traceId is missing or zero"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SpanSet> set = DecodeZipkinThrift(c.bytes);
    ASSERT_FALSE(set.ok()) << c.want;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(set.status().message()), HasSubstr(c.want));
  }
}

TEST(ZipkinThrift, DeepNestingInUnknownFieldsIsBounded) {
  std::string out;
  Writer w(Protocol::kBinary, out);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  for (int i = 0; i < 500; ++i) {
    w.WriteFieldBegin(Type::kStruct, 50);
    w.WriteStructBegin();
  }
  absl::StatusOr<SpanSet> set = DecodeZipkinThrift(out);
  EXPECT_FALSE(set.ok());
}

TEST(ZipkinThrift, TruncatedBodiesNeverCrash) {
  for (Protocol protocol : {Protocol::kBinary, Protocol::kCompact}) {
    std::string bytes = EncodeList(protocol, Fixture());
    for (size_t n = 0; n < bytes.size(); ++n) {
      thrift::Reader reader(std::string_view(bytes).substr(0, n), protocol);
      SpanSet set;
      EXPECT_FALSE(AppendZipkinThriftSpans(reader, set).ok()) << n;
    }
  }
}

}  // namespace
}  // namespace skua::model::convert
