#include "base/metrics.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua {
namespace {

using ::testing::HasSubstr;

// The exposition format checked here is Prometheus text format 0.0.4, which the admin server's
// /metrics endpoint serves (jaeger-compat §7.1).

TEST(MetricsTest, CounterIsCreatedOnceAndShared) {
  Metrics m;
  Counter& a = m.GetCounter("skua_spans_total", "Spans.", {{"svc", "a"}});
  Counter& again = m.GetCounter("skua_spans_total", "ignored", {{"svc", "a"}});
  Counter& b = m.GetCounter("skua_spans_total", "Spans.", {{"svc", "b"}});
  EXPECT_EQ(&a, &again);
  EXPECT_NE(&a, &b);
  a.Add(3);
  again.Add();
  b.Add(10);
  EXPECT_EQ(m.CounterValue("skua_spans_total", {{"svc", "a"}}), 4u);
  EXPECT_EQ(m.CounterValue("skua_spans_total", {{"svc", "b"}}), 10u);
  EXPECT_EQ(m.CounterValue("skua_spans_total", {{"svc", "c"}}), 0u);
  EXPECT_EQ(m.CounterValue("no_such_metric"), 0u);
  EXPECT_EQ(m.CounterSum("skua_spans_total"), 14u);
  EXPECT_EQ(m.CounterSum("no_such_metric"), 0u);
}

TEST(MetricsTest, RendersHelpTypeAndSamples) {
  Metrics m;
  m.GetCounter("skua_b_total", "Second family.").Add(7);
  m.GetGauge("skua_a_queue_length", "First family.", {{"queue", "spans"}}).Set(12.5);
  const std::string expected =
      "# HELP skua_a_queue_length First family.\n"
      "# TYPE skua_a_queue_length gauge\n"
      "skua_a_queue_length{queue=\"spans\"} 12.5\n"
      "# HELP skua_b_total Second family.\n"
      "# TYPE skua_b_total counter\n"
      "skua_b_total 7\n";
  EXPECT_EQ(m.RenderPrometheus(), expected);
}

TEST(MetricsTest, HelpIsTakenFromFirstCall) {
  Metrics m;
  m.GetCounter("x_total", "first help");
  m.GetCounter("x_total", "second help", {{"k", "v"}});
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# HELP x_total first help\n"));
  EXPECT_EQ(text.find("second help"), std::string::npos);
}

TEST(MetricsTest, LabelsKeepGivenOrder) {
  Metrics m;
  m.GetCounter("req_total", "h", {{"z", "1"}, {"a", "2"}}).Add();
  EXPECT_THAT(m.RenderPrometheus(), HasSubstr("req_total{z=\"1\",a=\"2\"} 1\n"));
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  Metrics m;
  m.GetCounter("esc_total", "line1\nline2 back\\slash \"quoted\"", {{"v", "a\\b\"c\nd"}}).Add(2);
  std::string text = m.RenderPrometheus();
  // HELP escapes backslash and newline only; label values also escape the double quote.
  EXPECT_THAT(text, HasSubstr("# HELP esc_total line1\\nline2 back\\\\slash \"quoted\"\n"));
  EXPECT_THAT(text, HasSubstr("esc_total{v=\"a\\\\b\\\"c\\nd\"} 2\n"));
  // No raw newline may appear inside a sample line: every line starts with '#' or the name.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    std::string_view line(text.data() + pos, nl - pos);
    EXPECT_TRUE(line.starts_with("# ") || line.starts_with("esc_total")) << line;
    pos = nl + 1;
  }
}

TEST(MetricsTest, InvalidNameCharactersAreReplaced) {
  Metrics m;
  m.GetCounter("jaeger.spans-received", "h", {{"bad-label", "x"}}).Add();
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE jaeger_spans_received counter\n"));
  EXPECT_THAT(text, HasSubstr("jaeger_spans_received{bad_label=\"x\"} 1\n"));
}

