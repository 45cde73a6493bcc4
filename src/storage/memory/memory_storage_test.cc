#include "storage/memory/memory_storage.h"

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/conformance/storage_conformance.h"

namespace skua::storage::memory {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Every backend passes the shared suite (conventions: "Every storage backend passes
// storage/conformance").
using conformance::StorageConformance;
INSTANTIATE_TEST_SUITE_P(Memory, StorageConformance,
                         testing::Values(conformance::Backend{
                             "memory", [] { return NewMemoryStorage(MemoryOptions{}); }, nullptr}),
                         conformance::BackendName);

// The memory store written through WriteOwnedSpans (the embedded store's replay path): a writer
// that hands the store a copy of each batch to adopt. Readers are the store's own.
class OwnedWritesStorage final : public Storage, public SpanWriter {
 public:
  OwnedWritesStorage() : store_(MemoryOptions{}) {}
  Capabilities capabilities() const override { return store_.capabilities(); }
  SpanWriter& writer() override { return *this; }
  TraceReader& reader() override { return store_; }
  DependencyReader* dependency_reader() override { return &store_; }
  absl::Status Close() override { return store_.Close(); }
  absl::Status WriteSpans(std::string_view tenant, const model::SpanSet& batch) override {
    model::SpanSet copy;
    copy.CopySpans(batch.spans());
    return store_.WriteOwnedSpans(tenant, std::move(copy));
  }

 private:
  MemoryStorage store_;
};
INSTANTIATE_TEST_SUITE_P(MemoryOwnedWrites, StorageConformance,
                         testing::Values(conformance::Backend{
                             "memory_owned_writes",
                             [] { return std::make_unique<OwnedWritesStorage>(); }, nullptr}),
                         conformance::BackendName);

constexpr uint64_t kBase = 1'700'000'000'000'000'000ull;  // an arbitrary 2023 instant, in ns
constexpr int kSpansPerTrace = 5;

model::TraceId Tid(uint64_t trace) { return model::TraceId{0xabc, trace}; }

// A batch with the given spans of trace `trace`. Span i of a trace has ID trace*16+i+1, name
// "op-<i>" and starts at kBase + trace µs + i ns, so readers can verify what they get back.
model::SpanSet MakeBatch(uint64_t trace, const std::vector<int>& indexes,
                         std::string_view service = "svc", size_t attr_bytes = 0) {
  model::SpanSet set;
  const model::KeyValue res_attrs[] = {{"service.name", model::AnyValue::String(service)}};
  const model::Resource* resource = model::MakeResource(set.arena(), set.CopyAttributes(res_attrs));
  model::Scope scope_in;
  scope_in.name = "memory-test";
  const model::Scope* scope = set.CopyScope(scope_in);
  std::string padding(attr_bytes, 'x');
  for (int i : indexes) {
    model::Span& s = set.spans().emplace_back();
    s.trace_id = Tid(trace);
    s.span_id = model::SpanId{trace * 16 + i + 1};
    s.name = set.arena().CopyString(absl::StrCat("op-", i));
    s.kind = model::SpanKind::kServer;
    s.start_time_unix_nano = kBase + trace * 1000 + i;
    s.end_time_unix_nano = s.start_time_unix_nano + 100;
    if (attr_bytes > 0) {
      const model::KeyValue attrs[] = {{"padding", model::AnyValue::String(padding)}};
      s.attributes = set.CopyAttributes(attrs);
    }
    s.resource = resource;
    s.scope = scope;
  }
  return set;
}

std::vector<int> AllSpans() {
  std::vector<int> out;
  for (int i = 0; i < kSpansPerTrace; ++i) out.push_back(i);
  return out;
}

// Span counts per trace returned by GetTraces for `traces` (absent traces are left out).
std::map<uint64_t, size_t> SpanCounts(MemoryStorage& store, const std::vector<uint64_t>& traces,
                                      std::string_view tenant = kDefaultTenant) {
  std::vector<model::TraceId> ids;
  for (uint64_t t : traces) ids.push_back(Tid(t));
  std::map<uint64_t, size_t> out;
  absl::Status status = store.GetTraces(tenant, ids, [&](model::SpanSet chunk) {
    out[chunk.spans().front().trace_id.low] += chunk.size();
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

TEST(MemoryOptionsTest, Validate) {
  EXPECT_TRUE(MemoryOptions{}.Validate().ok());
  MemoryOptions unbounded_count;
  unbounded_count.max_traces = 0;  // 0 = unbounded by count (jaeger-compat §3.3)
  EXPECT_TRUE(unbounded_count.Validate().ok());
  MemoryOptions no_bytes;
  no_bytes.max_bytes = 0;
  EXPECT_EQ(no_bytes.Validate().code(), absl::StatusCode::kInvalidArgument);
  MemoryOptions no_services;
  no_services.max_services = 0;
  EXPECT_EQ(no_services.Validate().code(), absl::StatusCode::kInvalidArgument);
  MemoryOptions no_ops;
  no_ops.max_operations_per_service = 0;
  EXPECT_EQ(no_ops.Validate().code(), absl::StatusCode::kInvalidArgument);
  MemoryOptions no_index;
  no_index.max_index_bytes = 0;
  EXPECT_EQ(no_index.Validate().code(), absl::StatusCode::kInvalidArgument);
}

// jaeger-compat §3.3: at max_traces, a new trace evicts the oldest trace by first-seen order,
// whole — FIFO, not LRU (writing to an old trace does not refresh it).
TEST(MemoryStorageTest, FifoEvictionByCount) {
  MemoryOptions options;
  options.max_traces = 3;
  MemoryStorage store(options);
  for (uint64_t t = 1; t <= 3; ++t) {
    ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(t, {0, 1})).ok());
  }
  // Trace 1 gets more spans; it stays the oldest by first sight.
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(1, {2, 3})).ok());
  EXPECT_EQ(store.trace_count(), 3u);
  EXPECT_EQ(store.span_count(), 8u);

  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(4, {0})).ok());
  EXPECT_EQ(store.trace_count(), 3u);
  EXPECT_EQ(store.evicted_traces(), 1u);
  EXPECT_EQ(store.span_count(), 5u);
  EXPECT_EQ(SpanCounts(store, {1, 2, 3, 4}), (std::map<uint64_t, size_t>{{2, 2}, {3, 2}, {4, 1}}));

  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(5, {0})).ok());
  EXPECT_EQ(SpanCounts(store, {1, 2, 3, 4, 5}),
            (std::map<uint64_t, size_t>{{3, 2}, {4, 1}, {5, 1}}));

  // An evicted trace's spans no longer match searches.
  TraceQuery query;
  query.service_name = "svc";
  auto found = store.FindTraceIds(kDefaultTenant, query);
  ASSERT_TRUE(found.ok()) << found.status();
  std::vector<uint64_t> found_ids;
  for (const FoundTrace& f : *found) found_ids.push_back(f.trace_id.low);
  EXPECT_THAT(found_ids, ElementsAre(5, 4, 3));
  // The service index outlives evicted traces (jaeger-compat §3.3).
  auto services = store.GetServices(kDefaultTenant);
  ASSERT_TRUE(services.ok());
  EXPECT_THAT(*services, ElementsAre("svc"));
}

