#include "base/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "base/logging.h"

namespace skua {
namespace {

// Prometheus metric names match [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*.
// Names come from our own code, so an invalid character is a bug; it is replaced by '_' rather
// than emitted, because one bad line makes a scraper reject the whole exposition.
void AppendName(std::string& out, std::string_view name, bool allow_colon) {
  if (name.empty()) {
    out += '_';
    return;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (allow_colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
}

// Text format 0.0.4: in HELP text, backslash and newline are escaped.
void AppendEscapedHelp(std::string& out, std::string_view help) {
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Text format 0.0.4: in label values, backslash, double-quote and newline are escaped.
void AppendEscapedLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendSeriesName(std::string& out, std::string_view name, const MetricLabels& labels) {
  AppendName(out, name, /*allow_colon=*/true);
  if (labels.empty()) return;
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    AppendName(out, labels[i].first, /*allow_colon=*/false);
    out += "=\"";
    AppendEscapedLabelValue(out, labels[i].second);
    out += '"';
  }
  out += '}';
}

// Values as Go's strconv.FormatFloat(v, 'g', -1, 64) would print them, which is what Prometheus
// clients emit: shortest round-trip form, and NaN / +Inf / -Inf spelled the way parsers expect.
void AppendDouble(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) {
  for (double b : bounds) {
    if (std::isfinite(b) && (bounds_.empty() || b > bounds_.back())) bounds_.push_back(b);
  }
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  // First bound >= v; NaN lands in +Inf.
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                 bounds_.begin());
  if (std::isnan(v)) i = bounds_.size();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

Metrics::Family& Metrics::FamilyLocked(std::string_view name, std::string_view help, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.help = std::string(help);
    it->second.type = type;
  } else if (it->second.type != type) {
    // A programming error, not worth crashing a server over: the metric works but is not
    // exported, since one family cannot have two types.
    SKUA_LOG(ERROR) << "metric " << name << " already exists with another type; the new one is "
                    << "not exported";
  }
  return it->second;
}

Counter& Metrics::GetCounter(std::string_view name, std::string_view help,
                             const MetricLabels& labels) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Counter>& c = FamilyLocked(name, help, Type::kCounter).counters[labels];
  if (!c) c = std::make_unique<Counter>();
  return *c;
}

Gauge& Metrics::GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Gauge>& g = FamilyLocked(name, help, Type::kGauge).gauges[labels];
  if (!g) g = std::make_unique<Gauge>();
  return *g;
}

Histogram& Metrics::GetHistogram(std::string_view name, std::string_view help,
                                 std::vector<double> bounds, const MetricLabels& labels) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<Histogram>& h = FamilyLocked(name, help, Type::kHistogram).histograms[labels];
  if (!h) h = std::make_unique<Histogram>(std::move(bounds));
  return *h;
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, family] : families_) {
    const bool empty = family.type == Type::kCounter ? family.counters.empty()
                       : family.type == Type::kGauge ? family.gauges.empty()
                                                     : family.histograms.empty();
    if (empty) continue;
    out += "# HELP ";
    AppendName(out, name, /*allow_colon=*/true);
    out += ' ';
    AppendEscapedHelp(out, family.help);
    out += "\n# TYPE ";
    AppendName(out, name, /*allow_colon=*/true);
    out += family.type == Type::kCounter ? " counter\n"
           : family.type == Type::kGauge ? " gauge\n"
                                         : " histogram\n";
    if (family.type == Type::kCounter) {
      for (const auto& [labels, counter] : family.counters) {
        AppendSeriesName(out, name, labels);
        absl::StrAppend(&out, " ", counter->value(), "\n");
      }
    } else if (family.type == Type::kGauge) {
      for (const auto& [labels, gauge] : family.gauges) {
        AppendSeriesName(out, name, labels);
        out += ' ';
        AppendDouble(out, gauge->value());
        out += '\n';
      }
    } else {
      const std::string bucket_name = name + "_bucket";
      for (const auto& [labels, h] : family.histograms) {
        // Cumulative counts from one pass, so the +Inf bucket and _count agree.
        uint64_t cumulative = 0;
        const std::vector<double>& bounds = h->bounds();
        for (size_t i = 0; i <= bounds.size(); ++i) {
          cumulative += h->bucket_count(i);
          MetricLabels with_le = labels;
          std::string le;
          AppendDouble(le, i < bounds.size() ? bounds[i] : INFINITY);
          with_le.emplace_back("le", std::move(le));
          AppendSeriesName(out, bucket_name, with_le);
          absl::StrAppend(&out, " ", cumulative, "\n");
        }
        AppendSeriesName(out, name + "_sum", labels);
        out += ' ';
        AppendDouble(out, h->sum());
        out += '\n';
        AppendSeriesName(out, name + "_count", labels);
        absl::StrAppend(&out, " ", cumulative, "\n");
      }
    }
  }
  return out;
}

uint64_t Metrics::CounterValue(std::string_view name, const MetricLabels& labels) const {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto c = it->second.counters.find(labels);
  return c == it->second.counters.end() ? 0 : c->second->value();
}

uint64_t Metrics::CounterSum(std::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  uint64_t sum = 0;
  for (const auto& [labels, counter] : it->second.counters) sum += counter->value();
  return sum;
}

}  // namespace skua
