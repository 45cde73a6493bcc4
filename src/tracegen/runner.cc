#include "tracegen/runner.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/status.h"
#include "tracegen/corpus.h"

namespace skua::tracegen {
namespace {

using Clock = std::chrono::steady_clock;

// How much of the pacing schedule a sender that fell behind may make up at once.
constexpr std::chrono::milliseconds kMaxCatchUp(100);

// Distinct error messages kept in RunStats::errors; the rest are counted under one entry.
constexpr size_t kMaxDistinctErrors = 20;

// Shares one span budget, one deadline, one pace and one set of counters between workers.
// Thread-safe.
class Shared {
 public:
  explicit Shared(const RunOptions& options)
      : options_(options),
        start_(Clock::now()),
        remaining_(options.max_spans),
        next_slot_(start_) {}

  const RunOptions& options() const { return options_; }

  bool Stopping() const {
    if (options_.stop != nullptr && options_.stop->load(std::memory_order_relaxed)) return true;
    if (budget_exhausted_.load(std::memory_order_relaxed)) return true;
    return options_.duration_ns > 0 &&
           Clock::now() - start_ >= std::chrono::nanoseconds(options_.duration_ns);
  }

  // Takes up to `want` spans from the budget (all of them when `exact`, or none). Returns the
  // number taken; 0 means the budget is spent.
  uint64_t Reserve(uint64_t want, bool exact) {
    if (options_.max_spans == 0) return want;
    uint64_t left = remaining_.load();
    while (true) {
      if (left == 0 || (exact && left < want)) {
        budget_exhausted_.store(true);
        return 0;
      }
      uint64_t take = std::min(left, want);
      if (remaining_.compare_exchange_weak(left, left - take)) return take;
    }
  }

  // Blocks until `spans` more spans may go out at the target rate. False if stopped meanwhile.
  bool Pace(uint64_t spans) {
    if (options_.rate <= 0) return true;
    Clock::time_point slot;
    {
      absl::MutexLock lock(&mu_);
      Clock::time_point now = Clock::now();
      // A sender that fell behind may catch up on at most 100 ms of schedule (so the average
      // holds through small hiccups), never on a long stall (which would become a burst).
      if (next_slot_ < now - kMaxCatchUp) next_slot_ = now - kMaxCatchUp;
      slot = next_slot_;
      next_slot_ += std::chrono::nanoseconds(static_cast<int64_t>(spans * 1e9 / options_.rate));
    }
    return SleepUntil(slot);
  }

  // Sleeps until `t` in short steps so a stop request is noticed. False if stopped.
  bool SleepUntil(Clock::time_point t) const {
    while (true) {
      if (options_.stop != nullptr && options_.stop->load(std::memory_order_relaxed)) return false;
      Clock::time_point now = Clock::now();
      if (now >= t) return true;
      std::this_thread::sleep_for(
          std::min<Clock::duration>(t - now, std::chrono::milliseconds(50)));
    }
  }

  void Add(const RunStats& delta) {
    absl::MutexLock lock(&mu_);
    stats_.requests_sent += delta.requests_sent;
    stats_.spans_sent += delta.spans_sent;
    stats_.spans_acknowledged += delta.spans_acknowledged;
    stats_.requests_refused += delta.requests_refused;
    stats_.spans_refused += delta.spans_refused;
    stats_.retries += delta.retries;
    stats_.requests_failed += delta.requests_failed;
    stats_.spans_failed += delta.spans_failed;
    for (const auto& [message, count] : delta.errors) {
      if (stats_.errors.size() < kMaxDistinctErrors || stats_.errors.count(message)) {
        stats_.errors[message] += count;
      } else {
        stats_.errors["(other errors)"] += count;
      }
    }
  }

  RunStats Snapshot() const {
    absl::MutexLock lock(&mu_);
    RunStats s = stats_;
    s.seconds = std::chrono::duration<double>(Clock::now() - start_).count();
    return s;
  }