// jaeger-compat §3.3: stores are per tenant, so is the trace count bound.
TEST(MemoryStorageTest, CountBoundIsPerTenant) {
  MemoryOptions options;
  options.max_traces = 2;
  MemoryStorage store(options);
  for (uint64_t t = 1; t <= 2; ++t) {
    ASSERT_TRUE(store.WriteSpans("a", MakeBatch(t, {0})).ok());
    ASSERT_TRUE(store.WriteSpans("b", MakeBatch(t + 10, {0})).ok());
  }
  EXPECT_EQ(store.trace_count(), 4u);
  EXPECT_EQ(store.evicted_traces(), 0u);
  EXPECT_EQ(SpanCounts(store, {1, 2}, "a").size(), 2u);
  EXPECT_EQ(SpanCounts(store, {11, 12}, "b").size(), 2u);
}

// MemoryOptions::max_bytes: over budget, the oldest whole traces go first.
TEST(MemoryStorageTest, ByteBudgetEviction) {
  // Measure what one trace costs; identical-shaped traces cost the same.
  uint64_t one_trace;
  {
    MemoryStorage probe(MemoryOptions{});
    ASSERT_TRUE(probe.WriteSpans(kDefaultTenant, MakeBatch(1, AllSpans(), "svc", 200)).ok());
    one_trace = probe.bytes_used();
    ASSERT_GT(one_trace, 5u * 200);
  }
  MemoryOptions options;
  options.max_bytes = 3 * one_trace + one_trace / 2;
  MemoryStorage store(options);
  for (uint64_t t = 1; t <= 10; ++t) {
    ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(t, AllSpans(), "svc", 200)).ok());
    EXPECT_LE(store.bytes_used(), options.max_bytes) << "after trace " << t;
  }
  EXPECT_EQ(store.trace_count(), 3u);
  EXPECT_EQ(store.evicted_traces(), 7u);
  EXPECT_EQ(store.bytes_used(), 3 * one_trace);
  EXPECT_EQ(SpanCounts(store, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
            (std::map<uint64_t, size_t>{{8, 5}, {9, 5}, {10, 5}}));
}

