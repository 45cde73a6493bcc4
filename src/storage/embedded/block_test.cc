#include "storage/embedded/block.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "model/attribute_keys.h"
#include "storage/embedded/block_cache.h"
#include "storage/embedded/block_test_util.h"
#include "storage/embedded/block_writer_internal.h"
#include "storage/memory/memory_storage.h"
#include "storage/span_match.h"

namespace skua::storage::embedded {
namespace {

using model::AnyValue;
using model::KeyValue;
using testing::MakeW1Spans;
using testing::TempDir;

// --- Comparison helpers --------------------------------------------------------------------------

// Value equality that compares doubles by bit pattern (so NaN equals itself and -0.0 differs from
// 0.0): stricter than model::ValueEquals, to check the format stores doubles exactly.
bool BitsEqual(const AnyValue& a, const AnyValue& b);
bool BitsEqual(model::Attributes a, model::Attributes b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || !BitsEqual(a[i].value, b[i].value)) return false;
  }
  return true;
}
bool BitsEqual(const AnyValue& a, const AnyValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case model::ValueType::kDouble: {
      double x = a.double_value(), y = b.double_value();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    case model::ValueType::kArray: {
      auto x = a.array_value(), y = b.array_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!BitsEqual(x[i], y[i])) return false;
      }
      return true;
    }
    case model::ValueType::kKvList:
      return BitsEqual(a.kvlist_value(), b.kvlist_value());
    default:
      return model::ValueEquals(a, b);
  }
}

// SpanContentEquals, but with doubles compared by bits everywhere.
bool SpanBitsEqual(const model::Span& a, const model::Span& b) {
  model::Span x = a, y = b;
  // Compare the attribute-bearing parts by bits, everything else with SpanContentEquals.
  if (!BitsEqual(a.attributes, b.attributes) || a.events.size() != b.events.size() ||
      a.links.size() != b.links.size() ||
      !BitsEqual(a.resource->attributes, b.resource->attributes) ||
      !BitsEqual(a.scope->attributes, b.scope->attributes)) {
    return false;
  }
  for (size_t i = 0; i < a.events.size(); ++i) {
    if (!BitsEqual(a.events[i].attributes, b.events[i].attributes)) return false;
  }
  for (size_t i = 0; i < a.links.size(); ++i) {
    if (!BitsEqual(a.links[i].attributes, b.links[i].attributes)) return false;
  }
  // With attributes known equal bit for bit, blank them so NaN does not defeat ==.
  model::Resource ra = *a.resource, rb = *b.resource;
  model::Scope sa = *a.scope, sb = *b.scope;
  ra.attributes = rb.attributes = {};
  sa.attributes = sb.attributes = {};
  x.resource = &ra;
  y.resource = &rb;
  x.scope = &sa;
  y.scope = &sb;
  x.attributes = y.attributes = {};
  std::vector<model::Event> ea(a.events.begin(), a.events.end()),
      eb(b.events.begin(), b.events.end());
  for (auto& e : ea) e.attributes = {};
  for (auto& e : eb) e.attributes = {};
  std::vector<model::Link> la(a.links.begin(), a.links.end()), lb(b.links.begin(), b.links.end());
  for (auto& l : la) l.attributes = {};
  for (auto& l : lb) l.attributes = {};
  x.events = ea;
  y.events = eb;
  x.links = la;
  y.links = lb;
  return SpanContentEquals(x, y);
}

// True if `got` and `want` hold the same spans, in any order (each span used once).
template <typename Eq>
::testing::AssertionResult SameMultiset(const std::vector<model::Span>& got,
                                        const std::vector<model::Span>& want, Eq eq) {
  if (got.size() != want.size()) {
    return ::testing::AssertionFailure() << "got " << got.size() << " spans, want " << want.size();
  }
  std::vector<bool> used(got.size());
  for (size_t w = 0; w < want.size(); ++w) {
    bool found = false;
    for (size_t g = 0; g < got.size() && !found; ++g) {
      if (!used[g] && eq(got[g], want[w])) found = used[g] = true;
    }
    if (!found) {
      return ::testing::AssertionFailure()
             << "span " << want[w].span_id.ToHex() << " (" << want[w].name << ") not read back";
    }
  }
  return ::testing::AssertionSuccess();
}

std::vector<model::Span> SpansOfTrace(const std::vector<model::Span>& spans,
                                      const model::TraceId& id) {
  std::vector<model::Span> out;
  for (const model::Span& s : spans) {
    if (s.trace_id == id) out.push_back(s);
  }
  return out;
}

std::shared_ptr<BlockReader> OpenOrDie(const std::string& path,
                                       std::shared_ptr<BlockCache> cache = nullptr) {
  auto reader = BlockReader::Open(path, cache ? cache : BlockCache::Create(64 << 20));
  EXPECT_TRUE(reader.ok()) << reader.status();
  return reader.ok() ? *reader : nullptr;
}

// --- Hand-built spans covering every field -------------------------------------------------------

constexpr uint64_t kT0 = 1'700'000'000'000'000'000ull;

struct Fixture {
  model::SpanSet set{1 << 16};
  std::vector<model::Span> spans;
  std::string huge;
};

AnyValue Str(model::SpanSet& set, std::string_view s) {
  return AnyValue::String(set.arena().CopyString(s));
}

model::Attributes Attrs(model::SpanSet& set, std::initializer_list<KeyValue> kvs) {
  std::vector<KeyValue> v(kvs);
  return set.CopyAttributes(v);
}

