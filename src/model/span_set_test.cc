#include "model/span_set.h"

#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace skua::model {
namespace {

// Source spans are built over buffers this fixture owns, so a test can scribble over every source
// byte after copying and prove the copy does not point into the source.
class SourceData {
 public:
  std::string_view Str(std::string s) {
    strings_.push_back(std::make_unique<std::string>(std::move(s)));
    return *strings_.back();
  }
  template <typename T>
  std::span<const T> List(std::vector<T> items) {
    auto holder = std::make_shared<std::vector<T>>(std::move(items));
    keep_.push_back(holder);
    return {holder->data(), holder->size()};
  }
  // Overwrites every string byte with 'X'. Lists are freed when the object is destroyed.
  void Scribble() {
    for (auto& s : strings_) std::memset(s->data(), 'X', s->size());
  }

 private:
  std::vector<std::unique_ptr<std::string>> strings_;
  std::vector<std::shared_ptr<void>> keep_;
};

struct Source {
  SourceData data;
  Resource resource;
  Scope scope;
  Span span;
};

// A span that uses every field that points to memory, with values nested three levels deep.
std::unique_ptr<Source> MakeSource(std::string service) {
  auto src = std::make_unique<Source>();
  SourceData& d = src->data;
  src->resource.attributes = d.List<KeyValue>({
      {d.Str("service.name"), AnyValue::String(d.Str(service))},
      {d.Str("host.name"), AnyValue::String(d.Str("host-1"))},
  });
  src->resource.schema_url = d.Str("https://schema/resource");
  src->resource.service_name = src->resource.attributes[0].value.string_value();
  src->scope.name = d.Str("io.skua.test");
  src->scope.version = d.Str("1.2.3");
  src->scope.attributes = d.List<KeyValue>({{d.Str("scope.attr"), AnyValue::Int(5)}});

  auto inner_kv = d.List<KeyValue>({
      {d.Str("deep.key"), AnyValue::String(d.Str("deep-value"))},
      {d.Str("deep.bytes"), AnyValue::Bytes(d.Str(std::string("\x00\x01\x02", 3)))},
  });
  auto array = d.List<AnyValue>({
      AnyValue::String(d.Str("array-elem")),
      AnyValue::KvList(inner_kv),
      AnyValue::Double(1.5),
  });

  Span& s = src->span;
  s.trace_id = TraceId{0x1111, 0x2222};
  s.span_id = SpanId{0x3333};
  s.parent_span_id = SpanId{0x4444};
  s.trace_state = d.Str("vendor=value");
  s.flags = 1;
  s.name = d.Str("GET /api/thing");
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = 1000;
  s.end_time_unix_nano = 5000;
  s.attributes = d.List<KeyValue>({
      {d.Str("http.method"), AnyValue::String(d.Str("GET"))},
      {d.Str("nested"), AnyValue::Array(array)},
      {d.Str("flag"), AnyValue::Bool(true)},
  });
  s.dropped_attributes_count = 2;
  s.events = d.List<Event>({
      Event{2000, d.Str("event-one"),
            d.List<KeyValue>({{d.Str("event.attr"), AnyValue::String(d.Str("ev-value"))}}), 1},
  });
  s.links = d.List<Link>({
      Link{TraceId{9, 9}, SpanId{8}, d.Str("link-state"),
           d.List<KeyValue>({{d.Str("link.attr"), AnyValue::String(d.Str("link-value"))}}), 0, 1},
  });
  s.status = Status{StatusCode::kError, d.Str("it broke")};
  s.resource = &src->resource;
  s.scope = &src->scope;
  return src;
}

void ExpectSpanContent(const Span& s, std::string_view service) {
  EXPECT_EQ(s.trace_id, (TraceId{0x1111, 0x2222}));
  EXPECT_EQ(s.span_id, SpanId{0x3333});
  EXPECT_EQ(s.parent_span_id, SpanId{0x4444});
  EXPECT_EQ(s.trace_state, "vendor=value");
  EXPECT_EQ(s.name, "GET /api/thing");
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(s.duration_nanos(), 4000u);
  ASSERT_EQ(s.attributes.size(), 3u);
  EXPECT_EQ(s.attributes[0].key, "http.method");
  EXPECT_EQ(s.attributes[0].value.string_value(), "GET");
  const AnyValue* nested = FindAttribute(s.attributes, "nested");
  ASSERT_NE(nested, nullptr);
  ASSERT_EQ(nested->type(), ValueType::kArray);
  auto arr = nested->array_value();
  ASSERT_EQ(arr.size(), 3u);
  EXPECT_EQ(arr[0].string_value(), "array-elem");
  ASSERT_EQ(arr[1].type(), ValueType::kKvList);
  auto kv = arr[1].kvlist_value();
  ASSERT_EQ(kv.size(), 2u);
  EXPECT_EQ(kv[0].key, "deep.key");
  EXPECT_EQ(kv[0].value.string_value(), "deep-value");
  EXPECT_EQ(kv[1].value.type(), ValueType::kBytes);
  EXPECT_EQ(kv[1].value.string_value(), std::string_view("\x00\x01\x02", 3));
  EXPECT_EQ(arr[2].double_value(), 1.5);
  EXPECT_EQ(s.dropped_attributes_count, 2u);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "event-one");
  EXPECT_EQ(s.events[0].time_unix_nano, 2000u);
  ASSERT_EQ(s.events[0].attributes.size(), 1u);
  EXPECT_EQ(s.events[0].attributes[0].value.string_value(), "ev-value");
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].trace_state, "link-state");
  EXPECT_EQ(s.links[0].attributes[0].key, "link.attr");
  EXPECT_EQ(s.links[0].flags, 1u);
  EXPECT_EQ(s.status.message, "it broke");
  ASSERT_NE(s.resource, nullptr);
  EXPECT_EQ(s.service_name(), service);
  EXPECT_EQ(s.resource->schema_url, "https://schema/resource");
  ASSERT_NE(s.scope, nullptr);
  EXPECT_EQ(s.scope->name, "io.skua.test");
  EXPECT_EQ(s.scope->version, "1.2.3");
  ASSERT_EQ(s.scope->attributes.size(), 1u);
  EXPECT_EQ(s.scope->attributes[0].value.int_value(), 5);
}

