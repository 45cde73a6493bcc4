// Block files of the embedded store (docs/storage/embedded-blocks.md) on the W1 corpus: WriteBlock
// throughput (spans/s per core, bytes/span on disk including every index), trace by ID from a
// cold and a warm cache, searches, and whole-block decoding. --w1_spans=N sets the corpus (and so
// the block) size. BM_BlockColumns prints where the bytes go, column by column.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_main.h"
#include "model/span.h"
#include "storage/embedded/block.h"
#include "storage/embedded/block_writer_internal.h"

namespace skua::bench {
namespace {

using storage::embedded::BlockCache;
using storage::embedded::BlockReader;
using storage::embedded::BlockWriteOptions;

std::string ScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string dir = std::string(base != nullptr && *base ? base : "/tmp") + "/skua-block-bench-" +
                    std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

struct Corpus {
  std::vector<model::Span> spans;           // views into SharedW1Corpus(), in export order
  std::vector<model::SpanSet> traces;       // the same spans regrouped by trace
  std::vector<model::Span> spans_by_trace;  // views into `traces`: what a head flush passes
  std::vector<model::TraceId> trace_ids;    // shuffled
  std::vector<std::pair<std::string, std::string>> service_ops;
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> service_tags;
  uint64_t last_start = 0;
  std::string dir;
  std::string block;  // the corpus written as one block
  uint64_t file_bytes = 0;
};

const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    std::mt19937_64 rng(7);
    for (const model::SpanSet& request : SharedW1Corpus().requests) {
      for (const model::Span& span : request.spans()) {
        c->spans.push_back(span);
        c->last_start = std::max(c->last_start, span.start_time_unix_nano);
        if (span.parent_span_id.IsZero()) c->trace_ids.push_back(span.trace_id);
        if (rng() % 64 == 0) {
          c->service_ops.emplace_back(std::string(span.service_name()), std::string(span.name));
          for (const char* key : {"http.request.method", "http.response.status_code", "rpc.method",
                                  "db.system", "messaging.system"}) {
            if (const model::AnyValue* v = model::FindAttribute(span.attributes, key)) {
              c->service_tags.push_back(
                  {std::string(span.service_name()), {key, model::ValueToString(*v)}});
              break;
            }
          }
        }
      }
    }
    c->traces = GroupByTrace(SharedW1Corpus());
    for (const model::SpanSet& t : c->traces) {
      c->spans_by_trace.insert(c->spans_by_trace.end(), t.spans().begin(), t.spans().end());
    }
    std::shuffle(c->trace_ids.begin(), c->trace_ids.end(), rng);
    std::shuffle(c->service_ops.begin(), c->service_ops.end(), rng);
    std::shuffle(c->service_tags.begin(), c->service_tags.end(), rng);
    c->dir = ScratchDir();
    static std::string cleanup_dir = c->dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(cleanup_dir, ec);
    });
    c->block = c->dir + "/corpus.block";
    auto info = storage::embedded::WriteBlock(c->block, 1, "", c->spans);
    if (!info.ok()) std::abort();
    c->file_bytes = info->file_bytes;
    return c;
  }();
  return *corpus;
}

// One iteration = the whole corpus written as one block (sorting, encoding, compression, fsync).
// The spans come in export order (a trace's spans scattered over many requests) or grouped by
// trace, as the embedded store's head hands them over when it flushes.
void BM_BlockWrite(benchmark::State& state, bool by_trace) {
  const Corpus& c = GetCorpus();
  const std::string path = c.dir + "/write.block";
  const std::vector<model::Span>& spans = by_trace ? c.spans_by_trace : c.spans;
  uint64_t bytes = 0;
  for (auto _ : state) {
    auto info = storage::embedded::WriteBlock(path, 2, "", spans);
    if (!info.ok()) {
      state.SkipWithError(std::string(info.status().message()).c_str());
      return;
    }
    bytes = info->file_bytes;
  }
  SetSpanRate(state, static_cast<double>(c.spans.size()));
  state.counters["bytes/span"] = static_cast<double>(bytes) / static_cast<double>(c.spans.size());
  std::filesystem::remove(path);
}

// Where the bytes go: prints every column's share (raw and compressed on its own) once.
void BM_BlockColumns(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  const std::string path = c.dir + "/columns.block";
  storage::embedded::BlockEncodingStats stats;
  for (auto _ : state) {
    auto info = storage::embedded::WriteBlockWithStats(path, 3, "", c.spans, BlockWriteOptions{},
                                                       /*measure_columns=*/true, &stats);
    if (!info.ok()) {
      state.SkipWithError(std::string(info.status().message()).c_str());
      return;
    }
  }
  const double n = static_cast<double>(stats.spans_stored);
  state.counters["leads_B/span"] = stats.page_leads / n;
  state.counters["bodies_B/span"] = stats.page_bodies / n;
  state.counters["indexes_B/span"] = (stats.dictionary + stats.search_index + stats.tag_filter +
                                      stats.trace_filter + stats.meta + stats.header_and_trailer) /
                                     n;
  std::sort(stats.columns.begin(), stats.columns.end(),
            [](const auto& a, const auto& b) { return a.compressed > b.compressed; });
  std::fprintf(stderr, "%-46s %10s %10s\n", "column (bytes/span)", "raw", "alone-zstd");
  for (const auto& col : stats.columns) {
    std::fprintf(stderr, "%-46s %10.3f %10.3f\n", col.name.c_str(), col.raw / n,
                 col.compressed / n);
  }
  std::fprintf(stderr,
               "pages %llu: leads %.3f bodies %.3f | dictionary %.3f search %.3f tag filter %.3f "
               "(%llu entries) trace filter %.3f meta %.3f\n",
               static_cast<unsigned long long>(stats.pages), stats.page_leads / n,
               stats.page_bodies / n, stats.dictionary / n, stats.search_index / n,
               stats.tag_filter / n, static_cast<unsigned long long>(stats.tag_filter_entries),
               stats.trace_filter / n, stats.meta / n);
  std::filesystem::remove(path);
}

