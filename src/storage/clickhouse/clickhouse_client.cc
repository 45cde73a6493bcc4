#include "storage/clickhouse/clickhouse_client.h"

#include <charconv>
#include <functional>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/logging.h"
#include "base/status.h"
#include "net/compression.h"

namespace skua::storage::clickhouse {
namespace {

// ClickHouse error codes (ErrorCodes.cpp) that mean "overloaded or unreachable right now": the
// client should retry later, so they become Unavailable.
bool IsRetryableCode(int code) {
  switch (code) {
    case 159:  // TIMEOUT_EXCEEDED
    case 160:  // TOO_SLOW
    case 164:  // READONLY (a replica in read-only mode)
    case 202:  // TOO_MANY_SIMULTANEOUS_QUERIES
    case 203:  // NO_FREE_CONNECTION
    case 209:  // SOCKET_TIMEOUT
    case 210:  // NETWORK_ERROR
    case 241:  // MEMORY_LIMIT_EXCEEDED
    case 242:  // TABLE_IS_READ_ONLY
    case 252:  // TOO_MANY_PARTS
    case 279:  // ALL_CONNECTION_TRIES_FAILED
    case 285:  // TOO_FEW_LIVE_REPLICAS
    case 319:  // UNKNOWN_STATUS_OF_INSERT
    case 425:  // SYSTEM_ERROR
      return true;
    default:
      return false;
  }
}

bool IsMissingSchemaCode(int code) {
  return code == 60 /* UNKNOWN_TABLE */ || code == 81 /* UNKNOWN_DATABASE */;
}

bool IsAuthCode(int code) {
  return code == 192 /* UNKNOWN_USER */ || code == 193 /* WRONG_PASSWORD */ ||
         code == 194 /* REQUIRED_PASSWORD */ || code == 195 /* IP_ADDRESS_NOT_ALLOWED */ ||
         code == 516 /* AUTHENTICATION_FAILED */;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// The first line of ClickHouse's error text, bounded (bodies may carry stack traces).
std::string ErrorText(std::string_view body) {
  size_t nl = body.find('\n');
  std::string_view line = body.substr(0, nl);
  if (line.size() > 1000) line = line.substr(0, 1000);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  return std::string(line);
}

}  // namespace

absl::Status StatusFromClickHouseError(std::string_view server, int http_status,
                                       std::string_view body) {
  int code = -1;
  if (body.substr(0, 6) == "Code: ") {
    std::string_view digits = body.substr(6);
    std::from_chars(digits.data(), digits.data() + digits.size(), code);
  }
  std::string text = ErrorText(body);
  if (text.empty()) text = absl::StrCat("HTTP ", http_status);
  std::string where = absl::StrCat("ClickHouse ", std::string(server), ": ");
  if (IsMissingSchemaCode(code)) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, "skua's schema is missing (run `skua clickhouse init`): ", text));
  }
  if (IsAuthCode(code) || http_status == 401 || http_status == 403) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, "authentication failed (check clickhouse username and password): ", text));
  }
  if (IsRetryableCode(code) || http_status == 503) {
    return absl::UnavailableError(absl::StrCat(where, text));
  }
  return absl::InternalError(absl::StrCat(where, text));
}

struct ClickHouseClient::Server {
  std::string base_url;
  std::atomic<bool> up{true};
  Gauge* up_gauge = nullptr;
  absl::Mutex mu;
  std::vector<std::unique_ptr<net::HttpClient>> idle ABSL_GUARDED_BY(mu);
};

ClickHouseClient::ClickHouseClient(const ClickHouseOptions& options) : options_(options) {
  auth_header_ = absl::StrCat(
      "Basic ", absl::Base64Escape(absl::StrCat(options_.username, ":", options_.password)));
  for (const std::string& url : options_.servers) {
    auto server = std::make_unique<Server>();
    auto split = net::SplitUrl(url);
    server->base_url = split.ok() ? split->first : url;
    if (options_.metrics != nullptr) {
      server->up_gauge =
          &options_.metrics->GetGauge("skua_clickhouse_up", "1 while the ClickHouse server answers",
                                      {{"server", server->base_url}});
      server->up_gauge->Set(1);
    }
    servers_.push_back(std::move(server));
  }
}