// Every value type, nested containers, odd doubles, empty and huge strings, bytes with NULs.
model::Attributes EveryValueType(model::SpanSet& set, const std::string& huge) {
  const AnyValue inner_items[] = {AnyValue::Bool(true), AnyValue::Array({})};
  const KeyValue inner_map[] = {{"k", AnyValue::Int(-1)}, {"", AnyValue::String("")}};
  const AnyValue array_items[] = {AnyValue::Int(1),
                                  AnyValue::String("a"),
                                  AnyValue::Array(inner_items),
                                  AnyValue::KvList(inner_map),
                                  AnyValue::Double(2.5),
                                  AnyValue::Bytes(std::string_view("\0\1", 2)),
                                  AnyValue()};
  const KeyValue map_items[] = {{"nested", AnyValue::Array(array_items)},
                                {"deeper", AnyValue::KvList(inner_map)}};
  const KeyValue kvs[] = {
      {"empty", AnyValue()},
      {"str.empty", AnyValue::String("")},
      {"str", AnyValue::String("hello")},
      {"str.huge", AnyValue::String(huge)},
      {"bool.t", AnyValue::Bool(true)},
      {"bool.f", AnyValue::Bool(false)},
      {"int.min", AnyValue::Int(std::numeric_limits<int64_t>::min())},
      {"int.max", AnyValue::Int(std::numeric_limits<int64_t>::max())},
      {"int.zero", AnyValue::Int(0)},
      {"double.negzero", AnyValue::Double(-0.0)},
      {"double.nan", AnyValue::Double(std::nan("0x123"))},
      {"double.inf", AnyValue::Double(-std::numeric_limits<double>::infinity())},
      {"double.big", AnyValue::Double(1e300)},
      {"bytes", AnyValue::Bytes(std::string_view("\0\xff\x10", 3))},
      {"bytes.empty", AnyValue::Bytes("")},
      {"array", AnyValue::Array(array_items)},
      {"array.empty", AnyValue::Array({})},
      {"map", AnyValue::KvList(map_items)},
      {"map.empty", AnyValue::KvList({})},
      {"str", AnyValue::String("duplicate key")},
  };
  return set.CopyAttributes(kvs);
}

