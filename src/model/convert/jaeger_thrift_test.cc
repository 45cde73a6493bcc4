// Tests for the Jaeger Thrift codec: hand-built agent datagrams in both protocols (jaeger-compat
// §1.6), Batch bodies as POSTed to :14268 (§1.5), the Thrift → model rules of §1.5 (µs times,
// parentSpanId → CHILD_OF), and malformed input of every kind (always InvalidArgument).
#include "model/convert/jaeger_thrift.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "model/convert/jaeger.h"
#include "model/convert/jaeger_thrift_test_util.h"
#include "model/convert/thrift/reader.h"
#include "model/convert/thrift/writer.h"

namespace skua::model::convert {
namespace {

using thrift::MessageType;
using thrift::Protocol;
using thrift::Type;
using thrift::Writer;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}
std::string Be32(uint32_t v) {
  return Bytes({int(v >> 24), int((v >> 16) & 0xff), int((v >> 8) & 0xff), int(v & 0xff)});
}
std::string Be64(uint64_t v) {
  return Be32(static_cast<uint32_t>(v >> 32)) + Be32(static_cast<uint32_t>(v));
}
std::string Be16(uint16_t v) { return Bytes({v >> 8, v & 0xff}); }

const AnyValue* Attr(const Span& s, std::string_view key) {
  return FindAttribute(s.attributes, key);
}

// --- Hand-built datagrams (bytes written from the protocol specs, not by our writer) ------------

// Compact emitBatch, ONEWAY, one span: trace 5, span 7, parent 3, "op", flags 1, start 1000 µs,
// duration 50 µs, tag k = LONG -2; process "svc".
std::string HandBuiltCompact(int message_type_bits) {
  return Bytes({0x82, message_type_bits, 0x00, 0x09}) + "emitBatch" +
         Bytes({0x1c,                        // args field 1: struct (Batch)
                0x1c,                        //   Batch field 1: struct (Process)
                0x18, 0x03, 's',  'v', 'c',  //     serviceName
                0x00,                        //   end Process
                0x19, 0x1c,                  //   Batch field 2: list of 1 struct
                0x16, 0x0a,                  //     traceIdLow = 5
                0x16, 0x00,                  //     traceIdHigh = 0
                0x16, 0x0e,                  //     spanId = 7
                0x16, 0x06,                  //     parentSpanId = 3
                0x18, 0x02, 'o',  'p',       //     operationName
                0x25, 0x02,                  //     field 7 flags = 1 (delta 2)
                0x16, 0xd0, 0x0f,            //     startTime = 1000
                0x16, 0x64,                  //     duration = 50
                0x19, 0x1c,                  //     tags: list of 1 struct
                0x18, 0x01, 'k',             //       key
                0x15, 0x06,                  //       vType = LONG (3)
                0x46, 0x03,                  //       field 6 vLong = -2 (delta 4)
                0x00,                        //     end Tag
                0x00,                        //   end Span
                0x00,                        // end Batch
                0x00});                      // end args
}

std::string HandBuiltBinaryCall() {
  return Bytes({0x80, 0x01, 0x00, 0x01}) + Be32(9) + "emitBatch" + Be32(0) +  // CALL, seqid 0
         Bytes({0x0c}) + Be16(1) +                                            // args.batch
         Bytes({0x0c}) + Be16(1) +                                            // Batch.process
         Bytes({0x0b}) + Be16(1) + Be32(3) + "svc" + Bytes({0x00}) +          // serviceName
         Bytes({0x0f}) + Be16(2) + Bytes({0x0c}) + Be32(1) +                  // Batch.spans
         Bytes({0x0a}) + Be16(1) + Be64(5) + Bytes({0x0a}) + Be16(2) + Be64(0) + Bytes({0x0a}) +
         Be16(3) + Be64(7) + Bytes({0x0a}) + Be16(4) + Be64(3) + Bytes({0x0b}) + Be16(5) + Be32(2) +
         "op" + Bytes({0x08}) + Be16(7) + Be32(1) + Bytes({0x0a}) + Be16(8) + Be64(1000) +
         Bytes({0x0a}) + Be16(9) + Be64(50) + Bytes({0x0f}) + Be16(10) + Bytes({0x0c}) +
         Be32(1) +  // Span.tags
         Bytes({0x0b}) + Be16(1) + Be32(1) + "k" + Bytes({0x08}) + Be16(2) + Be32(3) +
         Bytes({0x0a}) + Be16(6) + Be64(static_cast<uint64_t>(-2)) + Bytes({0x00}) +
         Bytes({0x00}) +  // end Span
         Bytes({0x00}) +  // end Batch
         Bytes({0x00});   // end args
}

void ExpectHandBuiltSpan(const SpanSet& set) {
  ASSERT_EQ(set.size(), 1u);
  const Span& s = set.spans()[0];
  EXPECT_EQ(s.trace_id, (TraceId{0, 5}));
  EXPECT_EQ(s.span_id, SpanId{7});
  EXPECT_EQ(s.parent_span_id, SpanId{3});  // §1.5: parentSpanId → CHILD_OF
  EXPECT_TRUE(s.links.empty());
  EXPECT_EQ(s.name, "op");
  EXPECT_EQ(s.flags, 1u);
  EXPECT_EQ(s.start_time_unix_nano, 1'000'000u);  // µs → ns
  EXPECT_EQ(s.end_time_unix_nano, 1'050'000u);
  EXPECT_EQ(s.service_name(), "svc");
  const AnyValue* k = Attr(s, "k");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->type(), ValueType::kInt);
  EXPECT_EQ(k->int_value(), -2);
}

TEST(JaegerThriftAgentTest, HandBuiltCompactOneway) {
  auto msg = DecodeAgentMessage(HandBuiltCompact(0x81), Protocol::kCompact);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->method, AgentMessage::Method::kEmitBatch);
  EXPECT_EQ(msg->protocol, Protocol::kCompact);
  EXPECT_EQ(msg->type, MessageType::kOneway);
  ExpectHandBuiltSpan(msg->spans);
}

TEST(JaegerThriftAgentTest, HandBuiltCompactCall) {
  // clients.md §3: jaeger-client-go sends CALL (1), not ONEWAY.
  auto msg = DecodeAgentMessage(HandBuiltCompact(0x21), Protocol::kCompact);
  ASSERT_TRUE(msg.ok()) << msg.status();
  EXPECT_EQ(msg->type, MessageType::kCall);
  ExpectHandBuiltSpan(msg->spans);
}

