#include "model/convert/sanitize.h"

#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::model::convert {
namespace {

using ::testing::SizeIs;

// U+FFFD in UTF-8.
#define FFFD "\xEF\xBF\xBD"

class Builder {
 public:
  SpanSet& set() { return set_; }
  Attributes Attrs(std::vector<KeyValue> kvs) {
    return set_.arena().CopyArray(std::span<const KeyValue>(kvs));
  }
  const Resource* Service(std::string_view name) {
    return MakeResource(set_.arena(), Attrs({{"service.name", AnyValue::String(name)}}));
  }
  Span& Add(const Resource* resource, std::string_view name = "op") {
    Span& s = set_.spans().emplace_back();
    s.trace_id = TraceId{1, 2};
    s.span_id = SpanId{set_.size()};
    s.name = name;
    s.resource = resource;
    s.start_time_unix_nano = 1000;
    s.end_time_unix_nano = 2000;
    return s;
  }

 private:
  SpanSet set_;
};

// §1.8: valid input is left untouched: no field is re-pointed and nothing is counted.
TEST(SanitizeTest, ValidBatchIsUntouched) {
  Builder b;
  const Resource* r = b.Service("frontend");
  static const AnyValue kItems[] = {AnyValue::String("ünïcödé ✓"), AnyValue::Int(3)};
  Span& s = b.Add(r, "GET /ß");
  s.attributes = b.Attrs({{"emoji", AnyValue::String("\xF0\x9F\x98\x80")},
                          {"list", AnyValue::Array(kItems)},
                          {"bytes", AnyValue::Bytes("\xff\xfe")}});
  Event* e = b.set().arena().New<Event>();
  e->name = "evt";
  s.events = std::span<const Event>(e, 1);
  const Span before = s;

  SanitizeStats stats = SanitizeSpans(b.set());
  EXPECT_EQ(stats.repaired_strings, 0u);
  EXPECT_EQ(stats.renamed_services, 0u);
  EXPECT_EQ(stats.renamed_spans, 0u);
  EXPECT_EQ(stats.fixed_durations, 0u);
  const Span& after = b.set().spans()[0];
  EXPECT_EQ(after.resource, before.resource);
  EXPECT_EQ(after.attributes.data(), before.attributes.data());
  EXPECT_EQ(after.events.data(), before.events.data());
  EXPECT_EQ(after.name.data(), before.name.data());
}

// §1.8 (v2 sanitizer): empty / missing / wrong-type service names.
TEST(SanitizeTest, ServiceNames) {
  Builder b;
  const Resource* empty = b.Service("");
  const Resource* missing =
      MakeResource(b.set().arena(), b.Attrs({{"host.name", AnyValue::String("h")}}));
  const Resource* wrong_type =
      MakeResource(b.set().arena(), b.Attrs({{"service.name", AnyValue::Int(7)}}));
  b.Add(empty);
  b.Add(empty);
  b.Add(missing);
  b.Add(wrong_type);
  b.Add(nullptr);
  b.Add(b.Service("ok"));

  SanitizeStats stats = SanitizeSpans(b.set());
  const auto& spans = b.set().spans();
  EXPECT_EQ(spans[0].service_name(), "empty-service-name");
  EXPECT_EQ(spans[0].resource, spans[1].resource);  // a shared resource is fixed once
  EXPECT_EQ(spans[2].service_name(), "missing-service-name");
  // The other attributes are kept.
  EXPECT_THAT(spans[2].resource->attributes, SizeIs(2));
  EXPECT_NE(FindAttribute(spans[2].resource->attributes, "host.name"), nullptr);
  EXPECT_EQ(spans[3].service_name(), "service-name-wrong-type");
  EXPECT_EQ(spans[4].service_name(), "missing-service-name");
  EXPECT_EQ(spans[5].service_name(), "ok");
  EXPECT_EQ(stats.renamed_services, 5u);  // counted per span
  // The original resource object was not modified (it may be shared elsewhere).
  EXPECT_EQ(empty->service_name, "");
  EXPECT_EQ(FindAttribute(empty->attributes, "service.name")->string_value(), "");
}

// §1.8: empty span name → "empty-span-name".
TEST(SanitizeTest, EmptySpanName) {
  Builder b;
  b.Add(b.Service("s"), "");
  SanitizeStats stats = SanitizeSpans(b.set());
  EXPECT_EQ(b.set().spans()[0].name, "empty-span-name");
  EXPECT_EQ(stats.renamed_spans, 1u);
}

// §1.8: a span that ends before it starts gets end = start.
TEST(SanitizeTest, NegativeDuration) {
  Builder b;
  Span& s = b.Add(b.Service("s"));
  s.start_time_unix_nano = 5000;
  s.end_time_unix_nano = 4000;
  Span& ok = b.Add(b.Service("s"));
  ok.end_time_unix_nano = ok.start_time_unix_nano;  // zero duration is fine
  SanitizeStats stats = SanitizeSpans(b.set());
  EXPECT_EQ(b.set().spans()[0].end_time_unix_nano, 5000u);
  EXPECT_EQ(stats.fixed_durations, 1u);
}

// Each byte that is not part of a well-formed UTF-8 sequence becomes U+FFFD (Unicode §3.9:
// overlong forms, surrogates, code points above U+10FFFF and truncated sequences are ill-formed).
TEST(SanitizeTest, Utf8RepairRules) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"ok \xC3\xA9", "ok \xC3\xA9"},  // é, valid
      {"a\xFF"
       "b",
       "a" FFFD "b"},                                              // never valid
      {"\xC0\xAF", FFFD FFFD},                                     // overlong '/'
      {"\xED\xA0\x80", FFFD FFFD FFFD},                            // UTF-16 surrogate D800
      {"\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD},                   // U+110000
      {"x\xE2\x82", "x" FFFD FFFD},                                // truncated €
      {"\xE2\x82\xAC\x80", "\xE2\x82\xAC" FFFD},                   // € then a stray continuation
      {"\xF0\x9F\x98\x80\xF0\x9F", "\xF0\x9F\x98\x80" FFFD FFFD},  // 😀 then a cut one
  };
  for (const auto& [in, want] : cases) {
    SCOPED_TRACE(testing::PrintToString(in));
    Builder b;
    b.Add(b.Service("s"), in);
    SanitizeStats stats = SanitizeSpans(b.set());
    EXPECT_EQ(b.set().spans()[0].name, want);
    EXPECT_EQ(stats.repaired_strings, in == want ? 0u : 1u);
  }
}

