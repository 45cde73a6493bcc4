#include "model/convert/jaeger.h"

#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::model {
namespace {

using jaeger::AppendTagValueString;
using jaeger::DedupeSharedSpanIds;
using jaeger::EdgeSpan;
using jaeger::ForEachSearchableTag;
using jaeger::ToEdgeSpan;
using jaeger::ForEachDependencyEdge;
using jaeger::JaegerTrace;
using jaeger::Log;
using jaeger::RefType;
using jaeger::SpanHasTag;
using jaeger::Tag;
using jaeger::TagType;
using jaeger::TagTypeName;
using jaeger::TagValueString;
using jaeger::ToJaegerTrace;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

// Builds spans by hand; every list lives in the set's arena.
class Builder {
 public:
  SpanSet& set() { return set_; }

  Attributes Attrs(std::vector<KeyValue> kvs) {
    return set_.arena().CopyArray(std::span<const KeyValue>(kvs));
  }
  const Resource* MakeRes(std::vector<KeyValue> kvs) {
    return MakeResource(set_.arena(), Attrs(std::move(kvs)));
  }
  const Scope* MakeScope(std::string_view name, std::string_view version,
                         std::vector<KeyValue> attrs = {}) {
    Scope* s = set_.arena().New<Scope>();
    s->name = name;
    s->version = version;
    s->attributes = Attrs(std::move(attrs));
    return s;
  }
  Span& Add(uint64_t span_id, uint64_t parent, const Resource* res) {
    Span& s = set_.spans().emplace_back();
    s.trace_id = TraceId{0, 0x77};
    s.span_id = SpanId{span_id};
    s.parent_span_id = SpanId{parent};
    s.name = "op";
    s.resource = res;
    return s;
  }