TEST(JaegerThriftAgentTest, HandBuiltBinaryCallOnEitherPort) {
  // clients.md §3: the Node jaeger-client sends binary to the compact port; the first bytes decide.
  for (Protocol port : {Protocol::kBinary, Protocol::kCompact}) {
    auto msg = DecodeAgentMessage(HandBuiltBinaryCall(), port);
    ASSERT_TRUE(msg.ok()) << msg.status();
    EXPECT_EQ(msg->protocol, Protocol::kBinary);
    EXPECT_EQ(msg->type, MessageType::kCall);
    ExpectHandBuiltSpan(msg->spans);
  }
  // And compact sent to the binary port.
  auto msg = DecodeAgentMessage(HandBuiltCompact(0x81), Protocol::kBinary);
  ASSERT_TRUE(msg.ok()) << msg.status();
  ExpectHandBuiltSpan(msg->spans);
}

TEST(JaegerThriftAgentTest, RejectsOtherMessageTypesAndMethods) {
  // REPLY (2) and EXCEPTION (3) are not requests.
  EXPECT_EQ(DecodeAgentMessage(HandBuiltCompact(0x41), Protocol::kCompact).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeAgentMessage(HandBuiltCompact(0x61), Protocol::kCompact).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::string other = Bytes({0x82, 0x81, 0x00, 0x09}) + "emitBatcH" + Bytes({0x00});
  auto s = DecodeAgentMessage(other, Protocol::kCompact).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unknown method"), std::string::npos) << s;
  // emitBatch without its argument.
  std::string empty = Bytes({0x82, 0x81, 0x00, 0x09}) + "emitBatch" + Bytes({0x00});
  EXPECT_FALSE(DecodeAgentMessage(empty, Protocol::kCompact).ok());
  EXPECT_FALSE(DecodeAgentMessage("", Protocol::kCompact).ok());
}

// --- Encoder round trips with every feature ------------------------------------------------------

struct Fixture {
  jaeger::Process process;
  std::vector<jaeger::Span> spans;
};

Fixture RichBatch() {
  Fixture f;
  f.process.service_name = "frontend";
  f.process.tags = {jaeger::Tag::String("hostname", "host-1"), jaeger::Tag::Int("pid", 4242)};
  jaeger::Span root;
  root.trace_id = TraceId{0x1122334455667788ull, 0x99aabbccddeeff00ull};
  root.span_id = SpanId{0x0102030405060708ull};
  root.operation_name = "GET /cart";
  root.flags = 1;
  root.start_time_us = 1'700'000'000'000'000ull;
  root.duration_us = 1500;
  root.tags = {jaeger::Tag::String("http.method", "GET"),
               jaeger::Tag::Int("http.status_code", 200),
               jaeger::Tag::Float("ratio", 0.25),
               jaeger::Tag::Bool("cache.hit", true),
               jaeger::Tag::Binary("blob", std::string_view("\x00\xff\x10", 3)),
               jaeger::Tag::String("span.kind", "server")};
  jaeger::Log log;
  log.timestamp_us = root.start_time_us + 10;
  log.fields = {jaeger::Tag::String("event", "cache-miss"), jaeger::Tag::Int("attempt", 2)};
  root.logs.push_back(log);
  f.spans.push_back(root);

  jaeger::Span child;
  child.trace_id = root.trace_id;
  child.span_id = SpanId{0x1111};
  child.operation_name = "SELECT";
  child.flags = 3;
  child.start_time_us = root.start_time_us + 100;
  child.duration_us = 200;
  child.references = {{jaeger::RefType::kChildOf, root.trace_id, root.span_id},
                      {jaeger::RefType::kFollowsFrom, TraceId{0, 9}, SpanId{10}}};
  child.tags = {jaeger::Tag::Bool("error", true)};
  f.spans.push_back(child);
  return f;
}

void ExpectRichBatch(const SpanSet& set) {
  ASSERT_EQ(set.size(), 2u);
  const Span& root = set.spans()[0];
  const Span& child = set.spans()[1];
  EXPECT_EQ(root.service_name(), "frontend");
  const AnyValue* host = FindAttribute(root.resource->attributes, "hostname");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->string_value(), "host-1");
  const AnyValue* pid = FindAttribute(root.resource->attributes, "pid");
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(pid->int_value(), 4242);
  EXPECT_EQ(root.trace_id, (TraceId{0x1122334455667788ull, 0x99aabbccddeeff00ull}));
  EXPECT_EQ(root.span_id, SpanId{0x0102030405060708ull});
  EXPECT_TRUE(root.parent_span_id.IsZero());
  EXPECT_EQ(root.name, "GET /cart");
  EXPECT_EQ(root.kind, SpanKind::kServer);
  EXPECT_EQ(root.start_time_unix_nano, 1'700'000'000'000'000'000ull);
  EXPECT_EQ(root.end_time_unix_nano - root.start_time_unix_nano, 1'500'000u);
  ASSERT_NE(Attr(root, "http.method"), nullptr);
  EXPECT_EQ(Attr(root, "http.method")->string_value(), "GET");
  EXPECT_EQ(Attr(root, "http.status_code")->int_value(), 200);
  EXPECT_EQ(Attr(root, "ratio")->double_value(), 0.25);
  EXPECT_EQ(Attr(root, "cache.hit")->bool_value(), true);
  EXPECT_EQ(Attr(root, "blob")->type(), ValueType::kBytes);
  EXPECT_EQ(Attr(root, "blob")->string_value(), std::string_view("\x00\xff\x10", 3));
  ASSERT_EQ(root.events.size(), 1u);
  EXPECT_EQ(root.events[0].name, "cache-miss");
  EXPECT_EQ(root.events[0].time_unix_nano, (1'700'000'000'000'000ull + 10) * 1000);
  ASSERT_EQ(root.events[0].attributes.size(), 1u);
  EXPECT_EQ(root.events[0].attributes[0].key, "attempt");

  EXPECT_EQ(child.parent_span_id, root.span_id);
  EXPECT_EQ(child.flags, 3u);
  EXPECT_EQ(child.status.code, StatusCode::kError);
  ASSERT_EQ(child.links.size(), 1u);
  EXPECT_EQ(child.links[0].trace_id, (TraceId{0, 9}));
  EXPECT_EQ(child.links[0].span_id, SpanId{10});
  EXPECT_EQ(FindAttribute(child.links[0].attributes, "opentracing.ref_type")->string_value(),
            "follows_from");
}

class BothProtocols : public ::testing::TestWithParam<Protocol> {};
INSTANTIATE_TEST_SUITE_P(JaegerThrift, BothProtocols,
                         ::testing::Values(Protocol::kBinary, Protocol::kCompact),
                         [](const auto& info) {
                           return std::string(thrift::ProtocolName(info.param));
                         });

TEST_P(BothProtocols, BatchRoundTrip) {
  Fixture f = RichBatch();
  auto set =
      DecodeJaegerThriftBatch(EncodeJaegerThriftBatch(f.process, f.spans, GetParam()), GetParam());
  ASSERT_TRUE(set.ok()) << set.status();
  ExpectRichBatch(*set);
}

TEST_P(BothProtocols, AgentRoundTripOnewayAndCall) {
  Fixture f = RichBatch();
  for (MessageType type : {MessageType::kOneway, MessageType::kCall}) {
    auto msg = DecodeAgentMessage(EncodeAgentEmitBatch(f.process, f.spans, GetParam(), type, 77),
                                  GetParam());
    ASSERT_TRUE(msg.ok()) << msg.status();
    EXPECT_EQ(msg->type, type);
    EXPECT_EQ(msg->seqid, 77);
    ExpectRichBatch(msg->spans);
  }
}

TEST_P(BothProtocols, ModelSpansEncodeOneBatchPerProcess) {
  // Two processes → two batches; decoding them gives back each service's spans (§1.9 both ways).
  Fixture f = RichBatch();
  auto first =
      DecodeJaegerThriftBatch(EncodeJaegerThriftBatch(f.process, f.spans, GetParam()), GetParam());
  ASSERT_TRUE(first.ok());
  jaeger::Process other{"backend", {}};
  auto second = DecodeJaegerThriftBatch(
      EncodeJaegerThriftBatch(other, std::span(f.spans).subspan(1), GetParam()), GetParam());
  ASSERT_TRUE(second.ok());
  SpanSet all;
  all.CopySpans(first->spans());
  all.CopySpans(second->spans());
  std::vector<std::string> batches = EncodeJaegerThriftBatches(all.spans(), GetParam());
  ASSERT_EQ(batches.size(), 2u);
  auto a = DecodeJaegerThriftBatch(batches[0], GetParam());
  auto b = DecodeJaegerThriftBatch(batches[1], GetParam());
  ASSERT_TRUE(a.ok() && b.ok());
  ExpectRichBatch(*a);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ(b->spans()[0].service_name(), "backend");
  EXPECT_EQ(b->spans()[0].span_id, SpanId{0x1111});
}

// --- §1.5 parentSpanId rules ---------------------------------------------------------------------

SpanSet DecodeOne(const jaeger::Span& span, int64_t parent_override, Protocol protocol) {
  // Writes the span by hand so that parentSpanId can differ from the references.
  std::string out;
  Writer w(protocol, out);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("svc");
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kList, 2);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI64, 1);
  w.WriteI64(static_cast<int64_t>(span.trace_id.low));
  w.WriteFieldBegin(Type::kI64, 2);
  w.WriteI64(static_cast<int64_t>(span.trace_id.high));
  w.WriteFieldBegin(Type::kI64, 3);
  w.WriteI64(static_cast<int64_t>(span.span_id.value));
  w.WriteFieldBegin(Type::kI64, 4);
  w.WriteI64(parent_override);
  w.WriteFieldBegin(Type::kString, 5);
  w.WriteString("op");
  w.WriteFieldBegin(Type::kList, 6);
  w.WriteListBegin(Type::kStruct, static_cast<uint32_t>(span.references.size()));
  for (const auto& ref : span.references) {
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kI32, 1);
    w.WriteI32(ref.type == jaeger::RefType::kChildOf ? 0 : 1);
    w.WriteFieldBegin(Type::kI64, 2);
    w.WriteI64(static_cast<int64_t>(ref.trace_id.low));
    w.WriteFieldBegin(Type::kI64, 3);
    w.WriteI64(static_cast<int64_t>(ref.trace_id.high));
    w.WriteFieldBegin(Type::kI64, 4);
    w.WriteI64(static_cast<int64_t>(ref.span_id.value));
    w.WriteStructEnd();
  }
  w.WriteFieldBegin(Type::kI32, 7);
  w.WriteI32(0);
  w.WriteFieldBegin(Type::kI64, 8);
  w.WriteI64(1);
  w.WriteFieldBegin(Type::kI64, 9);
  w.WriteI64(1);
  w.WriteStructEnd();
  w.WriteStructEnd();
  auto set = DecodeJaegerThriftBatch(out, protocol);
  EXPECT_TRUE(set.ok()) << set.status();
  return set.ok() ? std::move(*set) : SpanSet();
}

