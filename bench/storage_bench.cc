// Storage backends on the W1 corpus: batch writes (spans/s per core), trace by ID and searches
// (latency per call; workload-and-targets T5, T6) over a store preloaded with the corpus. Today
// the in-memory backend; a disk backend adds a fixture line in kBackends below.

#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_main.h"
#include "model/span.h"
#include "storage/memory/memory_storage.h"
#include "storage/storage.h"

namespace skua::bench {
namespace {

struct Backend {
  const char* name;
  // A fresh, empty store that keeps everything it is given (no eviction during the benchmark).
  std::unique_ptr<storage::Storage> (*make)();
};

const Backend kBackends[] = {
    {"memory",
     [] {
       storage::memory::MemoryOptions options;
       options.max_traces = 0;
       options.max_bytes = uint64_t{64} << 30;
       return std::unique_ptr<storage::Storage>(
           std::make_unique<storage::memory::MemoryStorage>(options));
     }},
};

void WriteCorpus(storage::Storage& store, benchmark::State& state) {
  for (const model::SpanSet& request : SharedW1Corpus().requests) {
    absl::Status s = store.writer().WriteSpans(storage::kDefaultTenant, request);
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
}

// One iteration = the whole corpus written, request by request, into a fresh store.
void BM_Write(benchmark::State& state, const Backend* backend) {
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<storage::Storage> store = backend->make();
    state.ResumeTiming();
    WriteCorpus(*store, state);
    state.PauseTiming();
    if (auto* memory = dynamic_cast<storage::memory::MemoryStorage*>(store.get())) {
      state.counters["store_bytes/span"] =
          static_cast<double>(memory->bytes_used()) / static_cast<double>(memory->span_count());
    }
    store.reset();
    state.ResumeTiming();
  }
  SetSpanRate(state, static_cast<double>(SharedW1Corpus().spans));
}

// A store preloaded with the corpus, plus what the read benchmarks ask for.
struct Loaded {
  std::unique_ptr<storage::Storage> store;
  std::vector<model::TraceId> trace_ids;                         // shuffled
  std::vector<std::pair<std::string, std::string>> service_ops;  // (service, operation), shuffled
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> service_tags;
  uint64_t first_start = UINT64_MAX;
  uint64_t last_start = 0;
};

// Tag keys W1 spans carry, in order of preference for the attribute search.
const char* const kSearchKeys[] = {"http.request.method", "http.response.status_code", "rpc.method",
                                   "db.system", "messaging.system"};

const Loaded& GetLoaded(const Backend& backend) {
  static auto* loaded = new std::vector<std::pair<const Backend*, std::unique_ptr<Loaded>>>;
  for (auto& [b, l] : *loaded) {
    if (b == &backend) return *l;
  }
  auto l = std::make_unique<Loaded>();
  l->store = backend.make();
  std::mt19937_64 rng(7);
  for (const model::SpanSet& request : SharedW1Corpus().requests) {
    if (!l->store->writer().WriteSpans(storage::kDefaultTenant, request).ok()) std::abort();
    for (const model::Span& span : request.spans()) {
      l->first_start = std::min(l->first_start, span.start_time_unix_nano);
      l->last_start = std::max(l->last_start, span.start_time_unix_nano);
      if (span.parent_span_id.IsZero()) l->trace_ids.push_back(span.trace_id);
      if (rng() % 64 == 0) {
        l->service_ops.emplace_back(std::string(span.service_name()), std::string(span.name));
        for (const char* key : kSearchKeys) {
          if (const model::AnyValue* v = model::FindAttribute(span.attributes, key)) {
            l->service_tags.push_back(
                {std::string(span.service_name()), {key, model::ValueToString(*v)}});
            break;
          }
        }
      }
    }
  }
  std::shuffle(l->trace_ids.begin(), l->trace_ids.end(), rng);
  std::shuffle(l->service_ops.begin(), l->service_ops.end(), rng);
  std::shuffle(l->service_tags.begin(), l->service_tags.end(), rng);
  loaded->emplace_back(&backend, std::move(l));
  return *loaded->back().second;
}

// One iteration = one trace fetched by ID (a random root's trace), every span streamed.
void BM_TraceById(benchmark::State& state, const Backend* backend) {
  const Loaded& l = GetLoaded(*backend);
  if (l.trace_ids.empty()) {
    state.SkipWithError("no traces");
    return;
  }
  size_t i = 0, spans = 0;
  for (auto _ : state) {
    const model::TraceId& id = l.trace_ids[i++ % l.trace_ids.size()];
    absl::Status s = l.store->reader().GetTraces(storage::kDefaultTenant,
                                                 std::span<const model::TraceId>(&id, 1),
                                                 [&](model::SpanSet chunk) {
                                                   spans += chunk.size();
                                                   return true;
                                                 });
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
  state.counters["spans/s"] =
      benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
  state.counters["stored_spans"] = static_cast<double>(SharedW1Corpus().spans);
}

enum class SearchKind { kServiceOperation, kServiceTag, kNoMatch };

// One iteration = one search, limit 20, every returned span streamed.
void BM_Search(benchmark::State& state, const Backend* backend, SearchKind kind) {
  const Loaded& l = GetLoaded(*backend);
  if (l.service_ops.empty() || l.service_tags.empty()) {
    state.SkipWithError("no search parameters");
    return;
  }
  size_t i = 0, found = 0;
  for (auto _ : state) {
    storage::TraceQuery q;
    q.num_traces = 20;
    if (kind == SearchKind::kServiceOperation) {
      const auto& [service, op] = l.service_ops[i++ % l.service_ops.size()];
      q.service_name = service;
      q.operation_name = op;
      q.start_time_min = l.last_start - std::min<uint64_t>(l.last_start, 3600'000'000'000ull);
    } else {
      const auto& [service, tag] = l.service_tags[i++ % l.service_tags.size()];
      q.service_name = service;
      q.tags.push_back(
          kind == SearchKind::kServiceTag ? tag : std::make_pair(tag.first, "no-such-value"));
      q.start_time_min = l.last_start - std::min<uint64_t>(l.last_start, 86400'000'000'000ull);
    }
    q.start_time_max = l.last_start;
    absl::Status s =
        l.store->reader().FindTraces(storage::kDefaultTenant, q, [&](model::SpanSet chunk) {
          found += chunk.size();
          return true;
        });
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
  state.counters["spans_returned/search"] =
      static_cast<double>(found) / static_cast<double>(state.iterations());
  state.counters["stored_spans"] = static_cast<double>(SharedW1Corpus().spans);
}

void BM_Services(benchmark::State& state, const Backend* backend) {
  const Loaded& l = GetLoaded(*backend);
  for (auto _ : state) {
    auto services = l.store->reader().GetServices(storage::kDefaultTenant);
    if (!services.ok()) {
      state.SkipWithError(std::string(services.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(services->data());
  }
}

void BM_Operations(benchmark::State& state, const Backend* backend) {
  const Loaded& l = GetLoaded(*backend);
  size_t i = 0;
  for (auto _ : state) {
    storage::OperationQuery q;
    q.service_name = l.service_ops[i++ % l.service_ops.size()].first;
    auto ops = l.store->reader().GetOperations(storage::kDefaultTenant, q);
    if (!ops.ok()) {
      state.SkipWithError(std::string(ops.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(ops->data());
  }
}

void RegisterBackends() {
  for (const Backend& b : kBackends) {
    const std::string n = b.name;
    benchmark::RegisterBenchmark(("BM_Write/" + n).c_str(), BM_Write, &b)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_TraceById/" + n).c_str(), BM_TraceById, &b)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_Search/" + n + "/service_operation").c_str(), BM_Search, &b,
                                 SearchKind::kServiceOperation)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_Search/" + n + "/service_tag").c_str(), BM_Search, &b,
                                 SearchKind::kServiceTag)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_Search/" + n + "/no_match").c_str(), BM_Search, &b,
                                 SearchKind::kNoMatch)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_Services/" + n).c_str(), BM_Services, &b)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("BM_Operations/" + n).c_str(), BM_Operations, &b)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace
}  // namespace skua::bench

SKUA_BENCH_MAIN(100'000, skua::bench::RegisterBackends)