// The byte budget is shared by all tenants: the oldest trace of any tenant goes first.
TEST(MemoryStorageTest, ByteBudgetSpansTenants) {
  uint64_t one_trace;
  {
    MemoryStorage probe(MemoryOptions{});
    ASSERT_TRUE(probe.WriteSpans(kDefaultTenant, MakeBatch(1, AllSpans())).ok());
    one_trace = probe.bytes_used();
  }
  MemoryOptions options;
  options.max_bytes = 2 * one_trace + one_trace / 2;
  MemoryStorage store(options);
  ASSERT_TRUE(store.WriteSpans("a", MakeBatch(1, AllSpans())).ok());
  ASSERT_TRUE(store.WriteSpans("b", MakeBatch(2, AllSpans())).ok());
  ASSERT_TRUE(store.WriteSpans("b", MakeBatch(3, AllSpans())).ok());
  EXPECT_THAT(SpanCounts(store, {1}, "a"), IsEmpty());
  EXPECT_EQ(SpanCounts(store, {2, 3}, "b").size(), 2u);
}

// A batch larger than the whole budget is refused (retryable ResourceExhausted, storage.h) and
// leaves the store untouched.
TEST(MemoryStorageTest, OversizeBatchIsResourceExhausted) {
  MemoryOptions options;
  options.max_bytes = 64 * 1024;
  MemoryStorage store(options);
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(1, {0})).ok());
  const uint64_t before = store.bytes_used();

  std::vector<int> many;
  for (int i = 0; i < 15; ++i) many.push_back(i);
  absl::Status status = store.WriteSpans(kDefaultTenant, MakeBatch(2, many, "svc", 8 * 1024));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(store.trace_count(), 1u);
  EXPECT_EQ(store.bytes_used(), before);
  EXPECT_EQ(SpanCounts(store, {1, 2}), (std::map<uint64_t, size_t>{{1, 1}}));
}

// storage.h TraceSink: large traces arrive as consecutive chunks; the memory store caps them at
// kMaxChunkSpans spans.
TEST(MemoryStorageTest, ChunksAreBounded) {
  MemoryStorage store(MemoryOptions{});
  model::SpanSet batch;
  for (uint64_t i = 0; i < 2500; ++i) {
    model::SpanSet one = MakeBatch(7, {0});
    model::Span s = one.spans().front();
    s.span_id = model::SpanId{i + 1};
    batch.CopySpan(s);
  }
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, batch).ok());
  std::vector<size_t> sizes;
  const model::TraceId ids[] = {Tid(7)};
  ASSERT_TRUE(store
                  .GetTraces(kDefaultTenant, ids,
                             [&](model::SpanSet chunk) {
                               sizes.push_back(chunk.size());
                               return true;
                             })
                  .ok());
  EXPECT_THAT(sizes, ElementsAre(1000, 1000, 500));
}

