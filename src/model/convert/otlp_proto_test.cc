// Tests for the hand-written OTLP protobuf codec (jaeger-compat §1.2 OTLP gRPC and §1.3 OTLP HTTP
// protobuf bodies), checked against messages built and parsed by libprotobuf's generated classes.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "model/convert/otlp.h"
#include "model/convert/otlp_test_requests.h"
#include "model/convert/otlp_test_util.h"
#include "opentelemetry/proto/trace/v1/trace.pb.h"

namespace skua::model::convert {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using testing::ExpectSetMatchesRequest;
using ::testing::HasSubstr;
using testing::MakeFullRequest;
using testing::SpansEquivalent;
namespace pb_common = testing::pb_common;
namespace pb_trace = testing::pb_trace;
namespace pb_collector = testing::pb_collector;

absl::StatusOr<SpanSet> Decode(const google::protobuf::Message& m, OtlpDecodeOptions options = {}) {
  return DecodeOtlpProto(m.SerializeAsString(), options);
}

void ExpectInvalid(const absl::StatusOr<SpanSet>& result, const std::string& fragment) {
  ASSERT_FALSE(result.ok()) << "expected an error containing '" << fragment << "'";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr(fragment));
}

// A minimal valid request with one span, to mutate in error tests.
pb_collector::ExportTraceServiceRequest OneSpanRequest() {
  pb_collector::ExportTraceServiceRequest req;
  auto* span = req.add_resource_spans()->add_scope_spans()->add_spans();
  span->set_trace_id(testing::TraceIdBytes(1, 2));
  span->set_span_id(testing::BigEndian64(3));
  span->set_name("op");
  return req;
}

pb_trace::Span* FirstSpan(pb_collector::ExportTraceServiceRequest& req) {
  return req.mutable_resource_spans(0)->mutable_scope_spans(0)->mutable_spans(0);
}

// §1.2/§1.3: a libprotobuf-serialized request decodes field for field.
TEST(OtlpProtoDecode, DecodesEveryFieldOfALibprotobufRequest) {
  pb_collector::ExportTraceServiceRequest req = MakeFullRequest();
  auto set = Decode(req);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->size(), 4u);
  ExpectSetMatchesRequest(req, *set);
  EXPECT_EQ(set->spans()[0].service_name(), "checkout");
  EXPECT_EQ(set->spans()[2].service_name(), "checkout");
  EXPECT_EQ(set->spans()[3].service_name(), "payments");
  EXPECT_NE(set->spans()[0].scope, set->spans()[2].scope);
}

// TracesData shares field 1 with ExportTraceServiceRequest, so the same decoder reads both.
TEST(OtlpProtoDecode, DecodesTracesData) {
  pb_collector::ExportTraceServiceRequest req = MakeFullRequest();
  pb_trace::TracesData data;
  data.mutable_resource_spans()->CopyFrom(req.resource_spans());
  auto set = Decode(data);
  ASSERT_TRUE(set.ok()) << set.status();
  ExpectSetMatchesRequest(req, *set);
}

TEST(OtlpProtoDecode, EmptyInputIsAnEmptyRequest) {
  auto set = DecodeOtlpProto("");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->empty());
}

TEST(OtlpProtoDecode, ServiceNameIsCachedOnlyFromAStringAttribute) {
  pb_collector::ExportTraceServiceRequest req = OneSpanRequest();
  testing::AddInt(req.mutable_resource_spans(0)->mutable_resource()->mutable_attributes(),
                  "service.name", 5);
  auto set = Decode(req);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->spans()[0].service_name(), "");

  req = OneSpanRequest();
  auto set2 = Decode(req);
  ASSERT_TRUE(set2.ok());
  ASSERT_NE(set2->spans()[0].resource, nullptr);
  ASSERT_NE(set2->spans()[0].scope, nullptr);
  EXPECT_EQ(set2->spans()[0].service_name(), "");
}