TEST_P(BothProtocols, ParentSpanIdBecomesChildOfUnlessReferenced) {
  jaeger::Span s;
  s.trace_id = TraceId{0, 1};
  s.span_id = SpanId{2};
  // Only parentSpanId: the parent.
  SpanSet a = DecodeOne(s, 5, GetParam());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a.spans()[0].parent_span_id, SpanId{5});
  EXPECT_TRUE(a.spans()[0].links.empty());

  // Already referenced as FOLLOWS_FROM: no CHILD_OF is added, so the follows-from is the parent
  // and keeps its type (as a follows_from link).
  s.references = {{jaeger::RefType::kFollowsFrom, s.trace_id, SpanId{5}}};
  SpanSet b = DecodeOne(s, 5, GetParam());
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b.spans()[0].parent_span_id, SpanId{5});
  ASSERT_EQ(b.spans()[0].links.size(), 1u);
  EXPECT_EQ(FindAttribute(b.spans()[0].links[0].attributes, "opentracing.ref_type")->string_value(),
            "follows_from");

  // A different FOLLOWS_FROM reference: CHILD_OF 5 is added first and becomes the parent.
  s.references = {{jaeger::RefType::kFollowsFrom, s.trace_id, SpanId{7}}};
  SpanSet c = DecodeOne(s, 5, GetParam());
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c.spans()[0].parent_span_id, SpanId{5});
  ASSERT_EQ(c.spans()[0].links.size(), 1u);
  EXPECT_EQ(c.spans()[0].links[0].span_id, SpanId{7});

  // parentSpanId 0: root.
  s.references.clear();
  SpanSet d = DecodeOne(s, 0, GetParam());
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d.spans()[0].parent_span_id.IsZero());
}

// --- Unknown and mistyped fields -----------------------------------------------------------------

// Writes fields 50.. of every type: what a newer IDL could add anywhere.
void WriteJunk(Writer& w) {
  const uint8_t uuid[16] = {};
  w.WriteFieldBegin(Type::kBool, 50);
  w.WriteBool(true);
  w.WriteFieldBegin(Type::kByte, 51);
  w.WriteByte(1);
  w.WriteFieldBegin(Type::kI16, 52);
  w.WriteI16(2);
  w.WriteFieldBegin(Type::kI32, 53);
  w.WriteI32(3);
  w.WriteFieldBegin(Type::kI64, 54);
  w.WriteI64(4);
  w.WriteFieldBegin(Type::kDouble, 55);
  w.WriteDouble(5);
  w.WriteFieldBegin(Type::kString, 56);
  w.WriteString("six");
  w.WriteFieldBegin(Type::kStruct, 57);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kBool, 1);
  w.WriteBool(false);
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kMap, 58);
  w.WriteMapBegin(Type::kString, Type::kI64, 1);
  w.WriteString("k");
  w.WriteI64(8);
  w.WriteFieldBegin(Type::kSet, 59);
  w.WriteSetBegin(Type::kI32, 2);
  w.WriteI32(1);
  w.WriteI32(2);
  w.WriteFieldBegin(Type::kList, 60);
  w.WriteListBegin(Type::kList, 1);
  w.WriteListBegin(Type::kBool, 1);
  w.WriteBool(true);
  w.WriteFieldBegin(Type::kUuid, 61);
  w.WriteUuid(uuid);
}

