#include "query/query_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/span.h"
#include "model/span_set.h"
#include "storage/memory/memory_storage.h"

namespace skua::query {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

model::TraceId Tid(uint64_t low) { return model::TraceId{0, low}; }

// Appends spans of one trace to `set`: one per entry of `span_ids`, service `service`, starting at
// `start` ns and lasting 1 ms.
void AddSpans(model::SpanSet& set, model::TraceId trace, std::vector<uint64_t> span_ids,
              std::string_view service = "svc", uint64_t start = 1'000'000'000) {
  model::KeyValue kv{"service.name", model::AnyValue::String(service)};
  model::Resource resource;
  resource.attributes = model::Attributes(&kv, 1);
  resource.service_name = service;
  for (uint64_t id : span_ids) {
    model::Span span;
    span.trace_id = trace;
    span.span_id = model::SpanId{id};
    span.name = "op";
    span.start_time_unix_nano = start;
    span.end_time_unix_nano = start + 1'000'000;
    span.resource = &resource;
    set.CopySpan(span);
  }
}

model::SpanSet Chunk(model::TraceId trace, std::vector<uint64_t> span_ids,
                     uint64_t start = 1'000'000'000) {
  model::SpanSet set;
  AddSpans(set, trace, std::move(span_ids), "svc", start);
  return set;
}

// A storage whose reads replay scripted chunks, recording what it was asked. Lets the tests
// control chunking, capabilities and misbehaviour that the memory store never shows.
class ScriptedStorage final : public storage::Storage,
                              public storage::SpanWriter,
                              public storage::TraceReader,
                              public storage::DependencyReader {
 public:
  storage::Capabilities caps;
  // Each read streams chunks made by this function (SpanSet is move-only, so rebuild per call).
  std::function<std::vector<model::SpanSet>()> chunks = [] {
    return std::vector<model::SpanSet>{};
  };
  std::vector<storage::DependencyLink> links;

  int find_calls = 0;
  storage::TraceQuery last_query;
  std::vector<model::TraceId> last_ids;
  size_t chunks_delivered = 0;
  bool stopped_early = false;
  uint64_t dep_start = 0, dep_end = 0;

  storage::Capabilities capabilities() const override { return caps; }
  storage::SpanWriter& writer() override { return *this; }
  storage::TraceReader& reader() override { return *this; }
  storage::DependencyReader* dependency_reader() override {
    return caps.dependencies ? this : nullptr;
  }
  absl::Status Close() override { return absl::OkStatus(); }
  absl::Status WriteSpans(std::string_view, const model::SpanSet&) override {
    return absl::OkStatus();
  }

  absl::Status Stream(const storage::TraceSink& sink) {
    for (model::SpanSet& chunk : chunks()) {
      ++chunks_delivered;
      if (!sink(std::move(chunk))) {
        stopped_early = true;
        break;
      }
    }
    return absl::OkStatus();
  }
  absl::Status GetTraces(std::string_view, std::span<const model::TraceId> ids,
                         const storage::TraceSink& sink) override {
    last_ids.assign(ids.begin(), ids.end());
    return Stream(sink);
  }
  absl::Status FindTraces(std::string_view, const storage::TraceQuery& query,
                          const storage::TraceSink& sink) override {
    ++find_calls;
    last_query = query;
    return Stream(sink);
  }
  absl::StatusOr<std::vector<storage::FoundTrace>> FindTraceIds(
      std::string_view, const storage::TraceQuery& query) override {
    last_query = query;
    return absl::UnimplementedError("no");
  }
  absl::StatusOr<std::vector<std::string>> GetServices(std::string_view) override {
    return std::vector<std::string>{"a", "b"};
  }
  absl::StatusOr<std::vector<storage::Operation>> GetOperations(
      std::string_view, const storage::OperationQuery&) override {
    return std::vector<storage::Operation>{{"op", "server"}};
  }
  absl::StatusOr<std::vector<storage::DependencyLink>> GetDependencies(std::string_view,
                                                                       uint64_t start,
                                                                       uint64_t end) override {
    dep_start = start;
    dep_end = end;
    return links;
  }
};

storage::TraceQuery ServiceQuery() {
  storage::TraceQuery q;
  q.service_name = "svc";
  return q;
}

TEST(QueryServiceOptionsTest, Validate) {
  QueryServiceOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.max_search_limit = 0;
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
}

// Storage contract: a trace larger than one chunk arrives as consecutive chunks; the query
// service hands out one SpanSet per trace.
TEST(QueryServiceTest, FindTracesJoinsConsecutiveChunks) {
  ScriptedStorage storage;
  storage.chunks = [] {
    std::vector<model::SpanSet> c;
    c.push_back(Chunk(Tid(1), {1, 2}));
    c.push_back(Chunk(Tid(1), {3}));
    c.push_back(model::SpanSet());  // empty chunks are ignored
    c.push_back(Chunk(Tid(2), {4}));
    return c;
  };
  QueryService service(storage, {});
  absl::StatusOr<std::vector<model::SpanSet>> traces = service.FindTraces("", ServiceQuery());
  ASSERT_TRUE(traces.ok()) << traces.status();
  ASSERT_EQ(traces->size(), 2u);
  EXPECT_EQ((*traces)[0].size(), 3u);
  EXPECT_EQ((*traces)[1].size(), 1u);
  for (const model::Span& span : (*traces)[0].spans()) EXPECT_EQ(span.trace_id, Tid(1));
  EXPECT_EQ((*traces)[0].spans()[2].span_id.value, 3u);
  EXPECT_EQ((*traces)[1].spans()[0].trace_id, Tid(2));
}

TEST(QueryServiceTest, FindTracesJoinsOutOfOrderChunkToItsTrace) {
  ScriptedStorage storage;
  storage.chunks = [] {
    std::vector<model::SpanSet> c;
    c.push_back(Chunk(Tid(1), {1}));
    c.push_back(Chunk(Tid(2), {2}));
    c.push_back(Chunk(Tid(1), {3}));
    return c;
  };
  QueryService service(storage, {});
  absl::StatusOr<std::vector<model::SpanSet>> traces = service.FindTraces("", ServiceQuery());
  ASSERT_TRUE(traces.ok());
  ASSERT_EQ(traces->size(), 2u);
  EXPECT_EQ((*traces)[0].size(), 2u);
  EXPECT_EQ((*traces)[1].size(), 1u);
}

TEST(QueryServiceTest, FindTracesClampsAndEnforcesLimit) {
  ScriptedStorage storage;
  // A backend that ignores num_traces and sends four traces, the second in two chunks.
  storage.chunks = [] {
    std::vector<model::SpanSet> c;
    c.push_back(Chunk(Tid(1), {1}));
    c.push_back(Chunk(Tid(2), {2}));
    c.push_back(Chunk(Tid(2), {3}));
    c.push_back(Chunk(Tid(3), {4}));
    c.push_back(Chunk(Tid(4), {5}));
    return c;
  };
  QueryServiceOptions options;
  options.max_search_limit = 2;
  QueryService service(storage, options);
  storage::TraceQuery q = ServiceQuery();
  q.num_traces = 50;
  absl::StatusOr<std::vector<model::SpanSet>> traces = service.FindTraces("", q);
  ASSERT_TRUE(traces.ok());
  EXPECT_EQ(storage.last_query.num_traces, 2);  // clamped before reaching the backend
  ASSERT_EQ(traces->size(), 2u);
  EXPECT_EQ((*traces)[1].size(), 2u);  // both chunks of trace 2 kept
  EXPECT_TRUE(storage.stopped_early);
  EXPECT_EQ(storage.chunks_delivered, 4u);  // stopped at trace 3's first chunk
}

TEST(QueryServiceTest, FindTracesValidation) {
  ScriptedStorage storage;
  QueryService service(storage, {});

  storage::TraceQuery q = ServiceQuery();
  q.num_traces = 0;
  absl::StatusOr<std::vector<model::SpanSet>> r = service.FindTraces("", q);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("limit"));

