// Test support: starts a real ClickHouse server (Debian's clickhouse-server, clients.md §5) on
// loopback with a configuration written into its own temporary directory, so tests run several
// side by side and never touch /etc or /var. Used by the backend's tests and the multi-process
// integration tests. Not linked into skua.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skua::storage::clickhouse::testing {

// True if /usr/bin/clickhouse (or clickhouse-server) is installed; tests GTEST_SKIP with the
// reason otherwise (CI installs it: scripts/install-deps.sh --test).
bool ClickHouseInstalled();

struct ClusterShard {
  std::string host = "127.0.0.1";
  int tcp_port = 0;  // the native protocol port of that shard's server
};

struct ClickHouseServerOptions {
  // Root of the server's files (config, data, logs); created; removed by the destructor unless
  // keep_directory. Empty = a fresh directory under $TMPDIR (or /tmp).
  std::string directory;
  bool keep_directory = false;
  // Ports; 0 = pick free ones. Keep them when restarting on the same directory.
  int http_port = 0;
  int tcp_port = 0;
  int interserver_port = 0;
  // Optional cluster definition written into remote_servers: name → shards (one replica each).
  std::string cluster_name;
  std::vector<ClusterShard> cluster_shards;
  // Password of user "default" (empty = none).
  std::string password;
  // Also serve HTTPS on https_port (0 = pick a free one) with this certificate and key (PEM),
  // when both are set. Default: HTTP only.
  std::string tls_cert_file;
  std::string tls_key_file;
  int https_port = 0;
  // How long Start() waits for GET /ping to answer "Ok.". Default 60 s.
  absl::Duration start_timeout = absl::Seconds(60);
};

// One clickhouse-server child process. Not thread-safe. The server gets SIGKILL when the thread
// that started it exits (PR_SET_PDEATHSIG), so a crashed test leaves no server behind: start it
// from a thread that outlives its use (e.g. the test's main thread).
class ClickHouseServer {
 public:
  explicit ClickHouseServer(ClickHouseServerOptions options);
  ~ClickHouseServer();  // Stop(), then removes the directory unless keep_directory

  // Writes the configuration and starts the server, waiting until it answers /ping. Ports chosen
  // by the first Start are kept by later ones (restart on the same data). Errors carry the tail of
  // the server's error log.
  absl::Status Start();
  // SIGTERM, then SIGKILL after 10 s; waits for the process. Idempotent.
  void Stop();
  // SIGKILL at once (a crash); waits for the process.
  void Kill();
  bool running() const;

  // "http://127.0.0.1:<http_port>"
  std::string http_url() const;
  int http_port() const;
  // "https://127.0.0.1:<https_port>" when TLS files were given, else "".
  std::string https_url() const;
  int tcp_port() const;
  const std::string& directory() const;

  // Runs one SQL statement over HTTP and returns the response body (e.g. TSV). An HTTP error status
  // becomes an error carrying ClickHouse's message.
  absl::StatusOr<std::string> Query(const std::string& sql) const;

 private:
  ClickHouseServerOptions options_;
  pid_t pid_ = -1;
  bool created_directory_ = false;
};

// Reserves `count` distinct free TCP ports on 127.0.0.1 (bound then released; a later bind may race
// other processes, so callers retry Start on "address in use").
std::vector<int> PickFreePorts(int count);

}  // namespace skua::storage::clickhouse::testing
