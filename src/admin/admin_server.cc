#include "admin/admin_server.h"

#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "base/json.h"

namespace skua::admin {
namespace {

// Appends "." and the `digits`-digit fraction `frac` with trailing zeros removed; nothing if zero.
void AppendFraction(std::string& out, uint64_t frac, int digits) {
  if (frac == 0) return;
  std::string f = absl::StrFormat("%0*d", digits, frac);
  while (!f.empty() && f.back() == '0') f.pop_back();
  out += '.';
  out += f;
}

}  // namespace

std::string FormatGoDuration(absl::Duration d) {
  int64_t ns = absl::ToInt64Nanoseconds(d);
  bool negative = ns < 0;
  // Magnitude as unsigned so that INT64_MIN is representable.
  uint64_t u = negative ? uint64_t{0} - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string out = negative ? "-" : "";
  constexpr uint64_t kMicro = 1000, kMilli = 1000 * kMicro, kSecond = 1000 * kMilli;
  if (u == 0) return "0s";
  if (u < kSecond) {
    // Below one second the largest fitting unit is used, with a fraction: "1.5ms", "250µs".
    if (u < kMicro) {
      absl::StrAppend(&out, u, "ns");
    } else if (u < kMilli) {
      absl::StrAppend(&out, u / kMicro);
      AppendFraction(out, u % kMicro, 3);
      out += "\xC2\xB5s";  // U+00B5 MICRO SIGN, as Go prints it
    } else {
      absl::StrAppend(&out, u / kMilli);
      AppendFraction(out, u % kMilli, 6);
      out += "ms";
    }
    return out;
  }
  uint64_t seconds = u / kSecond;
  uint64_t minutes = seconds / 60;
  uint64_t hours = minutes / 60;
  // Hours and minutes appear once they are non-zero, and then every smaller unit does too.
  if (hours > 0) absl::StrAppend(&out, hours, "h");
  if (minutes > 0) absl::StrAppend(&out, minutes % 60, "m");
  absl::StrAppend(&out, seconds % 60);
  AppendFraction(out, u % kSecond, 9);
  out += 's';
  return out;
}

std::string FormatRfc3339(absl::Time t) {
  if (t == absl::InfinitePast()) return "0001-01-01T00:00:00Z";
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

void HealthState::Set(HealthStatus status, absl::Time up_since) {
  absl::MutexLock lock(&mu_);
  status_ = status;
  up_since_ = up_since;
}

void HealthState::SetReady() { Set(HealthStatus::kReady, now_()); }
void HealthState::SetUnavailable() { Set(HealthStatus::kUnavailable, absl::InfinitePast()); }
void HealthState::SetBroken() { Set(HealthStatus::kBroken, absl::InfinitePast()); }

HealthStatus HealthState::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

absl::Time HealthState::up_since() const {
  absl::MutexLock lock(&mu_);
  return up_since_;
}

std::pair<HealthStatus, absl::Time> HealthState::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return {status_, up_since_};
}

AdminServer::AdminServer(AdminServerOptions options, const HealthState& health,
                         const Metrics& metrics, VersionInfo version)
    : options_(std::move(options)),
      health_(health),
      metrics_(metrics),
      version_(std::move(version)) {}

AdminServer::~AdminServer() { Stop(); }

absl::Status AdminServer::Start() {
  if (server_ != nullptr) return absl::FailedPreconditionError("admin server already started");
  net::HttpServerOptions http;
  http.host_port = options_.host_port;
  http.name = "admin";
  http.max_body_bytes = 64 * 1024;  // nothing here reads a body
  http.worker_threads = 4;
  server_ = net::NewHttpServer(
      http, [this](const net::HttpRequest& req, net::HttpResponse& res) { Handle(req, res); });
  absl::Status status = server_->Start();
  if (!status.ok()) server_.reset();
  return status;
}

int AdminServer::port() const { return server_ != nullptr ? server_->port() : 0; }

void AdminServer::Stop() {
  if (server_ != nullptr) server_->Stop();
}

void AdminServer::Handle(const net::HttpRequest& request, net::HttpResponse& response) const {
  if (request.path == "/") {
    // J1 pkg/healthcheck/handler.go: the body always has all three fields; upSince and uptime
    // carry values only when ready.
    auto [status, up_since] = health_.Snapshot();
    const bool ready = status == HealthStatus::kReady;
    std::string body = "{\"status\":";
    AppendJsonString(ready ? "Server available" : "Server not available", body);
    body += ",\"upSince\":";
    AppendJsonString(FormatRfc3339(ready ? up_since : absl::InfinitePast()), body);
    body += ",\"uptime\":";
    AppendJsonString(ready ? FormatGoDuration(health_.Now() - up_since) : "", body);
    body += '}';
    response.status = ready ? 200 : 503;
    response.content_type = "application/json";
    response.body = std::move(body);
  } else if (request.path == "/metrics") {
    response.status = 200;
    response.content_type = "text/plain; version=0.0.4";
    response.body = metrics_.RenderPrometheus();
  } else if (request.path == "/version") {
    std::string body = "{\"gitCommit\":";
    AppendJsonString(version_.git_commit, body);
    body += ",\"gitVersion\":";
    AppendJsonString(version_.git_version, body);
    body += ",\"buildDate\":";
    AppendJsonString(version_.build_date, body);
    body += '}';
    response.status = 200;
    response.content_type = "application/json";
    response.body = std::move(body);
  } else {
    response.status = 404;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "404 page not found\n";
  }
}

}  // namespace skua::admin