 private:
  SpanSet set_;
};

KeyValue KV(std::string_view k, AnyValue v) { return KeyValue{k, v}; }

bool HasTag(const std::vector<Tag>& tags, std::string_view key) {
  for (const Tag& t : tags) {
    if (t.key == key) return true;
  }
  return false;
}

// jaeger-compat §1.9: every field of an OTLP span maps onto the Jaeger model.
TEST(ToJaegerTraceTest, ConvertsEveryField) {
  Builder b;
  static const AnyValue kItems[] = {AnyValue::String("a"), AnyValue::Int(1)};
  static const KeyValue kMap[] = {{"k", AnyValue::Bool(true)}};
  const Resource* res =
      b.MakeRes({KV("service.name", AnyValue::String("frontend")),
                 KV("host.name", AnyValue::String("h1")), KV("pid", AnyValue::Int(42))});
  Span& s = b.Add(0x3, 0x2, res);
  s.trace_id = TraceId{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736};
  s.name = "HTTP GET /dispatch";
  s.kind = SpanKind::kServer;
  s.flags = 0x301;  // sampled, plus OTLP's has-is-remote/is-remote bits
  s.start_time_unix_nano = 1485449191639875123;
  s.end_time_unix_nano = 1485449191639875123 + 100000999;
  s.trace_state = "vendor=x";
  s.status = Status{StatusCode::kError, "boom"};
  s.scope = b.MakeScope("io.lib", "1.2.3");
  s.attributes =
      b.Attrs({KV("str", AnyValue::String("v")), KV("flag", AnyValue::Bool(false)),
               KV("int", AnyValue::Int(-7)), KV("dbl", AnyValue::Double(1.5)),
               KV("bytes", AnyValue::Bytes("\x01\x02\x03")), KV("arr", AnyValue::Array(kItems)),
               KV("map", AnyValue::KvList(kMap)), KV("empty", AnyValue())});
  Event events[3];
  events[0].time_unix_nano = 1485449191639876999;
  events[0].name = "exception";
  events[0].attributes = b.Attrs({KV("exception.type", AnyValue::String("E"))});
  events[1].time_unix_nano = 2000;
  events[1].name = "ignored-name";  // an `event` attribute wins over the name
  events[1].attributes = b.Attrs({KV("event", AnyValue::String("explicit"))});
  events[2].time_unix_nano = 3000;  // no name: no `event` field
  events[2].attributes = b.Attrs({KV("n", AnyValue::Int(1))});
  s.events = b.set().arena().CopyArray(std::span<const Event>(events));
  Link links[3];
  links[0].trace_id = TraceId{0, 0x99};
  links[0].span_id = SpanId{0x10};
  links[0].attributes = b.Attrs({KV("opentracing.ref_type", AnyValue::String("child_of"))});
  links[1].trace_id = TraceId{0, 0x99};
  links[1].span_id = SpanId{0x11};  // no ref_type attribute: FOLLOWS_FROM
  links[2].trace_id = s.trace_id;   // equal to the parent: overrides the parent's type
  links[2].span_id = SpanId{0x2};
  links[2].attributes = b.Attrs({KV("opentracing.ref_type", AnyValue::String("follows_from"))});
  s.links = b.set().arena().CopyArray(std::span<const Link>(links));

  JaegerTrace t = ToJaegerTrace(b.set());
  ASSERT_EQ(t.spans.size(), 1u);
  const jaeger::Span& js = t.spans[0];
  EXPECT_EQ(js.trace_id, (TraceId{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736}));
  EXPECT_EQ(js.span_id, SpanId{3});
  EXPECT_EQ(js.operation_name, "HTTP GET /dispatch");
  EXPECT_EQ(js.flags, 1u);
  EXPECT_EQ(js.start_time_us, 1485449191639875u);
  EXPECT_EQ(js.duration_us, 100000u);

  ASSERT_EQ(js.references.size(), 3u);
  EXPECT_EQ(js.references[0].type, RefType::kFollowsFrom);
  EXPECT_EQ(js.references[0].span_id, SpanId{2});
  EXPECT_EQ(js.references[0].trace_id, s.trace_id);
  EXPECT_EQ(js.references[1].type, RefType::kChildOf);
  EXPECT_EQ(js.references[1].span_id, SpanId{0x10});
  EXPECT_EQ(js.references[1].trace_id, (TraceId{0, 0x99}));
  EXPECT_EQ(js.references[2].type, RefType::kFollowsFrom);
  EXPECT_EQ(js.references[2].span_id, SpanId{0x11});

  std::vector<std::pair<std::string, std::string>> tags;
  for (const Tag& tag : js.tags) {
    tags.emplace_back(std::string(tag.key),
                      std::string(TagTypeName(tag.type)) + ":" + TagValueString(tag));
  }
  // Scope tags first, then the attributes, then the other derived tags (the order of the
  // OpenTelemetry translator that Jaeger uses).
  EXPECT_THAT(
      tags,
      ElementsAre(Pair("otel.scope.name", "string:io.lib"),
                  Pair("otel.scope.version", "string:1.2.3"), Pair("str", "string:v"),
                  Pair("flag", "bool:false"), Pair("int", "int64:-7"), Pair("dbl", "float64:1.5"),
                  Pair("bytes", "binary:010203"), Pair("arr", "string:[\"a\",1]"),
                  Pair("map", "string:{\"k\":true}"), Pair("empty", "string:"),
                  Pair("span.kind", "string:server"), Pair("otel.status_code", "string:ERROR"),
                  Pair("error", "bool:true"), Pair("otel.status_description", "string:boom"),
                  Pair("w3c.tracestate", "string:vendor=x")));
  EXPECT_EQ(js.tags[6].str, "\x01\x02\x03");

  ASSERT_EQ(js.logs.size(), 3u);
  EXPECT_EQ(js.logs[0].timestamp_us, 1485449191639876u);
  ASSERT_EQ(js.logs[0].fields.size(), 2u);
  EXPECT_EQ(js.logs[0].fields[0].key, "event");
  EXPECT_EQ(js.logs[0].fields[0].str, "exception");
  EXPECT_EQ(js.logs[0].fields[1].key, "exception.type");
  ASSERT_EQ(js.logs[1].fields.size(), 1u);
  EXPECT_EQ(js.logs[1].fields[0].str, "explicit");
  ASSERT_EQ(js.logs[2].fields.size(), 1u);
  EXPECT_EQ(js.logs[2].fields[0].key, "n");

  ASSERT_EQ(t.processes.size(), 1u);
  EXPECT_EQ(js.process_index, 0u);
  EXPECT_EQ(t.processes[0].service_name, "frontend");
  ASSERT_EQ(t.processes[0].tags.size(), 2u);  // service.name is not a process tag
  EXPECT_EQ(t.processes[0].tags[0].key, "host.name");
  EXPECT_EQ(t.processes[0].tags[1].key, "pid");
  EXPECT_EQ(t.processes[0].tags[1].int_value, 42);
  EXPECT_TRUE(js.warnings.empty());
}

// §1.9: OK status gives otel.status_code=OK without error; unset status, unspecified kind, empty
// scope and trace state add nothing.
TEST(ToJaegerTraceTest, DerivedTagsOnlyWhenSet) {
  Builder b;
  const Resource* res = b.MakeRes({KV("service.name", AnyValue::String("svc"))});
  Span& ok = b.Add(1, 0, res);
  ok.status.code = StatusCode::kOk;
  ok.kind = SpanKind::kClient;
  Span& plain = b.Add(2, 0, res);
  plain.scope = b.MakeScope("", "");
  JaegerTrace t = ToJaegerTrace(b.set());
  ASSERT_EQ(t.spans.size(), 2u);
  ASSERT_EQ(t.spans[0].tags.size(), 2u);
  EXPECT_EQ(t.spans[0].tags[0].key, "span.kind");
  EXPECT_EQ(t.spans[0].tags[0].str, "client");
  EXPECT_EQ(t.spans[0].tags[1].key, "otel.status_code");
  EXPECT_EQ(t.spans[0].tags[1].str, "OK");
  EXPECT_FALSE(HasTag(t.spans[0].tags, "error"));
  EXPECT_TRUE(t.spans[1].tags.empty());
  EXPECT_TRUE(t.spans[1].references.empty());  // root: no parent reference
  EXPECT_EQ(t.spans[1].flags, 0u);
}

// §1.9: every span kind maps to its lower-case name.
TEST(ToJaegerTraceTest, SpanKindNames) {
  Builder b;
  const Resource* res = b.MakeRes({});
  SpanKind kinds[] = {SpanKind::kInternal, SpanKind::kServer, SpanKind::kClient,
                      SpanKind::kProducer, SpanKind::kConsumer};
  for (int i = 0; i < 5; ++i) b.Add(i + 1, 0, res).kind = kinds[i];
  JaegerTrace t = ToJaegerTrace(b.set());
  std::vector<std::string> names;
  for (const auto& s : t.spans) names.emplace_back(s.Kind());
  EXPECT_THAT(names, ElementsAre("internal", "server", "client", "producer", "consumer"));
}

// §2.4 process table: equal content shares one entry (even from different Resource objects),
// in order of first use; a missing service name becomes OTLPResourceNoServiceName.
TEST(ToJaegerTraceTest, ProcessesDedupedByContent) {
  Builder b;
  const Resource* a1 = b.MakeRes(
      {KV("service.name", AnyValue::String("a")), KV("host.name", AnyValue::String("h1"))});
  const Resource* a2 = b.MakeRes(
      {KV("service.name", AnyValue::String("a")), KV("host.name", AnyValue::String("h1"))});
  const Resource* a3 = b.MakeRes(
      {KV("service.name", AnyValue::String("a")), KV("host.name", AnyValue::String("h2"))});
  const Resource* none = b.MakeRes({KV("host.name", AnyValue::String("h1"))});
  b.Add(1, 0, a3);
  b.Add(2, 1, a1);
  b.Add(3, 1, a2);
  b.Add(4, 1, none);
  b.Add(5, 1, nullptr);
  JaegerTrace t = ToJaegerTrace(b.set());
  ASSERT_EQ(t.processes.size(), 4u);
  EXPECT_EQ(t.spans[0].process_index, 0u);
  EXPECT_EQ(t.spans[1].process_index, 1u);
  EXPECT_EQ(t.spans[2].process_index, 1u);
  EXPECT_EQ(t.spans[3].process_index, 2u);
  EXPECT_EQ(t.spans[4].process_index, 3u);
  EXPECT_EQ(t.processes[0].tags[0].str, "h2");
  EXPECT_EQ(t.processes[1].tags[0].str, "h1");
  EXPECT_EQ(t.processes[2].service_name, "OTLPResourceNoServiceName");
  EXPECT_EQ(t.processes[3].service_name, "OTLPResourceNoServiceName");
  EXPECT_TRUE(t.processes[3].tags.empty());
}

// Spans keep their input order; a span that ends before it starts gets duration 0.
TEST(ToJaegerTraceTest, InputOrderAndNegativeDuration) {
  Builder b;
  const Resource* res = b.MakeRes({});
  b.Add(9, 0, res).start_time_unix_nano = 5000;
  Span& s = b.Add(3, 9, res);
  s.start_time_unix_nano = 9000;
  s.end_time_unix_nano = 8000;
  JaegerTrace t = ToJaegerTrace(std::span<const Span>(b.set().spans()));
  ASSERT_EQ(t.spans.size(), 2u);
  EXPECT_EQ(t.spans[0].span_id, SpanId{9});
  EXPECT_EQ(t.spans[1].span_id, SpanId{3});
  EXPECT_EQ(t.spans[1].duration_us, 0u);
  EXPECT_EQ(t.spans[1].start_time_us, 9u);
}

// §3.2 AsString: bool, int64, float64 ('g' with 10 digits), binary as lower-case hex.
TEST(TagValueStringTest, AsStringForms) {
  EXPECT_EQ(TagValueString(Tag::Bool("k", true)), "true");
  EXPECT_EQ(TagValueString(Tag::Bool("k", false)), "false");
  EXPECT_EQ(TagValueString(Tag::Int("k", -9223372036854775807 - 1)), "-9223372036854775808");
  EXPECT_EQ(TagValueString(Tag::Float("k", 72.5)), "72.5");
  EXPECT_EQ(TagValueString(Tag::Float("k", 0.1 + 0.2)), "0.3");
  EXPECT_EQ(TagValueString(Tag::Float("k", 1234567890123.0)), "1.23456789e+12");
  EXPECT_EQ(TagValueString(Tag::Float("k", 1e21)), "1e+21");
  EXPECT_EQ(TagValueString(Tag::Float("k", std::nan(""))), "NaN");  // Go's spelling
  EXPECT_EQ(TagValueString(Tag::Float("k", HUGE_VAL)), "+Inf");
  EXPECT_EQ(TagValueString(Tag::Float("k", -HUGE_VAL)), "-Inf");
  EXPECT_EQ(TagValueString(Tag::Binary("k", "\x0a\xff")), "0aff");
  EXPECT_EQ(TagValueString(Tag::String("k", "x y")), "x y");
  EXPECT_EQ(TagTypeName(TagType::kFloat64), "float64");
  EXPECT_EQ(TagTypeName(TagType::kBinary), "binary");
}

// §1.4: ParentSpanID is the first same-trace CHILD_OF, else the first same-trace FOLLOWS_FROM.
TEST(JaegerSpanTest, ParentSpanIdRule) {
  jaeger::Span s;
  s.trace_id = TraceId{0, 1};
  EXPECT_TRUE(s.ParentSpanId().IsZero());
  s.references = {{RefType::kChildOf, TraceId{0, 2}, SpanId{7}},
                  {RefType::kFollowsFrom, TraceId{0, 1}, SpanId{8}},
                  {RefType::kFollowsFrom, TraceId{0, 1}, SpanId{9}}};
  EXPECT_EQ(s.ParentSpanId(), SpanId{8});
  s.references.push_back({RefType::kChildOf, TraceId{0, 1}, SpanId{10}});
  EXPECT_EQ(s.ParentSpanId(), SpanId{10});
  s.tags = {Tag::Int("span.kind", 1)};
  EXPECT_EQ(s.Kind(), "");
  s.tags = {Tag::String("x", "server"), Tag::String("span.kind", "server")};
  EXPECT_EQ(s.Kind(), "server");
}

class SpanHasTagTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static const AnyValue kItems[] = {AnyValue::String("a"), AnyValue::Bool(true)};
    const Resource* res =
        b_.MakeRes({KV("service.name", AnyValue::String("frontend")),
                    KV("host.name", AnyValue::String("h1")), KV("ip", AnyValue::Int(167772161))});
    span_ = &b_.Add(1, 0, res);
    span_->kind = SpanKind::kServer;
    span_->status = Status{StatusCode::kError, "bad thing"};
    span_->trace_state = "a=b";
    span_->scope = b_.MakeScope("lib", "9.9", {KV("scope.attr", AnyValue::String("s"))});
    span_->attributes =
        b_.Attrs({KV("http.status_code", AnyValue::Int(200)), KV("ratio", AnyValue::Double(72.5)),
                  KV("ok", AnyValue::Bool(false)), KV("blob", AnyValue::Bytes("\xde\xad")),
                  KV("list", AnyValue::Array(kItems)), KV("nothing", AnyValue()),
                  KV("nan", AnyValue::Double(NAN)), KV("dup", AnyValue::String("first")),
                  KV("dup", AnyValue::String("second"))});
    Event ev[2];
    ev[0].name = "cache miss";
    ev[0].attributes = b_.Attrs({KV("key", AnyValue::String("user:1"))});
    ev[1].name = "shadowed";
    ev[1].attributes = b_.Attrs({KV("event", AnyValue::String("real"))});
    span_->events = b_.set().arena().CopyArray(std::span<const Event>(ev));
  }

  bool Has(std::string_view k, std::string_view v) { return SpanHasTag(*span_, k, v); }

  Builder b_;
  Span* span_ = nullptr;
};

