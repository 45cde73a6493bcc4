#include "admin/admin_server.h"

#include <httplib.h>

#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::admin {
namespace {

using ::testing::HasSubstr;

// A settable clock for HealthState.
class FakeClock {
 public:
  explicit FakeClock(absl::Time t) : now_(t) {}
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  std::function<absl::Time()> AsFunction() {
    return [this] { return Now(); };
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

absl::Time ParseUtc(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return t;
}

// jaeger-compat §7.1: uptime is Go's time.Duration string.
TEST(FormatGoDurationTest, MatchesGoDurationString) {
  using absl::Hours, absl::Milliseconds, absl::Minutes, absl::Nanoseconds, absl::Seconds;
  EXPECT_EQ(FormatGoDuration(absl::ZeroDuration()), "0s");
  EXPECT_EQ(FormatGoDuration(Nanoseconds(1)), "1ns");
  EXPECT_EQ(FormatGoDuration(Nanoseconds(999)), "999ns");
  EXPECT_EQ(FormatGoDuration(Nanoseconds(1100)), "1.1\xC2\xB5s");
  EXPECT_EQ(FormatGoDuration(absl::Microseconds(2200)), "2.2ms");
  EXPECT_EQ(FormatGoDuration(Milliseconds(3300)), "3.3s");
  EXPECT_EQ(FormatGoDuration(Minutes(4) + Seconds(5)), "4m5s");
  EXPECT_EQ(FormatGoDuration(Minutes(2)), "2m0s");
  EXPECT_EQ(FormatGoDuration(Hours(1)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(Hours(1) + Minutes(2) + Milliseconds(3400)), "1h2m3.4s");
  EXPECT_EQ(FormatGoDuration(Minutes(8) + Nanoseconds(1)), "8m0.000000001s");
  EXPECT_EQ(FormatGoDuration(Hours(100) + Seconds(1)), "100h0m1s");
  EXPECT_EQ(FormatGoDuration(-Milliseconds(1500)), "-1.5s");
}

TEST(FormatRfc3339Test, GoTimeJsonForm) {
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch()), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch() + absl::Milliseconds(500)), "1970-01-01T00:00:00.5Z");
  EXPECT_EQ(FormatRfc3339(absl::UnixEpoch() + absl::Nanoseconds(1)),
            "1970-01-01T00:00:00.000000001Z");
  EXPECT_EQ(FormatRfc3339(absl::InfinitePast()), "0001-01-01T00:00:00Z");
}

TEST(HealthStateTest, Transitions) {
  FakeClock clock(ParseUtc("2024-05-06T07:08:09Z"));
  HealthState health(clock.AsFunction());
  EXPECT_EQ(health.status(), HealthStatus::kUnavailable);
  EXPECT_EQ(health.up_since(), absl::InfinitePast());
  health.SetReady();
  EXPECT_EQ(health.status(), HealthStatus::kReady);
  EXPECT_EQ(health.up_since(), ParseUtc("2024-05-06T07:08:09Z"));
  health.SetBroken();
  EXPECT_EQ(health.status(), HealthStatus::kBroken);
  EXPECT_EQ(health.up_since(), absl::InfinitePast());
  clock.Advance(absl::Seconds(10));
  health.SetReady();
  EXPECT_EQ(health.up_since(), ParseUtc("2024-05-06T07:08:19Z"));
  health.SetUnavailable();
  EXPECT_EQ(health.Snapshot().first, HealthStatus::kUnavailable);
}

class AdminServerTest : public ::testing::Test {
 protected:
  AdminServerTest() : clock_(ParseUtc("2024-01-02T03:04:05Z")), health_(clock_.AsFunction()) {}

  void SetUp() override {
    AdminServerOptions options;
    options.host_port = "127.0.0.1:0";
    server_ = std::make_unique<AdminServer>(options, health_, metrics_,
                                            VersionInfo{"abc123", "v1.2.3", "2024-01-01"});
    absl::Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st;
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(10, 0);
  }
  void TearDown() override { server_->Stop(); }