// Three traces exercising every field of the model; `with_nan` adds NaN values (which
// SpanContentEquals never considers equal).
Fixture MakeEveryFieldSpans(bool with_nan) {
  Fixture f;
  model::SpanSet& set = f.set;
  f.huge = std::string(300'000, 'x');
  for (size_t i = 0; i < f.huge.size(); i += 7) f.huge[i] = static_cast<char>('a' + i % 26);

  model::Attributes every = EveryValueType(set, f.huge);
  if (!with_nan) {
    std::vector<KeyValue> v(every.begin(), every.end());
    v.erase(std::remove_if(v.begin(), v.end(),
                           [](const KeyValue& kv) {
                             return kv.value.type() == model::ValueType::kDouble &&
                                    std::isnan(kv.value.double_value());
                           }),
            v.end());
    every = set.CopyAttributes(v);
  }

  model::Resource r1;
  r1.attributes = Attrs(set, {{"service.name", Str(set, "frontend")},
                              {"host.name", Str(set, "h1")},
                              {"rack", AnyValue::Int(7)}});
  r1.dropped_attributes_count = 3;
  r1.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  model::Resource r2;  // no service name at all
  r2.attributes = Attrs(set, {{"host.name", Str(set, "h2")}});
  model::Resource r3;  // service.name that is not a string: no service
  r3.attributes = every;
  model::Resource r4;  // empty resource
  model::Resource r5;
  r5.attributes = Attrs(set, {{"service.name", Str(set, "backend")}});
  const model::Resource* res[] = {set.CopyResource(r1), set.CopyResource(r2), set.CopyResource(r3),
                                  set.CopyResource(r4), set.CopyResource(r5)};
  model::Scope s1;
  s1.name = "io.opentelemetry.test";
  s1.version = "1.2.3";
  s1.attributes = Attrs(set, {{"scope.attr", AnyValue::Bool(true)}});
  s1.dropped_attributes_count = 2;
  s1.schema_url = "https://example.com/scope";
  model::Scope s2;
  const model::Scope* sc[] = {set.CopyScope(s1), set.CopyScope(s2)};

  const model::TraceId t1{0x0102030405060708ull, 0x090a0b0c0d0e0f10ull};
  const model::TraceId t2{0, 42};  // Jaeger-style 64-bit ID
  const model::TraceId t3{UINT64_MAX, UINT64_MAX};

  auto add = [&](const model::TraceId& t, uint64_t id, uint64_t parent, std::string_view name,
                 uint64_t start, uint64_t end, int r, int s) -> model::Span& {
    model::Span& span = set.spans().emplace_back();
    span.trace_id = t;
    span.span_id.value = id;
    span.parent_span_id.value = parent;
    span.name = set.arena().CopyString(name);
    span.start_time_unix_nano = start;
    span.end_time_unix_nano = end;
    span.resource = res[r];
    span.scope = sc[s];
    return span;
  };

  // Trace 1: a root with every field, children in various shapes.
  model::Span& root = add(t1, 1, 0, "GET /everything", kT0, kT0 + 5'000'000, 0, 0);
  root.trace_state = "vendor=abc,other=1";
  root.flags = 0x301;
  root.kind = model::SpanKind::kServer;
  root.status.code = model::StatusCode::kError;
  root.status.message = "boom";
  root.attributes = every;
  root.dropped_attributes_count = 4;
  root.dropped_events_count = 5;
  root.dropped_links_count = 6;
  {
    model::Event* events = set.arena().AllocateArray<model::Event>(3);
    events[0] =
        model::Event{kT0 + 10, "exception",
                     Attrs(set, {{"exception.type", Str(set, "E")},
                                 {"exception.stacktrace", Str(set, f.huge.substr(0, 5000))}}),
                     1};
    events[1] = model::Event{kT0 - 10, "", {}, 0};  // before the span, no name
    events[2] = model::Event{UINT64_MAX, "odd", every, 0};
    root.events = {events, 3};
    model::Link* links = set.arena().AllocateArray<model::Link>(3);
    links[0] = model::Link{t1, model::SpanId{99}, "", {}, 0, 0};
    links[1] =
        model::Link{t3, model::SpanId{7}, "ts=1", Attrs(set, {{"l", AnyValue::Int(1)}}), 2, 1};
    links[2] = model::Link{t2, model::SpanId{0}, "", every, 0, 0xffffffffu};
    root.links = {links, 3};
  }
  add(t1, 2, 1, "child", kT0 + 100, kT0 + 200, 4, 1).kind = model::SpanKind::kClient;
  add(t1, 3, 2, "child", kT0 + 100, kT0 + 150, 0, 0).kind = model::SpanKind::kServer;
  add(t1, 4, 0xdead, "external parent", kT0 + 300, kT0 + 250, 1, 1);  // ends before it starts
  add(t1, 5, 5, "own parent", kT0 + 400, kT0 + 400, 2, 0);
  add(t1, 3, 1, "same id, other span", kT0 + 500, kT0 + 900, 0, 0);
  add(t1, 6, 3, "parent with a shared id", kT0 + 600, kT0 + 700, 4, 1).kind =
      static_cast<model::SpanKind>(7);  // out of the enum's range
  add(t1, 7, 8, "parent starts later", kT0 + 700, kT0 + 800, 0, 0).status.code =
      static_cast<model::StatusCode>(9);
  add(t1, 8, 1, "", kT0 + 750, kT0 + 760, 3, 1).status.code = model::StatusCode::kOk;
  // Trace 2: extreme times.
  add(t2, 1, 0, "zero start", 0, 0, 1, 0);
  add(t2, 2, 1, "max time", UINT64_MAX, UINT64_MAX, 1, 0).status.message = "boom";
  add(t2, 3, 1, "huge attribute", kT0, kT0 + 1, 0, 0).attributes =
      Attrs(set, {{"blob", Str(set, f.huge)}});
  // Trace 3: many spans, so it fills several pages at a small page size.
  for (uint64_t i = 0; i < 400; ++i) {
    model::Span& s =
        add(t3, 1000 + i, i == 0 ? 0 : 1000 + i / 2, absl::StrCat("op-", i % 7), kT0 + i * 1000,
            kT0 + i * 1000 + 77 * i, static_cast<int>(i % 5), static_cast<int>(i % 2));
    s.attributes = Attrs(set, {{"i", AnyValue::Int(static_cast<int64_t>(i))},
                               {"s", Str(set, absl::StrCat("value-", i % 11))},
                               {"d", AnyValue::Double(i * 0.5)}});
  }
  f.spans = set.spans();
  return f;
}

void CheckRoundTrip(const Fixture& f, const BlockWriteOptions& options, bool content_equals) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.File("b1.block");
  auto info = WriteBlock(path, 77, "tenant-a", f.spans, options);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->id, 77u);
  EXPECT_EQ(info->tenant, "tenant-a");
  EXPECT_EQ(info->span_count, f.spans.size());
  EXPECT_EQ(info->trace_count, 3u);
  EXPECT_EQ(info->min_start, 0u);
  EXPECT_EQ(info->max_start, UINT64_MAX);
  EXPECT_EQ(info->file_bytes, std::filesystem::file_size(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  auto reader = OpenOrDie(path);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->info().id, info->id);
  EXPECT_EQ(reader->info().tenant, info->tenant);
  EXPECT_EQ(reader->info().span_count, info->span_count);
  EXPECT_EQ(reader->info().trace_count, info->trace_count);
  EXPECT_EQ(reader->info().min_start, info->min_start);
  EXPECT_EQ(reader->info().max_start, info->max_start);
  EXPECT_EQ(reader->info().file_bytes, info->file_bytes);
  std::set<model::TraceId> traces;
  for (const model::Span& s : f.spans) traces.insert(s.trace_id);
  for (const model::TraceId& t : traces) {
    EXPECT_TRUE(reader->MayContainTrace(t));
    model::SpanSet out;
    ASSERT_TRUE(reader->ReadTrace(t, out).ok());
    std::vector<model::Span> want = SpansOfTrace(f.spans, t);
    EXPECT_TRUE(SameMultiset(out.spans(), want, SpanBitsEqual)) << t.ToHex();
    if (content_equals) {
      EXPECT_TRUE(SameMultiset(out.spans(), want, SpanContentEquals)) << t.ToHex();
    }
  }
  // An absent trace reads as nothing.
  model::SpanSet none;
  ASSERT_TRUE(reader->ReadTrace(model::TraceId{5, 5}, none).ok());
  EXPECT_TRUE(none.empty());

  // ForEachTrace visits each trace once, whole, in trace ID order.
  std::vector<model::TraceId> seen;
  size_t spans = 0;
  ASSERT_TRUE(reader
                  ->ForEachTrace([&](model::SpanSet trace) {
                    seen.push_back(trace.spans().front().trace_id);
                    for (const model::Span& s : trace.spans()) {
                      EXPECT_EQ(s.trace_id, seen.back());
                    }
                    EXPECT_TRUE(SameMultiset(trace.spans(), SpansOfTrace(f.spans, seen.back()),
                                             SpanBitsEqual));
                    spans += trace.size();
                    return true;
                  })
                  .ok());
  EXPECT_EQ(seen, std::vector<model::TraceId>(traces.begin(), traces.end()));
  EXPECT_EQ(spans, f.spans.size());
}

TEST(BlockRoundTripTest, EveryFieldSurvivesWithDefaultPages) {
  Fixture f = MakeEveryFieldSpans(/*with_nan=*/false);
  CheckRoundTrip(f, BlockWriteOptions{}, /*content_equals=*/true);
}

TEST(BlockRoundTripTest, EveryFieldSurvivesWithTinyPagesAndNoCompression) {
  Fixture f = MakeEveryFieldSpans(/*with_nan=*/false);
  BlockWriteOptions options;
  options.page_target_bytes = 512;  // splits trace 3 over many pages
  options.compression_level = -5;
  CheckRoundTrip(f, options, /*content_equals=*/true);
}

TEST(BlockRoundTripTest, NanAndNegativeZeroKeepTheirBits) {
  Fixture f = MakeEveryFieldSpans(/*with_nan=*/true);
  CheckRoundTrip(f, BlockWriteOptions{}, /*content_equals=*/false);
}