TEST(MetricsTest, GaugeValuesAndSpecials) {
  Metrics m;
  Gauge& g = m.GetGauge("g", "h", {{"k", "a"}});
  g.Set(1.0);
  g.Add(2.25);
  EXPECT_DOUBLE_EQ(g.value(), 3.25);
  m.GetGauge("g", "h", {{"k", "inf"}}).Set(1.0 / 0.0);
  m.GetGauge("g", "h", {{"k", "neg"}}).Set(-0.5);
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("g{k=\"a\"} 3.25\n"));
  EXPECT_THAT(text, HasSubstr("g{k=\"inf\"} +Inf\n"));
  EXPECT_THAT(text, HasSubstr("g{k=\"neg\"} -0.5\n"));
}

TEST(MetricsTest, TypeConflictDoesNotBreakExposition) {
  Metrics m;
  m.GetCounter("dual", "h").Add(5);
  Gauge& g = m.GetGauge("dual", "h");  // wrong type: usable, but not exported
  g.Set(99);
  std::string text = m.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("# TYPE dual counter\ndual 5\n"));
  EXPECT_EQ(text.find("99"), std::string::npos);
}

TEST(MetricsTest, EmptyRegistryRendersNothing) {
  Metrics m;
  EXPECT_EQ(m.RenderPrometheus(), "");
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  Metrics m;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < kPerThread; ++i) {
        m.GetCounter("c_total", "h", {{"t", std::to_string(t % 2)}}).Add();
        m.GetGauge("g", "h").Add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.CounterSum("c_total"), uint64_t{kThreads * kPerThread});
  EXPECT_DOUBLE_EQ(m.GetGauge("g", "h").value(), kThreads * kPerThread);
}

TEST(MetricsTest, HistogramRendersCumulativeBucketsSumAndCount) {
  Metrics m;
  Histogram& h = m.GetHistogram("op_seconds", "Latency.", {0.001, 0.01, 0.1}, {{"op", "w"}});
  EXPECT_EQ(&h, &m.GetHistogram("op_seconds", "ignored", {5.0}, {{"op", "w"}}));
  h.Observe(0.0005);
  h.Observe(0.001);  // bounds are inclusive
  h.Observe(0.05);
  h.Observe(3);
  EXPECT_EQ(h.bucket_count(0), 2u);
  EXPECT_EQ(h.bucket_count(1), 0u);
  EXPECT_EQ(h.bucket_count(2), 1u);
  EXPECT_EQ(h.bucket_count(3), 1u);
  const std::string expected =
      "# HELP op_seconds Latency.\n"
      "# TYPE op_seconds histogram\n"
      "op_seconds_bucket{op=\"w\",le=\"0.001\"} 2\n"
      "op_seconds_bucket{op=\"w\",le=\"0.01\"} 2\n"
      "op_seconds_bucket{op=\"w\",le=\"0.1\"} 3\n"
      "op_seconds_bucket{op=\"w\",le=\"+Inf\"} 4\n"
      "op_seconds_sum{op=\"w\"} 3.0515\n"
      "op_seconds_count{op=\"w\"} 4\n";
  EXPECT_EQ(m.RenderPrometheus(), expected);
}

TEST(MetricsTest, HistogramDropsUnorderedBoundsAndCountsNanAsInf) {
  Histogram h({0.5, 0.2, 1.0, 1.0 / 0.0, 2.0});
  EXPECT_EQ(h.bounds(), (std::vector<double>{0.5, 1.0, 2.0}));
  h.Observe(0.0 / 0.0);
  h.Observe(-1);
  EXPECT_EQ(h.bucket_count(0), 1u);
  EXPECT_EQ(h.bucket_count(3), 1u);
}

TEST(MetricsTest, HistogramTypeConflictIsNotExported) {
  Metrics m;
  m.GetGauge("lat", "h").Set(2);
  m.GetHistogram("lat", "h", {1.0}).Observe(0.5);  // usable, not exported
  EXPECT_EQ(m.RenderPrometheus().find("lat_bucket"), std::string::npos);
}

TEST(MetricsTest, ConcurrentObservationsAreNotLost) {
  Metrics m;
  Histogram& h = m.GetHistogram("x_seconds", "h", {1.0, 2.0});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&h, t] {
      for (int i = 0; i < kPerThread; ++i) h.Observe(t % 2 == 0 ? 0.5 : 1.5);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(h.bucket_count(0) + h.bucket_count(1), uint64_t{kThreads * kPerThread});
  EXPECT_DOUBLE_EQ(h.sum(), kThreads * kPerThread);
}

}  // namespace
}  // namespace skua
