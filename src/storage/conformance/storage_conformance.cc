#include "storage/conformance/storage_conformance.h"

#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "model/convert/otlp.h"
#include "storage/conformance/fixtures.h"

namespace skua::storage::conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

#define CONF_ASSERT_OK(expr)                        \
  do {                                              \
    const absl::Status conf_status_ = (expr);       \
    ASSERT_TRUE(conf_status_.ok()) << conf_status_; \
  } while (0)

// A span rendered as OTLP/JSON (with its resource and scope): equal strings mean equal content.
std::string Canonical(const model::Span& span) {
  return model::convert::EncodeOtlpJson(std::span<const model::Span>(&span, 1));
}

std::vector<std::string> CanonicalSorted(std::span<const model::Span> spans) {
  std::vector<std::string> out;
  out.reserve(spans.size());
  for (const model::Span& span : spans) out.push_back(Canonical(span));
  std::sort(out.begin(), out.end());
  return out;
}

// Loaded fixtures, cached for the process (they are immutable once loaded).
const model::SpanSet* Fixture(const std::string& stem, std::string* error) {
  static auto* cache = new std::map<std::string, model::SpanSet>();
  auto it = cache->find(stem);
  if (it != cache->end()) return &it->second;
  auto loaded = LoadTraceFixture(stem);
  if (!loaded.ok()) {
    *error = loaded.status().ToString();
    return nullptr;
  }
  if (loaded->empty()) {
    *error = absl::StrCat("fixture ", stem, " has no spans");
    return nullptr;
  }
  return &cache->emplace(stem, std::move(*loaded)).first->second;
}

#define CONF_FIXTURE(var, stem)                            \
  std::string var##_error;                                 \
  const model::SpanSet* var = Fixture(stem, &var##_error); \
  ASSERT_NE(var, nullptr) << var##_error

model::TraceId TraceOf(const model::SpanSet& fixture) { return fixture.spans().front().trace_id; }

// What a streaming read delivered, with the chunk contract checked (storage.h TraceSink: each chunk
// holds spans of exactly one trace; a trace's chunks are consecutive).
struct ReadResult {
  std::vector<model::TraceId> order;                         // traces in order of arrival
  std::map<model::TraceId, std::vector<std::string>> spans;  // canonical spans per trace
  std::vector<std::string> problems;
  size_t chunks = 0;

  std::vector<std::string> Sorted(const model::TraceId& id) const {
    auto it = spans.find(id);
    if (it == spans.end()) return {};
    std::vector<std::string> out = it->second;
    std::sort(out.begin(), out.end());
    return out;
  }
};

TraceSink Collect(ReadResult& result) {
  return [&result](model::SpanSet chunk) {
    ++result.chunks;
    if (chunk.empty()) {
      result.problems.push_back("empty chunk");
      return true;
    }
    const model::TraceId id = chunk.spans().front().trace_id;
    for (const model::Span& span : chunk.spans()) {
      if (span.trace_id != id) {
        result.problems.push_back(
            absl::StrCat("chunk mixes traces ", id.ToHex(), " and ", span.trace_id.ToHex()));
        break;
      }
    }
    if (result.order.empty() || result.order.back() != id) {
      if (result.spans.contains(id)) {
        result.problems.push_back(absl::StrCat("trace ", id.ToHex(), " arrived non-consecutively"));
      }
      result.order.push_back(id);
    }
    auto& out = result.spans[id];
    for (const model::Span& span : chunk.spans()) out.push_back(Canonical(span));
    return true;
  };
}

bool HasCapability(const Capabilities& caps, const std::string& name) {
  if (name == "search_without_service") return caps.search_without_service;
  if (name == "find_trace_ids") return caps.find_trace_ids;
  if (name == "dependencies") return caps.dependencies;
  if (name == "operation_span_kinds") return caps.operation_span_kinds;
  return false;
}

uint64_t Placeholder(std::string_view rfc3339) {
  auto t = FixtureTime(rfc3339);
  return t.ok() ? *t : 0;
}

std::vector<std::pair<std::string, std::string>> Edges(const std::vector<DependencyLink>& links,
                                                       std::vector<uint64_t>* counts) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const DependencyLink& l : links) {
    out.emplace_back(l.parent, l.child);
    counts->push_back(l.call_count);
  }
  return out;
}

}  // namespace