// Decoded strings must not point into the input buffer: the SpanSet owns everything.
TEST(OtlpProtoDecode, StringsAreOwnedByTheSpanSet) {
  std::string bytes = MakeFullRequest().SerializeAsString();
  auto set = DecodeOtlpProto(bytes);
  ASSERT_TRUE(set.ok());
  std::string copy_of_name(set->spans()[0].name);
  std::fill(bytes.begin(), bytes.end(), 'X');
  EXPECT_EQ(set->spans()[0].name, copy_of_name);
  EXPECT_EQ(set->spans()[0].resource->service_name, "checkout");
}

TEST(OtlpProtoDecode, OutOfRangeEnumsMapToUnspecified) {
  pb_collector::ExportTraceServiceRequest req = OneSpanRequest();
  FirstSpan(req)->set_kind(static_cast<pb_trace::Span::SpanKind>(9));
  FirstSpan(req)->mutable_status()->set_code(static_cast<pb_trace::Status::StatusCode>(-3));
  auto set = Decode(req);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->spans()[0].kind, SpanKind::kUnspecified);
  EXPECT_EQ(set->spans()[0].status.code, StatusCode::kUnset);
}

// Adds an unknown field of every wire type to `m`, plus its known field `known_number` with the
// wrong wire type (which protobuf parsers also treat as unknown).
void AddUnknownFields(google::protobuf::Message* m, int known_number) {
  auto* unknown = m->GetReflection()->MutableUnknownFields(m);
  unknown->AddVarint(1000, 12345678901234ULL);
  unknown->AddFixed32(1001, 7);
  unknown->AddFixed64(1002, 8);
  unknown->AddLengthDelimited(1003, "opaque");
  unknown->AddLengthDelimited(19, std::string("\x0a\x02zz", 4));
  unknown->AddFixed64(known_number, 99);
}

// §1.3 and clients.md §3: unknown fields are skipped at every level, never an error.
TEST(OtlpProtoDecode, SkipsUnknownFieldsAtEveryLevel) {
  pb_collector::ExportTraceServiceRequest plain = MakeFullRequest();
  pb_collector::ExportTraceServiceRequest req = plain;
  AddUnknownFields(&req, 2);
  auto* rs = req.mutable_resource_spans(0);
  AddUnknownFields(rs, 3);
  AddUnknownFields(rs->mutable_resource(), 2);
  auto* ss = rs->mutable_scope_spans(0);
  AddUnknownFields(ss, 3);
  AddUnknownFields(ss->mutable_scope(), 1);
  auto* span = ss->mutable_spans(0);
  AddUnknownFields(span, 5);
  AddUnknownFields(span->mutable_attributes(0), 1);
  AddUnknownFields(span->mutable_attributes(0)->mutable_value(), 1);
  AddUnknownFields(span->mutable_events(0), 2);
  AddUnknownFields(span->mutable_links(0), 3);
  AddUnknownFields(span->mutable_status(), 2);
  for (auto& kv : *span->mutable_attributes()) {
    if (kv.value().has_array_value())
      AddUnknownFields(kv.mutable_value()->mutable_array_value(), 2);
    if (kv.value().has_kvlist_value()) {
      AddUnknownFields(kv.mutable_value()->mutable_kvlist_value(), 2);
    }
  }
  // Status field 1 was the deprecated code; senders may still set it.
  span->mutable_status()
      ->GetReflection()
      ->MutableUnknownFields(span->mutable_status())
      ->AddVarint(1, 2);

  auto with_unknown = Decode(req);
  ASSERT_TRUE(with_unknown.ok()) << with_unknown.status();
  auto without = Decode(plain);
  ASSERT_TRUE(without.ok());
  std::string why;
  EXPECT_TRUE(SpansEquivalent(with_unknown->spans(), without->spans(), &why)) << why;
  ExpectSetMatchesRequest(plain, *with_unknown);
}

