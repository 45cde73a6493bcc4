#include "model/convert/jaeger_proto.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jaeger/api_v2/collector.pb.h"
#include "jaeger/api_v2/model.pb.h"
#include "model/convert/from_jaeger.h"

namespace skua::model::convert {
namespace {

namespace pb = ::jaeger::api_v2;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string Bytes16(uint64_t high, uint64_t low) {
  uint8_t b[16];
  TraceId{high, low}.ToBytes(b);
  return std::string(reinterpret_cast<const char*>(b), 16);
}
std::string Bytes8(uint64_t v) {
  uint8_t b[8];
  SpanId{v}.ToBytes(b);
  return std::string(reinterpret_cast<const char*>(b), 8);
}

// --- An independent reading of a libprotobuf message, as the oracle -------------------------

// A tag from a libprotobuf KeyValue, read by v_type (jaeger-compat §1.4).
jaeger::Tag TagFromProto(const pb::KeyValue& kv) {
  switch (kv.v_type()) {
    case pb::BOOL:
      return jaeger::Tag::Bool(kv.key(), kv.v_bool());
    case pb::INT64:
      return jaeger::Tag::Int(kv.key(), kv.v_int64());
    case pb::FLOAT64:
      return jaeger::Tag::Float(kv.key(), kv.v_float64());
    case pb::BINARY:
      return jaeger::Tag::Binary(kv.key(), kv.v_binary());
    default:
      return jaeger::Tag::String(kv.key(), kv.v_str());
  }
}

std::string Describe(const jaeger::Tag& t) {
  return std::string(t.key) + ":" + std::string(jaeger::TagTypeName(t.type)) + "=" +
         jaeger::TagValueString(t);
}

// Tags sorted, so that the derived-tag order of §1.9 does not matter.
std::string DescribeTags(std::vector<std::string> tags) {
  std::sort(tags.begin(), tags.end());
  std::string out;
  for (const std::string& t : tags) absl::StrAppend(&out, t, "; ");
  return out;
}

uint64_t Micros(const google::protobuf::Timestamp& t) {
  return static_cast<uint64_t>(t.seconds()) * 1'000'000 + t.nanos() / 1000;
}
uint64_t Micros(const google::protobuf::Duration& d) {
  return static_cast<uint64_t>(d.seconds()) * 1'000'000 + d.nanos() / 1000;
}

std::string DescribeProcess(const pb::Process& p) {
  std::vector<std::string> tags;
  for (const pb::KeyValue& kv : p.tags()) tags.push_back(Describe(TagFromProto(kv)));
  return absl::StrCat(p.service_name(), " {", DescribeTags(tags), "}");
}

// One line per span with everything the decoder must carry over; the process is the span's own
// or else the batch's (§1.4).
std::vector<std::string> Expected(const pb::PostSpansRequest& request) {
  std::vector<std::string> out;
  const pb::Batch& batch = request.batch();
  for (const pb::Span& s : batch.spans()) {
    std::string line = absl::StrCat(
        TraceId::FromBytes(reinterpret_cast<const uint8_t*>(s.trace_id().data())).ToHex(), " ",
        SpanId::FromBytes(reinterpret_cast<const uint8_t*>(s.span_id().data())).ToHex(), " ",
        s.operation_name(), " flags=", s.flags(), " start=", Micros(s.start_time()),
        " duration=", Micros(s.duration()), " refs=[");
    for (const pb::SpanRef& r : s.references()) {
      absl::StrAppend(
          &line, r.ref_type() == pb::FOLLOWS_FROM ? "FOLLOWS_FROM " : "CHILD_OF ",
          TraceId::FromBytes(reinterpret_cast<const uint8_t*>(r.trace_id().data())).ToHex(), "/",
          SpanId::FromBytes(reinterpret_cast<const uint8_t*>(r.span_id().data())).ToHex(), " ");
    }
    std::vector<std::string> tags;
    for (const pb::KeyValue& kv : s.tags()) tags.push_back(Describe(TagFromProto(kv)));
    absl::StrAppend(&line, "] tags={", DescribeTags(tags), "} logs=[");
    for (const pb::Log& log : s.logs()) {
      std::vector<std::string> fields;
      for (const pb::KeyValue& kv : log.fields()) fields.push_back(Describe(TagFromProto(kv)));
      absl::StrAppend(&line, Micros(log.timestamp()), " {", DescribeTags(fields), "} ");
    }
    absl::StrAppend(&line,
                    "] process=", DescribeProcess(s.has_process() ? s.process() : batch.process()));
    out.push_back(line);
  }
  return out;
}

// The same lines from decoded model spans, read back through the Jaeger view (§1.9).
std::vector<std::string> Actual(const SpanSet& set) {
  jaeger::JaegerTrace trace = jaeger::ToJaegerTrace(set);
  std::vector<std::string> out;
  for (const jaeger::Span& s : trace.spans) {
    std::string line = absl::StrCat(
        s.trace_id.ToHex(), " ", s.span_id.ToHex(), " ", std::string(s.operation_name),
        " flags=", s.flags, " start=", s.start_time_us, " duration=", s.duration_us, " refs=[");
    for (const jaeger::Reference& r : s.references) {
      absl::StrAppend(&line,
                      r.type == jaeger::RefType::kFollowsFrom ? "FOLLOWS_FROM " : "CHILD_OF ",
                      r.trace_id.ToHex(), "/", r.span_id.ToHex(), " ");
    }
    std::vector<std::string> tags;
    for (const jaeger::Tag& t : s.tags) tags.push_back(Describe(t));
    absl::StrAppend(&line, "] tags={", DescribeTags(tags), "} logs=[");
    for (const jaeger::Log& log : s.logs) {
      std::vector<std::string> fields;
      for (const jaeger::Tag& t : log.fields) fields.push_back(Describe(t));
      absl::StrAppend(&line, log.timestamp_us, " {", DescribeTags(fields), "} ");
    }
    const jaeger::Process& p = trace.processes[s.process_index];
    std::vector<std::string> ptags;
    for (const jaeger::Tag& t : p.tags) ptags.push_back(Describe(t));
    absl::StrAppend(&line, "] process=", std::string(p.service_name), " {", DescribeTags(ptags),
                    "}");
    out.push_back(line);
  }
  return out;
}

// --- Test payloads ---------------------------------------------------------------------------

void SetTime(google::protobuf::Timestamp* t, int64_t seconds, int32_t nanos) {
  t->set_seconds(seconds);
  t->set_nanos(nanos);
}

pb::KeyValue* AddTag(google::protobuf::RepeatedPtrField<pb::KeyValue>* tags, std::string key) {
  pb::KeyValue* kv = tags->Add();
  kv->set_key(std::move(key));
  return kv;
}

// A batch as a Jaeger client sends it: the process once on the batch, every tag type, references
// of both kinds, logs with and without an `event` field, and one span with its own process.
pb::PostSpansRequest SampleRequest() {
  pb::PostSpansRequest request;
  pb::Batch* batch = request.mutable_batch();
  pb::Process* process = batch->mutable_process();
  process->set_service_name("frontend");
  AddTag(process->mutable_tags(), "hostname")->set_v_str("host-1");
  pb::KeyValue* ip = AddTag(process->mutable_tags(), "ip.int");
  ip->set_v_type(pb::INT64);
  ip->set_v_int64(0x7f000001);

  pb::Span* root = batch->add_spans();
  root->set_trace_id(Bytes16(0x1122334455667788, 0x99aabbccddeeff00));
  root->set_span_id(Bytes8(0x1));
  root->set_operation_name("HTTP GET /dispatch");
  root->set_flags(1);
  SetTime(root->mutable_start_time(), 1'700'000'000, 123'456'789);
  root->mutable_duration()->set_seconds(2);
  root->mutable_duration()->set_nanos(500'000);
  AddTag(root->mutable_tags(), "span.kind")->set_v_str("server");
  AddTag(root->mutable_tags(), "http.method")->set_v_str("GET");
  pb::KeyValue* b = AddTag(root->mutable_tags(), "sampler.decision");
  b->set_v_type(pb::BOOL);
  b->set_v_bool(true);
  pb::KeyValue* i = AddTag(root->mutable_tags(), "http.status_code");
  i->set_v_type(pb::INT64);
  i->set_v_int64(-200);
  pb::KeyValue* f = AddTag(root->mutable_tags(), "sampler.param");
  f->set_v_type(pb::FLOAT64);
  f->set_v_float64(0.001);
  pb::KeyValue* bin = AddTag(root->mutable_tags(), "blob");
  bin->set_v_type(pb::BINARY);
  bin->set_v_binary(std::string("\x00\xff\x10", 3));
  pb::Log* log = root->add_logs();
  SetTime(log->mutable_timestamp(), 1'700'000'000, 500'000'000);
  AddTag(log->mutable_fields(), "event")->set_v_str("cache miss");
  AddTag(log->mutable_fields(), "key")->set_v_str("customer:123");
  pb::Log* plain = root->add_logs();
  SetTime(plain->mutable_timestamp(), 1'700'000'001, 0);
  AddTag(plain->mutable_fields(), "message")->set_v_str("no event field");

  pb::Span* child = batch->add_spans();
  child->set_trace_id(root->trace_id());
  child->set_span_id(Bytes8(0x2));
  child->set_operation_name("SQL SELECT");
  SetTime(child->mutable_start_time(), 1'700'000'000, 200'000'000);
  child->mutable_duration()->set_nanos(30'000'000);
  pb::SpanRef* parent = child->add_references();
  parent->set_trace_id(root->trace_id());
  parent->set_span_id(root->span_id());
  pb::SpanRef* other = child->add_references();
  other->set_trace_id(Bytes16(0, 0x42));
  other->set_span_id(Bytes8(0x77));
  other->set_ref_type(pb::FOLLOWS_FROM);
  AddTag(child->mutable_tags(), "span.kind")->set_v_str("client");

  pb::Span* own = batch->add_spans();
  own->set_trace_id(root->trace_id());
  own->set_span_id(Bytes8(0x3));
  own->set_operation_name("consume");
  SetTime(own->mutable_start_time(), 1'700'000'000, 300'000'000);
  own->mutable_duration()->set_nanos(1'000);
  pb::SpanRef* follows = own->add_references();
  follows->set_trace_id(root->trace_id());
  follows->set_span_id(child->span_id());
  follows->set_ref_type(pb::FOLLOWS_FROM);
  own->mutable_process()->set_service_name("worker");
  AddTag(own->mutable_process()->mutable_tags(), "queue")->set_v_str("orders");
  return request;
}

absl::StatusOr<SpanSet> Decode(const pb::PostSpansRequest& request) {
  return DecodeJaegerPostSpansRequest(request.SerializeAsString());
}

// --- Decoder ---------------------------------------------------------------------------------

// jaeger-compat §1.4: a libprotobuf-encoded PostSpansRequest decodes field for field.
TEST(JaegerProtoDecodeTest, MatchesLibprotobufMessage) {
  pb::PostSpansRequest request = SampleRequest();
  absl::StatusOr<SpanSet> set = Decode(request);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(request)));

  const auto& spans = set->spans();
  ASSERT_THAT(spans, SizeIs(3));
  EXPECT_EQ(spans[0].kind, SpanKind::kServer);
  EXPECT_EQ(spans[0].start_time_unix_nano, 1'700'000'000'123'456'000u);  // µs precision (§1.4)
  EXPECT_EQ(spans[0].end_time_unix_nano - spans[0].start_time_unix_nano, 2'000'500'000u);
  EXPECT_EQ(spans[0].events[0].name, "cache miss");
  EXPECT_EQ(spans[1].parent_span_id, SpanId{1});
  EXPECT_EQ(spans[2].parent_span_id, SpanId{2});  // FOLLOWS_FROM parent (§1.4 parent rule)
  EXPECT_EQ(spans[0].service_name(), "frontend");
  EXPECT_EQ(spans[2].service_name(), "worker");
}

// jaeger-compat §1.4: spans without a process inherit the batch's, which is decoded even though it
// follows the spans on the wire; spans of one process share one resource.
TEST(JaegerProtoDecodeTest, ProcessInheritance) {
  pb::PostSpansRequest request = SampleRequest();
  // A span whose own process equals the batch's shares the batch resource.
  pb::Span* same = request.mutable_batch()->add_spans();
  *same = request.batch().spans(1);
  same->set_span_id(Bytes8(0x4));
  *same->mutable_process() = request.batch().process();
  absl::StatusOr<SpanSet> set = Decode(request);
  ASSERT_TRUE(set.ok()) << set.status();
  const auto& spans = set->spans();
  ASSERT_THAT(spans, SizeIs(4));
  EXPECT_EQ(spans[0].resource, spans[1].resource);
  EXPECT_EQ(spans[0].resource, spans[3].resource);
  EXPECT_NE(spans[0].resource, spans[2].resource);
  const AnyValue* host = FindAttribute(spans[1].resource->attributes, "hostname");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->string_value(), "host-1");
  EXPECT_EQ(FindAttribute(spans[2].resource->attributes, "hostname"), nullptr);
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(request)));
}

// jaeger-compat §1.4: when no span carries its own process, the decoder reads the request in one
// pass and resolves the batch resource at the end; the result must be the same as the two-pass
// decode gives: every span shares the batch resource (decoded although it follows the spans),
// repeated batches merge, and spans without any process share one empty resource.
TEST(JaegerProtoDecodeTest, SinglePassWithoutSpanProcesses) {
  pb::PostSpansRequest request = SampleRequest();
  for (pb::Span& span : *request.mutable_batch()->mutable_spans()) span.clear_process();
  absl::StatusOr<SpanSet> set = Decode(request);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_THAT(set->spans(), SizeIs(3));
  for (const Span& span : set->spans()) {
    EXPECT_EQ(span.resource, set->spans()[0].resource);
    EXPECT_EQ(span.service_name(), "frontend");
  }
  const AnyValue* host = FindAttribute(set->spans()[2].resource->attributes, "hostname");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->string_value(), "host-1");
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(request)));

  // Two batch fields: the merged process (service name of the last) applies to all spans.
  pb::PostSpansRequest b;
  b.mutable_batch()->mutable_process()->set_service_name("renamed");
  *b.mutable_batch()->add_spans() = request.batch().spans(0);
  b.mutable_batch()->mutable_spans(0)->set_span_id(Bytes8(0x99));
  const std::string wire = request.SerializeAsString() + b.SerializeAsString();
  pb::PostSpansRequest merged;
  ASSERT_TRUE(merged.ParseFromString(wire));
  set = DecodeJaegerPostSpansRequest(wire);
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_THAT(set->spans(), SizeIs(4));
  EXPECT_EQ(set->spans()[0].service_name(), "renamed");
  EXPECT_EQ(set->spans()[0].resource, set->spans()[3].resource);
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(merged)));

