// The ClickHouse backend: spans stored in an existing ClickHouse server or cluster, for deployments
// that outgrow one node (docs/storage/clickhouse.md). Stateless on skua's side, so any number of
// `skua collector` and `skua query` processes share one database.
//
// Write path: WriteSpanBatches turns the batches into rows and sends them as compressed RowBinary
// INSERTs over ClickHouse's HTTP interface, first the span rows, then the search-index rows; it
// returns OK only once ClickHouse accepted both. When ClickHouse is down or slow it fails with
// Unavailable (the pipeline answers 503 / UNAVAILABLE and the client retries); nothing is buffered
// beyond the pipeline's bounded queue. Retried writes may store a span twice; readers drop exact
// duplicates (storage/span_match.h SpanContentEquals), so retries are idempotent as seen by reads.
// Read path: searches run on the index table (ordered by tenant, service, operation, time), trace
// by ID on the span table (ordered by tenant, trace ID), so neither scans the whole table.
// Cluster mode (cluster set): every server gets local tables plus Distributed tables over them;
// writes go through the Distributed tables with a trace-ID sharding key and synchronous insert,
// so a trace lives on exactly one shard and an acknowledged write is on its shard.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "storage/storage.h"

namespace skua::storage::clickhouse {

struct ClickHouseOptions {
  // ClickHouse HTTP endpoints, "http://host:8123" or "https://host:8443" (a bare host:port means
  // http). Requests go to the first one that answers, in turn (round robin over healthy servers).
  // In cluster mode, schema and retention commands run on each of them, so list every server of
  // the cluster. At least one. Flag clickhouse.servers (comma-separated).
  std::vector<std::string> servers;
  // Database holding skua's tables; created by the schema. Default "skua".
  std::string database = "skua";
  // Credentials (HTTP basic authentication). Default user "default", empty password.
  std::string username = "default";
  std::string password;
  // Name of a cluster in the servers' remote_servers configuration; empty = one server, no
  // Distributed tables. Default empty.
  std::string cluster;
  // TLS for https:// servers: CA bundle to verify the server with (empty = system default),
  // whether to skip verification (tests only), and an optional client certificate and key.
  std::string tls_ca_file;
  bool tls_skip_verify = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  // Connecting to a server; each request as a whole (insert or query). Defaults 5 s and 30 s.
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  // Apply the schema (as `skua clickhouse init`) when the storage opens and whenever a server
  // comes back without it. Default false: the schema is an explicit step.
  bool create_schema = false;
  // Days of data kept; older day partitions are dropped by a background task (hourly) and by
  // `skua clickhouse retention`. 0 = keep everything. Default 0.
  absl::Duration retention = absl::ZeroDuration();
  // Most span rows per INSERT (larger writes are split). Default 100'000.
  size_t max_rows_per_insert = 100'000;
  // Where the backend's metrics go (skua_clickhouse_*); may be null.
  Metrics* metrics = nullptr;
  // Clock (Unix ns) for retention decisions; null = the system clock. Tests inject one.
  std::function<uint64_t()> now_unix_nanos;

  // InvalidArgument naming the first offending field.
  absl::Status Validate() const;
};

// Creates the storage. Fails only for invalid options (InvalidArgument): a server that does not
// answer, or a database without skua's schema, is logged once with a clear message and reported by
// CheckReady() (Unavailable / FailedPrecondition "… run `skua clickhouse init`") until it is fixed;
// meanwhile reads and writes fail with the same status. A background task re-checks every second.
absl::StatusOr<std::unique_ptr<Storage>> OpenClickHouseStorage(ClickHouseOptions options);

// The schema as SQL statements, in order, for this configuration (database, cluster). With a
// cluster, the statements for one server: its local tables and the Distributed tables over them.
// Idempotent (CREATE … IF NOT EXISTS). Kept in src/storage/clickhouse/schema/*.sql.
std::vector<std::string> SchemaStatements(const ClickHouseOptions& options);

// `skua clickhouse init`: applies SchemaStatements on every server in options.servers. Errors name
// the server and the statement (Unavailable when a server does not answer).
absl::Status InitSchema(const ClickHouseOptions& options);

// `skua clickhouse retention`: drops, on every server, the day partitions of every skua table that
// hold only data older than `retention` before `now_unix_nanos`. Returns the partitions dropped
// ("table/YYYY-MM-DD", sorted). InvalidArgument when retention <= 0.
absl::StatusOr<std::vector<std::string>> DropExpiredPartitions(const ClickHouseOptions& options,
                                                               absl::Duration retention,
                                                               uint64_t now_unix_nanos);

}  // namespace skua::storage::clickhouse