std::string BackendName(const testing::TestParamInfo<Backend>& info) { return info.param.name; }

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

void StorageConformance::SetUp() {
  ASSERT_TRUE(GetParam().make) << "backend " << GetParam().name << " has no factory";
  storage_ = GetParam().make();
  ASSERT_NE(storage_, nullptr);
}

void StorageConformance::TearDown() {
  if (storage_ != nullptr) {
    absl::Status closed = storage_->Close();
    EXPECT_TRUE(closed.ok()) << closed;
    storage_.reset();
  }
  if (GetParam().cleanup) GetParam().cleanup();
}

bool StorageConformance::Eventually(const std::function<bool()>& check) {
  const absl::Time deadline = absl::Now() + GetParam().visibility_timeout;
  while (true) {
    if (check()) return true;
    absl::Time now = absl::Now();
    if (now >= deadline) return false;
    // Polling an eventually consistent backend until its documented deadline.
    absl::SleepFor(std::min(absl::Milliseconds(50), deadline - now));
  }
}

// jaeger-compat §3.8 (FindTraces table, plus skua's own cases §3.2/§11): every fixture is written
// first, so each case runs against all the others as counter-examples; results must be the
// expected whole traces, newest first, chunked per the TraceSink contract.
TEST_P(StorageConformance, FindTraces) {
  auto cases = LoadQueryCases();
  ASSERT_TRUE(cases.ok()) << cases.status();
  ASSERT_GE(cases->cases.size(), 25u);
  std::map<model::TraceId, std::string> names;
  for (const std::string& stem : cases->fixtures) {
    CONF_FIXTURE(fixture, stem);
    names[TraceOf(*fixture)] = stem;
    CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *fixture));
  }
  auto name_of = [&](const model::TraceId& id) {
    auto it = names.find(id);
    return it == names.end() ? id.ToHex() : it->second;
  };

  const Capabilities caps = storage_->capabilities();
  int ran = 0;
  for (const QueryCase& c : cases->cases) {
    SCOPED_TRACE(absl::StrCat(c.caption, " (", c.source, ")"));
    bool supported = std::all_of(c.requires_caps.begin(), c.requires_caps.end(),
                                 [&](const std::string& cap) { return HasCapability(caps, cap); });
    if (!supported) continue;
    ++ran;
    std::vector<model::TraceId> want_ids;
    for (const std::string& stem : c.expected) {
      CONF_FIXTURE(fixture, stem);
      want_ids.push_back(TraceOf(*fixture));
    }
    ReadResult got;
    absl::Status status;
    Eventually([&] {
      got = ReadResult();
      status = storage_->reader().FindTraces(kDefaultTenant, c.query, Collect(got));
      return status.ok() && got.order == want_ids;
    });
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_THAT(got.problems, IsEmpty());
    std::vector<std::string> got_names;
    for (const model::TraceId& id : got.order) got_names.push_back(name_of(id));
    EXPECT_THAT(got_names, ElementsAreArray(c.expected));
    for (const std::string& stem : c.expected) {
      CONF_FIXTURE(fixture, stem);
      // Whole traces: every span, also those outside the window (jaeger-compat §3.2).
      EXPECT_EQ(got.Sorted(TraceOf(*fixture)), CanonicalSorted(fixture->spans())) << stem;
    }

    if (caps.find_trace_ids) {
      auto found = storage_->reader().FindTraceIds(kDefaultTenant, c.query);
      ASSERT_TRUE(found.ok()) << found.status();
      std::vector<std::string> found_names;
      for (const FoundTrace& f : *found) {
        found_names.push_back(name_of(f.trace_id));
        auto it = names.find(f.trace_id);
        if (it == names.end()) continue;
        CONF_FIXTURE(fixture, it->second);
        uint64_t start = UINT64_MAX, end = 0;
        for (const model::Span& s : fixture->spans()) {
          start = std::min(start, s.start_time_unix_nano);
          end = std::max(end, s.end_time_unix_nano);
        }
        EXPECT_EQ(f.start_time, start) << it->second;
        EXPECT_EQ(f.end_time, end) << it->second;
      }
      EXPECT_THAT(found_names, ElementsAreArray(c.expected)) << "FindTraceIds";
    }
  }
  EXPECT_GE(ran, 25);
}