TEST(BlockRoundTripTest, MissingResourceAndScopeReadBackEmpty) {
  model::SpanSet set;
  model::Span& s = set.spans().emplace_back();
  s.trace_id = model::TraceId{1, 2};
  s.span_id.value = 3;
  s.name = "bare";
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(WriteBlock(dir.File("b"), 1, "", set.spans()).ok());
  auto reader = OpenOrDie(dir.File("b"));
  ASSERT_NE(reader, nullptr);
  model::SpanSet out;
  ASSERT_TRUE(reader->ReadTrace(s.trace_id, out).ok());
  ASSERT_EQ(out.size(), 1u);
  // As SpanSet::CopySpan does: an empty resource and scope, never null.
  model::SpanSet copy;
  copy.CopySpan(s);
  EXPECT_TRUE(SpanContentEquals(out.spans()[0], copy.spans()[0]));
}

TEST(BlockWriteTest, IdenticalSpansAreStoredOnce) {
  Fixture f = MakeEveryFieldSpans(/*with_nan=*/false);
  std::vector<model::Span> doubled = f.spans;
  doubled.insert(doubled.end(), f.spans.begin(), f.spans.end());
  // A span with a known ID but other content is kept.
  model::Span changed = f.spans[1];
  changed.end_time_unix_nano += 1;
  doubled.push_back(changed);
  std::shuffle(doubled.begin(), doubled.end(), std::mt19937(7));
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto info = WriteBlock(dir.File("b"), 1, "", doubled);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->span_count, f.spans.size() + 1);
  auto reader = OpenOrDie(dir.File("b"));
  ASSERT_NE(reader, nullptr);
  model::SpanSet out;
  ASSERT_TRUE(reader->ReadTrace(changed.trace_id, out).ok());
  std::vector<model::Span> want = SpansOfTrace(f.spans, changed.trace_id);
  want.push_back(changed);
  EXPECT_TRUE(SameMultiset(out.spans(), want, SpanContentEquals));
}

TEST(BlockWriteTest, EmptyInputIsInvalidArgument) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto info = WriteBlock(dir.File("b"), 1, "", {});
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.File("b")));
}

TEST(BlockWriteTest, TooDeeplyNestedValueIsInvalidArgument) {
  model::SpanSet set;
  AnyValue v = AnyValue::Int(1);
  for (int i = 0; i < 70; ++i) {
    AnyValue* item = set.arena().New<AnyValue>(v);
    v = AnyValue::Array({item, 1});
  }
  model::Span& s = set.spans().emplace_back();
  s.trace_id = model::TraceId{1, 1};
  s.span_id.value = 1;
  const KeyValue kv[] = {{"deep", v}};
  s.attributes = set.CopyAttributes(kv);
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto info = WriteBlock(dir.File("b"), 1, "", set.spans());
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.File("b")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("b.tmp")));
}

TEST(BlockWriteTest, IoErrorsAreUnavailableAndLeaveNoFile) {
  Fixture f = MakeEveryFieldSpans(false);
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto missing_dir = WriteBlock(dir.File("no/such/dir/b"), 1, "", f.spans);
  EXPECT_EQ(missing_dir.status().code(), absl::StatusCode::kUnavailable) << missing_dir.status();
  if (std::filesystem::exists("/dev/full")) {
    // /dev/full fails every write with ENOSPC; the writer opens `path + ".tmp"`, so point a
    // symlink named like the temporary file at it.
    const std::string path = dir.File("full");
    std::filesystem::create_symlink("/dev/full", path + ".tmp");
    auto full = WriteBlock(path, 1, "", f.spans);
    EXPECT_EQ(full.status().code(), absl::StatusCode::kUnavailable) << full.status();
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_FALSE(std::filesystem::is_symlink(path + ".tmp"));
  }
}

TEST(BlockOpenTest, MissingFileIsNotFoundAndOtherFilesAreDataLoss) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto missing = BlockReader::Open(dir.File("absent"), nullptr);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  for (const std::string& content : {std::string(), std::string("short"), std::string(4096, 'z'),
                                     std::string("SKUA-BLK") + std::string(100, '\0')}) {
    std::ofstream(dir.File("junk"), std::ios::binary | std::ios::trunc) << content;
    auto junk = BlockReader::Open(dir.File("junk"), nullptr);
    EXPECT_EQ(junk.status().code(), absl::StatusCode::kDataLoss) << content.size();
    EXPECT_NE(std::string(junk.status().message()).find(dir.File("junk")), std::string::npos);
  }
}

// --- W1 differential test against the memory store -----------------------------------------------

struct W1Setup {
  testing::W1Spans w1;
  std::unique_ptr<memory::MemoryStorage> memory;
  TempDir dir;
  std::shared_ptr<BlockCache> cache;
  std::shared_ptr<BlockReader> reader;
};

std::unique_ptr<W1Setup> MakeW1Setup(size_t spans, const BlockWriteOptions& options) {
  auto setup = std::make_unique<W1Setup>();
  setup->w1 = MakeW1Spans(spans, /*repeat_ids=*/true);
  memory::MemoryOptions mo;
  mo.max_traces = 0;
  mo.max_bytes = uint64_t{8} << 30;
  setup->memory = std::make_unique<memory::MemoryStorage>(mo);
  for (const model::SpanSet& r : setup->w1.requests) {
    EXPECT_TRUE(setup->memory->WriteSpans(kDefaultTenant, r).ok());
  }
  EXPECT_TRUE(setup->dir.ok());
  auto info = WriteBlock(setup->dir.File("w1.block"), 9, "", setup->w1.spans, options);
  EXPECT_TRUE(info.ok()) << info.status();
  setup->cache = BlockCache::Create(32 << 20);
  setup->reader = OpenOrDie(setup->dir.File("w1.block"), setup->cache);
  return setup;
}

std::string Describe(const TraceQuery& q) {
  std::string s = absl::StrCat("service='", q.service_name, "' op='", q.operation_name, "' [",
                               q.start_time_min, ",", q.start_time_max, "] dur [", q.duration_min,
                               ",", q.duration_max, "] n=", q.num_traces);
  for (const auto& [k, v] : q.tags) absl::StrAppend(&s, " ", k, "=", v);
  return s;
}

