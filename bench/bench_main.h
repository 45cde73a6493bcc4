// Shared pieces of skua's google-benchmark binaries: the --w1_spans=N flag (size of the W1 corpus
// a binary builds, taken out of argv before google-benchmark parses its own flags), the lazily
// built corpus, and the counters every benchmark reports. Rates are counters with kIsRate, which
// google-benchmark divides by the measuring thread's CPU time: per-core figures, robust on a
// shared machine.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "benchmark/benchmark.h"
#include "w1_corpus.h"

namespace skua::bench {

// Corpus size chosen on the command line (set once by SKUA_BENCH_MAIN before any benchmark runs).
inline size_t& W1SpansFlag() {
  static size_t spans = 0;
  return spans;
}

// Removes --w1_spans=N from argv (if present) and returns N, or `default_spans`.
inline size_t TakeW1SpansFlag(int& argc, char** argv, size_t default_spans) {
  size_t spans = default_spans;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--w1_spans=", 11) == 0) {
      spans = std::strtoull(argv[i] + 11, nullptr, 10);
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return spans > 0 ? spans : default_spans;
}

// The W1 corpus of W1SpansFlag() spans, built on first use (so listing benchmarks is instant).
inline const W1Corpus& SharedW1Corpus() {
  static const W1Corpus* corpus = new W1Corpus(MakeW1Corpus(W1SpansFlag()));
  return *corpus;
}

// Sets spans/s (per CPU-second) given the spans handled per iteration.
inline void SetSpanRate(benchmark::State& state, double spans_per_iteration) {
  state.counters["spans/s"] = benchmark::Counter(
      spans_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace skua::bench

// Defines main(): takes --w1_spans (default `default_spans`), runs `register_benchmarks()` (for
// benchmarks registered from tables), then every registered benchmark.
#define SKUA_BENCH_MAIN(default_spans, register_benchmarks)                                   \
  int main(int argc, char** argv) {                                                           \
    ::skua::bench::W1SpansFlag() = ::skua::bench::TakeW1SpansFlag(argc, argv, default_spans); \
    register_benchmarks();                                                                    \
    ::benchmark::Initialize(&argc, argv);                                                     \
    if (::benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;                       \
    ::benchmark::RunSpecifiedBenchmarks();                                                    \
    ::benchmark::Shutdown();                                                                  \
    return 0;                                                                                 \
  }
