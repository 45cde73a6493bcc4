#include "server/clickhouse_flags.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"

namespace skua::server {

namespace ch = storage::clickhouse;

void DefineClickHouseFlags(config::FlagSet& f, bool with_retention) {
  f.Define("clickhouse.servers", "http://127.0.0.1:8123",
           "ClickHouse HTTP endpoints, comma-separated: http://host:8123 or https://host:8443 (a "
           "bare host:port means http, or https with clickhouse.tls.enabled). Requests go to the "
           "servers that answer, in turn. With clickhouse.cluster, list every server of the "
           "cluster: `skua clickhouse init` and retention run on each.");
  f.Define("clickhouse.database", "skua", "Database of skua's tables (created by the schema).");
  f.Define("clickhouse.username", "default", "ClickHouse user (HTTP basic authentication).");
  f.Define("clickhouse.password", "", "Password of clickhouse.username.");
  f.Define("clickhouse.cluster", "",
           "Name of a cluster in the servers' remote_servers configuration: each server gets local "
           "tables and Distributed tables over them, and a trace is stored on one shard (sharded "
           "by trace ID). Empty: one server (or independent copies), no Distributed tables.");
  f.Define("clickhouse.tls.enabled", "false",
           "Connect with TLS: bare host:port servers use https:// (an http:// server is then an "
           "error). https:// servers always use TLS.");
  f.Define("clickhouse.tls.ca", "",
           "CA bundle (PEM) that verifies the servers' certificates; empty: the system's CAs.");
  f.Define("clickhouse.tls.cert", "", "Client certificate (PEM) for mutual TLS; with tls.key.");
  f.Define("clickhouse.tls.key", "", "Private key (PEM) of clickhouse.tls.cert.");
  f.Define("clickhouse.tls.skip-host-verify", "false",
           "Do not verify the servers' certificates (tests only: anyone on the path can read and "
           "change the data).");
  f.Define("clickhouse.connect-timeout", "5s", "Timeout of connecting to a server (Go duration).");
  f.Define("clickhouse.timeout", "30s",
           "Timeout of one request (an insert or a query) as a whole (Go duration). A write that "
           "times out is refused to the client with 503 / UNAVAILABLE so it retries.");
  f.Define("clickhouse.create-schema", "false",
           "Apply the schema (as `skua clickhouse init`) at start and whenever a server comes back "
           "without it. Off by default: the schema is an explicit step.");
  if (with_retention) {
    f.Define("clickhouse.retention", "0",
             "Drop day partitions whose data is all older than this (Go duration, e.g. 168h), from "
             "a background task (hourly) of this process; 0 keeps everything. Alternatively run "
             "`skua clickhouse retention` from cron.");
  }
  f.Define("clickhouse.max-rows-per-insert", "100000",
           "Most span rows in one INSERT; larger writes are split.");
}

namespace {

absl::StatusOr<absl::Duration> Duration(const config::FlagSet& f, std::string_view name) {
  SKUA_ASSIGN_OR_RETURN(int64_t nanos, f.GetDurationNanos(name));
  return absl::Nanoseconds(nanos);
}

}  // namespace

absl::StatusOr<ch::ClickHouseOptions> ParseClickHouseFlags(const config::FlagSet& f) {
  ch::ClickHouseOptions o;
  SKUA_ASSIGN_OR_RETURN(bool tls, f.GetBool("clickhouse.tls.enabled"));
  for (absl::string_view part : absl::StrSplit(f.GetString("clickhouse.servers"), ',')) {
    std::string server(absl::StripAsciiWhitespace(part));
    if (server.empty()) continue;
    const bool has_scheme = absl::StrContains(server, "://");
    if (tls && absl::StartsWith(server, "http://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--clickhouse.servers: ", server,
          " uses http:// but --clickhouse.tls.enabled is set (use https:// or host:port)"));
    }
    if (!has_scheme) server = absl::StrCat(tls ? "https://" : "http://", server);
    if (!absl::StartsWith(server, "http://") && !absl::StartsWith(server, "https://")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--clickhouse.servers: ", server, " is not http://host:port or https://host:port"));
    }
    o.servers.push_back(std::move(server));
  }
  if (o.servers.empty()) {
    return absl::InvalidArgumentError("--clickhouse.servers: at least one server is needed");
  }
  o.database = f.GetString("clickhouse.database");
  o.username = f.GetString("clickhouse.username");
  o.password = f.GetString("clickhouse.password");
  o.cluster = f.GetString("clickhouse.cluster");
  o.tls_ca_file = f.GetString("clickhouse.tls.ca");
  o.tls_cert_file = f.GetString("clickhouse.tls.cert");
  o.tls_key_file = f.GetString("clickhouse.tls.key");
  SKUA_ASSIGN_OR_RETURN(o.tls_skip_verify, f.GetBool("clickhouse.tls.skip-host-verify"));
  const bool any_https = std::any_of(o.servers.begin(), o.servers.end(), [](const std::string& s) {
    return absl::StartsWith(s, "https://");
  });
  if (!any_https && (!o.tls_ca_file.empty() || !o.tls_cert_file.empty() ||
                     !o.tls_key_file.empty() || o.tls_skip_verify)) {
    return absl::InvalidArgumentError(
        "--clickhouse.tls.* is set but no server uses TLS (set --clickhouse.tls.enabled=true or "
        "list https:// servers)");
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--clickhouse.tls.cert and --clickhouse.tls.key go together (a client certificate and "
        "its key)");
  }
  SKUA_ASSIGN_OR_RETURN(o.connect_timeout, Duration(f, "clickhouse.connect-timeout"));
  SKUA_ASSIGN_OR_RETURN(o.request_timeout, Duration(f, "clickhouse.timeout"));
  if (o.connect_timeout <= absl::ZeroDuration() || o.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--clickhouse.connect-timeout and --clickhouse.timeout must be positive");
  }
  SKUA_ASSIGN_OR_RETURN(o.create_schema, f.GetBool("clickhouse.create-schema"));
  if (!f.GetString("clickhouse.retention").empty()) {
    SKUA_ASSIGN_OR_RETURN(o.retention, Duration(f, "clickhouse.retention"));
    if (o.retention < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--clickhouse.retention must not be negative");
    }
  }
  SKUA_ASSIGN_OR_RETURN(int64_t rows, f.GetInt("clickhouse.max-rows-per-insert"));
  if (rows <= 0 || rows > 100'000'000) {
    return absl::InvalidArgumentError(
        "--clickhouse.max-rows-per-insert must be between 1 and 100000000");
  }
  o.max_rows_per_insert = static_cast<size_t>(rows);
#ifdef SKUA_HAVE_CLICKHOUSE
  SKUA_RETURN_IF_ERROR(o.Validate());
#endif
  return o;
}

std::string DescribeClickHouse(const ch::ClickHouseOptions& o) {
  std::string out = absl::StrCat(absl::StrJoin(o.servers, ", "), ", database ", o.database);
  if (!o.cluster.empty()) absl::StrAppend(&out, ", cluster ", o.cluster);
  return out;
}

}  // namespace skua::server