  // No process anywhere: one shared resource without attributes.
  request.mutable_batch()->clear_process();
  set = Decode(request);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(set->spans()[0].resource->attributes, IsEmpty());
  EXPECT_EQ(set->spans()[0].resource, set->spans()[2].resource);
}

// A span with no process and no batch process gets a resource without service.name, which the
// sanitizer then names (§1.8); an empty process message means an empty service name.
TEST(JaegerProtoDecodeTest, NoProcessAnywhere) {
  pb::PostSpansRequest request = SampleRequest();
  request.mutable_batch()->clear_process();
  request.mutable_batch()->mutable_spans(2)->mutable_process()->Clear();
  absl::StatusOr<SpanSet> set = Decode(request);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(set->spans()[0].resource->attributes, IsEmpty());
  EXPECT_EQ(set->spans()[0].resource, set->spans()[1].resource);
  const Resource* empty = set->spans()[2].resource;
  ASSERT_THAT(empty->attributes, SizeIs(1));
  EXPECT_EQ(empty->attributes[0].key, "service.name");
  EXPECT_EQ(empty->attributes[0].value.string_value(), "");
}

// Unknown fields at every level are skipped, as libprotobuf does.
TEST(JaegerProtoDecodeTest, SkipsUnknownFields) {
  pb::PostSpansRequest request = SampleRequest();
  const std::string expected_without = request.batch().SerializeAsString();
  auto add_unknown = [](google::protobuf::Message* m) {
    google::protobuf::UnknownFieldSet* u = m->GetReflection()->MutableUnknownFields(m);
    u->AddVarint(100, 123456789);
    u->AddFixed32(101, 7);
    u->AddFixed64(102, 8);
    u->AddLengthDelimited(103, "unknown bytes");
  };
  add_unknown(&request);
  pb::Batch* batch = request.mutable_batch();
  add_unknown(batch);
  add_unknown(batch->mutable_process());
  add_unknown(batch->mutable_process()->mutable_tags(0));
  for (pb::Span& s : *batch->mutable_spans()) {
    add_unknown(&s);
    add_unknown(s.mutable_start_time());
    add_unknown(s.mutable_duration());
    for (pb::SpanRef& r : *s.mutable_references()) add_unknown(&r);
    for (pb::KeyValue& kv : *s.mutable_tags()) add_unknown(&kv);
    for (pb::Log& l : *s.mutable_logs()) add_unknown(&l);
  }
  // Known fields with an unexpected wire type are skipped too (span field 3 as a varint).
  batch->mutable_spans(0)
      ->GetReflection()
      ->MutableUnknownFields(batch->mutable_spans(0))
      ->AddVarint(3, 1);
  // process_id and warnings are known but ignored.
  batch->mutable_spans(1)->set_process_id("p1");
  batch->mutable_spans(1)->add_warnings("clock skew");

  absl::StatusOr<SpanSet> set = Decode(request);
  ASSERT_TRUE(set.ok()) << set.status();
  pb::PostSpansRequest clean;
  ASSERT_TRUE(clean.mutable_batch()->ParseFromString(expected_without));
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(clean)));
}