ClickHouseClient::~ClickHouseClient() = default;

const std::string& ClickHouseClient::server(size_t i) const { return servers_[i]->base_url; }

bool ClickHouseClient::AllDown() const {
  for (const auto& s : servers_) {
    if (s->up.load(std::memory_order_acquire)) return false;
  }
  return true;
}

absl::StatusOr<net::HttpClientResponse> ClickHouseClient::Send(size_t i, std::string_view path,
                                                               std::string_view body,
                                                               const net::HttpHeaders& headers,
                                                               bool post) {
  Server& server = *servers_[i];
  std::unique_ptr<net::HttpClient> client;
  {
    absl::MutexLock lock(&server.mu);
    if (!server.idle.empty()) {
      client = std::move(server.idle.back());
      server.idle.pop_back();
    }
  }
  if (client == nullptr) {
    net::HttpClientOptions o;
    o.base_url = server.base_url;
    o.connect_timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.connect_timeout));
    o.io_timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(options_.request_timeout));
    o.max_response_bytes = size_t{1} << 30;
    o.tls_ca_file = options_.tls_ca_file;
    o.tls_skip_verify = options_.tls_skip_verify;
    o.tls_cert_file = options_.tls_cert_file;
    o.tls_key_file = options_.tls_key_file;
    auto made = net::NewHttpClient(std::move(o));
    if (!made.ok()) return made.status();
    client = std::move(*made);
  }
  absl::StatusOr<net::HttpClientResponse> response =
      post ? client->Post(path, body, "application/octet-stream", headers)
           : client->Get(path, headers);
  if (!response.ok()) {
    // The connection is in an unknown state: drop it. A transport failure marks the server down
    // until a ping sees it back; an oversized answer is the query's fault, not the server's.
    if (absl::IsUnavailable(response.status())) {
      if (server.up.exchange(false)) {
        SKUA_LOG(WARNING) << "ClickHouse server " << server.base_url
                          << " is unavailable: " << response.status().message();
      }
      if (server.up_gauge != nullptr) server.up_gauge->Set(0);
      return absl::UnavailableError(
          absl::StrCat("ClickHouse ", server.base_url, " unavailable: ",
                       response.status().message()));
    }
    return response.status();
  }
  absl::MutexLock lock(&server.mu);
  if (server.idle.size() < 32) server.idle.push_back(std::move(client));
  return response;
}

absl::StatusOr<std::string> ClickHouseClient::RunQuery(size_t i, std::string_view sql) {
  // wait_end_of_query: ClickHouse buffers the whole result before answering, so an error during the
  // query becomes an HTTP error status instead of text appended to a 200 response.
  const int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(options_.request_timeout));
  std::string path = absl::StrCat("/?wait_end_of_query=1&max_execution_time=", seconds);
  net::HttpHeaders headers = {{"Authorization", auth_header_}};
  SKUA_ASSIGN_OR_RETURN(net::HttpClientResponse response, Send(i, path, sql, headers, true));
  if (response.status != 200) {
    return StatusFromClickHouseError(servers_[i]->base_url, response.status, response.body);
  }
  return std::move(response.body);
}

void ClickHouseClient::Observe(std::string_view kind, const absl::Status& status,
                               absl::Duration elapsed) {
  if (options_.metrics == nullptr) return;
  const std::string result = status.ok() ? "ok" : absl::StatusCodeToString(status.code());
  options_.metrics
      ->GetCounter("skua_clickhouse_requests_total", "Requests to ClickHouse by kind and result",
                   {{"kind", std::string(kind)}, {"result", result}})
      .Add();
  options_.metrics
      ->GetHistogram("skua_clickhouse_request_seconds",
                     "Duration of ClickHouse requests (with fail-over) by kind",
                     {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
                     {{"kind", std::string(kind)}})
      .Observe(absl::ToDoubleSeconds(elapsed));
}

absl::StatusOr<std::string> ClickHouseClient::WithFailover(const Attempt& attempt) {
  const size_t n = servers_.size();
  if (AllDown()) {
    return absl::UnavailableError(absl::StrCat(
        "ClickHouse unavailable: no server answered since the last check (", options_.servers[0],
        n > 1 ? " and the others" : "", ")"));
  }
  const size_t start = next_.fetch_add(1, std::memory_order_relaxed);
  absl::Status last = absl::UnavailableError("ClickHouse unavailable: every server is down");
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (start + k) % n;
    if (!servers_[i]->up.load(std::memory_order_acquire)) continue;
    absl::StatusOr<std::string> result = attempt(i);
    if (result.ok() || !absl::IsUnavailable(result.status()) || servers_[i]->up.load()) {
      return result;  // success, or an answer from ClickHouse itself (not a transport failure)
    }
    last = result.status();
  }
  return last;
}