// §3.2: span tags compare by their AsString form.
TEST_F(SpanHasTagTest, SpanAttributes) {
  EXPECT_TRUE(Has("http.status_code", "200"));
  EXPECT_FALSE(Has("http.status_code", "201"));
  EXPECT_FALSE(Has("http.status_code", "200.0"));
  EXPECT_TRUE(Has("ratio", "72.5"));
  EXPECT_TRUE(Has("nan", "NaN"));
  EXPECT_TRUE(Has("ok", "false"));
  EXPECT_FALSE(Has("ok", "true"));
  EXPECT_TRUE(Has("blob", "dead"));
  EXPECT_FALSE(Has("blob", "DEAD"));
  EXPECT_TRUE(Has("list", "[\"a\",true]"));
  EXPECT_TRUE(Has("nothing", ""));
  EXPECT_TRUE(Has("dup", "second"));  // any tag with the key may match
  EXPECT_FALSE(Has("missing", ""));
}

// §3.2: process (resource) tags and log (event) fields are searched too; service.name is not a tag.
TEST_F(SpanHasTagTest, ResourceAndEventFields) {
  EXPECT_TRUE(Has("host.name", "h1"));
  EXPECT_TRUE(Has("ip", "167772161"));
  EXPECT_FALSE(Has("service.name", "frontend"));
  EXPECT_TRUE(Has("event", "cache miss"));
  EXPECT_TRUE(Has("key", "user:1"));
  EXPECT_TRUE(Has("event", "real"));
  EXPECT_FALSE(Has("event", "shadowed"));  // the event attribute replaces the name field
  EXPECT_TRUE(Has("scope.attr", "s"));     // storage.h: scope attributes are searchable
}

