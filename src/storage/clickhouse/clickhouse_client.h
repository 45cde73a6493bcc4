// The backend's connection to ClickHouse: its HTTP interface on every configured server, a pool of
// keep-alive connections per server (net::HttpClient is single-threaded), fail-over on transport
// errors, fail-fast while every server is known down, and the mapping of ClickHouse's errors to
// status codes (docs/storage/clickhouse.md "Failure behaviour"). Internal to the backend.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "net/http_client.h"
#include "storage/clickhouse/clickhouse_storage.h"

namespace skua::storage::clickhouse {

// Maps a non-200 answer of ClickHouse's HTTP interface ("Code: N, e.displayText() = …") to a
// status: Unavailable for overload and timeouts (too many parts, memory limit, timeouts, too many
// queries, network errors between servers), FailedPrecondition "… run `skua clickhouse init`" for
// an unknown database or table, FailedPrecondition for authentication failures, Internal with
// ClickHouse's message otherwise. `server` names the server in the message.
absl::Status StatusFromClickHouseError(std::string_view server, int http_status,
                                       std::string_view body);

// Thread-safe.
class ClickHouseClient {
 public:
  // `options` must be valid (ClickHouseOptions::Validate).
  explicit ClickHouseClient(const ClickHouseOptions& options);
  ~ClickHouseClient();

  size_t server_count() const { return servers_.size(); }
  // The server's base URL, e.g. "http://127.0.0.1:8123".
  const std::string& server(size_t i) const;

  // Runs one statement (SELECT …, DDL, ALTER) on a healthy server, round robin, failing over to the
  // next one on a transport error. Returns the response body (results as the statement's FORMAT).
  // Fails at once with Unavailable while every server is marked down (see PingAll).
  absl::StatusOr<std::string> Query(std::string_view sql);
  // Same on one given server, without fail-over or fail-fast (schema and retention commands).
  absl::StatusOr<std::string> QueryOn(size_t server, std::string_view sql);
  // INSERT INTO `table` FORMAT RowBinary with `rows` (RowBinary rows, `row_count` of them) as a
  // gzip-compressed body; OK once ClickHouse accepted them. Fail-over and fail-fast as Query.
  absl::Status Insert(std::string_view table, std::string_view rows, size_t row_count);

  // GET /ping on every server; marks each up or down. OK if at least one answered.
  absl::Status PingAll();
  // True while every server is marked down (the last request to each failed in transport and no
  // ping has seen it back since).
  bool AllDown() const;

 private:
  struct Server;
  using Attempt = std::function<absl::StatusOr<std::string>(size_t server)>;

  absl::StatusOr<std::string> WithFailover(const Attempt& attempt);
  // One HTTP exchange with server `i`; transport errors mark it down.
  absl::StatusOr<net::HttpClientResponse> Send(size_t i, std::string_view path,
                                               std::string_view body, const net::HttpHeaders& headers,
                                               bool post);
  absl::StatusOr<std::string> RunQuery(size_t i, std::string_view sql);
  void Observe(std::string_view kind, const absl::Status& status, absl::Duration elapsed);

  const ClickHouseOptions options_;
  std::string auth_header_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::atomic<size_t> next_{0};
};

}  // namespace skua::storage::clickhouse