absl::StatusOr<std::string> ClickHouseClient::Query(std::string_view sql) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> result =
      WithFailover([&](size_t i) { return RunQuery(i, sql); });
  Observe("query", result.status(), absl::Now() - start);
  return result;
}

absl::StatusOr<std::string> ClickHouseClient::QueryOn(size_t server, std::string_view sql) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> result = RunQuery(server, sql);
  Observe("query", result.status(), absl::Now() - start);
  return result;
}

absl::Status ClickHouseClient::Insert(std::string_view table, std::string_view rows,
                                      size_t row_count) {
  const absl::Time start = absl::Now();
  const std::string compressed = net::GzipCompress(rows, 1);
  std::string path =
      absl::StrCat("/?query=", PercentEncode(absl::StrCat("INSERT INTO ", options_.database, ".",
                                                          std::string(table), " FORMAT RowBinary")));
  // Cluster mode: the Distributed table forwards rows to their shards before answering, so an
  // acknowledged insert is on its shard (not in a local queue that a crash would lose).
  if (!options_.cluster.empty()) absl::StrAppend(&path, "&insert_distributed_sync=1");
  net::HttpHeaders headers = {{"Authorization", auth_header_}, {"Content-Encoding", "gzip"}};
  absl::StatusOr<std::string> result = WithFailover([&](size_t i) -> absl::StatusOr<std::string> {
    SKUA_ASSIGN_OR_RETURN(net::HttpClientResponse response,
                          Send(i, path, compressed, headers, true));
    if (response.status != 200) {
      return StatusFromClickHouseError(servers_[i]->base_url, response.status, response.body);
    }
    return std::string();
  });
  Observe("insert", result.status(), absl::Now() - start);
  if (options_.metrics != nullptr) {
    const std::string t(table);
    options_.metrics
        ->GetCounter("skua_clickhouse_inserts_total", "INSERTs into ClickHouse by table and result",
                     {{"table", t}, {"result", result.ok() ? "ok" : "error"}})
        .Add();
    if (result.ok()) {
      options_.metrics
          ->GetCounter("skua_clickhouse_insert_rows_total", "Rows accepted by ClickHouse",
                       {{"table", t}})
          .Add(row_count);
      options_.metrics
          ->GetCounter("skua_clickhouse_insert_bytes_total",
                       "Compressed INSERT body bytes accepted by ClickHouse", {{"table", t}})
          .Add(compressed.size());
    }
  }
  return result.status();
}

absl::Status ClickHouseClient::PingAll() {
  bool any = false;
  std::string failures;
  for (size_t i = 0; i < servers_.size(); ++i) {
    Server& server = *servers_[i];
    absl::StatusOr<net::HttpClientResponse> response = Send(i, "/ping", "", {}, false);
    const bool ok = response.ok() && response->status == 200;
    if (ok) {
      any = true;
      if (!server.up.exchange(true)) {
        SKUA_LOG(INFO) << "ClickHouse server " << server.base_url << " is back";
      }
      if (server.up_gauge != nullptr) server.up_gauge->Set(1);
    } else {
      absl::StrAppend(&failures, failures.empty() ? "" : "; ",
                      response.ok() ? absl::StrCat(server.base_url, ": HTTP ", response->status)
                                    : std::string(response.status().message()));
    }
  }
  if (any) return absl::OkStatus();
  return absl::UnavailableError(failures);
}

}  // namespace skua::storage::clickhouse