// §1.9 derived tags are searchable as Jaeger would store them.
TEST_F(SpanHasTagTest, DerivedTags) {
  EXPECT_TRUE(Has("span.kind", "server"));
  EXPECT_FALSE(Has("span.kind", "client"));
  EXPECT_TRUE(Has("error", "true"));
  EXPECT_FALSE(Has("error", "false"));
  EXPECT_TRUE(Has("otel.status_code", "ERROR"));
  EXPECT_FALSE(Has("otel.status_code", "OK"));
  EXPECT_TRUE(Has("otel.status_description", "bad thing"));
  EXPECT_TRUE(Has("otel.scope.name", "lib"));
  EXPECT_TRUE(Has("otel.scope.version", "9.9"));
  EXPECT_TRUE(Has("w3c.tracestate", "a=b"));
  span_->status = Status{StatusCode::kOk, ""};
  span_->kind = SpanKind::kUnspecified;
  EXPECT_TRUE(Has("otel.status_code", "OK"));
  EXPECT_FALSE(Has("error", "true"));
  EXPECT_FALSE(Has("otel.status_description", ""));
  EXPECT_FALSE(Has("span.kind", ""));
}

// SpanHasTag must agree with the converted view: every tag, process tag and log field that
// ToJaegerTrace produces is found by its key and AsString value.
TEST_F(SpanHasTagTest, AgreesWithConversion) {
  JaegerTrace t = ToJaegerTrace(b_.set());
  ASSERT_EQ(t.spans.size(), 1u);
  std::vector<const Tag*> all;
  for (const Tag& tag : t.spans[0].tags) all.push_back(&tag);
  for (const Tag& tag : t.processes[t.spans[0].process_index].tags) all.push_back(&tag);
  for (const Log& log : t.spans[0].logs) {
    for (const Tag& tag : log.fields) all.push_back(&tag);
  }
  EXPECT_GE(all.size(), 20u);
  for (const Tag* tag : all) {
    EXPECT_TRUE(Has(tag->key, TagValueString(*tag))) << tag->key << "=" << TagValueString(*tag);
    EXPECT_FALSE(Has(tag->key, TagValueString(*tag) + "x")) << tag->key;
  }
}

