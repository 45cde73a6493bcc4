#include "model/convert/from_jaeger.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::model::convert {
namespace {

using jaeger::Log;
using jaeger::Process;
using jaeger::Reference;
using jaeger::RefType;
using jaeger::Tag;
using jaeger::TagType;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr TraceId kTrace{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736};
constexpr TraceId kOtherTrace{0, 0x42};

// A tag rendered with its type, so that mismatches print readably and type changes show.
std::string Describe(const Tag& t) {
  return std::string(t.key) + ":" + std::string(jaeger::TagTypeName(t.type)) + "=" +
         jaeger::TagValueString(t);
}
std::vector<std::string> Describe(const std::vector<Tag>& tags) {
  std::vector<std::string> out;
  for (const Tag& t : tags) out.push_back(Describe(t));
  return out;
}
std::string Describe(const Reference& r) {
  return std::string(r.type == RefType::kChildOf ? "CHILD_OF " : "FOLLOWS_FROM ") +
         r.trace_id.ToHex() + "/" + r.span_id.ToHex();
}
std::vector<std::string> Describe(const std::vector<Reference>& refs) {
  std::vector<std::string> out;
  for (const Reference& r : refs) out.push_back(Describe(r));
  return out;
}

jaeger::Span BaseSpan(uint64_t id = 0x11) {
  jaeger::Span s;
  s.trace_id = kTrace;
  s.span_id = SpanId{id};
  s.operation_name = "GET /orders";
  s.start_time_us = 1'700'000'000'123'456;
  s.duration_us = 2'500;
  s.flags = 1;
  return s;
}

Process BaseProcess() {
  Process p;
  p.service_name = "frontend";
  p.tags = {Tag::String("hostname", "h1"), Tag::Int("pid", 42)};
  return p;
}

// Converts Jaeger → model → Jaeger (the read path of the Jaeger query API).
struct RoundTrip {
  SpanSet model;
  jaeger::JaegerTrace back;
};

RoundTrip Convert(const std::vector<jaeger::Span>& spans, const Process& process) {
  RoundTrip rt;
  const Resource* resource = ResourceFromJaegerProcess(process, rt.model);
  for (const jaeger::Span& s : spans) AppendFromJaegerSpan(s, resource, rt.model);
  rt.back = jaeger::ToJaegerTrace(rt.model);
  return rt;
}

// jaeger-compat §1.4 (api_v2 model): every tag type survives the round trip, in order, on spans,
// logs and the process.
TEST(FromJaegerTest, EveryTagTypeRoundTrips) {
  jaeger::Span s = BaseSpan();
  const std::string binary("\x00\x01\xfe\xff", 4);
  s.tags = {Tag::String("http.method", "GET"), Tag::String("empty", ""),
            Tag::Bool("cache.hit", true),      Tag::Bool("retry", false),
            Tag::Int("http.status_code", 200), Tag::Int("min", std::numeric_limits<int64_t>::min()),
            Tag::Float("ratio", 0.25),         Tag::Float("neg.zero", -0.0),
            Tag::Float("nan", std::nan("")),   Tag::Binary("blob", binary)};
  s.logs = {Log{1'700'000'000'124'000,
                {Tag::String("message", "hi"), Tag::Int("n", 7), Tag::Binary("raw", binary),
                 Tag::Float("f", 1.5), Tag::Bool("b", true)}}};
  Process p = BaseProcess();
  p.tags.push_back(Tag::Bool("ipv6", false));
  p.tags.push_back(Tag::Float("load", 0.5));
  p.tags.push_back(Tag::Binary("cert", binary));

  RoundTrip rt = Convert({s}, p);
  ASSERT_EQ(rt.back.spans.size(), 1u);
  const jaeger::Span& back = rt.back.spans[0];
  EXPECT_THAT(Describe(back.tags), ElementsAreArray(Describe(s.tags)));
  ASSERT_EQ(back.logs.size(), 1u);
  EXPECT_EQ(back.logs[0].timestamp_us, s.logs[0].timestamp_us);
  EXPECT_THAT(Describe(back.logs[0].fields), ElementsAreArray(Describe(s.logs[0].fields)));
  ASSERT_EQ(rt.back.processes.size(), 1u);
  EXPECT_EQ(rt.back.processes[0].service_name, "frontend");
  EXPECT_THAT(Describe(rt.back.processes[0].tags), ElementsAreArray(Describe(p.tags)));
  EXPECT_TRUE(jaeger::ProcessEquals(rt.back.processes[0], p));

  // The model holds the values with their OTLP types.
  const Span& m = rt.model.spans()[0];
  ASSERT_EQ(m.attributes.size(), s.tags.size());
  EXPECT_EQ(m.attributes[2].value.type(), ValueType::kBool);
  EXPECT_EQ(m.attributes[5].value.int_value(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(m.attributes[9].value.type(), ValueType::kBytes);
  EXPECT_EQ(m.attributes[9].value.string_value(), binary);
  EXPECT_EQ(m.resource->service_name, "frontend");
  EXPECT_EQ(m.resource->attributes[0].key, "service.name");
}

// jaeger-compat §1.4: IDs, operation, µs times and flag bits (sampled, debug, firehose).
TEST(FromJaegerTest, IdsTimesAndFlags) {
  jaeger::Span s = BaseSpan(0xfedcba9876543210);
  s.flags = 1 | 2 | 8;
  RoundTrip rt = Convert({s}, BaseProcess());
  const Span& m = rt.model.spans()[0];
  EXPECT_EQ(m.trace_id, kTrace);
  EXPECT_EQ(m.span_id, SpanId{0xfedcba9876543210});
  EXPECT_EQ(m.name, "GET /orders");
  EXPECT_EQ(m.start_time_unix_nano, 1'700'000'000'123'456'000u);
  EXPECT_EQ(m.end_time_unix_nano, 1'700'000'000'125'956'000u);
  EXPECT_EQ(m.flags, 11u);
  EXPECT_TRUE(m.parent_span_id.IsZero());
  const jaeger::Span& back = rt.back.spans[0];
  EXPECT_EQ(back.start_time_us, s.start_time_us);
  EXPECT_EQ(back.duration_us, s.duration_us);
  EXPECT_EQ(back.flags, 11u);
  EXPECT_EQ(back.operation_name, s.operation_name);
}

// Absurd times from the network saturate instead of wrapping around.
TEST(FromJaegerTest, HugeTimesSaturate) {
  jaeger::Span s = BaseSpan();
  s.start_time_us = UINT64_MAX / 10;
  s.duration_us = UINT64_MAX / 10;
  RoundTrip rt = Convert({s}, BaseProcess());
  const Span& m = rt.model.spans()[0];
  EXPECT_EQ(m.start_time_unix_nano, UINT64_MAX);
  EXPECT_EQ(m.end_time_unix_nano, UINT64_MAX);
}

// jaeger-compat §1.4: span.kind ∈ {client, server, producer, consumer, internal} is the kind.
TEST(FromJaegerTest, SpanKindBecomesKind) {
  const std::pair<const char*, SpanKind> kinds[] = {{"client", SpanKind::kClient},
                                                    {"server", SpanKind::kServer},
                                                    {"producer", SpanKind::kProducer},
                                                    {"consumer", SpanKind::kConsumer},
                                                    {"internal", SpanKind::kInternal}};
  for (const auto& [name, kind] : kinds) {
    SCOPED_TRACE(name);
    jaeger::Span s = BaseSpan();
    s.tags = {Tag::String("a", "1"), Tag::String("span.kind", name), Tag::Int("b", 2)};
    RoundTrip rt = Convert({s}, BaseProcess());
    const Span& m = rt.model.spans()[0];
    EXPECT_EQ(m.kind, kind);
    EXPECT_EQ(m.attributes.size(), 2u);  // the kind tag is the field, not an attribute
    EXPECT_THAT(Describe(rt.back.spans[0].tags), UnorderedElementsAreArray(Describe(s.tags)));
    EXPECT_EQ(rt.back.spans[0].Kind(), name);
  }
}

// A span.kind Jaeger does not know, or of the wrong type, stays a tag (nothing is lost).
TEST(FromJaegerTest, UnknownSpanKindStaysATag) {
  for (const Tag& tag : {Tag::String("span.kind", "gateway"), Tag::Int("span.kind", 2),
                         Tag::String("span.kind", "")}) {
    SCOPED_TRACE(Describe(tag));
    jaeger::Span s = BaseSpan();
    s.tags = {tag};
    RoundTrip rt = Convert({s}, BaseProcess());
    EXPECT_EQ(rt.model.spans()[0].kind, SpanKind::kUnspecified);
    EXPECT_THAT(Describe(rt.back.spans[0].tags), ElementsAre(Describe(tag)));
  }
}

// jaeger-compat §1.9 in reverse: error / otel.status_code / otel.status_description ↔ status.
TEST(FromJaegerTest, ErrorAndStatusCombinations) {
  struct Case {
    const char* name;
    std::vector<Tag> tags;
    StatusCode code;
    std::string_view message;
    // Tags ToJaegerTrace gives back: the input plus the tags §1.9 derives from the status.
    std::vector<Tag> back;
  };
  const Tag error_true = Tag::Bool("error", true);
  const Tag code_ok = Tag::String("otel.status_code", "OK");
  const Tag code_error = Tag::String("otel.status_code", "ERROR");
  const Tag description = Tag::String("otel.status_description", "boom");
  const std::vector<Case> cases = {
      {"error=true alone", {error_true}, StatusCode::kError, "", {code_error, error_true}},
      {"error='true' (string)",
       {Tag::String("error", "true")},
       StatusCode::kError,
       "",
       {code_error, error_true}},
      {"error=false is just a tag",
       {Tag::Bool("error", false)},
       StatusCode::kUnset,
       "",
       {Tag::Bool("error", false)}},
      {"error='yes' is just a tag",
       {Tag::String("error", "yes")},
       StatusCode::kUnset,
       "",
       {Tag::String("error", "yes")}},
      {"OK", {code_ok}, StatusCode::kOk, "", {code_ok}},
      {"ERROR with description",
       {code_error, description},
       StatusCode::kError,
       "boom",
       {code_error, error_true, description}},
      {"ERROR and error=true",
       {error_true, code_error, description},
       StatusCode::kError,
       "boom",
       {code_error, error_true, description}},
      {"OK overrides error=true, which stays a tag",
       {error_true, code_ok},
       StatusCode::kOk,
       "",
       {error_true, code_ok}},
      {"unknown status code stays a tag",
       {Tag::String("otel.status_code", "UNSET")},
       StatusCode::kUnset,
       "",
       {Tag::String("otel.status_code", "UNSET")}},
      {"description without code", {description}, StatusCode::kUnset, "boom", {description}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    jaeger::Span s = BaseSpan();
    s.tags = c.tags;
    RoundTrip rt = Convert({s}, BaseProcess());
    const Span& m = rt.model.spans()[0];
    EXPECT_EQ(m.status.code, c.code);
    EXPECT_EQ(m.status.message, c.message);
    EXPECT_THAT(Describe(rt.back.spans[0].tags), UnorderedElementsAreArray(Describe(c.back)));
  }
}

// jaeger-compat §1.9: w3c.tracestate ↔ trace_state.
TEST(FromJaegerTest, TraceStateRoundTrips) {
  jaeger::Span s = BaseSpan();
  s.tags = {Tag::String("w3c.tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")};
  RoundTrip rt = Convert({s}, BaseProcess());
  EXPECT_EQ(rt.model.spans()[0].trace_state, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_THAT(rt.model.spans()[0].attributes, IsEmpty());
  EXPECT_THAT(Describe(rt.back.spans[0].tags), ElementsAreArray(Describe(s.tags)));
}

// jaeger-compat §1.9: otel.scope.name/version (and the older otel.library.*) ↔ the scope.
TEST(FromJaegerTest, ScopeTags) {
  jaeger::Span a = BaseSpan(1);
  a.tags = {Tag::String("otel.scope.name", "io.opentelemetry.http"),
            Tag::String("otel.scope.version", "1.2.3"), Tag::String("k", "v")};
  jaeger::Span b = BaseSpan(2);
  b.tags = {Tag::String("k", "w"), Tag::String("otel.scope.version", "1.2.3"),
            Tag::String("otel.scope.name", "io.opentelemetry.http")};
  jaeger::Span old = BaseSpan(3);
  old.tags = {Tag::String("otel.library.name", "legacy"),
              Tag::String("otel.library.version", "0.9")};
  jaeger::Span none = BaseSpan(4);

  RoundTrip rt = Convert({a, b, old, none}, BaseProcess());
  const auto& spans = rt.model.spans();
  ASSERT_EQ(spans.size(), 4u);
  ASSERT_NE(spans[0].scope, nullptr);
  EXPECT_EQ(spans[0].scope->name, "io.opentelemetry.http");
  EXPECT_EQ(spans[0].scope->version, "1.2.3");
  EXPECT_EQ(spans[1].scope, spans[0].scope);  // consecutive equal scopes are shared
  EXPECT_EQ(spans[2].scope->name, "legacy");
  EXPECT_EQ(spans[2].scope->version, "0.9");
  ASSERT_NE(spans[3].scope, nullptr);
  EXPECT_EQ(spans[3].scope->name, "");
  EXPECT_THAT(spans[0].attributes, testing::SizeIs(1));

  EXPECT_THAT(Describe(rt.back.spans[0].tags), UnorderedElementsAreArray(Describe(a.tags)));
  EXPECT_THAT(Describe(rt.back.spans[1].tags), UnorderedElementsAreArray(Describe(b.tags)));
  // The older names read back under the current ones (§1.9 "older: otel.library.name/version").
  EXPECT_THAT(Describe(rt.back.spans[2].tags),
              ElementsAre("otel.scope.name:string=legacy", "otel.scope.version:string=0.9"));
  EXPECT_THAT(rt.back.spans[3].tags, IsEmpty());
}

// jaeger-compat §1.4 parent rule + §1.9 links: several references of both types and traces.
TEST(FromJaegerTest, MultipleReferences) {
  jaeger::Span s = BaseSpan();
  s.references = {{RefType::kChildOf, kTrace, SpanId{0xa}},
                  {RefType::kFollowsFrom, kTrace, SpanId{0xb}},
                  {RefType::kChildOf, kOtherTrace, SpanId{0xc}},
                  {RefType::kFollowsFrom, kOtherTrace, SpanId{0xd}}};
  RoundTrip rt = Convert({s}, BaseProcess());
  const Span& m = rt.model.spans()[0];
  EXPECT_EQ(m.parent_span_id, SpanId{0xa});
  ASSERT_EQ(m.links.size(), 3u);
  EXPECT_EQ(m.links[0].span_id, SpanId{0xb});
  EXPECT_EQ(m.links[1].trace_id, kOtherTrace);
  const AnyValue* type = FindAttribute(m.links[1].attributes, "opentracing.ref_type");
  ASSERT_NE(type, nullptr);
  EXPECT_EQ(type->string_value(), "child_of");
  EXPECT_EQ(FindAttribute(m.links[0].attributes, "opentracing.ref_type")->string_value(),
            "follows_from");
  EXPECT_THAT(Describe(rt.back.spans[0].references), ElementsAreArray(Describe(s.references)));
}

// jaeger-compat §1.4: a FOLLOWS_FROM reference in the same trace is the parent when there is no
// CHILD_OF one, and reads back as FOLLOWS_FROM.
TEST(FromJaegerTest, FollowsFromParent) {
  jaeger::Span s = BaseSpan();
  s.references = {{RefType::kFollowsFrom, kTrace, SpanId{0xa}}};
  RoundTrip rt = Convert({s}, BaseProcess());
  EXPECT_EQ(rt.model.spans()[0].parent_span_id, SpanId{0xa});
  EXPECT_THAT(Describe(rt.back.spans[0].references), ElementsAreArray(Describe(s.references)));
  EXPECT_EQ(rt.back.spans[0].ParentSpanId(), SpanId{0xa});
}

// jaeger-compat §1.4: CHILD_OF beats an earlier FOLLOWS_FROM; references to other traces never
// make a parent. The parent reads back first (ToJaegerTrace's order, §1.9).
TEST(FromJaegerTest, ParentRuleOrdering) {
  jaeger::Span s = BaseSpan();
  s.references = {{RefType::kFollowsFrom, kTrace, SpanId{0xa}},
                  {RefType::kChildOf, kOtherTrace, SpanId{0xc}},
                  {RefType::kChildOf, kTrace, SpanId{0xb}}};
  RoundTrip rt = Convert({s}, BaseProcess());
  EXPECT_EQ(rt.model.spans()[0].parent_span_id, SpanId{0xb});
  EXPECT_THAT(
      Describe(rt.back.spans[0].references),
      ElementsAre(Describe(s.references[2]), Describe(s.references[0]), Describe(s.references[1])));

  jaeger::Span other = BaseSpan();
  other.references = {{RefType::kChildOf, kOtherTrace, SpanId{0xc}}};
  RoundTrip rt2 = Convert({other}, BaseProcess());
  EXPECT_TRUE(rt2.model.spans()[0].parent_span_id.IsZero());
  EXPECT_THAT(Describe(rt2.back.spans[0].references), ElementsAreArray(Describe(other.references)));
}

// A duplicate reference to the parent must not flip the parent's type on the way back.
TEST(FromJaegerTest, DuplicateParentReferenceDoesNotChangeType) {
  jaeger::Span s = BaseSpan();
  s.references = {{RefType::kChildOf, kTrace, SpanId{0xa}},
                  {RefType::kFollowsFrom, kTrace, SpanId{0xa}}};
  RoundTrip rt = Convert({s}, BaseProcess());
  EXPECT_THAT(Describe(rt.back.spans[0].references), ElementsAre(Describe(s.references[0])));
}

// jaeger-compat §1.9 (events → logs with an `event` field), in reverse.
TEST(FromJaegerTest, Logs) {
  jaeger::Span s = BaseSpan();
  s.logs = {
      // With an event name, not first: it becomes the event's name.
      Log{100, {Tag::String("level", "info"), Tag::String("event", "cache miss")}},
      // Without one: a nameless event, every field an attribute.
      Log{200, {Tag::String("message", "no event here"), Tag::Int("n", 1)}},
      // A non-string `event` stays an attribute.
      Log{300, {Tag::Int("event", 5)}},
      // Two `event` fields: both stay attributes, so both read back.
      Log{400, {Tag::String("event", "a"), Tag::String("event", "b")}},
      // No fields at all.
      Log{500, {}},
  };
  RoundTrip rt = Convert({s}, BaseProcess());
  const Span& m = rt.model.spans()[0];
  ASSERT_EQ(m.events.size(), 5u);
  EXPECT_EQ(m.events[0].time_unix_nano, 100'000u);
  EXPECT_EQ(m.events[0].name, "cache miss");
  ASSERT_EQ(m.events[0].attributes.size(), 1u);
  EXPECT_EQ(m.events[0].attributes[0].key, "level");
  EXPECT_EQ(m.events[1].name, "");
  EXPECT_EQ(m.events[1].attributes.size(), 2u);
  EXPECT_EQ(m.events[2].name, "");
  EXPECT_EQ(m.events[3].attributes.size(), 2u);

  const jaeger::Span& back = rt.back.spans[0];
  ASSERT_EQ(back.logs.size(), s.logs.size());
  for (size_t i = 0; i < s.logs.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(back.logs[i].timestamp_us, s.logs[i].timestamp_us);
    EXPECT_THAT(Describe(back.logs[i].fields),
                UnorderedElementsAreArray(Describe(s.logs[i].fields)));
  }
  // The event field reads back first (ToJaegerTrace's order).
  EXPECT_EQ(Describe(back.logs[0].fields[0]), "event:string=cache miss");
}

// Spans of one batch share the process's resource; the model owns copies of every string, so
// the decoder's input buffer may be reused as soon as the call returns (from_jaeger.h).
TEST(FromJaegerTest, CopiesStringsAndSharesResource) {
  std::string op = "op-name", key = "tag-key", value = "tag-value", service = "svc";
  std::string log_key = "event", log_value = "evt";
  jaeger::Span s = BaseSpan();
  s.operation_name = op;
  s.tags = {Tag::String(key, value)};
  s.logs = {Log{1, {Tag::String(log_key, log_value)}}};
  Process p;
  p.service_name = service;
  p.tags = {Tag::String(key, value)};

  SpanSet set;
  const Resource* resource = ResourceFromJaegerProcess(p, set);
  AppendFromJaegerSpan(s, resource, set);
  AppendFromJaegerSpan(s, resource, set);
  for (std::string* str : {&op, &key, &value, &service, &log_key, &log_value}) {
    std::fill(str->begin(), str->end(), 'X');
  }
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set.spans()[0].resource, set.spans()[1].resource);
  const Span& m = set.spans()[1];
  EXPECT_EQ(m.name, "op-name");
  EXPECT_EQ(m.attributes[0].key, "tag-key");
  EXPECT_EQ(m.attributes[0].value.string_value(), "tag-value");
  EXPECT_EQ(m.events[0].name, "evt");
  EXPECT_EQ(m.service_name(), "svc");
  EXPECT_EQ(m.resource->attributes[1].value.string_value(), "tag-value");
}

// A process with an empty service name keeps service.name = "" (the sanitizer renames it, §1.8);
// a null resource gets an empty one so spans never point at nothing.
TEST(FromJaegerTest, EmptyServiceAndNullResource) {
  SpanSet set;
  Process p;
  const Resource* r = ResourceFromJaegerProcess(p, set);
  ASSERT_EQ(r->attributes.size(), 1u);
  EXPECT_EQ(r->attributes[0].key, "service.name");
  EXPECT_EQ(r->service_name, "");
  AppendFromJaegerSpan(BaseSpan(), nullptr, set);
  ASSERT_NE(set.spans()[0].resource, nullptr);
  EXPECT_THAT(set.spans()[0].resource->attributes, IsEmpty());
}

}  // namespace
}  // namespace skua::model::convert