// §1.3: a body that does not decode is a 400 (InvalidArgument). Every strict prefix of a request
// is either a shorter valid request (cut at a top-level field boundary) or InvalidArgument.
TEST(OtlpProtoDecode, TruncatedInputNeverCrashes) {
  std::string bytes = MakeFullRequest().SerializeAsString();
  size_t ok_prefixes = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto set = DecodeOtlpProto(std::string_view(bytes.data(), n));
    if (set.ok()) {
      ++ok_prefixes;
      EXPECT_LT(set->size(), 4u) << n;
    } else {
      EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << n;
    }
  }
  // Only the empty prefix and the cut between the two ResourceSpans are complete messages.
  EXPECT_EQ(ok_prefixes, 2u);
  ExpectInvalid(DecodeOtlpProto(std::string_view(bytes.data(), bytes.size() - 1)),
                "length exceeds");
}

TEST(OtlpProtoDecode, RejectsBadVarints) {
  // An 11-byte varint in an unknown field.
  ExpectInvalid(DecodeOtlpProto(std::string("\x10") + std::string(10, '\xff') + "\x01"), "varint");
  // A varint cut off by the end of input.
  ExpectInvalid(DecodeOtlpProto(std::string("\x10\x80\x80", 3)), "varint");
  // A tag cut off by the end of input.
  ExpectInvalid(DecodeOtlpProto(std::string("\x80", 1)), "tag");
  // A length prefix cut off, and one larger than the input.
  ExpectInvalid(DecodeOtlpProto(std::string("\x0a\x80", 2)), "length");
  ExpectInvalid(DecodeOtlpProto(std::string("\x0a\x05"
                                            "abc",
                                            5)),
                "length exceeds");
  // A length near 2^64 must not wrap the bounds check.
  ExpectInvalid(DecodeOtlpProto(std::string("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11)),
                "length exceeds");
  // Field number 0 is invalid.
  ExpectInvalid(DecodeOtlpProto(std::string("\x00\x00", 2)), "tag");
  // Truncated fixed-width values.
  ExpectInvalid(DecodeOtlpProto(std::string("\x11\x01\x02", 3)), "fixed64");
  ExpectInvalid(DecodeOtlpProto(std::string("\x15\x01\x02", 3)), "fixed32");
}

TEST(OtlpProtoDecode, RejectsGroupsAndInvalidWireTypes) {
  ExpectInvalid(DecodeOtlpProto(std::string("\x0b\x0c", 2)), "groups");
  ExpectInvalid(DecodeOtlpProto(std::string("\x0e", 1)), "wire type");
  ExpectInvalid(DecodeOtlpProto(std::string("\x0f", 1)), "wire type");
  // A group inside a span.
  pb_collector::ExportTraceServiceRequest req = OneSpanRequest();
  pb_trace::Span* span = FirstSpan(req);
  auto* unknown = span->GetReflection()->MutableUnknownFields(span);
  unknown->AddGroup(50)->AddVarint(1, 1);
  ExpectInvalid(Decode(req), "groups");
}

TEST(OtlpProtoDecode, RejectsWrongIdLengths) {
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->set_trace_id(std::string(15, '\x01'));
    ExpectInvalid(Decode(req), "trace_id must be 16 bytes");
  }
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->set_trace_id(std::string(17, '\x01'));
    ExpectInvalid(Decode(req), "trace_id must be 16 bytes");
  }
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->set_span_id(std::string(7, '\x01'));
    ExpectInvalid(Decode(req), "span_id must be 8 bytes");
  }
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->set_parent_span_id(std::string(4, '\x01'));
    ExpectInvalid(Decode(req), "parent_span_id");
  }
  {
    auto req = OneSpanRequest();
    auto* link = FirstSpan(req)->add_links();
    link->set_trace_id("abc");
    ExpectInvalid(Decode(req), "trace_id must be 16 bytes");
  }
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->add_links()->set_span_id("abcdefghi");
    ExpectInvalid(Decode(req), "span_id must be 8 bytes");
  }
}