// Tags a span can be found by, drawn from every place SpanHasTag looks.
std::vector<std::pair<std::string, std::string>> TagsOf(const model::Span& s) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const KeyValue& kv : s.attributes) {
    out.emplace_back(std::string(kv.key), model::ValueToString(kv.value));
  }
  for (const KeyValue& kv : s.resource->attributes) {
    if (kv.key != model::keys::kServiceNameKey) {
      out.emplace_back(std::string(kv.key), model::ValueToString(kv.value));
    }
  }
  for (const model::Event& e : s.events) {
    out.emplace_back("event", std::string(e.name));
    for (const KeyValue& kv : e.attributes) {
      out.emplace_back(std::string(kv.key), model::ValueToString(kv.value));
    }
  }
  if (!s.scope->name.empty()) out.emplace_back("otel.scope.name", std::string(s.scope->name));
  if (!s.scope->version.empty()) {
    out.emplace_back("otel.scope.version", std::string(s.scope->version));
  }
  out.emplace_back("span.kind", std::string(model::SpanKindName(s.kind)));
  if (s.status.code == model::StatusCode::kError) {
    out.emplace_back("error", "true");
    out.emplace_back("otel.status_code", "ERROR");
    out.emplace_back("otel.status_description", std::string(s.status.message));
  }
  return out;
}