  q = ServiceQuery();
  q.duration_min = 2000;
  q.duration_max = 1000;
  r = service.FindTraces("", q);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "'maxDuration' should be greater than 'minDuration'");

  // Only a maximum, or only a minimum, is fine.
  q.duration_min = 0;
  EXPECT_TRUE(service.FindTraces("", q).ok());
  q.duration_min = 2000;
  q.duration_max = 0;
  EXPECT_TRUE(service.FindTraces("", q).ok());

  q = ServiceQuery();
  q.service_name.clear();
  r = service.FindTraces("", q);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "service name is required");
  EXPECT_EQ(storage.find_calls, 2);  // only the two valid queries reached the backend
}

TEST(QueryServiceTest, SearchWithoutServiceNeedsCapability) {
  ScriptedStorage storage;
  storage.caps.search_without_service = true;
  QueryService service(storage, {});
  storage::TraceQuery q;
  q.operation_name = "op";
  EXPECT_TRUE(service.FindTraces("", q).ok());
  EXPECT_EQ(storage.find_calls, 1);
}

TEST(QueryServiceTest, EmptyTimeWindowSkipsBackend) {
  ScriptedStorage storage;
  storage.chunks = [] {
    std::vector<model::SpanSet> c;
    c.push_back(Chunk(Tid(1), {1}));
    return c;
  };
  QueryService service(storage, {});
  storage::TraceQuery q = ServiceQuery();
  q.start_time_min = 10;
  q.start_time_max = 5;
  absl::StatusOr<std::vector<model::SpanSet>> r = service.FindTraces("", q);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(storage.find_calls, 0);
}