// A Batch with unknown fields in every struct (Batch, Process, Span, Tag, Log, SpanRef) and the
// optional seqNo / stats fields; field order also shuffled where Thrift allows it.
std::string BatchWithJunk(Protocol protocol, bool spans_first) {
  std::string out;
  Writer w(protocol, out);
  auto tag = [&](std::string_view key, int32_t vtype, auto write_value) {
    w.WriteStructBegin();
    WriteJunk(w);
    w.WriteFieldBegin(Type::kI32, 2);
    w.WriteI32(vtype);
    write_value();
    w.WriteFieldBegin(Type::kString, 1);
    w.WriteString(key);
    w.WriteStructEnd();
  };
  auto process = [&] {
    w.WriteFieldBegin(Type::kStruct, 1);
    w.WriteStructBegin();
    WriteJunk(w);
    w.WriteFieldBegin(Type::kList, 2);
    w.WriteListBegin(Type::kStruct, 1);
    tag("region", 0, [&] {
      w.WriteFieldBegin(Type::kString, 3);
      w.WriteString("eu");
    });
    w.WriteFieldBegin(Type::kString, 1);
    w.WriteString("junk-svc");
    w.WriteStructEnd();
  };
  auto spans = [&] {
    w.WriteFieldBegin(Type::kList, 2);
    w.WriteListBegin(Type::kStruct, 1);
    w.WriteStructBegin();
    WriteJunk(w);
    w.WriteFieldBegin(Type::kI64, 9);
    w.WriteI64(20);
    w.WriteFieldBegin(Type::kI64, 8);
    w.WriteI64(10);
    w.WriteFieldBegin(Type::kI32, 7);
    w.WriteI32(1);
    w.WriteFieldBegin(Type::kList, 6);
    w.WriteListBegin(Type::kStruct, 1);
    w.WriteStructBegin();
    WriteJunk(w);
    w.WriteFieldBegin(Type::kI32, 1);
    w.WriteI32(1);
    w.WriteFieldBegin(Type::kI64, 2);
    w.WriteI64(77);
    w.WriteFieldBegin(Type::kI64, 3);
    w.WriteI64(0);
    w.WriteFieldBegin(Type::kI64, 4);
    w.WriteI64(88);
    w.WriteStructEnd();
    w.WriteFieldBegin(Type::kString, 5);
    w.WriteString("junk-op");
    w.WriteFieldBegin(Type::kI64, 4);
    w.WriteI64(0);
    w.WriteFieldBegin(Type::kI64, 3);
    w.WriteI64(2);
    w.WriteFieldBegin(Type::kI64, 2);
    w.WriteI64(0);
    w.WriteFieldBegin(Type::kI64, 1);
    w.WriteI64(1);
    w.WriteFieldBegin(Type::kList, 10);
    w.WriteListBegin(Type::kStruct, 2);
    tag("d", 1, [&] {
      w.WriteFieldBegin(Type::kDouble, 4);
      w.WriteDouble(1.5);
    });
    tag("b", 2, [&] {
      w.WriteFieldBegin(Type::kBool, 5);
      w.WriteBool(true);
    });
    w.WriteFieldBegin(Type::kList, 11);
    w.WriteListBegin(Type::kStruct, 1);
    w.WriteStructBegin();
    WriteJunk(w);
    w.WriteFieldBegin(Type::kList, 2);
    w.WriteListBegin(Type::kStruct, 1);
    tag("bin", 4, [&] {
      w.WriteFieldBegin(Type::kString, 7);
      w.WriteString("xyz");
    });
    w.WriteFieldBegin(Type::kI64, 1);
    w.WriteI64(15);
    w.WriteStructEnd();
    w.WriteStructEnd();
  };
  w.WriteStructBegin();
  WriteJunk(w);
  w.WriteFieldBegin(Type::kI64, 3);  // seqNo
  w.WriteI64(99);
  w.WriteFieldBegin(Type::kStruct, 4);  // stats
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI64, 1);
  w.WriteI64(1);
  w.WriteFieldBegin(Type::kI64, 2);
  w.WriteI64(2);
  w.WriteFieldBegin(Type::kI64, 3);
  w.WriteI64(3);
  w.WriteStructEnd();
  if (spans_first) {
    spans();
    process();
  } else {
    process();
    spans();
  }
  w.WriteStructEnd();
  return out;
}