 private:
  const RunOptions& options_;
  const Clock::time_point start_;
  std::atomic<uint64_t> remaining_;
  std::atomic<bool> budget_exhausted_{false};
  mutable absl::Mutex mu_;
  Clock::time_point next_slot_ ABSL_GUARDED_BY(mu_);
  RunStats stats_ ABSL_GUARDED_BY(mu_);
};

// Sends one payload with retries and records its fate.
void Deliver(Shared& shared, Sender& sender, const Payload& payload, uint64_t& jitter_state) {
  const RunOptions& options = shared.options();
  RunStats delta;
  delta.requests_sent = 1;
  delta.spans_sent = payload.spans;
  for (int attempt = 0;; ++attempt) {
    SendResult result = sender.Send(payload);
    if (result.status.ok()) {
      uint64_t rejected =
          std::min<uint64_t>(std::max<int64_t>(result.rejected_spans, 0), payload.spans);
      delta.spans_acknowledged += payload.spans - rejected;
      if (rejected > 0) {
        delta.spans_failed += rejected;
        delta.errors["spans rejected by the server (OTLP partial success)"] += rejected;
      }
      break;
    }
    if (!IsRetryable(result.status)) {
      delta.requests_failed += 1;
      delta.spans_failed += payload.spans;
      delta.errors[std::string(StatusMessage(result.status))] += 1;
      break;
    }
    delta.requests_refused += 1;
    delta.spans_refused += payload.spans;
    if (attempt >= options.max_retries) {
      delta.requests_failed += 1;
      delta.spans_failed += payload.spans;
      delta.errors[absl::StrCat("retries exhausted; last answer: ",
                                std::string(StatusMessage(result.status)))] += 1;
      break;
    }
    int64_t backoff_ms = options.initial_backoff_ms << std::min(attempt, 20);
    if (result.retry_after_ms >= 0) backoff_ms = result.retry_after_ms;
    backoff_ms = std::clamp<int64_t>(backoff_ms, 0, options.max_backoff_ms);
    // ±25 % jitter so workers refused together do not come back together.
    jitter_state = jitter_state * 6364136223846793005ull + 1442695040888963407ull;
    backoff_ms +=
        static_cast<int64_t>((jitter_state >> 33) % (backoff_ms / 2 + 1)) - backoff_ms / 4;
    if (!shared.SleepUntil(Clock::now() +
                           std::chrono::milliseconds(std::max<int64_t>(backoff_ms, 0)))) {
      delta.requests_failed += 1;
      delta.spans_failed += payload.spans;
      delta.errors["interrupted while waiting to retry"] += 1;
      break;
    }
    delta.retries += 1;
  }
  shared.Add(delta);
}

void GenerateAndSend(Shared& shared, Sender& sender, int worker) {
  const RunOptions& options = shared.options();
  W1Options w = options.workload;
  if (worker > 0) w.seed = options.workload.seed + 0x9E3779B97F4A7C15ull * worker;
  W1Generator gen(w);
  uint64_t jitter = w.seed ^ 0xA5A5A5A5u;
  while (!shared.Stopping()) {
    model::SpanSet request = gen.NextRequest();
    uint64_t take = shared.Reserve(request.size(), /*exact=*/false);
    if (take == 0) break;
    if (take < request.size()) request.spans().resize(take);
    auto payloads = EncodePayloads(options.protocol, request.spans());
    if (!payloads.ok()) {
      RunStats delta;
      delta.errors[std::string(StatusMessage(payloads.status()))] += 1;
      shared.Add(delta);
      break;
    }
    for (const Payload& p : *payloads) {
      if (!shared.Pace(p.spans)) return;
      Deliver(shared, sender, p, jitter);
    }
  }
}

void ReplayAndSend(Shared& shared, Sender& sender, const std::string& dir,
                   const std::vector<CorpusFile>& files, std::atomic<size_t>& next, int worker) {
  uint64_t jitter = 0xC0FFEEull + worker;
  while (!shared.Stopping()) {
    size_t i = next.fetch_add(1);
    if (i >= files.size()) break;
    if (shared.Reserve(files[i].spans, /*exact=*/true) == 0) break;
    auto bytes = ReadCorpusFile(dir, files[i]);
    if (!bytes.ok()) {
      RunStats delta;
      delta.requests_failed = 1;
      delta.spans_failed = files[i].spans;
      delta.errors[std::string(StatusMessage(bytes.status()))] += 1;
      shared.Add(delta);
      continue;
    }
    Payload p{std::move(*bytes), files[i].spans};
    if (!shared.Pace(p.spans)) return;
    Deliver(shared, sender, p, jitter);
  }
}

}  // namespace

absl::StatusOr<RunStats> Run(const RunOptions& options) {
  if (options.concurrency < 1) return absl::InvalidArgumentError("concurrency must be at least 1");
  if (options.max_retries < 0) return absl::InvalidArgumentError("max retries must be >= 0");
  if (!Info(options.protocol).supported) {
    return absl::UnimplementedError(absl::StrCat(
        "protocol '", std::string(Info(options.protocol).name), "' is not supported yet"));
  }
  std::vector<CorpusFile> files;
  if (!options.replay_dir.empty()) {
    auto manifest = ReadCorpusManifest(options.replay_dir);
    if (!manifest.ok()) return manifest.status();
    if (manifest->payload_format != Info(options.protocol).payload_format) {
      return absl::InvalidArgumentError(
          absl::StrCat("corpus ", options.replay_dir, " holds ", manifest->payload_format,
                       " payloads (written for ", manifest->protocol, "), which ",
                       std::string(Info(options.protocol).name), " cannot send"));
    }
    files = std::move(manifest->files);
  }
  // Every connection is set up before the clock starts, so a bad endpoint fails fast.
  std::vector<std::unique_ptr<Sender>> senders;
  for (int i = 0; i < options.concurrency; ++i) {
    auto sender = NewSender(options.protocol, options.sender);
    if (!sender.ok()) return sender.status();
    senders.push_back(std::move(*sender));
  }

  Shared shared(options);
  std::atomic<size_t> next_file{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < options.concurrency; ++i) {
    workers.emplace_back([&, i] {
      if (options.replay_dir.empty()) {
        GenerateAndSend(shared, *senders[i], i);
      } else {
        ReplayAndSend(shared, *senders[i], options.replay_dir, files, next_file, i);
      }
    });
  }
  absl::Mutex done_mu;
  bool done = false;
  std::thread progress;
  if (options.progress && options.progress_interval_ms > 0) {
    progress = std::thread([&] {
      absl::MutexLock lock(&done_mu);
      while (!done_mu.AwaitWithTimeout(absl::Condition(&done),
                                       absl::Milliseconds(options.progress_interval_ms))) {
        options.progress(shared.Snapshot());
      }
    });
  }
  for (std::thread& t : workers) t.join();
  RunStats stats = shared.Snapshot();
  {
    absl::MutexLock lock(&done_mu);
    done = true;
  }
  if (progress.joinable()) progress.join();
  return stats;
}

}  // namespace skua::tracegen