// jaeger-compat §3.1: the sink may stop a read early; the read then returns OK.
TEST_P(StorageConformance, FindTracesSinkStopsEarly) {
  for (const char* stem : {"multiple1_trace", "multiple2_trace", "multiple3_trace"}) {
    CONF_FIXTURE(fixture, stem);
    CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *fixture));
  }
  TraceQuery query;
  query.service_name = "q22-svc";
  query.start_time_min = Placeholder("2020-02-02T00:00:00Z");
  query.start_time_max = Placeholder("2020-02-02T23:59:59Z");
  int chunks = 0;
  absl::Status status;
  Eventually([&] {
    chunks = 0;
    int all = 0;
    status = storage_->reader().FindTraces(kDefaultTenant, query, [&](model::SpanSet) {
      ++all;
      return true;
    });
    if (!status.ok() || all < 3) return false;
    status = storage_->reader().FindTraces(kDefaultTenant, query, [&](model::SpanSet) {
      ++chunks;
      return false;
    });
    return true;
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(chunks, 1);
}

// jaeger-compat §3.8 GetServices: sorted, without duplicates.
TEST_P(StorageConformance, GetServicesSorted) {
  CONF_FIXTURE(example, "example_trace");
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *example));
  absl::StatusOr<std::vector<std::string>> services;
  Eventually([&] {
    services = storage_->reader().GetServices(kDefaultTenant);
    return services.ok() && services->size() == 3;
  });
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, ElementsAre("demo-svc-1", "demo-svc-2", "demo-svc-3"));
}

// jaeger-compat §3.8 GetOperations (JH form: "" for spans without a kind), §3.1 kind filter.
TEST_P(StorageConformance, GetOperationsWithSpanKinds) {
  CONF_FIXTURE(example, "example_trace");
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *example));
  OperationQuery all{"demo-svc-1", std::nullopt};
  absl::StatusOr<std::vector<Operation>> ops;
  Eventually([&] {
    ops = storage_->reader().GetOperations(kDefaultTenant, all);
    return ops.ok() && ops->size() >= 4;
  });
  ASSERT_TRUE(ops.ok()) << ops.status();
  if (!storage_->capabilities().operation_span_kinds) {
    std::set<std::string> names;
    for (const Operation& op : *ops) names.insert(op.name);
    EXPECT_THAT(names, ElementsAre("demo-op-1", "demo-op-3", "demo-op-4", "demo-op-5"));
    return;
  }
  EXPECT_THAT(*ops, ElementsAre(Operation{"demo-op-1", ""}, Operation{"demo-op-3", "server"},
                                Operation{"demo-op-4", "client"}, Operation{"demo-op-5", "client"},
                                Operation{"demo-op-5", "server"}));

  auto servers = storage_->reader().GetOperations(kDefaultTenant, {"demo-svc-1", "server"});
  ASSERT_TRUE(servers.ok()) << servers.status();
  EXPECT_THAT(*servers,
              ElementsAre(Operation{"demo-op-3", "server"}, Operation{"demo-op-5", "server"}));
  auto kindless = storage_->reader().GetOperations(kDefaultTenant, {"demo-svc-1", ""});
  ASSERT_TRUE(kindless.ok()) << kindless.status();
  EXPECT_THAT(*kindless, ElementsAre(Operation{"demo-op-1", ""}));
  auto other = storage_->reader().GetOperations(kDefaultTenant, {"demo-svc-3", std::nullopt});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_THAT(*other, ElementsAre(Operation{"demo-op-6", "consumer"}));
  auto unknown = storage_->reader().GetOperations(kDefaultTenant, {"no-such-svc", std::nullopt});
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_THAT(*unknown, IsEmpty());
}

