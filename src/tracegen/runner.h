// The load-generation loop behind `skua tracegen`: worker threads that each generate W1 (or read
// a corpus), pace to a target rate, send, retry refused payloads with backoff, and count every
// span's fate. Independent of flag parsing and printing, so tests drive it directly.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "tracegen/sender.h"
#include "tracegen/workload.h"

namespace skua::tracegen {

struct RunStats {
  uint64_t requests_sent = 0;       // payloads sent at least once
  uint64_t spans_sent = 0;          // spans in them
  uint64_t spans_acknowledged = 0;  // accepted by the server (minus partial-success rejections)
  uint64_t requests_refused = 0;    // retryable answers seen (every attempt counts)
  uint64_t spans_refused = 0;       // spans in those answers
  uint64_t retries = 0;             // further attempts made
  uint64_t requests_failed = 0;     // payloads given up on: non-retryable answer or retries used up
  uint64_t spans_failed = 0;        // their spans, plus spans rejected by partial success
  double seconds = 0;               // wall time from the first send to the last answer
  // Distinct failure messages (non-retryable answers, exhausted retries) and how often each came.
  std::map<std::string, uint64_t> errors;

  double acknowledged_per_second() const { return seconds > 0 ? spans_acknowledged / seconds : 0; }
};

struct RunOptions {
  Protocol protocol = Protocol::kOtlpGrpc;
  SenderOptions sender;
  // Generated workload; worker i > 0 uses a seed derived from workload.seed and i, so one worker
  // sends exactly the corpus --write-corpus writes for the same options.
  W1Options workload;
  // Non-empty: send this corpus directory's payloads (in order, each once) instead of generating.
  std::string replay_dir;
  // Target rate in spans per second, over all workers; 0 = as fast as the server answers.
  double rate = 0;
  // Stop after this many spans (0 = no limit). Generated requests are cut to fit exactly; a
  // replay stops before the first file that would exceed it.
  uint64_t max_spans = 0;
  // Stop starting new payloads after this long, nanoseconds (0 = no limit).
  int64_t duration_ns = 0;
  // Worker threads, each with its own connection. Default 1.
  int concurrency = 1;
  // Further attempts for a payload refused with a retryable status. Default 5.
  int max_retries = 5;
  // Exponential backoff between attempts: initial, doubling, capped; a server's Retry-After wins
  // when present (still capped). Defaults 100 ms and 5 s.
  int64_t initial_backoff_ms = 100;
  int64_t max_backoff_ms = 5'000;
  // When set and it becomes true, workers stop starting new payloads and abandon backoffs.
  const std::atomic<bool>* stop = nullptr;
  // Called about every progress_interval_ms from a separate thread with the counts so far.
  std::function<void(const RunStats&)> progress;
  int64_t progress_interval_ms = 10'000;
};

// Runs until the span budget or duration is reached, the corpus is exhausted, or *stop is set.
// Errors are for setup only (bad endpoint, unreadable or mismatched corpus); failures while
// sending are counted in RunStats.
absl::StatusOr<RunStats> Run(const RunOptions& options);

}  // namespace skua::tracegen