TEST_P(BothProtocols, UnknownFieldsOfEveryTypeAreSkipped) {
  for (bool spans_first : {false, true}) {
    SCOPED_TRACE(spans_first ? "spans before process" : "process first");
    auto set = DecodeJaegerThriftBatch(BatchWithJunk(GetParam(), spans_first), GetParam());
    ASSERT_TRUE(set.ok()) << set.status();
    ASSERT_EQ(set->size(), 1u);
    const Span& s = set->spans()[0];
    EXPECT_EQ(s.service_name(), "junk-svc");
    EXPECT_EQ(FindAttribute(s.resource->attributes, "region")->string_value(), "eu");
    EXPECT_EQ(s.trace_id, (TraceId{0, 1}));
    EXPECT_EQ(s.span_id, SpanId{2});
    EXPECT_EQ(s.name, "junk-op");
    EXPECT_EQ(s.start_time_unix_nano, 10'000u);
    EXPECT_EQ(s.end_time_unix_nano, 30'000u);
    EXPECT_EQ(Attr(s, "d")->double_value(), 1.5);
    EXPECT_EQ(Attr(s, "b")->bool_value(), true);
    // The one FOLLOWS_FROM reference (to another trace) is a link, not the parent.
    EXPECT_TRUE(s.parent_span_id.IsZero());
    ASSERT_EQ(s.links.size(), 1u);
    EXPECT_EQ(s.links[0].trace_id, (TraceId{0, 77}));
    EXPECT_EQ(s.links[0].span_id, SpanId{88});
    ASSERT_EQ(s.events.size(), 1u);
    EXPECT_EQ(s.events[0].time_unix_nano, 15'000u);
    ASSERT_EQ(s.events[0].attributes.size(), 1u);
    EXPECT_EQ(s.events[0].attributes[0].value.type(), ValueType::kBytes);
    EXPECT_EQ(s.events[0].attributes[0].value.string_value(), "xyz");
  }
}

TEST_P(BothProtocols, MistypedRequiredFieldCountsAsMissing) {
  // Span.traceIdLow sent as a string: skipped like an unknown field (as Thrift's generated
  // readers do), then reported as a missing required field.
  Fixture f = RichBatch();
  std::string out;
  Writer w(GetParam(), out);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("svc");
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kList, 2);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("not-a-number");
  w.WriteStructEnd();
  w.WriteStructEnd();
  auto set = DecodeJaegerThriftBatch(out, GetParam());
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(set.status().message().find("Span.traceIdLow"), std::string::npos) << set.status();
}

TEST_P(BothProtocols, MissingRequiredFieldsAndZeroIds) {
  jaeger::Process p{"svc", {}};
  // Empty batch: valid, no spans (§1.5 body with an empty list).
  auto empty = DecodeJaegerThriftBatch(EncodeJaegerThriftBatch(p, {}, GetParam()), GetParam());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->size(), 0u);
  auto empty_msg = DecodeAgentMessage(EncodeAgentEmitBatch(p, {}, GetParam()), GetParam());
  ASSERT_TRUE(empty_msg.ok()) << empty_msg.status();
  EXPECT_EQ(empty_msg->spans.size(), 0u);

  // Batch without process / without spans.
  std::string no_process;
  {
    Writer w(GetParam(), no_process);
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kList, 2);
    w.WriteListBegin(Type::kStruct, 0);
    w.WriteStructEnd();
  }
  auto s1 = DecodeJaegerThriftBatch(no_process, GetParam()).status();
  EXPECT_NE(s1.message().find("Batch.process"), std::string::npos) << s1;
  std::string no_spans;
  {
    Writer w(GetParam(), no_spans);
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kStruct, 1);
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kString, 1);
    w.WriteString("svc");
    w.WriteStructEnd();
    w.WriteStructEnd();
  }
  auto s2 = DecodeJaegerThriftBatch(no_spans, GetParam()).status();
  EXPECT_NE(s2.message().find("Batch.spans"), std::string::npos) << s2;

  // Zero trace ID, zero span ID.
  jaeger::Span zero;
  zero.span_id = SpanId{1};
  auto s3 = DecodeJaegerThriftBatch(
      EncodeJaegerThriftBatch(p, std::span<const jaeger::Span>(&zero, 1), GetParam()), GetParam());
  EXPECT_EQ(s3.status().code(), absl::StatusCode::kInvalidArgument);
  zero.trace_id = TraceId{0, 1};
  zero.span_id = SpanId{0};
  auto s4 = DecodeJaegerThriftBatch(
      EncodeJaegerThriftBatch(p, std::span<const jaeger::Span>(&zero, 1), GetParam()), GetParam());
  EXPECT_EQ(s4.status().code(), absl::StatusCode::kInvalidArgument);
}

// --- Malformed and hostile input -----------------------------------------------------------------

TEST_P(BothProtocols, EveryTruncationIsInvalidArgument) {
  Fixture f = RichBatch();
  const std::string full = EncodeAgentEmitBatch(f.process, f.spans, GetParam());
  for (size_t n = 0; n < full.size(); ++n) {
    auto msg = DecodeAgentMessage(std::string_view(full).substr(0, n), GetParam());
    ASSERT_FALSE(msg.ok()) << "prefix " << n;
    ASSERT_EQ(msg.status().code(), absl::StatusCode::kInvalidArgument) << msg.status();
  }
  const std::string batch = EncodeJaegerThriftBatch(f.process, f.spans, GetParam());
  for (size_t n = 0; n < batch.size(); ++n) {
    auto set = DecodeJaegerThriftBatch(std::string_view(batch).substr(0, n), GetParam());
    ASSERT_FALSE(set.ok()) << "prefix " << n;
  }
}

TEST(JaegerThriftMalformedTest, AbsurdSpanCountIsRejectedUpFront) {
  // A 2^31-1 element spans list in a tiny body: rejected by the length check, not by running out
  // of input after allocating.
  std::string body = Bytes({0x0c}) + Be16(1) + Bytes({0x0b}) + Be16(1) + Be32(1) + "s" +
                     Bytes({0x00}) + Bytes({0x0f}) + Be16(2) + Bytes({0x0c}) + Be32(0x7fffffff);
  auto s = DecodeJaegerThriftBatch(body, Protocol::kBinary).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("2147483647 elements"), std::string::npos) << s;
  // Compact: 2^32-1 tags.
  std::string compact = Bytes({0x1c, 0x18, 0x01, 's', 0x19, 0xfc});
  thrift::Writer::AppendVarint(0xffffffffull, compact);
  EXPECT_FALSE(DecodeJaegerThriftBatch(compact, Protocol::kCompact).ok());
}

TEST(JaegerThriftMalformedTest, WrongTypeIdsAreErrors) {
  // Type id 7 (binary) and nibble 14 (compact) inside a Batch.
  EXPECT_FALSE(DecodeJaegerThriftBatch(Bytes({0x07, 0, 1, 0}), Protocol::kBinary).ok());
  EXPECT_FALSE(DecodeJaegerThriftBatch(Bytes({0x1e, 0, 0}), Protocol::kCompact).ok());
  // A Process tag with an unknown vType (9).
  std::string out;
  Writer w(Protocol::kCompact, out);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("svc");
  w.WriteFieldBegin(Type::kList, 2);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("k");
  w.WriteFieldBegin(Type::kI32, 2);
  w.WriteI32(9);
  w.WriteStructEnd();
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kList, 2);
  w.WriteListBegin(Type::kStruct, 0);
  w.WriteStructEnd();
  auto s = DecodeJaegerThriftBatch(out, Protocol::kCompact).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unknown vType 9"), std::string::npos) << s;
}

TEST_P(BothProtocols, DeepNestingIsAnError) {
  // An unknown span field nesting lists 40 deep exceeds the default limit of 32.
  std::string out;
  Writer w(GetParam(), out);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("svc");
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kList, 2);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kList, 40);
  for (int i = 0; i < 40; ++i) w.WriteListBegin(Type::kList, 1);
  w.WriteListBegin(Type::kI32, 0);
  w.WriteStructEnd();
  w.WriteStructEnd();
  auto s = DecodeJaegerThriftBatch(out, GetParam()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nesting deeper than 32"), std::string::npos) << s;
  // With a higher limit the nesting passes and the (incomplete) span is what fails.
  JaegerThriftDecodeOptions options;
  options.max_depth = 64;
  auto s2 = DecodeJaegerThriftBatch(out, GetParam(), options).status();
  EXPECT_NE(s2.message().find("required field Span."), std::string::npos) << s2;
}