// Protobuf merges repeated occurrences of a message field: two `batch` fields concatenate their
// spans and merge their processes (service name of the last, tags of both).
TEST(JaegerProtoDecodeTest, RepeatedBatchFieldsMerge) {
  pb::PostSpansRequest a = SampleRequest();
  pb::PostSpansRequest b;
  b.mutable_batch()->mutable_process()->set_service_name("renamed");
  AddTag(b.mutable_batch()->mutable_process()->mutable_tags(), "extra")->set_v_str("x");
  *b.mutable_batch()->add_spans() = a.batch().spans(0);
  b.mutable_batch()->mutable_spans(0)->set_span_id(Bytes8(0x99));
  const std::string wire = a.SerializeAsString() + b.SerializeAsString();
  pb::PostSpansRequest merged;
  ASSERT_TRUE(merged.ParseFromString(wire));
  ASSERT_EQ(merged.batch().spans_size(), 4);

  absl::StatusOr<SpanSet> set = DecodeJaegerPostSpansRequest(wire);
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(merged)));
}

// An empty request is a valid, empty batch.
TEST(JaegerProtoDecodeTest, EmptyRequest) {
  absl::StatusOr<SpanSet> set = DecodeJaegerPostSpansRequest("");
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->empty());
  pb::PostSpansRequest only_process;
  only_process.mutable_batch()->mutable_process()->set_service_name("s");
  set = Decode(only_process);
  ASSERT_TRUE(set.ok());
  EXPECT_TRUE(set->empty());
}