// jaeger-compat §3.8 GetTrace: found with every span; unknown IDs are skipped (§3.1 v2 reader).
TEST_P(StorageConformance, GetTraces) {
  CONF_FIXTURE(example, "example_trace");
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *example));
  const model::TraceId ids[] = {model::TraceId{0, 1}, TraceOf(*example)};
  ReadResult got;
  absl::Status status;
  Eventually([&] {
    got = ReadResult();
    status = storage_->reader().GetTraces(kDefaultTenant, ids, Collect(got));
    return status.ok() && got.Sorted(ids[1]).size() == example->size();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(got.problems, IsEmpty());
  EXPECT_THAT(got.order, ElementsAre(ids[1]));
  EXPECT_EQ(got.Sorted(ids[1]), CanonicalSorted(example->spans()));

  ReadResult none;
  const model::TraceId unknown[] = {model::TraceId{0, 1}};
  CONF_ASSERT_OK(storage_->reader().GetTraces(kDefaultTenant, unknown, Collect(none)));
  EXPECT_EQ(none.chunks, 0u);
}

// jaeger-compat §3.8 GetLargeSpans: a 10,008-span trace comes back whole; chunks never mix it with
// the trace written in the same batch (§3.1).
TEST_P(StorageConformance, LargeTrace) {
  CONF_FIXTURE(example, "example_trace");
  constexpr uint64_t kSpans = 10'008;
  const model::TraceId large_id{0x5ca1ab1e, 0x10008};
  model::SpanSet batch;
  for (uint64_t i = 0; i < kSpans; ++i) {
    model::Span span = example->spans().front();
    span.trace_id = large_id;
    span.span_id = model::SpanId{i + 1};
    span.parent_span_id = model::SpanId{i == 0 ? uint64_t{0} : uint64_t{1}};
    span.start_time_unix_nano += i * 1000;
    span.end_time_unix_nano += i * 1000;
    batch.CopySpan(span);
    if (i == kSpans / 2) batch.CopySpans(example->spans());  // interleave another trace
  }
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, batch));

  std::vector<model::Span> large_spans;
  for (const model::Span& s : batch.spans()) {
    if (s.trace_id == large_id) large_spans.push_back(s);
  }
  ASSERT_EQ(large_spans.size(), kSpans);
  const std::vector<std::string> want_large = CanonicalSorted(large_spans);

  const model::TraceId ids[] = {large_id, TraceOf(*example)};
  ReadResult got;
  absl::Status status;
  Eventually([&] {
    got = ReadResult();
    status = storage_->reader().GetTraces(kDefaultTenant, ids, Collect(got));
    return status.ok() && got.Sorted(large_id).size() == kSpans;
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(got.problems, IsEmpty());
  EXPECT_THAT(got.order, UnorderedElementsAre(large_id, TraceOf(*example)));
  EXPECT_TRUE(got.Sorted(large_id) == want_large) << "large trace differs";
  EXPECT_EQ(got.Sorted(TraceOf(*example)), CanonicalSorted(example->spans()));

  // Also through search: both traces match, whole and unmixed.
  TraceQuery query;
  query.service_name = "demo-svc-1";
  query.operation_name = "demo-op-1";
  query.start_time_min = Placeholder("2020-02-02T00:00:00Z");
  query.start_time_max = Placeholder("2020-02-02T23:59:59Z");
  ReadResult found;
  CONF_ASSERT_OK(storage_->reader().FindTraces(kDefaultTenant, query, Collect(found)));
  EXPECT_THAT(found.problems, IsEmpty());
  // The large trace's newest span starts last, so it comes first.
  EXPECT_THAT(found.order, ElementsAre(large_id, TraceOf(*example)));
  EXPECT_EQ(found.Sorted(large_id).size(), kSpans);
}

// storage.h SpanWriter: writes are idempotent per span (ID + content), so retries never duplicate
// spans; a span with a known ID but other content is a different span and is kept.
TEST_P(StorageConformance, IdempotentRewrite) {
  CONF_FIXTURE(example, "example_trace");
  const model::TraceId id = TraceOf(*example);
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *example));
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *example));
  // A retry of part of the batch, with one span repeated inside the retry itself.
  model::SpanSet partial;
  partial.CopySpan(example->spans()[2]);
  partial.CopySpan(example->spans()[3]);
  partial.CopySpan(example->spans()[2]);
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, partial));

  const model::TraceId ids[] = {id};
  ReadResult got;
  absl::Status status;
  Eventually([&] {
    got = ReadResult();
    status = storage_->reader().GetTraces(kDefaultTenant, ids, Collect(got));
    return status.ok() && got.Sorted(id).size() >= example->size();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(got.Sorted(id), CanonicalSorted(example->spans()));

  model::SpanSet changed;
  model::Span& span = changed.CopySpan(example->spans()[0]);
  span.name = "demo-op-1-renamed";
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, changed));
  std::vector<model::Span> want(example->spans().begin(), example->spans().end());
  want.push_back(span);
  Eventually([&] {
    got = ReadResult();
    status = storage_->reader().GetTraces(kDefaultTenant, ids, Collect(got));
    return status.ok() && got.Sorted(id).size() == want.size();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(got.Sorted(id), CanonicalSorted(want));
}

// storage.h: tenants are fully isolated (jaeger-compat §3.3 per-tenant stores, §7.4).
TEST_P(StorageConformance, TenantIsolation) {
  CONF_FIXTURE(example, "example_trace");
  CONF_FIXTURE(other, "default_trace");
  CONF_ASSERT_OK(storage_->writer().WriteSpans("tenant-a", *example));
  CONF_ASSERT_OK(storage_->writer().WriteSpans("tenant-b", *other));

  absl::StatusOr<std::vector<std::string>> a, b;
  Eventually([&] {
    a = storage_->reader().GetServices("tenant-a");
    b = storage_->reader().GetServices("tenant-b");
    return a.ok() && b.ok() && a->size() == 3 && b->size() == 1;
  });
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(*a, ElementsAre("demo-svc-1", "demo-svc-2", "demo-svc-3"));
  EXPECT_THAT(*b, ElementsAre("q11-svc"));
  auto none = storage_->reader().GetServices(kDefaultTenant);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_THAT(*none, IsEmpty());

  const model::TraceId ids[] = {TraceOf(*example), TraceOf(*other)};
  for (std::string_view tenant :
       {std::string_view("tenant-a"), std::string_view("tenant-b"), kDefaultTenant}) {
    SCOPED_TRACE(absl::StrCat("tenant '", std::string(tenant), "'"));
    ReadResult got;
    CONF_ASSERT_OK(storage_->reader().GetTraces(tenant, ids, Collect(got)));
    std::vector<model::TraceId> want;
    if (tenant == "tenant-a") want = {ids[0]};
    if (tenant == "tenant-b") want = {ids[1]};
    EXPECT_EQ(got.order, want);

    TraceQuery query;
    query.service_name = "demo-svc-1";
    query.start_time_min = Placeholder("2020-02-02T00:00:00Z");
    query.start_time_max = Placeholder("2020-02-02T23:59:59Z");
    ReadResult found;
    CONF_ASSERT_OK(storage_->reader().FindTraces(tenant, query, Collect(found)));
    EXPECT_EQ(found.order.size(), tenant == "tenant-a" ? 1u : 0u);

    auto ops = storage_->reader().GetOperations(tenant, {"demo-svc-1", std::nullopt});
    ASSERT_TRUE(ops.ok()) << ops.status();
    EXPECT_EQ(ops->empty(), tenant != "tenant-a");

    if (DependencyReader* deps = storage_->dependency_reader(); deps != nullptr) {
      auto links = deps->GetDependencies(tenant, query.start_time_min, query.start_time_max);
      ASSERT_TRUE(links.ok()) << links.status();
      EXPECT_EQ(links->empty(), tenant != "tenant-a");
    }
  }
}

// jaeger-compat §3.3/§5.3: dependencies from traces with a span in the window; parent→child call
// counts summed over traces; same-service edges skipped (v1 memory semantics, §11).
TEST_P(StorageConformance, Dependencies) {
  if (!storage_->capabilities().dependencies) GTEST_SKIP() << "backend has no dependencies";
  ASSERT_NE(storage_->dependency_reader(), nullptr);
  for (const char* stem : {"deps_a_trace", "deps_b_trace", "deps_old_trace"}) {
    CONF_FIXTURE(fixture, stem);
    CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *fixture));
  }
  DependencyReader& deps = *storage_->dependency_reader();
  struct Window {
    const char* from;
    const char* to;
    std::vector<std::pair<std::string, std::string>> edges;
    std::vector<uint64_t> counts;
  };
  const Window windows[] = {
      {"2020-02-02T12:00:00Z",
       "2020-02-02T23:59:59Z",
       {{"deps-backend", "deps-db"}, {"deps-frontend", "deps-backend"}},
       {2, 2}},
      {"2020-02-02T12:00:00Z",
       "2020-02-02T17:30:00Z",
       {{"deps-backend", "deps-db"}, {"deps-frontend", "deps-backend"}},
       {2, 1}},
      {"2020-02-01T00:00:00Z", "2020-02-01T23:59:59Z", {{"deps-frontend", "deps-mailer"}}, {1}},
      {"2020-02-03T00:00:00Z", "2020-02-03T23:59:59Z", {}, {}},
  };
  for (const Window& w : windows) {
    SCOPED_TRACE(absl::StrCat(w.from, " .. ", w.to));
    absl::StatusOr<std::vector<DependencyLink>> links;
    std::vector<uint64_t> counts;
    std::vector<std::pair<std::string, std::string>> edges;
    Eventually([&] {
      links = deps.GetDependencies(kDefaultTenant, Placeholder(w.from), Placeholder(w.to));
      if (!links.ok()) return false;
      counts.clear();
      edges = Edges(*links, &counts);
      return edges == w.edges && counts == w.counts;
    });
    ASSERT_TRUE(links.ok()) << links.status();
    EXPECT_EQ(edges, w.edges);
    EXPECT_EQ(counts, w.counts);
  }
}