// Idempotency survives the internal merging of a trace's segments: a trace written one span per
// batch, then re-written whole, keeps each span once.
TEST(MemoryStorageTest, RewriteAfterManySmallWrites) {
  MemoryStorage store(MemoryOptions{});
  model::SpanSet whole;
  for (int i = 0; i < 300; ++i) {
    model::SpanSet one = MakeBatch(3, {0});
    model::Span s = one.spans().front();
    s.span_id = model::SpanId{static_cast<uint64_t>(1000 + i)};
    s.start_time_unix_nano += i;
    model::SpanSet batch;
    batch.CopySpan(s);
    ASSERT_TRUE(store.WriteSpans(kDefaultTenant, batch).ok());
    whole.CopySpan(s);
  }
  EXPECT_EQ(store.span_count(), 300u);
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, whole).ok());
  EXPECT_EQ(store.span_count(), 300u);
  EXPECT_EQ(SpanCounts(store, {3}), (std::map<uint64_t, size_t>{{3, 300}}));
}

// Spans of `traces` interleaved in one set: span 0 of each trace, then span 1 of each, …
model::SpanSet Interleaved(const std::vector<uint64_t>& traces) {
  std::vector<model::SpanSet> parts;
  for (uint64_t t : traces) parts.push_back(MakeBatch(t, AllSpans(), absl::StrCat("svc-", t)));
  model::SpanSet out;
  for (int i = 0; i < kSpansPerTrace; ++i) {
    for (const model::SpanSet& part : parts) out.CopySpan(part.spans()[i]);
  }
  return out;
}

// (trace, span ID) of every span GetTraces returns for `traces`, in the order returned.
std::vector<std::pair<uint64_t, uint64_t>> SpanIds(MemoryStorage& store,
                                                   const std::vector<uint64_t>& traces) {
  std::vector<model::TraceId> ids;
  for (uint64_t t : traces) ids.push_back(Tid(t));
  std::vector<std::pair<uint64_t, uint64_t>> out;
  absl::Status status = store.GetTraces(kDefaultTenant, ids, [&](model::SpanSet chunk) {
    for (const model::Span& s : chunk.spans()) out.emplace_back(s.trace_id.low, s.span_id.value);
    return true;
  });
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

std::vector<std::pair<uint64_t, uint64_t>> ExpectedIds(const std::vector<uint64_t>& traces) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t t : traces) {
    for (int i = 0; i < kSpansPerTrace; ++i) out.emplace_back(t, t * 16 + i + 1);
  }
  return out;
}

// WriteOwnedSpans stores a batch of interleaved traces as one run per trace, in the batch's order
// within the trace, leaves out spans repeated within the batch, and is idempotent together with
// the copying WriteSpans.
TEST(MemoryStorageTest, OwnedWriteGroupsTracesAndSkipsRepeats) {
  MemoryStorage store(MemoryOptions{});
  model::SpanSet batch = Interleaved({1, 2, 3});
  const model::Span repeat = batch.spans()[4];  // span 1 of trace 2
  batch.CopySpan(repeat);
  ASSERT_TRUE(store.WriteOwnedSpans(kDefaultTenant, std::move(batch)).ok());
  EXPECT_EQ(store.trace_count(), 3u);
  EXPECT_EQ(store.span_count(), 3u * kSpansPerTrace);
  EXPECT_EQ(SpanIds(store, {1, 2, 3}), ExpectedIds({1, 2, 3}));
  EXPECT_THAT(*store.GetServices(kDefaultTenant), ElementsAre("svc-1", "svc-2", "svc-3"));

  // The same spans again, copied or adopted, add nothing; new ones are added.
  const model::SpanSet again = Interleaved({1, 2, 3});
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, again).ok());
  ASSERT_TRUE(store.WriteOwnedSpans(kDefaultTenant, Interleaved({3, 4})).ok());
  EXPECT_EQ(store.span_count(), 4u * kSpansPerTrace);
  EXPECT_EQ(SpanIds(store, {1, 2, 3, 4}), ExpectedIds({1, 2, 3, 4}));
}