// ForEachSearchableTag is the one definition of what tag search sees: exactly the converted view's
// span tags, process tags and log fields, plus the scope attributes (storage.h searches those too).
TEST_F(SpanHasTagTest, EnumeratorIsTheConvertedViewPlusScopeAttributes) {
  using Pairs = std::multiset<std::pair<std::string, std::string>>;
  Pairs enumerated;
  ForEachSearchableTag(*span_, [&](std::string_view k, const AnyValue& v) {
    std::string rendered;
    AppendTagValueString(v, rendered);
    enumerated.emplace(std::string(k), std::move(rendered));
    return true;
  });
  JaegerTrace t = ToJaegerTrace(b_.set());
  Pairs converted;
  auto add = [&](const Tag& tag) { converted.emplace(std::string(tag.key), TagValueString(tag)); };
  for (const Tag& tag : t.spans[0].tags) add(tag);
  for (const Tag& tag : t.processes[t.spans[0].process_index].tags) add(tag);
  for (const Log& log : t.spans[0].logs) {
    for (const Tag& tag : log.fields) add(tag);
  }
  for (const KeyValue& kv : span_->scope->attributes) {
    converted.emplace(std::string(kv.key), ValueToString(kv.value));
  }
  EXPECT_EQ(enumerated, converted);
  for (const auto& [k, v] : enumerated) EXPECT_TRUE(Has(k, v)) << k << "=" << v;
}