// storage.h TraceReader: results are deep copies that outlive the storage itself.
TEST_P(StorageConformance, ResultsOutliveStorage) {
  CONF_FIXTURE(example, "example_trace");
  CONF_ASSERT_OK(storage_->writer().WriteSpans(kDefaultTenant, *example));
  const model::TraceId ids[] = {TraceOf(*example)};
  std::vector<model::SpanSet> chunks;
  absl::Status status;
  Eventually([&] {
    chunks.clear();
    status = storage_->reader().GetTraces(kDefaultTenant, ids, [&](model::SpanSet chunk) {
      chunks.push_back(std::move(chunk));
      return true;
    });
    return status.ok() && !chunks.empty();
  });
  ASSERT_TRUE(status.ok()) << status;
  CONF_ASSERT_OK(storage_->Close());
  storage_.reset();
  std::vector<model::Span> spans;
  for (const model::SpanSet& chunk : chunks) {
    spans.insert(spans.end(), chunk.spans().begin(), chunk.spans().end());
  }
  EXPECT_EQ(CanonicalSorted(spans), CanonicalSorted(example->spans()));
}

// storage.h Storage::Close: idempotent; later calls fail with Unavailable.
TEST_P(StorageConformance, CloseIsIdempotent) {
  CONF_FIXTURE(example, "example_trace");
  CONF_ASSERT_OK(storage_->Close());
  CONF_ASSERT_OK(storage_->Close());
  EXPECT_EQ(storage_->writer().WriteSpans(kDefaultTenant, *example).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(storage_->reader().GetServices(kDefaultTenant).status().code(),
            absl::StatusCode::kUnavailable);
}

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StorageConformance);

}  // namespace skua::storage::conformance