  FakeClock clock_;
  HealthState health_;
  Metrics metrics_;
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST(AdminServerOptionsTest, DefaultPortIsJaegers) {
  // jaeger-compat §7.1: collector / all-in-one admin port 14269.
  EXPECT_EQ(AdminServerOptions().host_port, ":14269");
}

// jaeger-compat §7.1: unavailable (the initial state) → 503 with the zero time and empty uptime.
TEST_F(AdminServerTest, HealthIs503UntilReady) {
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->body,
            "{\"status\":\"Server not available\",\"upSince\":\"0001-01-01T00:00:00Z\","
            "\"uptime\":\"\"}");
}

// jaeger-compat §7.1: ready → 200 with upSince and a Go-style uptime.
TEST_F(AdminServerTest, HealthIs200WhenReady) {
  health_.SetReady();
  clock_.Advance(absl::Hours(1) + absl::Minutes(2) + absl::Milliseconds(3400));
  auto res = client_->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->body,
            "{\"status\":\"Server available\",\"upSince\":\"2024-01-02T03:04:05Z\","
            "\"uptime\":\"1h2m3.4s\"}");
}

// jaeger-compat §7.1: after a server stops (unavailable) or breaks, health is 503 again.
TEST_F(AdminServerTest, HealthIs503WhenBrokenOrStopped) {
  health_.SetReady();
  health_.SetBroken();
  auto broken = client_->Get("/");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 503);
  EXPECT_THAT(broken->body, HasSubstr("\"Server not available\""));
  health_.SetReady();
  health_.SetUnavailable();
  auto stopped = client_->Get("/");
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->status, 503);
  EXPECT_THAT(stopped->body, HasSubstr("\"upSince\":\"0001-01-01T00:00:00Z\""));
}

// jaeger-compat §7.1: GET /metrics serves the Prometheus text format.
TEST_F(AdminServerTest, MetricsArePrometheusText) {
  metrics_.GetCounter("skua_spans_received_total", "Spans received.", {{"svc", "frontend"}})
      .Add(42);
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_THAT(res->body, HasSubstr("# TYPE skua_spans_received_total counter\n"));
  EXPECT_THAT(res->body, HasSubstr("skua_spans_received_total{svc=\"frontend\"} 42\n"));
  // Values are read at request time.
  metrics_.GetCounter("skua_spans_received_total", "", {{"svc", "frontend"}}).Add(1);
  auto again = client_->Get("/metrics");
  ASSERT_TRUE(again);
  EXPECT_THAT(again->body, HasSubstr("skua_spans_received_total{svc=\"frontend\"} 43\n"));
}

// jaeger-compat §7.1: GET /version → {"gitCommit","gitVersion","buildDate"}.
TEST_F(AdminServerTest, VersionJson) {
  auto res = client_->Get("/version");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(res->body,
            "{\"gitCommit\":\"abc123\",\"gitVersion\":\"v1.2.3\",\"buildDate\":\"2024-01-01\"}");
}

TEST_F(AdminServerTest, UnknownPathsAre404) {
  for (const char* path : {"/nope", "/metrics/extra", "/version/", "/debug/pprof/"}) {
    auto res = client_->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
  }
}

TEST(AdminServerStandaloneTest, VersionStringsAreJsonEscaped) {
  HealthState health;
  Metrics metrics;
  AdminServerOptions options;
  options.host_port = "127.0.0.1:0";
  AdminServer server(options, health, metrics, VersionInfo{"a\"b\\c", "<v>", "line\nbreak"});
  ASSERT_TRUE(server.Start().ok());
  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/version");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body,
            "{\"gitCommit\":\"a\\\"b\\\\c\",\"gitVersion\":\"\\u003cv\\u003e\","
            "\"buildDate\":\"line\\nbreak\"}");
  server.Stop();
  server.Stop();  // idempotent
}

TEST(AdminServerStandaloneTest, BadHostPortFailsToStart) {
  HealthState health;
  Metrics metrics;
  AdminServerOptions options;
  options.host_port = "no-port";
  AdminServer server(options, health, metrics, VersionInfo{});
  EXPECT_EQ(server.Start().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skua::admin
