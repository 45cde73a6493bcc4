// Jaeger UI trace JSON serialization on the W1 corpus (workload-and-targets T10: ≥ 1 M spans/s
// per core). The corpus' spans are regrouped into whole traces and converted to the Jaeger view
// once; BM_AppendTraceJson times only the encoder (the T10 figure), BM_QueryPipeline adds the
// conversion and the standard adjusters (the per-trace CPU cost of /api/traces/{id}).

#include <string>
#include <vector>

#include "bench_main.h"
#include "model/convert/jaeger.h"
#include "model/span_set.h"
#include "query/adjusters.h"
#include "query/http/ui_json.h"

namespace skua::bench {
namespace {

struct Traces {
  std::vector<model::SpanSet> sets;
  std::vector<model::jaeger::JaegerTrace> jaeger;
  size_t spans = 0;
};

const Traces& GetTraces() {
  static const Traces* traces = [] {
    auto* t = new Traces;
    t->sets = GroupByTrace(SharedW1Corpus());
    for (const model::SpanSet& set : t->sets) {
      t->jaeger.push_back(model::jaeger::ToJaegerTrace(set));
      query::ApplyStandardAdjusters(t->jaeger.back(), {});
      t->spans += set.size();
    }
    return t;
  }();
  return *traces;
}

// T10: the encoder alone, one trace document per call, output buffer reused.
void BM_AppendTraceJson(benchmark::State& state) {
  const Traces& traces = GetTraces();
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    for (const auto& trace : traces.jaeger) {
      out.clear();
      query::http::AppendTraceJson(trace, out);
      bytes += out.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  SetSpanRate(state, static_cast<double>(traces.spans));
  state.counters["bytes/span"] = static_cast<double>(bytes) / static_cast<double>(traces.spans);
  state.counters["traces"] = static_cast<double>(traces.jaeger.size());
  state.SetBytesProcessed(static_cast<int64_t>(bytes * state.iterations()));
}
BENCHMARK(BM_AppendTraceJson);

// Conversion + standard adjusters + encoding: what a trace-by-ID request costs after storage.
void BM_QueryPipeline(benchmark::State& state) {
  const Traces& traces = GetTraces();
  std::string out;
  for (auto _ : state) {
    for (const model::SpanSet& set : traces.sets) {
      model::jaeger::JaegerTrace trace = model::jaeger::ToJaegerTrace(set);
      query::ApplyStandardAdjusters(trace, {});
      out.clear();
      query::http::AppendTraceJson(trace, out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  SetSpanRate(state, static_cast<double>(traces.spans));
}
BENCHMARK(BM_QueryPipeline);

void RegisterNothing() {}

}  // namespace
}  // namespace skua::bench

SKUA_BENCH_MAIN(20'000, skua::bench::RegisterNothing)