TEST(BlockW1Test, SearchCatalogDependenciesAndReadsEqualTheMemoryStore) {
  BlockWriteOptions options;
  options.page_target_bytes = 64 * 1024;  // several pages
  auto setup = MakeW1Setup(20'000, options);
  ASSERT_NE(setup->reader, nullptr);
  BlockReader& reader = *setup->reader;
  memory::MemoryStorage& mem = *setup->memory;
  const std::vector<model::Span>& spans = setup->w1.spans;

  // Every trace reads back as the memory store returns it.
  std::set<model::TraceId> traces;
  for (const model::Span& s : spans) traces.insert(s.trace_id);
  EXPECT_EQ(reader.info().trace_count, traces.size());
  for (const model::TraceId& t : traces) {
    model::SpanSet got;
    ASSERT_TRUE(reader.ReadTrace(t, got).ok());
    std::vector<model::Span> want;
    std::vector<model::SpanSet> chunks;
    const model::TraceId ids[] = {t};
    ASSERT_TRUE(mem.GetTraces(kDefaultTenant, ids,
                              [&](model::SpanSet c) {
                                chunks.push_back(std::move(c));
                                return true;
                              })
                    .ok());
    for (const auto& c : chunks) want.insert(want.end(), c.spans().begin(), c.spans().end());
    ASSERT_TRUE(SameMultiset(got.spans(), want, SpanContentEquals)) << t.ToHex();
  }

  // Catalog = GetServices + GetOperations.
  auto catalog = reader.Catalog();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto services = mem.GetServices(kDefaultTenant);
  ASSERT_TRUE(services.ok());
  std::vector<std::string> catalog_services;
  for (const ServiceOperations& so : *catalog) {
    catalog_services.push_back(so.service);
    auto ops = mem.GetOperations(kDefaultTenant, OperationQuery{so.service, std::nullopt});
    ASSERT_TRUE(ops.ok());
    EXPECT_EQ(so.operations, *ops) << so.service;
  }
  EXPECT_EQ(catalog_services, *services);

  // Dependencies over everything and over windows.
  uint64_t min_start = reader.info().min_start, max_start = reader.info().max_start;
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 12; ++i) {
    uint64_t a = 0, b = UINT64_MAX;
    if (i > 0) {
      a = min_start + rng() % (max_start - min_start + 1);
      b = a + rng() % (max_start - min_start + 1) / 4;
    }
    auto got = reader.Dependencies(a, b);
    ASSERT_TRUE(got.ok()) << got.status();
    auto want = mem.GetDependencies(kDefaultTenant, a, b);
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(*got, *want) << "window " << a << ".." << b;
    if (i == 0) {
      EXPECT_FALSE(got->empty());
    }
  }

  // Searches.
  std::vector<std::string> all_services(services->begin(), services->end());
  int nonempty = 0;
  for (int i = 0; i < 400; ++i) {
    TraceQuery q;
    const model::Span& s = spans[rng() % spans.size()];
    const int shape = static_cast<int>(rng() % 10);
    q.num_traces = std::vector<int>{1, 3, 20, 1000}[rng() % 4];
    if (shape != 9) q.service_name = std::string(s.service_name());
    if (shape == 8) q.service_name = all_services[rng() % all_services.size()];
    if (shape >= 2 && shape <= 6) q.operation_name = std::string(s.name);
    if (shape >= 3 && shape <= 7) {
      auto tags = TagsOf(s);
      const int n = 1 + static_cast<int>(rng() % 2);
      for (int k = 0; k < n; ++k) q.tags.push_back(tags[rng() % tags.size()]);
    }
    if (shape == 5) q.tags.emplace_back("http.response.status_code", "no-such-value");
    if (shape == 6) q.tags.emplace_back("no.such.key", "x");
    if (rng() % 3 == 0) {
      q.start_time_min = min_start + rng() % (max_start - min_start + 1);
      q.start_time_max = q.start_time_min + (max_start - min_start) / (1 + rng() % 8);
    }
    if (rng() % 4 == 0) {
      q.duration_min = spans[rng() % spans.size()].duration_nanos() / 2;
      if (rng() % 2) q.duration_max = q.duration_min * (2 + rng() % 8);
    }
    if (i == 0) q = TraceQuery{};  // everything
    if (i == 1) q.service_name = "no-such-service";

    auto got = reader.Search(q);
    ASSERT_TRUE(got.ok()) << got.status() << " " << Describe(q);
    auto want = mem.FindMatches(kDefaultTenant, q);
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(got->size(), want->size()) << Describe(q);
    for (size_t k = 0; k < got->size(); ++k) {
      EXPECT_EQ((*got)[k].trace_id, (*want)[k].trace_id) << Describe(q) << " #" << k;
      EXPECT_EQ((*got)[k].newest_match, (*want)[k].newest_match) << Describe(q) << " #" << k;
      EXPECT_EQ((*got)[k].start_time, (*want)[k].start_time) << Describe(q) << " #" << k;
      EXPECT_EQ((*got)[k].end_time, (*want)[k].end_time) << Describe(q) << " #" << k;
    }
    nonempty += got->empty() ? 0 : 1;
  }
  // The generated queries mostly find something (they are drawn from real spans).
  EXPECT_GT(nonempty, 200);

  // num_traces <= 0 is refused like the memory store refuses it.
  TraceQuery bad;
  bad.num_traces = 0;
  EXPECT_EQ(reader.Search(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(BlockW1Test, SearchForAnUnseenTagValueReadsNoPage) {
  auto setup = MakeW1Setup(5'000, BlockWriteOptions{});
  ASSERT_NE(setup->reader, nullptr);
  auto* cache = static_cast<BlockCacheImpl*>(setup->cache.get());
  TraceQuery q;
  q.service_name = "frontend";
  q.tags.emplace_back("http.response.status_code", "299");
  auto got = setup->reader->Search(q);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  // Only the search index and one tag filter chunk were read: no page lead or body.
  EXPECT_LE(cache->entry_count(), 2u);
  q.tags.clear();
  q.service_name = "no-such-service";
  ASSERT_TRUE(setup->reader->Search(q).ok());
  EXPECT_LE(cache->entry_count(), 2u);
}

TEST(BlockW1Test, TiesAndSplitTracesMatchTheMemoryStore) {
  // Few distinct start times, so many traces tie on their newest match; tiny pages, so traces
  // are split over several pages.
  model::SpanSet set(1 << 16);
  const KeyValue res_a[] = {{"service.name", AnyValue::String("a")}};
  const KeyValue res_b[] = {{"service.name", AnyValue::String("b")}};
  const model::Resource* ra = model::MakeResource(set.arena(), set.CopyAttributes(res_a));
  const model::Resource* rb = model::MakeResource(set.arena(), set.CopyAttributes(res_b));
  const model::Scope* scope = set.CopyScope(model::Scope{});
  std::mt19937_64 rng(3);
  for (uint64_t t = 0; t < 60; ++t) {
    const int n = 1 + static_cast<int>(rng() % (t % 10 == 0 ? 200 : 6));
    const model::TraceId id{t % 3, rng()};
    for (int i = 0; i < n; ++i) {
      model::Span& s = set.spans().emplace_back();
      s.trace_id = id;
      s.span_id.value = 1 + i;
      s.parent_span_id.value = i == 0 ? 0 : 1 + rng() % i;
      s.name = i % 2 ? "x" : "y";
      s.kind = i == 0 ? model::SpanKind::kServer : model::SpanKind::kClient;
      s.start_time_unix_nano = kT0 + 1000 * (rng() % 4);
      s.end_time_unix_nano = s.start_time_unix_nano + 10 * (rng() % 5);
      s.resource = rng() % 2 ? ra : rb;
      s.scope = scope;
      const KeyValue attrs[] = {{"k", AnyValue::Int(static_cast<int64_t>(rng() % 3))}};
      s.attributes = set.CopyAttributes(attrs);
    }
  }
  memory::MemoryOptions mo;
  mo.max_traces = 0;
  memory::MemoryStorage mem(mo);
  ASSERT_TRUE(mem.WriteSpans(kDefaultTenant, set).ok());
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  BlockWriteOptions options;
  options.page_target_bytes = 300;
  ASSERT_TRUE(WriteBlock(dir.File("b"), 1, "", set.spans(), options).ok());
  auto reader = OpenOrDie(dir.File("b"));
  ASSERT_NE(reader, nullptr);
  for (int i = 0; i < 200; ++i) {
    TraceQuery q;
    q.num_traces = 1 + static_cast<int>(rng() % 12);
    if (rng() % 2) q.service_name = rng() % 2 ? "a" : "b";
    if (rng() % 2) q.operation_name = rng() % 2 ? "x" : "y";
    if (rng() % 2) q.tags.emplace_back("k", std::to_string(rng() % 3));
    if (rng() % 3 == 0) q.tags.emplace_back("span.kind", rng() % 2 ? "server" : "client");
    if (rng() % 3 == 0) q.duration_min = 10 * (rng() % 4);
    if (rng() % 3 == 0) q.start_time_max = kT0 + 1000 * (rng() % 4);
    auto got = reader->Search(q);
    ASSERT_TRUE(got.ok()) << got.status();
    auto want = mem.FindMatches(kDefaultTenant, q);
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(got->size(), want->size()) << Describe(q);
    for (size_t k = 0; k < got->size(); ++k) {
      EXPECT_EQ((*got)[k].trace_id, (*want)[k].trace_id) << Describe(q) << " #" << k;
      EXPECT_EQ((*got)[k].newest_match, (*want)[k].newest_match) << Describe(q);
      EXPECT_EQ((*got)[k].start_time, (*want)[k].start_time) << Describe(q);
      EXPECT_EQ((*got)[k].end_time, (*want)[k].end_time) << Describe(q);
    }
  }
  auto deps = reader->Dependencies(0, UINT64_MAX);
  ASSERT_TRUE(deps.ok());
  EXPECT_EQ(*deps, *mem.GetDependencies(kDefaultTenant, 0, UINT64_MAX));
  for (uint64_t w = 0; w < 4; ++w) {
    auto window = reader->Dependencies(kT0 + 1000 * w, kT0 + 1000 * w);
    ASSERT_TRUE(window.ok());
    EXPECT_EQ(*window, *mem.GetDependencies(kDefaultTenant, kT0 + 1000 * w, kT0 + 1000 * w));
  }
}

// --- Filters -------------------------------------------------------------------------------------

TEST(BlockFilterTest, TraceFilterHasNoFalseNegativesAndFewFalsePositives) {
  // 100k traces of one span each.
  model::SpanSet set(1 << 20);
  std::mt19937_64 rng(99);
  for (int i = 0; i < 100'000; ++i) {
    model::Span& s = set.spans().emplace_back();
    s.trace_id = model::TraceId{rng(), rng()};
    s.span_id.value = rng() | 1;
    s.name = "op";
    s.start_time_unix_nano = kT0 + i;
  }
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(WriteBlock(dir.File("b"), 1, "", set.spans()).ok());
  auto reader = OpenOrDie(dir.File("b"));
  ASSERT_NE(reader, nullptr);
  for (const model::Span& s : set.spans()) ASSERT_TRUE(reader->MayContainTrace(s.trace_id));
  int false_positives = 0;
  const int probes = 100'000;
  for (int i = 0; i < probes; ++i) {
    false_positives += reader->MayContainTrace(model::TraceId{rng(), rng()}) ? 1 : 0;
  }
  const double rate = static_cast<double>(false_positives) / probes;
  std::printf("trace filter: %d false positives in %d probes (%.3f %%), resident %zu bytes\n",
              false_positives, probes, 100 * rate, reader->resident_bytes());
  EXPECT_LT(rate, 0.02);
}

// --- Damage --------------------------------------------------------------------------------------

// Runs every read of a reader; returns the first non-OK status (or OK). Never crashes.
absl::Status ExerciseReader(BlockReader& reader, const std::vector<model::TraceId>& ids) {
  for (const model::TraceId& id : ids) {
    model::SpanSet out;
    absl::Status s = reader.ReadTrace(id, out);
    if (!s.ok()) return s;
  }
  TraceQuery q;
  q.num_traces = 50;
  auto found = reader.Search(q);
  if (!found.ok()) return found.status();
  q.service_name = "frontend";
  q.tags.emplace_back("http.request.method", "GET");
  found = reader.Search(q);
  if (!found.ok()) return found.status();
  auto catalog = reader.Catalog();
  if (!catalog.ok()) return catalog.status();
  auto deps = reader.Dependencies(0, UINT64_MAX);
  if (!deps.ok()) return deps.status();
  return reader.ForEachTrace([](model::SpanSet) { return true; });
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(data.data(), data.size());
}

TEST(BlockDamageTest, FlippedBytesAndTruncationGiveDataLossNeverACrash) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  testing::W1Spans w1 = MakeW1Spans(3'000);
  BlockWriteOptions options;
  options.page_target_bytes = 16 * 1024;
  ASSERT_TRUE(WriteBlock(dir.File("good"), 1, "", w1.spans, options).ok());
  const std::string good = ReadFile(dir.File("good"));
  std::vector<model::TraceId> ids;
  for (size_t i = 0; i < w1.spans.size(); i += 97) ids.push_back(w1.spans[i].trace_id);
  {
    auto reader = OpenOrDie(dir.File("good"));
    ASSERT_NE(reader, nullptr);
    ASSERT_TRUE(ExerciseReader(*reader, ids).ok());
  }

  // Flip one byte at positions spread over the whole file: header, every page, dictionary,
  // search index, filters, meta, trailer.
  std::mt19937_64 rng(5);
  int data_loss = 0, unaffected = 0;
  std::vector<size_t> positions;
  for (size_t p = 0; p < good.size(); p += std::max<size_t>(1, good.size() / 300)) {
    positions.push_back(p);
  }
  for (size_t p = good.size() - 64; p < good.size(); ++p) positions.push_back(p);
  for (size_t pos : positions) {
    std::string bad = good;
    bad[pos] ^= static_cast<char>(1 + rng() % 255);
    WriteFile(dir.File("bad"), bad);
    auto reader = BlockReader::Open(dir.File("bad"), BlockCache::Create(1 << 20));
    absl::Status status = reader.ok() ? ExerciseReader(**reader, ids) : reader.status();
    if (status.ok()) {
      // Only the filters are not covered by every read (a flipped bit there may or may not be
      // visited); everything else a full exercise reads and verifies.
      ++unaffected;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << pos << ": " << status;
      EXPECT_NE(std::string(status.message()).find(dir.File("bad")), std::string::npos) << status;
      ++data_loss;
    }
  }
  std::printf("flipped bytes: %d DataLoss, %d not visited (filters)\n", data_loss, unaffected);
  EXPECT_GT(data_loss, static_cast<int>(positions.size() * 8 / 10));

  // Truncation anywhere.
  for (size_t len = 0; len < good.size(); len += std::max<size_t>(1, good.size() / 97)) {
    WriteFile(dir.File("short"), std::string_view(good).substr(0, len));
    auto reader = BlockReader::Open(dir.File("short"), nullptr);
    ASSERT_FALSE(reader.ok()) << len;
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kDataLoss) << len;
  }
  // Appended garbage.
  WriteFile(dir.File("long"), good + "extra");
  EXPECT_EQ(BlockReader::Open(dir.File("long"), nullptr).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(BlockDamageTest, DamageInsideAPageIsDetectedWhenThePageIsRead) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  testing::W1Spans w1 = MakeW1Spans(2'000);
  ASSERT_TRUE(WriteBlock(dir.File("good"), 1, "", w1.spans).ok());
  std::string bad = ReadFile(dir.File("good"));
  // Byte 100 lies in the first page's lead (the header is 16 bytes, pages follow).
  bad[100] ^= 0x40;
  WriteFile(dir.File("bad"), bad);
  auto reader = BlockReader::Open(dir.File("bad"), nullptr);
  ASSERT_TRUE(reader.ok()) << reader.status();  // Open reads no page
  model::SpanSet out;
  absl::Status s = (*reader)->ReadTrace(w1.spans[0].trace_id, out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(std::string(s.message()).find("page 0"), std::string::npos) << s;
}

// --- Cache under concurrent readers --------------------------------------------------------------

TEST(BlockCacheTest, ConcurrentReadersStayWithinCapacity) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  testing::W1Spans w1 = MakeW1Spans(20'000);
  BlockWriteOptions options;
  options.page_target_bytes = 32 * 1024;
  ASSERT_TRUE(WriteBlock(dir.File("a"), 1, "", w1.spans, options).ok());
  ASSERT_TRUE(WriteBlock(dir.File("b"), 2, "", w1.spans, options).ok());
  const size_t capacity = 3 << 20;
  auto cache = BlockCache::Create(capacity);
  auto a = OpenOrDie(dir.File("a"), cache);
  auto b = OpenOrDie(dir.File("b"), cache);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::vector<model::TraceId> ids;
  for (size_t i = 0; i < w1.spans.size(); i += 13) ids.push_back(w1.spans[i].trace_id);

  std::atomic<bool> failed{false};
  std::atomic<size_t> max_used{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      for (int i = 0; i < 300; ++i) {
        BlockReader& r = (i + t) % 2 ? *a : *b;
        if (i % 10 == 0) {
          TraceQuery q;
          q.service_name = "cart";
          q.tags.emplace_back("rpc.system", "grpc");
          q.num_traces = 5;
          auto found = r.Search(q);
          if (!found.ok() || found->empty()) failed = true;
        } else {
          model::SpanSet out;
          const model::TraceId& id = ids[rng() % ids.size()];
          if (!r.ReadTrace(id, out).ok() || out.empty()) failed = true;
        }
        size_t used = cache->used_bytes();
        size_t prev = max_used.load();
        while (used > prev && !max_used.compare_exchange_weak(prev, used)) {
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed.load());
  EXPECT_LE(max_used.load(), capacity);
  EXPECT_LE(cache->used_bytes(), capacity);
  EXPECT_GT(cache->hits(), 0u);
  EXPECT_GT(cache->misses(), 0u);
  std::printf("cache: %llu hits, %llu misses, max used %zu of %zu bytes\n",
              static_cast<unsigned long long>(cache->hits()),
              static_cast<unsigned long long>(cache->misses()), max_used.load(), capacity);
  // A reader going away drops its entries.
  a.reset();
  b.reset();
  EXPECT_EQ(cache->used_bytes(), 0u);
}

// --- Fuzz seed -----------------------------------------------------------------------------------

// The fuzz target's seed: a small valid block with W1 spans and every value type, cut into
// several pages. Rewritten when SKUA_REGENERATE_BLOCK_CORPUS=1 (after a format change).
TEST(BlockFuzzSeedTest, SeedCorpusIsAValidCurrentBlock) {
  const char* src = std::getenv("SKUA_SOURCE_DIR");
  if (src == nullptr) GTEST_SKIP() << "SKUA_SOURCE_DIR not set";
  const std::string seed =
      std::string(src) + "/src/storage/embedded/testdata/block_corpus/seed.block";
  const char* regenerate = std::getenv("SKUA_REGENERATE_BLOCK_CORPUS");
  if (regenerate != nullptr && std::string(regenerate) == "1") {
    testing::W1Spans w1 = MakeW1Spans(1);
    std::vector<model::Span> spans(w1.spans.begin(),
                                   w1.spans.begin() + std::min<size_t>(40, w1.spans.size()));
    model::SpanSet extra;
    model::Span& s = extra.spans().emplace_back();
    s.trace_id = model::TraceId{1, 2};
    s.span_id.value = 3;
    s.parent_span_id.value = 4;
    s.name = "every type";
    s.start_time_unix_nano = kT0;
    s.end_time_unix_nano = kT0 + 10;
    s.attributes = EveryValueType(extra, "huge-ish");
    model::Event* e = extra.arena().New<model::Event>();
    e->name = "exception";
    e->attributes = s.attributes.subspan(0, 3);
    s.events = {e, 1};
    model::Link* l = extra.arena().New<model::Link>();
    l->trace_id = model::TraceId{7, 7};
    l->span_id.value = 9;
    l->attributes = s.attributes.subspan(3, 2);
    s.links = {l, 1};
    spans.push_back(s);
    BlockWriteOptions options;
    options.page_target_bytes = 1024;
    std::filesystem::create_directories(std::filesystem::path(seed).parent_path());
    ASSERT_TRUE(WriteBlock(seed, 1, "seed", spans, options).ok());
  }
  ASSERT_TRUE(std::filesystem::exists(seed)) << seed;
  EXPECT_LT(std::filesystem::file_size(seed), 20'000u);
  auto reader = OpenOrDie(seed);
  ASSERT_NE(reader, nullptr);
  EXPECT_GT(reader->info().span_count, 20u);
  std::vector<model::TraceId> ids = {model::TraceId{1, 2}};
  EXPECT_TRUE(ExerciseReader(*reader, ids).ok());
  model::SpanSet out;
  ASSERT_TRUE(reader->ReadTrace(model::TraceId{1, 2}, out).ok());
  EXPECT_EQ(out.size(), 1u);
}

// --- Size ----------------------------------------------------------------------------------------

TEST(BlockSizeTest, W1BytesPerSpan) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  testing::W1Spans w1 = MakeW1Spans(100'000, /*repeat_ids=*/false);
  BlockEncodingStats stats;
  auto info = WriteBlockWithStats(dir.File("w1.block"), 1, "", w1.spans, BlockWriteOptions{},
                                  /*measure_columns=*/false, &stats);
  ASSERT_TRUE(info.ok()) << info.status();
  const double n = static_cast<double>(info->span_count);
  const double per_span = static_cast<double>(info->file_bytes) / n;
  std::printf("W1: %llu spans, %llu traces, %llu pages, %llu bytes = %.2f bytes/span\n",
              static_cast<unsigned long long>(info->span_count),
              static_cast<unsigned long long>(info->trace_count),
              static_cast<unsigned long long>(stats.pages),
              static_cast<unsigned long long>(info->file_bytes), per_span);
  std::printf(
      "  page leads %.2f, bodies %.2f, dictionary %.3f, search index %.3f, tag filter %.3f"
      " (%llu entries), trace filter %.3f, meta %.3f bytes/span\n",
      stats.page_leads / n, stats.page_bodies / n, stats.dictionary / n, stats.search_index / n,
      stats.tag_filter / n, static_cast<unsigned long long>(stats.tag_filter_entries),
      stats.trace_filter / n, stats.meta / n);
  // Generous bound (the target is 35, workload-and-targets T4); the real figure is printed.
  EXPECT_LE(per_span, 60.0);
}

}  // namespace
}  // namespace skua::storage::embedded