TEST_P(BothProtocols, MaximumSizeDatagrams) {
  // Spans large enough that several fill a 65,000-byte datagram (§1.6 default max packet size);
  // EncodeAgentEmitBatches splits them, every datagram fits, and every span arrives once.
  jaeger::Process p{"big", {}};
  std::vector<jaeger::Span> spans;
  const std::string payload(3000, 'x');
  for (int i = 0; i < 100; ++i) {
    jaeger::Span s;
    s.trace_id = TraceId{0, 1};
    s.span_id = SpanId{static_cast<uint64_t>(i + 1)};
    s.operation_name = "op";
    s.tags = {jaeger::Tag::String("payload", payload)};
    spans.push_back(s);
  }
  auto model = DecodeJaegerThriftBatch(EncodeJaegerThriftBatch(p, spans, GetParam()), GetParam());
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<std::string> datagrams = EncodeAgentEmitBatches(model->spans(), GetParam(), 65000);
  ASSERT_GE(datagrams.size(), 5u);
  size_t total = 0;
  size_t largest = 0;
  for (const std::string& d : datagrams) {
    EXPECT_LE(d.size(), 65000u);
    largest = std::max(largest, d.size());
    auto msg = DecodeAgentMessage(d, GetParam());
    ASSERT_TRUE(msg.ok()) << msg.status();
    total += msg->spans.size();
    for (const Span& s : msg->spans.spans()) {
      EXPECT_EQ(Attr(s, "payload")->string_value().size(), 3000u);
    }
  }
  EXPECT_EQ(total, 100u);
  EXPECT_GT(largest, 60000u);  // datagrams are actually filled, not one span each
}

TEST(JaegerThriftMalformedTest, MemoryIsLinearInInputSize) {
  // The densest input: a 65,000-byte compact datagram of empty-key LONG tags (5 bytes each).
  // The decoded set must stay within a small constant factor of the input.
  std::string tags;
  size_t count = 0;
  while (tags.size() + 5 <= 64000) {
    tags += Bytes({0x18, 0x00, 0x15, 0x06, 0x00});
    ++count;
  }
  std::string body =
      Bytes({0x1c, 0x18, 0x01, 's',  0x00, 0x19, 0x1c, 0x16, 0x02, 0x16, 0x00, 0x16, 0x02,
             0x16, 0x00, 0x18, 0x00, 0x25, 0x00, 0x16, 0x00, 0x16, 0x00, 0x19, 0xfc});
  thrift::Writer::AppendVarint(count, body);
  body += tags + Bytes({0x00, 0x00});
  auto set = DecodeJaegerThriftBatch(body, Protocol::kCompact);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 1u);
  EXPECT_EQ(set->spans()[0].attributes.size(), count);
  EXPECT_LT(set->bytes_used(), 20 * body.size());
}

TEST(JaegerThriftZipkinTest, EmitZipkinBatchExposesTheSpanList) {
  // emitZipkinBatch_args {1: list<zipkincore.Span>}: the list's bytes are handed on as they are.
  for (Protocol protocol : {Protocol::kBinary, Protocol::kCompact}) {
    std::string list_bytes;
    {
      Writer lw(protocol, list_bytes);
      lw.WriteListBegin(Type::kStruct, 1);
      lw.WriteStructBegin();
      lw.WriteFieldBegin(Type::kI64, 1);
      lw.WriteI64(42);
      lw.WriteFieldBegin(Type::kString, 3);
      lw.WriteString("zipkin-op");
      lw.WriteStructEnd();
    }
    std::string datagram;
    Writer w(protocol, datagram);
    w.WriteMessageBegin("emitZipkinBatch", MessageType::kOneway, 3);
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kList, 1);
    w.WriteRaw(list_bytes);
    w.WriteStructEnd();
    auto msg = DecodeAgentMessage(datagram, protocol);
    ASSERT_TRUE(msg.ok()) << msg.status();
    EXPECT_EQ(msg->method, AgentMessage::Method::kEmitZipkinBatch);
    EXPECT_EQ(msg->zipkin_spans, list_bytes);
    EXPECT_TRUE(msg->spans.empty());
  }
}

