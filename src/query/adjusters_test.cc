#include "query/adjusters.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::query {
namespace {

using model::SpanId;
using model::TraceId;
using model::jaeger::JaegerTrace;
using model::jaeger::Log;
using model::jaeger::Process;
using model::jaeger::Reference;
using model::jaeger::RefType;
using model::jaeger::Span;
using model::jaeger::Tag;
using model::jaeger::TagType;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr TraceId kTrace{0, 0xabc};

Span& AddSpan(JaegerTrace& t, uint64_t id, uint64_t parent, size_t process,
              std::string_view kind = "") {
  Span& s = t.spans.emplace_back();
  s.trace_id = kTrace;
  s.span_id = SpanId{id};
  if (parent != 0) s.references.push_back({RefType::kChildOf, kTrace, SpanId{parent}});
  s.process_index = process;
  if (!kind.empty()) s.tags.push_back(Tag::String("span.kind", kind));
  return s;
}

std::vector<std::string> Keys(const std::vector<Tag>& tags) {
  std::vector<std::string> keys;
  for (const Tag& t : tags) keys.emplace_back(t.key);
  return keys;
}

// §2.5 step 1: a server span sharing its ID with a client span gets a new unique ID, becomes the
// client's child, and the server span's children follow it.
TEST(DedupeSpanIdsTest, SharedClientServerSpan) {
  JaegerTrace t;
  t.processes = {{"a", {}}, {"b", {}}};
  AddSpan(t, 1, 0, 0, "server");
  AddSpan(t, 3, 1, 0, "client");
  AddSpan(t, 3, 1, 1, "server");
  AddSpan(t, 2, 3, 1);  // child of the server side of the shared span
  AddSpan(t, 4, 0, 1);
  DedupeSpanIds(t);
  // IDs 1-4 are taken, so the new ID is 5.
  EXPECT_EQ(t.spans[2].span_id, SpanId{5});
  EXPECT_EQ(t.spans[2].ParentSpanId(), SpanId{3});
  EXPECT_EQ(t.spans[1].span_id, SpanId{3});
  EXPECT_EQ(t.spans[1].ParentSpanId(), SpanId{1});
  EXPECT_EQ(t.spans[3].ParentSpanId(), SpanId{5});
  EXPECT_EQ(t.spans[4].ParentSpanId(), SpanId{});
  for (const Span& s : t.spans) EXPECT_THAT(s.warnings, IsEmpty());
}

// A shared root server span (no parent) gets the shared ID as its first reference, CHILD_OF.
TEST(DedupeSpanIdsTest, RootServerGainsParentReference) {
  JaegerTrace t;
  t.processes = {{"a", {}}};
  AddSpan(t, 7, 0, 0, "client");
  Span& server = AddSpan(t, 7, 0, 0, "server");
  server.references.push_back({RefType::kFollowsFrom, TraceId{0, 1}, SpanId{9}});
  DedupeSpanIds(t);
  EXPECT_EQ(t.spans[1].span_id, SpanId{1});
  ASSERT_EQ(t.spans[1].references.size(), 2u);
  EXPECT_EQ(t.spans[1].references[0].type, RefType::kChildOf);
  EXPECT_EQ(t.spans[1].references[0].span_id, SpanId{7});
  EXPECT_EQ(t.spans[1].references[1].span_id, SpanId{9});
}

// Spans sharing an ID without a client/server pair are left alone.
TEST(DedupeSpanIdsTest, NoClientNoChange) {
  JaegerTrace t;
  t.processes = {{"a", {}}};
  AddSpan(t, 7, 0, 0, "server");
  AddSpan(t, 7, 0, 0, "server");
  AddSpan(t, 8, 0, 0, "client");
  DedupeSpanIds(t);
  EXPECT_EQ(t.spans[0].span_id, SpanId{7});
  EXPECT_EQ(t.spans[1].span_id, SpanId{7});
}

// Two spans on different hosts; the child starts before its parent. §2.5 step 2.
JaegerTrace SkewedTrace() {
  JaegerTrace t;
  t.processes = {{"a", {Tag::String("ip", "10.0.0.1")}}, {"b", {Tag::String("ip", "10.0.0.2")}}};
  Span& parent = AddSpan(t, 1, 0, 0);
  parent.start_time_us = 1000;
  parent.duration_us = 100;
  Span& child = AddSpan(t, 2, 1, 1);
  child.start_time_us = 950;
  child.duration_us = 50;
  child.logs.push_back(Log{960, {}});
  return t;
}

// Disabled (max 0, Jaeger's default): nothing moves, the span says what would have happened.
// delta = parent.start + (100 - 50)/2 - child.start = 1000 + 25 - 950 = 75 µs.
TEST(ClockSkewTest, DisabledOnlyWarns) {
  JaegerTrace t = SkewedTrace();
  AdjustClockSkew(t, 0);
  EXPECT_EQ(t.spans[1].start_time_us, 950u);
  EXPECT_THAT(t.spans[1].warnings,
              ElementsAre("clock skew adjustment disabled; not applying calculated delta of 75µs"));
  EXPECT_THAT(t.spans[0].warnings, IsEmpty());
}

TEST(ClockSkewTest, AppliesDeltaToStartAndLogs) {
  JaegerTrace t = SkewedTrace();
  AdjustClockSkew(t, 1000);
  EXPECT_EQ(t.spans[1].start_time_us, 1025u);
  EXPECT_EQ(t.spans[1].logs[0].timestamp_us, 1035u);
  EXPECT_THAT(t.spans[1].warnings, ElementsAre("This span's timestamps were adjusted by 75µs"));
  EXPECT_EQ(t.spans[0].start_time_us, 1000u);
}

TEST(ClockSkewTest, MaxDeltaExceeded) {
  JaegerTrace t = SkewedTrace();
  AdjustClockSkew(t, 10);
  EXPECT_EQ(t.spans[1].start_time_us, 950u);
  EXPECT_THAT(t.spans[1].warnings,
              ElementsAre("max clock skew adjustment delta of 10µs exceeded; not applying "
                          "calculated delta of 75µs"));
}

// A child longer than its parent is only moved so that it does not start before the parent.
TEST(ClockSkewTest, LongerChildOnlyShiftedToParentStart) {
  JaegerTrace t = SkewedTrace();
  t.spans[1].duration_us = 500;
  t.spans[1].start_time_us = 400;
  AdjustClockSkew(t, 10'000'000);
  EXPECT_EQ(t.spans[1].start_time_us, 1000u);
  EXPECT_THAT(t.spans[1].warnings, ElementsAre("This span's timestamps were adjusted by 600µs"));

  JaegerTrace later = SkewedTrace();
  later.spans[1].duration_us = 500;
  later.spans[1].start_time_us = 1010;  // starts after the parent: left alone
  AdjustClockSkew(later, 10'000'000);
  EXPECT_EQ(later.spans[1].start_time_us, 1010u);
  EXPECT_THAT(later.spans[1].warnings, IsEmpty());
}

// A child already inside its parent is not moved; a child after its parent moves back (negative
// delta); a same-host grandchild inherits its parent's delta.
TEST(ClockSkewTest, InsideNegativeAndInherited) {
  JaegerTrace t = SkewedTrace();
  t.spans[1].start_time_us = 1010;
  AdjustClockSkew(t, 1'000'000);
  EXPECT_THAT(t.spans[1].warnings, IsEmpty());

  JaegerTrace late = SkewedTrace();
  late.spans[1].start_time_us = 2'501'000;  // delta = 1025 - 2501000 µs = -2.499975 s
  Span& grandchild = AddSpan(late, 3, 2, 1);
  grandchild.start_time_us = 2'501'010;
  grandchild.duration_us = 10;
  AdjustClockSkew(late, 10'000'000);
  EXPECT_EQ(late.spans[1].start_time_us, 1025u);
  EXPECT_THAT(late.spans[1].warnings,
              ElementsAre("This span's timestamps were adjusted by -2.499975s"));
  EXPECT_EQ(late.spans[2].start_time_us, 1035u);
  EXPECT_THAT(late.spans[2].warnings,
              ElementsAre("This span's timestamps were adjusted by -2.499975s"));
}

// Go's duration rendering for minutes and hours, and half-microsecond latencies (ns precision).
TEST(ClockSkewTest, GoDurationForms) {
  JaegerTrace t = SkewedTrace();
  t.spans[0].start_time_us = 100'000'000;
  t.spans[1].start_time_us = 100'000'025 - 90'000'000;  // 90 s early
  AdjustClockSkew(t, 0);
  EXPECT_THAT(
      t.spans[1].warnings,
      ElementsAre("clock skew adjustment disabled; not applying calculated delta of 1m30s"));

  JaegerTrace h = SkewedTrace();
  h.spans[0].start_time_us = 4'000'000'000;
  h.spans[1].start_time_us = 4'000'000'025 - 3'600'000'000;  // one hour early
  AdjustClockSkew(h, 1);
  EXPECT_THAT(h.spans[1].warnings,
              ElementsAre("max clock skew adjustment delta of 1µs exceeded; not applying "
                          "calculated delta of 1h0m0s"));

  JaegerTrace half = SkewedTrace();
  half.spans[0].duration_us = 101;
  half.spans[1].duration_us = 100;
  half.spans[1].start_time_us = 990;  // delta = 1000 µs + 500 ns - 990 µs = 10.5 µs
  AdjustClockSkew(half, 1'000'000);
  EXPECT_THAT(half.spans[1].warnings,
              ElementsAre("This span's timestamps were adjusted by 10.5µs"));
  EXPECT_EQ(half.spans[1].start_time_us, 1000u);  // 1000.5 µs truncated

  JaegerTrace ms = SkewedTrace();
  ms.spans[0].start_time_us = 10'000;
  ms.spans[1].start_time_us = 10'025 - 1500;
  AdjustClockSkew(ms, 0);
  EXPECT_THAT(
      ms.spans[1].warnings,
      ElementsAre("clock skew adjustment disabled; not applying calculated delta of 1.5ms"));
}

// Host identity: an int64-packed IPv4 and its dotted string are the same host, so no adjustment.
TEST(ClockSkewTest, SameHostAcrossIpEncodings) {
  JaegerTrace t = SkewedTrace();
  t.processes[0].tags = {Tag::Int("ip", 0x0A000002)};
  AdjustClockSkew(t, 1'000'000);
  EXPECT_EQ(t.spans[1].start_time_us, 950u);
  EXPECT_THAT(t.spans[1].warnings, IsEmpty());

  JaegerTrace bin = SkewedTrace();
  bin.processes[0].tags = {Tag::Binary("ip", std::string_view("\x0a\x00\x00\x02", 4))};
  AdjustClockSkew(bin, 1'000'000);
  EXPECT_THAT(bin.spans[1].warnings, IsEmpty());

  JaegerTrace v6 = SkewedTrace();
  v6.processes[0].tags = {
      Tag::Binary("ip", std::string_view("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16))};
  v6.processes[1].tags = {Tag::String("ip", "2001:db8::1")};
  AdjustClockSkew(v6, 1'000'000);
  EXPECT_THAT(v6.spans[1].warnings, IsEmpty());
}

// Duplicate IDs and unknown parents get Jaeger's warnings; an unknown-parent span acts as a root.
TEST(ClockSkewTest, DuplicateAndInvalidParentWarnings) {
  JaegerTrace t = SkewedTrace();
  AddSpan(t, 2, 1, 1).start_time_us = 5;
  AddSpan(t, 9, 0x63, 1).start_time_us = 5;
  AdjustClockSkew(t, 0);
  EXPECT_THAT(t.spans[2].warnings,
              ElementsAre("duplicate span IDs; skipping clock skew adjustment"));
  EXPECT_THAT(
      t.spans[3].warnings,
      ElementsAre("invalid parent span IDs=0000000000000063; skipping clock skew adjustment"));
}

// A long parent chain does not exhaust the stack (the walk is iterative). Every child nests inside
// its parent, so nothing moves, except the last one, which ends after its parent.
TEST(ClockSkewTest, DeepChain) {
  JaegerTrace t;
  t.processes = {{"a", {Tag::String("ip", "1.1.1.1")}}, {"b", {Tag::String("ip", "2.2.2.2")}}};
  const int kDepth = 50'000;
  t.spans.reserve(kDepth);
  for (int i = 1; i <= kDepth; ++i) {
    Span& s = AddSpan(t, i, i - 1, i % 2);
    s.start_time_us = 1000 + i;
    s.duration_us = 2 * (kDepth - i) + 2;
  }
  // The last span ends 1 µs after its parent: delta = parent start + (4 - 2) / 2 - child start.
  t.spans.back().start_time_us += 2;
  AdjustClockSkew(t, 0);
  size_t warned = 0;
  for (const Span& s : t.spans) warned += s.warnings.size();
  EXPECT_EQ(warned, 1u);
  EXPECT_THAT(t.spans.back().warnings,
              ElementsAre("clock skew adjustment disabled; not applying calculated delta of -2µs"));
}

// §2.5 step 3: numeric ip / peer.ipv4 tags become dotted strings; process tags get sorted.
TEST(IpTagsTest, PackedIpv4BecomesDotted) {
  JaegerTrace t;
  t.processes = {{"a", {Tag::String("z", "1"), Tag::Int("ip", 0x7F000001)}}};
  Span& s = AddSpan(t, 1, 0, 0);
  s.tags = {Tag::Int("peer.ipv4", 0x0A0B0C0D), Tag::String("ip", "keep"), Tag::Int("port", 80)};
  AdjustIpTags(t);
  EXPECT_EQ(s.tags[0].type, TagType::kString);
  EXPECT_EQ(s.tags[0].str, "10.11.12.13");
  EXPECT_EQ(s.tags[1].str, "keep");
  EXPECT_EQ(s.tags[2].type, TagType::kInt64);
  ASSERT_THAT(Keys(t.processes[0].tags), ElementsAre("ip", "z"));
  EXPECT_EQ(t.processes[0].tags[0].str, "127.0.0.1");
}

// §2.5 step 4: telemetry.sdk.* / telemetry.distro.* span tags move to the (sorted) process; spans
// sharing the old process keep it.
TEST(OtelTagsTest, MovedToProcess) {
  JaegerTrace t;
  t.processes = {{"a", {Tag::String("host.name", "h")}}};
  Span& s1 = AddSpan(t, 1, 0, 0);
  s1.tags = {Tag::String("telemetry.sdk.name", "opentelemetry"), Tag::String("x", "1"),
             Tag::String("telemetry.sdk.language", "go")};
  Span& s2 = AddSpan(t, 2, 1, 0);
  s2.tags = {Tag::String("telemetry.sdk.language", "go"),
             Tag::String("telemetry.sdk.name", "opentelemetry")};
  AddSpan(t, 3, 1, 0).tags = {Tag::String("telemetry.sdk.unknown", "v")};
  MoveOtelTagsToProcess(t);
  EXPECT_THAT(Keys(t.spans[0].tags), ElementsAre("x"));
  EXPECT_THAT(t.spans[1].tags, IsEmpty());
  EXPECT_THAT(Keys(t.spans[2].tags), ElementsAre("telemetry.sdk.unknown"));
  EXPECT_EQ(t.spans[2].process_index, 0u);
  EXPECT_THAT(Keys(t.processes[0].tags), ElementsAre("host.name"));
  ASSERT_NE(t.spans[0].process_index, 0u);
  EXPECT_EQ(t.spans[0].process_index, t.spans[1].process_index);  // equal results share
  const Process& p = t.processes[t.spans[0].process_index];
  EXPECT_EQ(p.service_name, "a");
  EXPECT_THAT(Keys(p.tags),
              ElementsAre("host.name", "telemetry.sdk.language", "telemetry.sdk.name"));
}

// §2.5 step 5: the string `event` field first (swapped in), the rest sorted by key, type, value.
TEST(SortLogFieldsTest, EventFirstRestSorted) {
  JaegerTrace t;
  t.processes = {{"a", {}}};
  Span& s = AddSpan(t, 1, 0, 0);
  s.logs.push_back(Log{1,
                       {Tag::String("b", "1"), Tag::String("c", "2"), Tag::String("event", "e"),
                        Tag::String("a", "3"), Tag::Int("b", 0)}});
  s.logs.push_back(Log{2, {Tag::Int("event", 1), Tag::String("a", "x")}});
  SortLogFields(t);
  EXPECT_THAT(Keys(s.logs[0].fields), ElementsAre("event", "a", "b", "b", "c"));
  EXPECT_EQ(s.logs[0].fields[2].type, TagType::kString);  // string sorts before int64
  EXPECT_EQ(s.logs[0].fields[3].type, TagType::kInt64);
  EXPECT_THAT(Keys(s.logs[1].fields), ElementsAre("a", "event"));  // non-string event: just sorted
}

// §2.5 step 6: references with an all-zero trace ID are dropped with Jaeger's warning text.
TEST(SpanReferencesTest, ZeroTraceIdRemoved) {
  JaegerTrace t;
  t.processes = {{"a", {}}};
  Span& s = AddSpan(t, 1, 5, 0);
  s.references.push_back({RefType::kFollowsFrom, TraceId{}, SpanId{0xab}});
  s.references.push_back({RefType::kFollowsFrom, TraceId{1, 0}, SpanId{3}});
  RemoveInvalidReferences(t);
  ASSERT_EQ(s.references.size(), 2u);
  EXPECT_EQ(s.references[0].span_id, SpanId{5});
  EXPECT_EQ(s.references[1].span_id, SpanId{3});
  EXPECT_THAT(s.warnings, ElementsAre("Invalid span reference removed {TraceID:0000000000000000 "
                                      "SpanID:00000000000000ab RefType:FOLLOWS_FROM}"));
}

// §2.5 step 7: the first same-trace CHILD_OF (else FOLLOWS_FROM) reference is swapped to the front.
TEST(ParentReferenceTest, ChildOfFirst) {
  JaegerTrace t;
  t.processes = {{"a", {}}};
  t.spans.reserve(2);  // keep the references below valid
  Span& s = AddSpan(t, 1, 0, 0);
  s.references = {{RefType::kFollowsFrom, kTrace, SpanId{1}},
                  {RefType::kChildOf, TraceId{0, 9}, SpanId{2}},
                  {RefType::kFollowsFrom, kTrace, SpanId{3}},
                  {RefType::kChildOf, kTrace, SpanId{4}}};
  Span& other = AddSpan(t, 2, 0, 0);
  other.references = {{RefType::kChildOf, TraceId{0, 9}, SpanId{2}},
                      {RefType::kFollowsFrom, kTrace, SpanId{3}}};
  ParentReferenceFirst(t);
  std::vector<uint64_t> ids;
  for (const Reference& r : s.references) ids.push_back(r.span_id.value);
  EXPECT_THAT(ids, ElementsAre(4, 2, 3, 1));
  EXPECT_EQ(other.references[0].span_id, SpanId{3});
  EXPECT_EQ(other.references[1].span_id, SpanId{2});
}

// The full chain in Jaeger's order.
TEST(StandardAdjustersTest, AllSteps) {
  JaegerTrace t = SkewedTrace();
  t.processes[1].tags.push_back(Tag::Int("ip", 0x01020304));  // second ip tag: not the host key
  t.spans[1].tags = {Tag::String("telemetry.sdk.language", "cpp"), Tag::Int("peer.ipv4", 1)};
  t.spans[1].references.push_back({RefType::kFollowsFrom, TraceId{}, SpanId{1}});
  ApplyStandardAdjusters(t, AdjusterOptions{});
  const Span& c = t.spans[1];
  EXPECT_EQ(c.start_time_us, 950u);
  EXPECT_THAT(Keys(c.tags), ElementsAre("peer.ipv4"));
  EXPECT_EQ(c.tags[0].str, "0.0.0.1");
  EXPECT_THAT(c.warnings,
              ElementsAre("clock skew adjustment disabled; not applying calculated delta of 75µs",
                          "Invalid span reference removed {TraceID:0000000000000000 "
                          "SpanID:0000000000000001 RefType:FOLLOWS_FROM}"));
  const Process& p = t.processes[c.process_index];
  EXPECT_THAT(Keys(p.tags), ElementsAre("ip", "ip", "telemetry.sdk.language"));
  EXPECT_EQ(p.tags[0].str, "1.2.3.4");  // converted then sorted (both strings, by value)
  EXPECT_EQ(p.tags[1].str, "10.0.0.2");
}

}  // namespace
}  // namespace skua::query