// The enumerator stops when asked and says so.
TEST_F(SpanHasTagTest, EnumeratorStops) {
  int seen = 0;
  EXPECT_FALSE(ForEachSearchableTag(*span_, [&](std::string_view, const AnyValue&) {
    return ++seen < 3;
  }));
  EXPECT_EQ(seen, 3);
  EXPECT_TRUE(ForEachSearchableTag(*span_, [](std::string_view, const AnyValue&) { return true; }));
}

// AppendTagValueString renders exactly as TagValueString renders the converted tag (AsString),
// including the non-finite doubles Go spells "NaN", "+Inf", "-Inf".
TEST(AppendTagValueStringTest, MatchesConvertedTags) {
  Builder b;
  static const AnyValue kItems[] = {AnyValue::String("x\"y"), AnyValue::Double(0.1)};
  const AnyValue values[] = {AnyValue(),
                             AnyValue::String("plain"),
                             AnyValue::Bool(true),
                             AnyValue::Int(-9223372036854775807 - 1),
                             AnyValue::Double(72.5),
                             AnyValue::Double(1e300),
                             AnyValue::Double(NAN),
                             AnyValue::Double(INFINITY),
                             AnyValue::Double(-INFINITY),
                             AnyValue::Bytes(std::string_view("\x00\xff", 2)),
                             AnyValue::Array(kItems)};
  std::vector<KeyValue> attrs;
  for (const AnyValue& v : values) attrs.push_back(KV("k", v));
  b.Add(1, 0, b.MakeRes({})).attributes = b.Attrs(attrs);
  JaegerTrace t = ToJaegerTrace(b.set());
  ASSERT_EQ(t.spans[0].tags.size(), std::size(values));
  for (size_t i = 0; i < std::size(values); ++i) {
    std::string rendered;
    AppendTagValueString(values[i], rendered);
    EXPECT_EQ(rendered, TagValueString(t.spans[0].tags[i])) << i;
  }
}