TEST(OtlpProtoDecode, RejectsMissingOrZeroIds) {
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->clear_trace_id();
    ExpectInvalid(Decode(req), "trace_id");
  }
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->set_trace_id(std::string(16, '\0'));
    ExpectInvalid(Decode(req), "all-zero trace_id");
  }
  {
    auto req = OneSpanRequest();
    FirstSpan(req)->set_span_id(std::string(8, '\0'));
    ExpectInvalid(Decode(req), "all-zero span_id");
  }
  {
    // An empty parent span ID means a root span; links may omit their IDs.
    auto req = OneSpanRequest();
    FirstSpan(req)->set_parent_span_id("");
    FirstSpan(req)->add_links()->set_trace_state("x");
    auto set = Decode(req);
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_TRUE(set->spans()[0].parent_span_id.IsZero());
    EXPECT_TRUE(set->spans()[0].links[0].trace_id.IsZero());
  }
}

pb_common::AnyValue NestedArrays(int depth) {
  pb_common::AnyValue v;
  v.set_int_value(1);
  for (int i = 0; i < depth; ++i) {
    pb_common::AnyValue outer;
    if (i % 2 == 0) {
      *outer.mutable_array_value()->add_values() = v;
    } else {
      auto* kv = outer.mutable_kvlist_value()->add_values();
      kv->set_key("k");
      *kv->mutable_value() = v;
    }
    v = outer;
  }
  return v;
}

TEST(OtlpProtoDecode, LimitsValueNesting) {
  OtlpDecodeOptions defaults;
  ASSERT_EQ(defaults.max_value_depth, 32u);
  for (int depth : {1, 31, 32}) {
    auto req = OneSpanRequest();
    auto* kv = FirstSpan(req)->add_attributes();
    kv->set_key("deep");
    *kv->mutable_value() = NestedArrays(depth);
    auto set = Decode(req);
    ASSERT_TRUE(set.ok()) << depth << " " << set.status();
    testing::ExpectValueMatches(kv->value(), set->spans()[0].attributes[0].value);
  }
  auto req = OneSpanRequest();
  auto* kv = FirstSpan(req)->add_attributes();
  kv->set_key("deep");
  *kv->mutable_value() = NestedArrays(33);
  ExpectInvalid(Decode(req), "nested too deeply");

  *kv->mutable_value() = NestedArrays(3);
  OtlpDecodeOptions tight;
  tight.max_value_depth = 2;
  ExpectInvalid(Decode(req, tight), "nested too deeply");
  tight.max_value_depth = 3;
  EXPECT_TRUE(Decode(req, tight).ok());
}

// Encoding: our bytes parse with libprotobuf into exactly the message we decoded.
TEST(OtlpProtoEncode, RoundTripsThroughLibprotobuf) {
  pb_collector::ExportTraceServiceRequest req = MakeFullRequest();
  auto set = Decode(req);
  ASSERT_TRUE(set.ok());
  std::string encoded = EncodeOtlpProto(set->spans());
  pb_collector::ExportTraceServiceRequest reparsed;
  ASSERT_TRUE(reparsed.ParseFromString(encoded));
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(req, reparsed)) << diff;

  auto again = DecodeOtlpProto(encoded);
  ASSERT_TRUE(again.ok());
  std::string why;
  EXPECT_TRUE(SpansEquivalent(set->spans(), again->spans(), &why)) << why;
}

