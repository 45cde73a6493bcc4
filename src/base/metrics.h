// Process metrics: counters, gauges and histograms with labels, rendered in the Prometheus text
// format by the admin server. Metric objects are created once and then updated lock-free on hot
// paths.
//
// Thread-safety: everything here is thread-safe. References returned by Metrics stay valid for the
// Metrics object's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace skua {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double d) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted into fixed buckets (a Prometheus histogram): lock-free, a few atomic adds.
class Histogram {
 public:
  // `bounds`: the buckets' upper bounds (inclusive), finite and strictly increasing; the +Inf
  // bucket is implicit. Bounds that break the order are dropped.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Observations in bucket i alone (not cumulative): (bounds()[i-1], bounds()[i]]; i ==
  // bounds().size() is the +Inf bucket.
  uint64_t bucket_count(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// Registry of named metrics. Names follow Prometheus conventions (`skua_spans_received_total`).
class Metrics {
 public:
  // Returns the counter for (name, labels), creating it on first use. `help` is recorded on the
  // first call for `name`. Labels are rendered in the order given.
  Counter& GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  // As GetCounter; `bounds` (see Histogram) are taken from the first call for (name, labels).
  // Rendered as name_bucket{…,le="…"} (cumulative), name_sum and name_count.
  Histogram& GetHistogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                          const MetricLabels& labels = {});

  // Prometheus text exposition format 0.0.4, families sorted by name.
  std::string RenderPrometheus() const;

  // Value of a counter if it exists (for tests and health decisions), else 0.
  uint64_t CounterValue(std::string_view name, const MetricLabels& labels = {}) const;
  // Sum of a counter over all label sets.
  uint64_t CounterSum(std::string_view name) const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    std::string help;
    Type type = Type::kCounter;
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
  };
  // The family `name`, created with `type` if missing; logs a type conflict (the caller's metric
  // then works but is not exported).
  Family& FamilyLocked(std::string_view name, std::string_view help, Type type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  mutable absl::Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace skua