// ToEdgeSpan keeps what the converted span says: the Kind() (a span.kind attribute wins, a
// non-string one hides the kind), the service (with Jaeger's placeholder), the same-trace refs.
TEST(EdgeSpanTest, AgreesWithConversion) {
  Builder b;
  static const AnyValue kItems[] = {AnyValue::String("a")};
  const Resource* a = b.MakeRes({KV("service.name", AnyValue::String("A"))});
  const Resource* none = b.MakeRes({});
  b.Add(1, 0, a).kind = SpanKind::kServer;
  Span& attr_kind = b.Add(2, 1, a);
  attr_kind.kind = SpanKind::kServer;
  attr_kind.attributes = b.Attrs({KV("span.kind", AnyValue::String("client"))});
  Span& int_kind = b.Add(3, 1, none);
  int_kind.kind = SpanKind::kClient;
  int_kind.attributes = b.Attrs({KV("span.kind", AnyValue::Int(3))});
  Span& arr_kind = b.Add(4, 0, none);
  arr_kind.attributes = b.Attrs({KV("span.kind", AnyValue::Array(kItems))});
  Link links[3];
  links[0].trace_id = TraceId{0, 0x77};
  links[0].span_id = SpanId{2};
  links[0].attributes = b.Attrs({KV("opentracing.ref_type", AnyValue::String("child_of"))});
  links[1].trace_id = TraceId{9, 9};  // another trace: never a parent
  links[1].span_id = SpanId{5};
  links[2].trace_id = TraceId{0, 0x77};
  links[2].span_id = SpanId{1};
  arr_kind.links = b.set().arena().CopyArray(std::span<const Link>(links));
  JaegerTrace t = ToJaegerTrace(b.set());
  for (size_t i = 0; i < b.set().size(); ++i) {
    SCOPED_TRACE(i);
    EdgeSpan e = ToEdgeSpan(b.set().spans()[i]);
    EXPECT_EQ(e.span_id, t.spans[i].span_id);
    EXPECT_EQ(e.kind, t.spans[i].Kind());
    EXPECT_EQ(e.service, t.processes[t.spans[i].process_index].service_name);
    std::vector<std::pair<RefType, uint64_t>> want, got;
    for (const auto& r : t.spans[i].references) {
      if (r.trace_id == t.spans[i].trace_id) want.emplace_back(r.type, r.span_id.value);
    }
    for (const auto& r : e.references) got.emplace_back(r.type, r.span_id.value);
    EXPECT_EQ(got, want);
  }
  EXPECT_EQ(ToEdgeSpan(b.set().spans()[2]).service, "OTLPResourceNoServiceName");
  EXPECT_EQ(ToEdgeSpan(b.set().spans()[2]).kind, "");
  EXPECT_EQ(ToEdgeSpan(b.set().spans()[3]).references.size(), 2u);
}

std::vector<std::pair<std::string, std::string>> Edges(const JaegerTrace& t) {
  std::vector<std::pair<std::string, std::string>> out;
  ForEachDependencyEdge(t, [&](std::string_view p, std::string_view c) {
    out.emplace_back(std::string(p), std::string(c));
  });
  return out;
}

// §3.3: parent in the same trace with a different service → one edge per occurrence; same-service
// pairs and unknown parents yield nothing.
TEST(DependencyEdgeTest, DifferentServicesOnly) {
  Builder b;
  const Resource* a = b.MakeRes({KV("service.name", AnyValue::String("A"))});
  const Resource* bb = b.MakeRes({KV("service.name", AnyValue::String("B"))});
  const Resource* b2 = b.MakeRes(
      {KV("service.name", AnyValue::String("B")), KV("host.name", AnyValue::String("other"))});
  const Resource* c = b.MakeRes({KV("service.name", AnyValue::String("C"))});
  b.Add(1, 0, a);
  b.Add(2, 1, bb);
  b.Add(3, 2, b2);  // B → B (different process, same service): skipped
  b.Add(4, 3, c);
  b.Add(5, 2, c);
  b.Add(6, 99, c);  // parent not in the trace
  JaegerTrace t = ToJaegerTrace(b.set());
  EXPECT_THAT(Edges(t), UnorderedElementsAre(Pair("A", "B"), Pair("B", "C"), Pair("B", "C")));
}

