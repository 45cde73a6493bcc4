// The admin HTTP server (jaeger-compat §7.1): health check at "/", Prometheus metrics at
// "/metrics" and build information at "/version", on :14269 by default like Jaeger's collector and
// all-in-one. HealthState is the process-wide readiness flag the server answers from.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "net/http_server.h"

namespace skua::admin {

// Jaeger's healthcheck states. Only kReady answers 200.
enum class HealthStatus { kUnavailable, kReady, kBroken };

// Readiness of the process. Starts kUnavailable. Thread-safe.
class HealthState {
 public:
  // `now` is the clock for upSince/uptime; tests inject their own.
  explicit HealthState(std::function<absl::Time()> now = &absl::Now) : now_(std::move(now)) {}

  // Ready to serve; records the current time as upSince.
  void SetReady();
  // Not serving (initial state, and again while shutting down). Clears upSince.
  void SetUnavailable();
  // Serving is impossible (a component failed). Clears upSince.
  void SetBroken();

  HealthStatus status() const;
  // When the state last became kReady; absl::InfinitePast() unless ready.
  absl::Time up_since() const;
  // status() and up_since() read atomically together.
  std::pair<HealthStatus, absl::Time> Snapshot() const;
  absl::Time Now() const { return now_(); }

 private:
  void Set(HealthStatus status, absl::Time up_since);

  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  HealthStatus status_ ABSL_GUARDED_BY(mu_) = HealthStatus::kUnavailable;
  absl::Time up_since_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

struct VersionInfo {
  std::string git_commit;
  std::string git_version;
  std::string build_date;
};

struct AdminServerOptions {
  // "host:port" to listen on (`--admin.http.host-port`). Default ":14269". Restart required.
  std::string host_port = ":14269";
};

// Serves, for any method:
//   GET /        200 {"status":"Server available","upSince":…,"uptime":…} when ready,
//                503 {"status":"Server not available","upSince":"0001-01-01T00:00:00Z","uptime":""}
//                otherwise; application/json.
//   GET /metrics Prometheus text format 0.0.4 of `metrics`.
//   GET /version {"gitCommit":…,"gitVersion":…,"buildDate":…}.
// Anything else is 404. `health` and `metrics` are borrowed and must outlive the server.
// Start/Stop follow net::HttpServer (Stop is idempotent and waits for in-flight requests).
class AdminServer {
 public:
  AdminServer(AdminServerOptions options, const HealthState& health, const Metrics& metrics,
              VersionInfo version);
  ~AdminServer();

  // InvalidArgument for a malformed host_port, Unavailable if it cannot be bound.
  absl::Status Start();
  // The bound port; valid after Start.
  int port() const;
  void Stop();

 private:
  void Handle(const net::HttpRequest& request, net::HttpResponse& response) const;

  const AdminServerOptions options_;
  const HealthState& health_;
  const Metrics& metrics_;
  const VersionInfo version_;
  std::unique_ptr<net::HttpServer> server_;
};

// Go's time.Duration.String(): "1h2m3.4s", "2m0s", "1.5ms", "0s".
std::string FormatGoDuration(absl::Duration d);
// Go's time.Time JSON form for UTC (RFC 3339 with trailing fractional zeros dropped); the zero
// value for absl::InfinitePast(): "0001-01-01T00:00:00Z".
std::string FormatRfc3339(absl::Time t);

}  // namespace skua::admin