TEST(QueryServiceTest, GetTracesDedupesIdsAndDropsUnrequested) {
  ScriptedStorage storage;
  storage.chunks = [] {
    std::vector<model::SpanSet> c;
    c.push_back(Chunk(Tid(1), {1}));
    c.push_back(Chunk(Tid(9), {2}));  // not requested
    c.push_back(Chunk(Tid(1), {3}));
    return c;
  };
  QueryService service(storage, {});
  std::vector<model::TraceId> ids = {Tid(1), Tid(2), Tid(1)};
  absl::StatusOr<std::vector<model::SpanSet>> r = service.GetTraces("", ids);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(storage.last_ids, ElementsAre(Tid(1), Tid(2)));
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].size(), 2u);
}

TEST(QueryServiceTest, GetTraceNotFound) {
  ScriptedStorage storage;
  QueryService service(storage, {});
  absl::StatusOr<model::SpanSet> r = service.GetTrace("", Tid(5));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "trace not found");  // §2.3 error text
}

// §5.3: the query layer merges duplicate links by (parent, child), summing call counts.
TEST(QueryServiceTest, GetDependenciesMergesAndSorts) {
  ScriptedStorage storage;
  storage.caps.dependencies = true;
  storage.links = {{"b", "c", 1, ""},
                   {"a", "b", 2, "jaeger"},
                   {"b", "c", 4, "jaeger"},
                   {"a", "b", 3, "jaeger"},
                   {"a", "c", 1, ""}};
  QueryService service(storage, {});
  absl::StatusOr<std::vector<storage::DependencyLink>> r =
      service.GetDependencies("", /*end_time=*/5'000, /*lookback=*/1'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(storage.dep_start, 4'000u);
  EXPECT_EQ(storage.dep_end, 5'000u);
  EXPECT_THAT(*r, ElementsAre(storage::DependencyLink{"a", "b", 5, "jaeger"},
                              storage::DependencyLink{"a", "c", 1, ""},
                              storage::DependencyLink{"b", "c", 5, "jaeger"}));

  // A lookback longer than the epoch clamps the start at 0.
  ASSERT_TRUE(service.GetDependencies("", 5'000, 10'000).ok());
  EXPECT_EQ(storage.dep_start, 0u);
}

TEST(QueryServiceTest, GetDependenciesNeedsCapability) {
  ScriptedStorage storage;
  QueryService service(storage, {});
  EXPECT_EQ(service.GetDependencies("", 5, 1).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(QueryServiceTest, GetOperationsValidationAndKinds) {
  ScriptedStorage storage;
  QueryService service(storage, {});
  storage::OperationQuery q;
  EXPECT_EQ(service.GetOperations("", q).status().code(), absl::StatusCode::kInvalidArgument);
  q.service_name = "svc";
  EXPECT_TRUE(service.GetOperations("", q).ok());
  q.span_kind = "server";
  EXPECT_EQ(service.GetOperations("", q).status().code(), absl::StatusCode::kUnimplemented);
  storage.caps.operation_span_kinds = true;
  EXPECT_TRUE(service.GetOperations("", q).ok());
}

TEST(QueryServiceTest, FindTraceIdsFallsBackToFindTraces) {
  ScriptedStorage storage;
  storage.chunks = [] {
    std::vector<model::SpanSet> c;
    c.push_back(Chunk(Tid(1), {1}, /*start=*/5'000'000));
    c.push_back(Chunk(Tid(1), {2}, /*start=*/3'000'000));
    c.push_back(Chunk(Tid(2), {3}, /*start=*/7'000'000));
    return c;
  };
  QueryService service(storage, {});
  absl::StatusOr<std::vector<storage::FoundTrace>> r = service.FindTraceIds("", ServiceQuery());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].trace_id, Tid(1));
  EXPECT_EQ((*r)[0].start_time, 3'000'000u);
  EXPECT_EQ((*r)[0].end_time, 6'000'000u);
  EXPECT_EQ((*r)[1].trace_id, Tid(2));
}

// §2.5: adjusters run unless raw; SortLogFields puts `event` first and the rest by key.
TEST(QueryServiceTest, JaegerViewAdjustsUnlessRaw) {
  model::SpanSet set = Chunk(Tid(1), {1});
  model::Span& span = set.spans()[0];
  model::KeyValue attrs[] = {{"zeta", model::AnyValue::String("z")},
                             {"alpha", model::AnyValue::String("a")}};
  model::Event event;
  event.name = "boom";
  event.time_unix_nano = span.start_time_unix_nano;
  event.attributes = set.CopyAttributes(model::Attributes(attrs, 2));
  model::Event* stored = set.arena().New<model::Event>(event);
  span.events = std::span<const model::Event>(stored, 1);

  ScriptedStorage storage;
  QueryService service(storage, {});
  auto keys = [](const model::jaeger::JaegerTrace& t) {
    std::vector<std::string> out;
    for (const auto& f : t.spans.at(0).logs.at(0).fields) out.emplace_back(f.key);
    return out;
  };
  model::jaeger::JaegerTrace adjusted = service.JaegerView(set, /*adjust=*/true);
  EXPECT_THAT(keys(adjusted), ElementsAre("event", "alpha", "zeta"));
  model::jaeger::JaegerTrace raw = service.JaegerView(set, /*adjust=*/false);
  std::vector<std::string> raw_keys = keys(raw);
  ASSERT_EQ(raw_keys.size(), 3u);
  EXPECT_NE(raw_keys, keys(adjusted));  // the stored attribute order zeta, alpha survives
}

// The real memory backend through the service: search returns whole traces newest first.
TEST(QueryServiceTest, WorksAgainstMemoryStorage) {
  std::unique_ptr<storage::Storage> mem = storage::memory::NewMemoryStorage({});
  model::SpanSet batch;
  AddSpans(batch, Tid(1), {1, 2}, "frontend", 1'000'000'000);
  AddSpans(batch, Tid(2), {3}, "frontend", 2'000'000'000);
  AddSpans(batch, Tid(3), {4}, "backend", 3'000'000'000);
  ASSERT_TRUE(mem->writer().WriteSpans(storage::kDefaultTenant, batch).ok());

  QueryService service(*mem, {});
  storage::TraceQuery q;
  q.service_name = "frontend";
  absl::StatusOr<std::vector<model::SpanSet>> r = service.FindTraces("", q);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].spans()[0].trace_id, Tid(2));
  EXPECT_EQ((*r)[1].size(), 2u);

  absl::StatusOr<std::vector<std::string>> services = service.GetServices("");
  ASSERT_TRUE(services.ok());
  EXPECT_THAT(*services, ElementsAre("backend", "frontend"));

  // Tenants are isolated.
  r = service.FindTraces("other", q);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

}  // namespace
}  // namespace skua::query