// §1.8: names, attribute keys and string values everywhere are repaired: span, resource, scope,
// events, links, nested arrays and maps. Bytes values are not text and stay as they are.
TEST(SanitizeTest, RepairsEveryStringField) {
  Builder b;
  Arena& arena = b.set().arena();
  const Resource* r = MakeResource(arena, b.Attrs({{"service.name", AnyValue::String("svc\xFF")},
                                                   {"host\xFF", AnyValue::String("h")}}));
  Scope* scope = arena.New<Scope>();
  scope->name = "lib\xFF";
  scope->attributes = b.Attrs({{"k", AnyValue::String("\xFF")}});
  static const AnyValue kItems[] = {AnyValue::String("fine"), AnyValue::String("bad\xFF")};
  static const KeyValue kMap[] = {{"in\xFFmap", AnyValue::Int(1)}};
  Span& s = b.Add(r, "op");
  s.scope = scope;
  s.status.message = "msg\xFF";
  s.trace_state = "ts\xFF";
  s.attributes = b.Attrs({{"key\xFF", AnyValue::String("value")},
                          {"list", AnyValue::Array(kItems)},
                          {"map", AnyValue::KvList(kMap)},
                          {"bytes", AnyValue::Bytes("\xFF")}});
  Event* e = arena.AllocateArray<Event>(2);
  e[0] = Event{1, "ok", {}, 0};
  e[1] = Event{2, "evt\xFF", b.Attrs({{"a", AnyValue::String("\xFF")}}), 0};
  s.events = std::span<const Event>(e, 2);
  Link* l = arena.New<Link>();
  l->attributes = b.Attrs({{"x", AnyValue::String("\xFF")}});
  s.links = std::span<const Link>(l, 1);

  SanitizeStats stats = SanitizeSpans(b.set());
  const Span& out = b.set().spans()[0];
  EXPECT_EQ(out.service_name(), "svc" FFFD);
  EXPECT_EQ(out.resource->attributes[1].key, "host" FFFD);
  EXPECT_EQ(out.scope->name, "lib" FFFD);
  EXPECT_EQ(out.scope->attributes[0].value.string_value(), FFFD);
  EXPECT_EQ(out.status.message, "msg" FFFD);
  EXPECT_EQ(out.trace_state, "ts" FFFD);
  EXPECT_EQ(out.attributes[0].key, "key" FFFD);
  EXPECT_EQ(out.attributes[1].value.array_value()[0].string_value(), "fine");
  EXPECT_EQ(out.attributes[1].value.array_value()[1].string_value(), "bad" FFFD);
  EXPECT_EQ(out.attributes[2].value.kvlist_value()[0].key, "in" FFFD "map");
  EXPECT_EQ(out.attributes[3].value.string_value(), "\xFF");
  EXPECT_EQ(out.events[0].name, "ok");
  EXPECT_EQ(out.events[1].name, "evt" FFFD);
  EXPECT_EQ(out.events[1].attributes[0].value.string_value(), FFFD);
  EXPECT_EQ(out.links[0].attributes[0].value.string_value(), FFFD);
  EXPECT_EQ(stats.repaired_strings, 12u);
  // The originals were copied, not modified.
  EXPECT_EQ(kItems[1].string_value(), "bad\xFF");
  EXPECT_EQ(scope->name, "lib\xFF");
  EXPECT_EQ(e[1].name, "evt\xFF");
}

// Long strings take the vectorised path; an invalid byte far into one is still found.
TEST(SanitizeTest, LongStrings) {
  Builder b;
  std::string valid(10000, 'a');
  valid += "\xC3\xA9";
  std::string invalid = valid;
  invalid[9000] = '\xFF';
  Span& s = b.Add(b.Service("s"), valid);
  s.attributes = b.Attrs({{"v", AnyValue::String(invalid)}});
  SanitizeStats stats = SanitizeSpans(b.set());
  EXPECT_EQ(b.set().spans()[0].name, valid);
  std::string want = invalid;
  want.replace(9000, 1, FFFD);
  EXPECT_EQ(b.set().spans()[0].attributes[0].value.string_value(), want);
  EXPECT_EQ(stats.repaired_strings, 1u);
}

}  // namespace
}  // namespace skua::model::convert