// A batch already in one run per trace is stored as is; an empty one changes nothing.
TEST(MemoryStorageTest, OwnedWriteOfGroupedBatch) {
  MemoryStorage store(MemoryOptions{});
  model::SpanSet batch = MakeBatch(5, AllSpans());
  batch.CopySpans(MakeBatch(6, AllSpans()).spans());
  ASSERT_TRUE(store.WriteOwnedSpans(kDefaultTenant, std::move(batch)).ok());
  ASSERT_TRUE(store.WriteOwnedSpans(kDefaultTenant, model::SpanSet()).ok());
  EXPECT_EQ(SpanIds(store, {5, 6}), ExpectedIds({5, 6}));
  EXPECT_EQ(store.trace_count(), 2u);
}

// Adopted batches are charged against the byte budget (each trace its share), counted by the
// trace bound, evicted like copied ones, and refused whole when larger than the budget.
TEST(MemoryStorageTest, OwnedWritesAreBoundedAndEvicted) {
  MemoryOptions options;
  options.max_traces = 2;
  MemoryStorage store(options);
  model::SpanSet batch = Interleaved({1, 2, 3});
  const uint64_t batch_bytes = batch.bytes_used();
  ASSERT_TRUE(store.WriteOwnedSpans(kDefaultTenant, std::move(batch)).ok());
  EXPECT_EQ(store.trace_count(), 2u);
  EXPECT_EQ(store.evicted_traces(), 1u);
  EXPECT_EQ(SpanCounts(store, {1, 2, 3}), (std::map<uint64_t, size_t>{{2, 5}, {3, 5}}));
  // Two of three traces remain: about two thirds of the batch's memory stays charged.
  EXPECT_GE(store.bytes_used(), batch_bytes * 2 / 3);
  ASSERT_TRUE(store.WriteOwnedSpans(kDefaultTenant, Interleaved({4, 5})).ok());
  EXPECT_EQ(SpanCounts(store, {1, 2, 3, 4, 5}), (std::map<uint64_t, size_t>{{4, 5}, {5, 5}}));

  MemoryOptions small;
  small.max_bytes = 64 * 1024;
  MemoryStorage tight(small);
  std::vector<int> many;
  for (int i = 0; i < 15; ++i) many.push_back(i);
  absl::Status status =
      tight.WriteOwnedSpans(kDefaultTenant, MakeBatch(2, many, "svc", 8 * 1024));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_EQ(tight.trace_count(), 0u);
  EXPECT_EQ(tight.bytes_used(), 0u);
}

// MemoryOptions caps on the service/operation index: names past a cap are not listed, but their
// spans are still stored and searchable.
TEST(MemoryStorageTest, IndexIsCapped) {
  MemoryOptions options;
  options.max_services = 2;
  options.max_operations_per_service = 1;
  MemoryStorage store(options);
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(1, {0, 1}, "svc-a")).ok());
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(2, {0}, "svc-b")).ok());
  ASSERT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(3, {0}, "svc-c")).ok());
  auto services = store.GetServices(kDefaultTenant);
  ASSERT_TRUE(services.ok());
  EXPECT_THAT(*services, ElementsAre("svc-a", "svc-b"));
  auto ops = store.GetOperations(kDefaultTenant, {"svc-a", std::nullopt});
  ASSERT_TRUE(ops.ok());
  EXPECT_THAT(*ops, ElementsAre(Operation{"op-0", "server"}));

  TraceQuery query;
  query.service_name = "svc-c";
  auto found = store.FindTraceIds(kDefaultTenant, query);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ(found->front().trace_id, Tid(3));
}

TEST(MemoryStorageTest, FindRejectsNonPositiveLimit) {
  MemoryStorage store(MemoryOptions{});
  TraceQuery query;
  query.num_traces = 0;
  EXPECT_EQ(store.FindTraceIds(kDefaultTenant, query).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store.FindTraces(kDefaultTenant, query, [](model::SpanSet) { return true; }).code(),
            absl::StatusCode::kInvalidArgument);
}