// Timestamps keep µs; negative times (no tracer sends them) become 0 instead of wrapping.
TEST(JaegerProtoDecodeTest, TimeConversion) {
  pb::PostSpansRequest request = SampleRequest();
  pb::Span* s = request.mutable_batch()->mutable_spans(0);
  SetTime(s->mutable_start_time(), 1, 999'999'999);
  s->mutable_duration()->set_seconds(-5);
  absl::StatusOr<SpanSet> set = Decode(request);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->spans()[0].start_time_unix_nano, 1'999'999'000u);
  EXPECT_EQ(set->spans()[0].end_time_unix_nano, 1'999'999'000u);
}

// Every strict prefix of a request is truncated input: InvalidArgument, never a crash.
TEST(JaegerProtoDecodeTest, TruncatedInput) {
  const std::string wire = SampleRequest().SerializeAsString();
  for (size_t n = 1; n < wire.size(); ++n) {
    absl::StatusOr<SpanSet> set = DecodeJaegerPostSpansRequest(std::string_view(wire).substr(0, n));
    ASSERT_FALSE(set.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

// Malformed and absurd input: clear InvalidArgument messages.
TEST(JaegerProtoDecodeTest, MalformedInput) {
  auto decode_error = [](const std::string& wire) {
    absl::StatusOr<SpanSet> set = DecodeJaegerPostSpansRequest(wire);
    EXPECT_FALSE(set.ok());
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(set.status().message());
  };
  // batch with a length of 2^63.
  EXPECT_THAT(decode_error(std::string("\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11)),
              HasSubstr("exceeds"));
  // An 11-byte varint.
  EXPECT_THAT(decode_error(std::string(11, '\xff')), HasSubstr("varint"));
  // Field number 0, and a group.
  EXPECT_THAT(decode_error(std::string("\x02\x00", 2)), HasSubstr("invalid field tag"));
  EXPECT_THAT(decode_error(std::string("\x0b\x0c", 2)), HasSubstr("groups"));
  EXPECT_THAT(decode_error(std::string("\x0f", 1)), HasSubstr("wire type"));

  auto with_span = [](auto&& edit) {
    pb::PostSpansRequest r = SampleRequest();
    edit(*r.mutable_batch()->mutable_spans(1));
    return r.SerializeAsString();
  };
  EXPECT_THAT(decode_error(with_span([](pb::Span& s) { s.set_trace_id(std::string(15, 'x')); })),
              HasSubstr("trace_id must be 16 bytes"));
  EXPECT_THAT(decode_error(with_span([](pb::Span& s) { s.set_span_id(std::string(9, 'x')); })),
              HasSubstr("span_id must be 8 bytes"));
  EXPECT_THAT(decode_error(with_span([](pb::Span& s) { s.set_trace_id(Bytes16(0, 0)); })),
              HasSubstr("all-zero trace_id"));
  EXPECT_THAT(decode_error(with_span([](pb::Span& s) { s.clear_span_id(); })),
              HasSubstr("missing or all-zero span_id"));
  EXPECT_THAT(
      decode_error(with_span([](pb::Span& s) { s.mutable_references(0)->set_trace_id("abc"); })),
      HasSubstr("reference trace_id"));
  EXPECT_THAT(
      decode_error(with_span([](pb::Span& s) { s.mutable_references(0)->set_span_id("abc"); })),
      HasSubstr("reference span_id"));
  // The message names where it went wrong.
  EXPECT_THAT(decode_error(std::string("\x0a\x05\x0a\x03", 4)), HasSubstr("at byte"));
}

// Random bytes and random corruptions of a valid request never crash; errors are InvalidArgument.
TEST(JaegerProtoDecodeTest, RandomInputNeverCrashes) {
  std::mt19937 rng(20240806);
  const std::string valid = SampleRequest().SerializeAsString();
  for (int i = 0; i < 3000; ++i) {
    std::string wire;
    if (i % 2 == 0) {
      wire.resize(rng() % 200);
      for (char& c : wire) c = static_cast<char>(rng());
    } else {
      wire = valid;
      for (int k = 0; k < 1 + i % 4; ++k) wire[rng() % wire.size()] = static_cast<char>(rng());
    }
    absl::StatusOr<SpanSet> set = DecodeJaegerPostSpansRequest(wire);
    if (!set.ok()) {
      ASSERT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << set.status();
    } else {
      for (const Span& s : set->spans()) {
        ASSERT_FALSE(s.trace_id.IsZero());
        ASSERT_NE(s.resource, nullptr);
      }
    }
  }
}

// --- Encoder ---------------------------------------------------------------------------------

// The encoder writes what libprotobuf reads back as the same request.
TEST(JaegerProtoEncodeTest, LibprotobufParsesEncoderOutput) {
  pb::PostSpansRequest request = SampleRequest();
  absl::StatusOr<SpanSet> set = Decode(request);
  ASSERT_TRUE(set.ok());
  const std::string wire = EncodeJaegerProtoBatch(set->spans());
  pb::PostSpansRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  // Two processes in the batch: each span carries its own.
  EXPECT_FALSE(parsed.batch().has_process());
  ASSERT_EQ(parsed.batch().spans_size(), 3);
  EXPECT_TRUE(parsed.batch().spans(0).has_process());
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(parsed)));
  EXPECT_EQ(parsed.batch().spans(0).start_time().nanos(), 123'456'000);
  EXPECT_EQ(parsed.batch().spans(2).references(0).ref_type(), pb::FOLLOWS_FROM);

  // One process: written once on the batch.
  pb::PostSpansRequest single = SampleRequest();
  single.mutable_batch()->mutable_spans()->RemoveLast();
  set = Decode(single);
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE(parsed.ParseFromString(EncodeJaegerProtoBatch(set->spans())));
  EXPECT_TRUE(parsed.batch().has_process());
  EXPECT_EQ(parsed.batch().process().service_name(), "frontend");
  EXPECT_FALSE(parsed.batch().spans(0).has_process());
  EXPECT_THAT(Actual(*set), ElementsAreArray(Expected(parsed)));
}

// model → Jaeger proto → model keeps what the Jaeger view shows, for every tag type including
// the edge values of int64 and float64.
TEST(JaegerProtoEncodeTest, RoundTripThroughDecoder) {
  jaeger::JaegerTrace trace;
  jaeger::Process& p = trace.processes.emplace_back();
  p.service_name = "svc";
  p.tags = {jaeger::Tag::Bool("f", false), jaeger::Tag::Int("zero", 0)};
  jaeger::Span& s = trace.spans.emplace_back();
  s.trace_id = TraceId{0, 1};
  s.span_id = SpanId{UINT64_MAX};
  s.operation_name = "op";
  s.start_time_us = 1;
  s.tags = {jaeger::Tag::Int("min", INT64_MIN),  jaeger::Tag::Int("max", INT64_MAX),
            jaeger::Tag::Float("negzero", -0.0), jaeger::Tag::Float("inf", INFINITY),
            jaeger::Tag::String("", ""),         jaeger::Tag::Binary("empty", "")};
  s.logs = {jaeger::Log{0, {}}};
  const std::string wire = EncodeJaegerProtoBatch(trace);
  absl::StatusOr<SpanSet> set = DecodeJaegerPostSpansRequest(wire);
  ASSERT_TRUE(set.ok()) << set.status();
  jaeger::JaegerTrace back = jaeger::ToJaegerTrace(*set);
  ASSERT_THAT(back.spans, SizeIs(1));
  ASSERT_EQ(back.spans[0].tags.size(), s.tags.size());
  for (size_t i = 0; i < s.tags.size(); ++i) {
    EXPECT_TRUE(jaeger::TagEquals(back.spans[0].tags[i], s.tags[i])) << Describe(s.tags[i]);
  }
  EXPECT_TRUE(jaeger::ProcessEquals(back.processes[0], p));
  EXPECT_EQ(back.spans[0].span_id, SpanId{UINT64_MAX});
  ASSERT_THAT(back.spans[0].logs, SizeIs(1));

  pb::PostSpansRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_TRUE(std::signbit(parsed.batch().spans(0).tags(2).v_float64()));
}

}  // namespace
}  // namespace skua::model::convert