// Spans built by hand (not decoded) encode too, and consecutive spans with the same resource and
// scope (by pointer or by content) share one ResourceSpans / ScopeSpans.
TEST(OtlpProtoEncode, GroupsConsecutiveSpansByResourceAndScope) {
  SpanSet set;
  Arena& arena = set.arena();
  auto attrs = [&](std::string_view service) {
    KeyValue* kv = arena.AllocateArray<KeyValue>(1);
    kv[0] = KeyValue{arena.CopyString("service.name"), AnyValue::String(arena.CopyString(service))};
    return Attributes(kv, 1);
  };
  const Resource* frontend = MakeResource(arena, attrs("frontend"));
  const Resource* frontend_copy = MakeResource(arena, attrs("frontend"));
  const Resource* backend = MakeResource(arena, attrs("backend"));
  Scope* lib_a = arena.New<Scope>();
  lib_a->name = "a";
  Scope* lib_b = arena.New<Scope>();
  lib_b->name = "b";
  auto add = [&](const Resource* r, const Scope* s, uint64_t id) {
    Span& span = set.spans().emplace_back();
    span.trace_id = TraceId{1, 2};
    span.span_id = SpanId{id};
    span.resource = r;
    span.scope = s;
  };
  add(frontend, lib_a, 1);
  add(frontend_copy, lib_a, 2);  // equal content: same group
  add(frontend, lib_b, 3);       // new scope, same resource
  add(backend, lib_b, 4);
  add(frontend, lib_a, 5);  // not consecutive with the first group

  pb_collector::ExportTraceServiceRequest req;
  ASSERT_TRUE(req.ParseFromString(EncodeOtlpProto(set.spans())));
  ASSERT_EQ(req.resource_spans_size(), 3);
  EXPECT_EQ(req.resource_spans(0).scope_spans_size(), 2);
  EXPECT_EQ(req.resource_spans(0).scope_spans(0).spans_size(), 2);
  EXPECT_EQ(req.resource_spans(0).scope_spans(0).scope().name(), "a");
  EXPECT_EQ(req.resource_spans(0).scope_spans(1).spans_size(), 1);
  EXPECT_EQ(req.resource_spans(0).scope_spans(1).scope().name(), "b");
  EXPECT_EQ(req.resource_spans(1).resource().attributes(0).value().string_value(), "backend");
  EXPECT_EQ(req.resource_spans(2).scope_spans(0).spans(0).span_id(), testing::BigEndian64(5));

  auto decoded = DecodeOtlpProto(EncodeOtlpProto(set.spans()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  std::string why;
  EXPECT_TRUE(SpansEquivalent(set.spans(), decoded->spans(), &why)) << why;
}

TEST(OtlpProtoEncode, EmptyInputEncodesAnEmptyRequest) { EXPECT_EQ(EncodeOtlpProto({}), ""); }

// Non-finite and signed-zero doubles and extreme integers survive the protobuf round trip.
TEST(OtlpProtoEncode, PreservesExtremeValues) {
  auto req = OneSpanRequest();
  auto* span = FirstSpan(req);
  for (double d : {0.0, -0.0, 1e308, -1e-308, std::numeric_limits<double>::infinity(),
                   std::numeric_limits<double>::quiet_NaN()}) {
    auto* kv = span->add_attributes();
    kv->set_key("d");
    kv->mutable_value()->set_double_value(d);
  }
  testing::AddInt(span->mutable_attributes(), "max", INT64_MAX);
  testing::AddInt(span->mutable_attributes(), "min", INT64_MIN);
  span->set_start_time_unix_nano(UINT64_MAX);
  span->set_flags(UINT32_MAX);
  auto set = Decode(req);
  ASSERT_TRUE(set.ok());
  auto again = DecodeOtlpProto(EncodeOtlpProto(set->spans()));
  ASSERT_TRUE(again.ok());
  std::string why;
  EXPECT_TRUE(SpansEquivalent(set->spans(), again->spans(), &why)) << why;
  EXPECT_EQ(again->spans()[0].start_time_unix_nano, UINT64_MAX);
  EXPECT_EQ(again->spans()[0].flags, UINT32_MAX);
}

// §1.3: decode errors are answered with a google.rpc.Status body in the request's encoding.
TEST(OtlpProtoEncode, RpcStatusParsesWithLibprotobuf) {
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(EncodeRpcStatusProto(3, "invalid OTLP protobuf: boom")));
  EXPECT_EQ(status.code(), 3);
  EXPECT_EQ(status.message(), "invalid OTLP protobuf: boom");
  ASSERT_TRUE(status.ParseFromString(EncodeRpcStatusProto(-2, "")));
  EXPECT_EQ(status.code(), -2);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(EncodeRpcStatusProto(0, ""), "");
}

}  // namespace
}  // namespace skua::model::convert