// Zipkin-style shared span: a client span (service A) and a server span (service B) share ID 2.
// After SpanIDDeduper the server span is the client's child, and the server's child follows it.
Builder SharedSpanTrace() {
  Builder b;
  const Resource* a = b.MakeRes({KV("service.name", AnyValue::String("A"))});
  const Resource* bb = b.MakeRes({KV("service.name", AnyValue::String("B"))});
  const Resource* c = b.MakeRes({KV("service.name", AnyValue::String("C"))});
  b.Add(1, 0, a).kind = SpanKind::kServer;
  b.Add(2, 1, a).kind = SpanKind::kClient;
  b.Add(2, 1, bb).kind = SpanKind::kServer;  // shares ID and parent with the client
  b.Add(4, 2, c).kind = SpanKind::kServer;   // child of the server side
  return b;
}

TEST(DependencyEdgeTest, SharedClientServerSpanIds) {
  Builder b = SharedSpanTrace();
  JaegerTrace t = ToJaegerTrace(b.set());
  // Without de-duplication the C span would hang under the client (A → C); with it: A → B → C.
  EXPECT_THAT(Edges(t), UnorderedElementsAre(Pair("A", "B"), Pair("B", "C")));
  // The input trace is not modified.
  EXPECT_EQ(t.spans[2].span_id, SpanId{2});
}

// §2.5 step 1 on the shared-span trace: the server span gets the smallest ID not in use (1, 2 and 4
// are taken → 3), becomes CHILD_OF the client span, and its child is re-pointed.
TEST(DedupeSharedSpanIdsTest, ReassignsServerSpan) {
  Builder b = SharedSpanTrace();
  JaegerTrace t = ToJaegerTrace(b.set());
  DedupeSharedSpanIds(t);
  EXPECT_EQ(t.spans[0].span_id, SpanId{1});
  EXPECT_EQ(t.spans[1].span_id, SpanId{2});
  EXPECT_EQ(t.spans[2].span_id, SpanId{3});
  EXPECT_EQ(t.spans[2].ParentSpanId(), SpanId{2});
  ASSERT_EQ(t.spans[2].references.size(), 1u);
  EXPECT_EQ(t.spans[2].references[0].type, RefType::kChildOf);
  EXPECT_EQ(t.spans[3].ParentSpanId(), SpanId{3});
  EXPECT_EQ(t.spans[1].ParentSpanId(), SpanId{1});  // the client is untouched
  for (const auto& s : t.spans) EXPECT_TRUE(s.warnings.empty());
}

std::vector<std::pair<std::string, std::string>> EdgesFromEdgeSpans(const SpanSet& set) {
  std::vector<EdgeSpan> spans;
  for (const Span& s : set.spans()) spans.push_back(ToEdgeSpan(s));
  std::vector<std::pair<std::string, std::string>> out;
  ForEachDependencyEdge(spans, [&](std::string_view p, std::string_view c) {
    out.emplace_back(std::string(p), std::string(c));
  });
  return out;
}

// The EdgeSpan overload is the same computation as the JaegerTrace one, shared-span IDs included.
TEST(DependencyEdgeTest, EdgeSpansGiveTheSameEdges) {
  Builder shared = SharedSpanTrace();
  EXPECT_EQ(EdgesFromEdgeSpans(shared.set()), Edges(ToJaegerTrace(shared.set())));
  EXPECT_THAT(EdgesFromEdgeSpans(shared.set()),
              UnorderedElementsAre(Pair("A", "B"), Pair("B", "C")));

  Builder b;
  const Resource* a = b.MakeRes({KV("service.name", AnyValue::String("A"))});
  const Resource* c = b.MakeRes({KV("service.name", AnyValue::String("C"))});
  b.Add(1, 0, a);
  Span& linked = b.Add(2, 0, c);  // no parent, but a CHILD_OF link to span 1
  Link link;
  link.trace_id = linked.trace_id;
  link.span_id = SpanId{1};
  link.attributes = b.Attrs({KV("opentracing.ref_type", AnyValue::String("child_of"))});
  linked.links = b.set().arena().CopyArray(std::span<const Link>(&link, 1));
  b.Add(3, 0, b.MakeRes({}));
  b.Add(4, 3, a);  // child of the span without a service
  EXPECT_EQ(EdgesFromEdgeSpans(b.set()), Edges(ToJaegerTrace(b.set())));
  EXPECT_THAT(EdgesFromEdgeSpans(b.set()),
              UnorderedElementsAre(Pair("A", "C"), Pair("OTLPResourceNoServiceName", "A")));
}

}  // namespace
}  // namespace skua::model