// Checks one chunk against MakeBatch's construction; returns an error message or "".
std::string CheckChunk(const model::SpanSet& chunk, std::set<uint64_t>& seen_span_ids) {
  if (chunk.empty()) return "empty chunk";
  const model::TraceId id = chunk.spans().front().trace_id;
  for (const model::Span& s : chunk.spans()) {
    if (s.trace_id != id) return "chunk mixes traces";
    uint64_t index = s.span_id.value - id.low * 16 - 1;
    if (index >= kSpansPerTrace) return absl::StrCat("foreign span id ", s.span_id.value);
    if (s.name != absl::StrCat("op-", index)) return "corrupt name " + std::string(s.name);
    if (s.start_time_unix_nano != kBase + id.low * 1000 + index) return "corrupt start";
    if (s.service_name() != "svc") return "corrupt service";
    if (!seen_span_ids.insert(s.span_id.value).second) return "duplicate span";
  }
  return "";
}

// Thread-safety: concurrent writers (with overlapping retries) and readers; every read sees a
// consistent subset of a trace, never a corrupt or duplicated span, and the end state is complete.
void RunConcurrent(const MemoryOptions& options, bool expect_complete) {
  MemoryStorage store(options);
  constexpr int kWriters = 4;
  constexpr int kReaders = 3;
  constexpr uint64_t kTracesPerWriter = 150;
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> reads{0};
  std::vector<std::string> errors(kReaders);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (uint64_t i = 0; i < kTracesPerWriter; ++i) {
        uint64_t trace = 1 + w * kTracesPerWriter + i;
        // Two halves, then a retry of everything (idempotent).
        EXPECT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(trace, {0, 1, 2})).ok());
        EXPECT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(trace, {3, 4})).ok());
        EXPECT_TRUE(store.WriteSpans(kDefaultTenant, MakeBatch(trace, AllSpans())).ok());
      }
      writers_left.fetch_sub(1);
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      uint64_t next = 1;
      // Keep reading until every writer is done, and at least a few times.
      for (int round = 0; writers_left.load() > 0 || round < 5; ++round) {
        std::vector<model::TraceId> ids;
        for (int k = 0; k < 8; ++k) {
          ids.push_back(Tid(next));
          next = next % (kWriters * kTracesPerWriter) + 1;
        }
        std::map<uint64_t, std::set<uint64_t>> seen;
        auto check = [&](model::SpanSet chunk) {
          std::string e = CheckChunk(chunk, seen[chunk.spans().front().trace_id.low]);
          if (!e.empty() && errors[r].empty()) errors[r] = e;
          return true;
        };
        EXPECT_TRUE(store.GetTraces(kDefaultTenant, ids, check).ok());
        seen.clear();
        TraceQuery query;
        query.service_name = "svc";
        query.operation_name = absl::StrCat("op-", round % kSpansPerTrace);
        query.num_traces = 20;
        EXPECT_TRUE(store.FindTraces(kDefaultTenant, query, check).ok());
        reads.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  EXPECT_GE(reads.load(), kReaders * 5);
  if (expect_complete) {
    EXPECT_EQ(store.trace_count(), kWriters * kTracesPerWriter);
    EXPECT_EQ(store.span_count(), kWriters * kTracesPerWriter * kSpansPerTrace);
    std::vector<uint64_t> all;
    for (uint64_t t = 1; t <= kWriters * kTracesPerWriter; ++t) all.push_back(t);
    for (const auto& [trace, count] : SpanCounts(store, all)) {
      EXPECT_EQ(count, static_cast<size_t>(kSpansPerTrace)) << "trace " << trace;
    }
  } else {
    EXPECT_LE(store.trace_count(), options.max_traces);
  }
}

TEST(MemoryStorageTest, ConcurrentWritersAndReaders) { RunConcurrent(MemoryOptions{}, true); }

TEST(MemoryStorageTest, ConcurrentWritersAndReadersWithEviction) {
  MemoryOptions options;
  options.max_traces = 50;
  RunConcurrent(options, false);
}

}  // namespace
}  // namespace skua::storage::memory