TEST_P(BothProtocols, PseudoRandomMutationsNeverCrash) {
  // Flip bytes of a valid datagram deterministically: every result is OK or InvalidArgument.
  Fixture f = RichBatch();
  const std::string base = EncodeAgentEmitBatch(f.process, f.spans, GetParam());
  uint64_t state = 12345;
  for (int round = 0; round < 5000; ++round) {
    std::string in = base;
    for (int k = 0; k < 1 + round % 4; ++k) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      in[(state >> 33) % in.size()] = static_cast<char>(state >> 56);
    }
    auto msg = DecodeAgentMessage(in, GetParam());
    ASSERT_TRUE(msg.ok() || msg.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace skua::model::convert

namespace skua::model::convert {
namespace {

// Payloads captured from the real clients (tests/fixtures/corpus, also the fuzz seeds): the npm
// jaeger-client's binary UDP datagram and HTTP body, ruby-jaeger-client's compact datagram and
// HTTP body (clients.md §1–§3).
std::string ReadFixture(const std::string& name) {
  // ctest sets SKUA_SOURCE_DIR; otherwise the tree this file sits in (src/model/convert/).
  const char* env = std::getenv("SKUA_SOURCE_DIR");
  std::string root =
      env ? env : (std::filesystem::path(__FILE__).parent_path() / "../../..").string();
  std::ifstream in(root + "/tests/fixtures/corpus/" + name, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(JaegerThriftCapturedTest, RealClientPayloadsDecode) {
  struct Case {
    std::string file;
    bool datagram;
    Protocol protocol;
    std::string service;
    size_t spans;
  };
  for (const Case& c : std::vector<Case>{{"jaeger_thrift_binary/node_jaeger_client_udp_emitbatch",
                                          true, Protocol::kBinary, "corpus-node", 3},
                                         {"jaeger_thrift_binary/node_jaeger_client_http_batch",
                                          false, Protocol::kBinary, "corpus-node", 3},
                                         {"jaeger_thrift_binary/ruby_jaeger_client_http_batch",
                                          false, Protocol::kBinary, "corpus-ruby", 2},
                                         {"jaeger_thrift_compact/ruby_jaeger_client_udp_emitbatch",
                                          true, Protocol::kCompact, "corpus-ruby", 2}}) {
    SCOPED_TRACE(c.file);
    std::string bytes = ReadFixture(c.file);
    ASSERT_FALSE(bytes.empty()) << "missing fixture";
    absl::StatusOr<SpanSet> set;
    if (c.datagram) {
      // Either port: the protocol is detected from the first byte.
      auto msg = DecodeAgentMessage(bytes, Protocol::kCompact);
      ASSERT_TRUE(msg.ok()) << msg.status();
      EXPECT_EQ(msg->protocol, c.protocol);
      set = std::move(msg->spans);
    } else {
      set = DecodeJaegerThriftBatch(bytes, c.protocol);
    }
    ASSERT_TRUE(set.ok()) << set.status();
    ASSERT_EQ(set->size(), c.spans);
    size_t children = 0;
    for (const Span& s : set->spans()) {
      EXPECT_EQ(s.service_name(), c.service);
      EXPECT_FALSE(s.trace_id.IsZero());
      EXPECT_GE(s.end_time_unix_nano, s.start_time_unix_nano);              // Node: ms precision
      EXPECT_GT(s.start_time_unix_nano, 1'500'000'000ull * 1'000'000'000);  // µs → ns
      if (!s.parent_span_id.IsZero()) ++children;
    }
    EXPECT_EQ(children, c.spans - 1);  // one root, every other span has its parent
  }
}

}  // namespace
}  // namespace skua::model::convert

// --- The fast path and the general decoder agree ------------------------------------------------
//
// Well-formed input in the usual layout is decoded by a fast path; everything else, and every
// error, by the general decoder (JaegerThriftDecodeOptions::fast_path). The two must agree on
// every input: the same status (code and message) or the same spans. The inputs below take the
// fast path through each of its branches and leave it at each point where it hands over.

namespace skua::model::convert {
namespace {

using thrift::MessageType;
using thrift::Protocol;
using thrift::Type;
using thrift::Writer;

// Decodes `batch` as an HTTP body, and wrapped in an agent datagram, with and without the fast
// path, and expects the same outcome.
void ExpectPathsAgree(const std::string& batch, Protocol protocol) {
  JaegerThriftDecodeOptions general;
  general.fast_path = false;
  std::string why;
  auto fast = DecodeJaegerThriftBatch(batch, protocol);
  auto slow = DecodeJaegerThriftBatch(batch, protocol, general);
  ASSERT_EQ(fast.status(), slow.status());
  if (fast.ok()) {
    ASSERT_TRUE(testing::SameSpans(fast->spans(), slow->spans(), &why)) << why;
  }

  std::string datagram;
  Writer w(protocol, datagram);
  w.WriteMessageBegin("emitBatch", MessageType::kOneway, 7);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  w.WriteRaw(batch);
  w.WriteStructEnd();
  auto fast_msg = DecodeAgentMessage(datagram, protocol);
  auto slow_msg = DecodeAgentMessage(datagram, protocol, general);
  ASSERT_EQ(fast_msg.status(), slow_msg.status());
  if (fast_msg.ok()) {
    EXPECT_EQ(fast_msg->seqid, slow_msg->seqid);
    ASSERT_TRUE(testing::SameSpans(fast_msg->spans.spans(), slow_msg->spans.spans(), &why)) << why;
  }
}

// ExpectPathsAgree on `base`, on its prefixes (every `stride`-th length), and on `mutations`
// pseudo-random byte changes.
void ExpectPathsAgreeWhenDamaged(const std::string& base, Protocol protocol, int mutations,
                                 size_t stride = 1) {
  ExpectPathsAgree(base, protocol);
  for (size_t n = 0; n < base.size(); n += stride) {
    ExpectPathsAgree(base.substr(0, n), protocol);
  }
  uint64_t state = base.size();
  for (int round = 0; round < mutations; ++round) {
    std::string in = base;
    for (int k = 0; k < 1 + round % 3; ++k) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      in[(state >> 33) % in.size()] = static_cast<char>(state >> 56);
    }
    ExpectPathsAgree(in, protocol);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

void WriteTag(Writer& w, std::string_view key, int32_t vtype, const std::function<void()>& value) {
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString(key);
  w.WriteFieldBegin(Type::kI32, 2);
  w.WriteI32(vtype);
  value();
  w.WriteStructEnd();
}

// Tags of every type in the usual layout, and some in others: value before key, an unknown field,
// a missing value, a value field that does not match vType, and a duplicated key field.
void WriteTags(Writer& w, int16_t id) {
  w.WriteFieldBegin(Type::kList, id);
  w.WriteListBegin(Type::kStruct, 13);
  WriteTag(w, "nan", 1, [&] {
    w.WriteFieldBegin(Type::kDouble, 4);
    w.WriteDouble(std::numeric_limits<double>::quiet_NaN());
  });
  WriteTag(w, "s", 0, [&] {
    w.WriteFieldBegin(Type::kString, 3);
    w.WriteString("str");
  });
  WriteTag(w, "span.kind", 0, [&] {
    w.WriteFieldBegin(Type::kString, 3);
    w.WriteString("client");
  });
  WriteTag(w, "d", 1, [&] {
    w.WriteFieldBegin(Type::kDouble, 4);
    w.WriteDouble(-2.5);
  });
  WriteTag(w, "t", 2, [&] {
    w.WriteFieldBegin(Type::kBool, 5);
    w.WriteBool(true);
  });
  WriteTag(w, "f", 2, [&] {
    w.WriteFieldBegin(Type::kBool, 5);
    w.WriteBool(false);
  });
  WriteTag(w, "l", 3, [&] {
    w.WriteFieldBegin(Type::kI64, 6);
    w.WriteI64(-1234567890123);
  });
  WriteTag(w, "x", 4, [&] {
    w.WriteFieldBegin(Type::kString, 7);
    w.WriteString(std::string_view("\0\1\2", 3));
  });
  WriteTag(w, "missing-value", 1, [] {});
  WriteTag(w, "mismatched", 3, [&] {
    w.WriteFieldBegin(Type::kString, 3);
    w.WriteString("not a long");
  });
  WriteTag(w, "extra", 0, [&] {
    w.WriteFieldBegin(Type::kString, 3);
    w.WriteString("v");
    w.WriteFieldBegin(Type::kI32, 40);
    w.WriteI32(1);
  });
  w.WriteStructBegin();  // value and type before the key
  w.WriteFieldBegin(Type::kString, 3);
  w.WriteString("late-key");
  w.WriteFieldBegin(Type::kI32, 2);
  w.WriteI32(0);
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("k2");
  w.WriteStructEnd();
  WriteTag(w, "first-key", 0, [&] {
    w.WriteFieldBegin(Type::kString, 1);
    w.WriteString("second-key");
    w.WriteFieldBegin(Type::kString, 3);
    w.WriteString("v");
  });
}

// One field of a Span, and a second value for it (to write it twice).
struct SpanField {
  int16_t id;
  std::function<void(Writer&, bool second)> write;
};

std::vector<SpanField> UsualSpanFields() {
  auto i64 = [](int16_t id, int64_t v) {
    return SpanField{id, [id, v](Writer& w, bool second) {
                       w.WriteFieldBegin(Type::kI64, id);
                       w.WriteI64(second ? v + 1 : v);
                     }};
  };
  return {
      i64(1, -0x1234567890abcdefll),
      i64(2, 0x99),
      i64(3, 0x55),
      i64(4, 0x44),
      {5,
       [](Writer& w, bool second) {
         w.WriteFieldBegin(Type::kString, 5);
         w.WriteString(second ? "op-2" : "op");
       }},
      {6,
       [](Writer& w, bool second) {
         w.WriteFieldBegin(Type::kList, 6);
         w.WriteListBegin(Type::kStruct, 2);
         for (int i = 0; i < 2; ++i) {
           w.WriteStructBegin();
           w.WriteFieldBegin(Type::kI32, 1);
           w.WriteI32(i);
           w.WriteFieldBegin(Type::kI64, 2);
           w.WriteI64(i == 0 ? -0x1234567890abcdefll : 3);
           w.WriteFieldBegin(Type::kI64, 3);
           w.WriteI64(i == 0 ? 0x99 : 0);
           w.WriteFieldBegin(Type::kI64, 4);
           w.WriteI64(second ? 0x45 : 0x44);
           w.WriteStructEnd();
         }
       }},
      {7,
       [](Writer& w, bool second) {
         w.WriteFieldBegin(Type::kI32, 7);
         w.WriteI32(second ? 3 : 1);
       }},
      i64(8, 1'700'000'000'000'000),
      i64(9, 1500),
      {10, [](Writer& w, bool) { WriteTags(w, 10); }},
      {11,
       [](Writer& w, bool second) {
         w.WriteFieldBegin(Type::kList, 11);
         w.WriteListBegin(Type::kStruct, 2);
         for (int i = 0; i < 2; ++i) {
           w.WriteStructBegin();
           w.WriteFieldBegin(Type::kI64, 1);
           w.WriteI64(second ? 20 : 10);
           WriteTags(w, 2);
           w.WriteStructEnd();
         }
       }},
  };
}

// A Batch of one process (with tags) and two spans of `fields`, written in that order.
std::string BatchOf(Protocol protocol,
                    const std::vector<std::pair<const SpanField*, bool>>& fields) {
  std::string out;
  Writer w(protocol, out);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("svc");
  WriteTags(w, 2);
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kList, 2);
  w.WriteListBegin(Type::kStruct, 2);
  for (int span = 0; span < 2; ++span) {
    w.WriteStructBegin();
    for (const auto& [field, second] : fields) field->write(w, second);
    w.WriteStructEnd();
  }
  w.WriteStructEnd();
  return out;
}

TEST_P(BothProtocols, FastPathAgreesWithGeneralDecoderOnEveryLayout) {
  const Protocol protocol = GetParam();
  const std::vector<SpanField> usual = UsualSpanFields();
  using Layout = std::vector<std::pair<const SpanField*, bool>>;
  Layout in_order;
  for (const SpanField& f : usual) in_order.push_back({&f, false});

  std::vector<std::pair<std::string, Layout>> layouts = {{"usual order", in_order}};
  Layout reversed(in_order.rbegin(), in_order.rend());
  layouts.push_back({"reversed", reversed});
  for (size_t i = 0; i < usual.size(); ++i) {
    const std::string id = std::to_string(usual[i].id);
    Layout without = in_order;
    without.erase(without.begin() + static_cast<ptrdiff_t>(i));
    layouts.push_back({"without field " + id, without});
    Layout moved = without;
    moved.push_back(in_order[i]);
    layouts.push_back({"field " + id + " last", moved});
    Layout twice = in_order;
    twice.insert(twice.begin() + static_cast<ptrdiff_t>(i) + 1, {&usual[i], true});
    layouts.push_back({"field " + id + " twice", twice});
    Layout again = in_order;
    again.push_back({&usual[i], true});
    layouts.push_back({"field " + id + " again at the end", again});
  }
  // A known field id with another type, at each position: skipped, so a required field is missing.
  std::vector<SpanField> mistyped;
  for (const SpanField& f : usual) {
    mistyped.push_back({f.id, [id = f.id](Writer& w, bool) {
                          w.WriteFieldBegin(id == 5 ? Type::kI64 : Type::kString, id);
                          if (id == 5) {
                            w.WriteI64(5);
                          } else {
                            w.WriteString("mistyped");
                          }
                        }});
  }
  for (size_t i = 0; i < usual.size(); ++i) {
    Layout l = in_order;
    l[i] = {&mistyped[i], false};
    layouts.push_back({"field " + std::to_string(usual[i].id) + " mistyped", l});
    Layout extra = in_order;
    extra.insert(extra.begin() + static_cast<ptrdiff_t>(i), {&mistyped[i], false});
    layouts.push_back({"mistyped copy before field " + std::to_string(usual[i].id), extra});
  }

  for (size_t i = 0; i < layouts.size(); ++i) {
    SCOPED_TRACE(layouts[i].first);
    // Every prefix of the usual layout; a sample of the others' (they share most of their bytes).
    ExpectPathsAgreeWhenDamaged(BatchOf(protocol, layouts[i].second), protocol, 100,
                                i == 0 ? 1 : 29);
    if (HasFatalFailure()) return;
  }
}

TEST_P(BothProtocols, FastPathAgreesWithGeneralDecoderOnOtherBatches) {
  const Protocol protocol = GetParam();
  Fixture f = RichBatch();
  ExpectPathsAgreeWhenDamaged(EncodeJaegerThriftBatch(f.process, f.spans, protocol), protocol,
                              2000);
  for (bool spans_first : {false, true}) {
    ExpectPathsAgreeWhenDamaged(BatchWithJunk(protocol, spans_first), protocol, 500);
  }
  // A span list that is not of structs, an empty span list, a batch of nothing but a process.
  for (Type element : {Type::kI32, Type::kStruct}) {
    std::string out;
    Writer w(protocol, out);
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kStruct, 1);
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kString, 1);
    w.WriteString("svc");
    w.WriteStructEnd();
    w.WriteFieldBegin(Type::kList, 2);
    w.WriteListBegin(element, 0);
    w.WriteStructEnd();
    ExpectPathsAgreeWhenDamaged(out, protocol, 50);
  }
}

TEST_P(BothProtocols, FastPathRespectsTheDepthLimit) {
  // A Batch nests 7 levels down to a log field's Tag (Batch, spans, Span, logs, Log, fields, Tag);
  // the limit cuts in at each level.
  Fixture f = RichBatch();
  const std::string batch = EncodeJaegerThriftBatch(f.process, f.spans, GetParam());
  for (uint32_t depth = 0; depth <= 8; ++depth) {
    SCOPED_TRACE(depth);
    JaegerThriftDecodeOptions fast, general;
    fast.max_depth = general.max_depth = depth;
    general.fast_path = false;
    auto a = DecodeJaegerThriftBatch(batch, GetParam(), fast);
    auto b = DecodeJaegerThriftBatch(batch, GetParam(), general);
    ASSERT_EQ(a.status(), b.status());
    EXPECT_EQ(a.ok(), depth >= 7);
  }
}

}  // namespace
}  // namespace skua::model::convert