TEST(SpanSetTest, CopySpanSurvivesSourceDestruction) {
  SpanSet set;
  auto src = MakeSource("frontend");
  set.CopySpan(src->span);
  src->data.Scribble();
  src.reset();
  ASSERT_EQ(set.size(), 1u);
  ExpectSpanContent(set.spans()[0], "frontend");
}

TEST(SpanSetTest, CopyOfCopySurvivesDestructionOfMiddleSet) {
  auto src = MakeSource("frontend");
  SpanSet final_set;
  {
    SpanSet middle;
    middle.CopySpan(src->span);
    final_set.CopySpan(middle.spans()[0]);
  }  // the middle set's arena is gone
  src->data.Scribble();
  ExpectSpanContent(final_set.spans()[0], "frontend");
}

TEST(SpanSetTest, MovedSetKeepsSpansValid) {
  auto src = MakeSource("frontend");
  SpanSet a;
  a.CopySpan(src->span);
  src.reset();
  SpanSet b(std::move(a));
  ExpectSpanContent(b.spans()[0], "frontend");
}

TEST(SpanSetTest, EqualResourcesAreShared) {
  auto s1 = MakeSource("frontend");
  auto s2 = MakeSource("frontend");  // equal content, different objects
  auto s3 = MakeSource("backend");
  ASSERT_NE(s1->span.resource, s2->span.resource);
  SpanSet set;
  const Span& a = set.CopySpan(s1->span);
  const Resource* ra = a.resource;
  const Scope* sa = a.scope;
  const Span& b = set.CopySpan(s2->span);
  EXPECT_EQ(b.resource, ra);
  EXPECT_EQ(b.scope, sa);
  const Span& c = set.CopySpan(s3->span);
  EXPECT_NE(c.resource, ra);
  EXPECT_EQ(c.service_name(), "backend");
  EXPECT_EQ(c.scope, sa);  // scopes are equal across all three
  // The shared copies point into the set, not into any source.
  EXPECT_NE(ra, s1->span.resource);
  EXPECT_NE(ra, s2->span.resource);
}

TEST(SpanSetTest, SpanWithoutResourceOrScopeGetsEmptyOnes) {
  Span bare;
  bare.name = "bare";
  SpanSet set;
  const Span& copy = set.CopySpan(bare);
  ASSERT_NE(copy.resource, nullptr);
  ASSERT_NE(copy.scope, nullptr);
  EXPECT_EQ(copy.service_name(), "");
  EXPECT_TRUE(copy.resource->attributes.empty());
  EXPECT_EQ(copy.name, "bare");
}

TEST(SpanSetTest, CopyValueDeepCopiesNestedValues) {
  SourceData d;
  auto inner = d.List<KeyValue>({{d.Str("k"), AnyValue::String(d.Str("v"))}});
  auto arr = d.List<AnyValue>({AnyValue::KvList(inner), AnyValue::String(d.Str("s"))});
  AnyValue original = AnyValue::Array(arr);

  SpanSet set;
  AnyValue copy = set.CopyValue(original);
  EXPECT_TRUE(ValueEquals(copy, original));
  EXPECT_NE(copy.array_value().data(), original.array_value().data());
  EXPECT_NE(copy.array_value()[0].kvlist_value().data(), inner.data());
  d.Scribble();
  EXPECT_FALSE(ValueEquals(copy, original));  // the source changed, the copy did not
  EXPECT_EQ(copy.array_value()[0].kvlist_value()[0].key, "k");
  EXPECT_EQ(copy.array_value()[0].kvlist_value()[0].value.string_value(), "v");
  EXPECT_EQ(copy.array_value()[1].string_value(), "s");
}

TEST(SpanSetTest, CopySpansAppendsAll) {
  auto s1 = MakeSource("a");
  auto s2 = MakeSource("b");
  std::vector<Span> spans = {s1->span, s2->span};
  SpanSet set;
  set.CopySpans(spans);
  s1.reset();
  s2.reset();
  ASSERT_EQ(set.size(), 2u);
  EXPECT_EQ(set.spans()[0].service_name(), "a");
  EXPECT_EQ(set.spans()[1].service_name(), "b");
  EXPECT_GT(set.bytes_used(), 0u);
}

}  // namespace
}  // namespace skua::model