// One iteration = one random trace read by ID. Cold: a fresh (empty) cache for every read, so the
// page is read, decompressed and decoded; warm: a shared cache holding the whole block.
void BM_ReadTrace(benchmark::State& state, bool warm) {
  const Corpus& c = GetCorpus();
  std::shared_ptr<BlockCache> cache = BlockCache::Create(1 << 30);
  auto reader = BlockReader::Open(c.block, cache);
  if (!reader.ok()) {
    state.SkipWithError(std::string(reader.status().message()).c_str());
    return;
  }
  size_t i = 0, spans = 0;
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      reader = BlockReader::Open(c.block, BlockCache::Create(1 << 30));
      state.ResumeTiming();
    }
    model::SpanSet out;
    absl::Status s = (*reader)->ReadTrace(c.trace_ids[i++ % c.trace_ids.size()], out);
    if (!s.ok() || out.empty()) {
      state.SkipWithError("trace not read");
      return;
    }
    spans += out.size();
  }
  state.counters["spans/trace"] = static_cast<double>(spans) / state.iterations();
}

enum class Query { kServiceOperation, kServiceTag, kNoMatch };

// One iteration = one search of the block, limit 20, from a warm cache.
void BM_Search(benchmark::State& state, Query kind) {
  const Corpus& c = GetCorpus();
  auto reader = BlockReader::Open(c.block, BlockCache::Create(1 << 30));
  if (!reader.ok()) {
    state.SkipWithError(std::string(reader.status().message()).c_str());
    return;
  }
  size_t i = 0, found = 0;
  for (auto _ : state) {
    storage::TraceQuery q;
    q.num_traces = 20;
    q.start_time_max = c.last_start;
    if (kind == Query::kServiceOperation) {
      const auto& [service, op] = c.service_ops[i++ % c.service_ops.size()];
      q.service_name = service;
      q.operation_name = op;
      q.start_time_min = c.last_start - std::min<uint64_t>(c.last_start, 3600'000'000'000ull);
    } else {
      const auto& [service, tag] = c.service_tags[i++ % c.service_tags.size()];
      q.service_name = service;
      q.tags.push_back(kind == Query::kServiceTag ? tag
                                                  : std::make_pair(tag.first, "no-such-value"));
    }
    auto matches = (*reader)->Search(q);
    if (!matches.ok()) {
      state.SkipWithError(std::string(matches.status().message()).c_str());
      return;
    }
    found += matches->size();
  }
  state.counters["traces/search"] = static_cast<double>(found) / state.iterations();
}

// One iteration = every trace of the block decoded and deep-copied (ForEachTrace, no cache).
void BM_DecodeAll(benchmark::State& state) {
  const Corpus& c = GetCorpus();
  auto reader = BlockReader::Open(c.block, nullptr);
  if (!reader.ok()) {
    state.SkipWithError(std::string(reader.status().message()).c_str());
    return;
  }
  size_t spans = 0;
  for (auto _ : state) {
    absl::Status s = (*reader)->ForEachTrace([&](model::SpanSet trace) {
      spans += trace.size();
      return true;
    });
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      return;
    }
  }
  state.counters["spans/s"] =
      benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
}

void RegisterAll() {
  benchmark::RegisterBenchmark("BM_BlockWrite/export_order", BM_BlockWrite, false)
      ->Unit(benchmark::kMillisecond)
      ->MinTime(0.5);
  benchmark::RegisterBenchmark("BM_BlockWrite/by_trace", BM_BlockWrite, true)
      ->Unit(benchmark::kMillisecond)
      ->MinTime(0.5);
  benchmark::RegisterBenchmark("BM_BlockColumns", BM_BlockColumns)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_ReadTrace/cold", BM_ReadTrace, false)
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(0.3);
  benchmark::RegisterBenchmark("BM_ReadTrace/warm", BM_ReadTrace, true)
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(0.3);
  benchmark::RegisterBenchmark("BM_Search/service_operation", BM_Search, Query::kServiceOperation)
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(0.3);
  benchmark::RegisterBenchmark("BM_Search/service_tag", BM_Search, Query::kServiceTag)
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(0.3);
  benchmark::RegisterBenchmark("BM_Search/no_match", BM_Search, Query::kNoMatch)
      ->Unit(benchmark::kMicrosecond)
      ->MinTime(0.3);
  benchmark::RegisterBenchmark("BM_DecodeAll", BM_DecodeAll)
      ->Unit(benchmark::kMillisecond)
      ->MinTime(0.3);
}

}  // namespace
}  // namespace skua::bench

SKUA_BENCH_MAIN(100'000, skua::bench::RegisterAll)
