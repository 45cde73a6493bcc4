// Process metrics: counters and gauges with labels, rendered in the Prometheus text format by the
// admin server. Metric objects are created once and then updated lock-free on hot paths.
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

// Registry of named metrics. Names follow Prometheus conventions (`skua_spans_received_total`).
class Metrics {
 public:
  // Returns the counter for (name, labels), creating it on first use. `help` is recorded on the
  // first call for `name`. Labels are rendered in the order given.
  Counter& GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});

  // Prometheus text exposition format 0.0.4, families sorted by name.
  std::string RenderPrometheus() const;

  // Value of a counter if it exists (for tests and health decisions), else 0.
  uint64_t CounterValue(std::string_view name, const MetricLabels& labels = {}) const;
  // Sum of a counter over all label sets.
  uint64_t CounterSum(std::string_view name) const;

 private:
  struct Family {
    std::string help;
    bool is_counter = true;
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Family, std::less<>> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace skua
