#include "storage/clickhouse/clickhouse_test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status.h"
#include "net/http_client.h"

namespace skua::storage::clickhouse::testing {
namespace {

namespace fs = std::filesystem;

// The server binary and the arguments before --config-file: Debian's clickhouse-server, or the
// single `clickhouse` binary of newer releases (`clickhouse server`).
bool FindServer(std::string* binary, bool* single_binary) {
  for (const char* path : {"/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"}) {
    if (access(path, X_OK) == 0) {
      *binary = path;
      *single_binary = false;
      return true;
    }
  }
  for (const char* path : {"/usr/bin/clickhouse", "/usr/local/bin/clickhouse"}) {
    if (access(path, X_OK) == 0) {
      *binary = path;
      *single_binary = true;
      return true;
    }
  }
  return false;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string Tail(const std::string& path, size_t bytes = 3000) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

}  // namespace

bool ClickHouseInstalled() {
  std::string binary;
  bool single = false;
  return FindServer(&binary, &single);
}

std::vector<int> PickFreePorts(int count) {
  std::vector<int> fds, ports;
  for (int i = 0; i < count; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      close(fd);
      break;
    }
    fds.push_back(fd);  // held open until all are picked, so the ports are distinct
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

ClickHouseServer::ClickHouseServer(ClickHouseServerOptions options)
    : options_(std::move(options)) {}

ClickHouseServer::~ClickHouseServer() {
  Stop();
  if (created_directory_ && !options_.keep_directory) {
    std::error_code ec;
    fs::remove_all(options_.directory, ec);
  }
}

bool ClickHouseServer::running() const { return pid_ > 0; }
std::string ClickHouseServer::https_url() const {
  if (options_.tls_cert_file.empty()) return "";
  return absl::StrCat("https://127.0.0.1:", options_.https_port);
}
std::string ClickHouseServer::http_url() const {
  return absl::StrCat("http://127.0.0.1:", options_.http_port);
}
int ClickHouseServer::http_port() const { return options_.http_port; }
int ClickHouseServer::tcp_port() const { return options_.tcp_port; }
const std::string& ClickHouseServer::directory() const { return options_.directory; }

absl::Status ClickHouseServer::Start() {
  if (running()) return absl::FailedPreconditionError("ClickHouse test server already running");
  std::string binary;
  bool single_binary = false;
  if (!FindServer(&binary, &single_binary)) {
    return absl::FailedPreconditionError(
        "clickhouse-server is not installed (scripts/install-deps.sh --test installs it)");
  }
  if (options_.directory.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = absl::StrCat(tmp && *tmp ? tmp : "/tmp", "/skua-clickhouse-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
    }
    options_.directory = pattern;
    created_directory_ = true;
  }
  const std::string dir = options_.directory;
  std::error_code ec;
  for (const char* sub : {"data", "tmp", "user_files", "format_schemas", "log"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, "/", sub));
  }

  // Up to three attempts when ports we picked ourselves were taken meanwhile.
  const bool pick_ports = options_.http_port == 0;
  for (int attempt = 0;; ++attempt) {
    if (options_.http_port == 0 || options_.tcp_port == 0 || options_.interserver_port == 0) {
      std::vector<int> ports = PickFreePorts(3);
      if (ports.size() != 3) return absl::InternalError("cannot pick free ports");
      if (options_.http_port == 0) options_.http_port = ports[0];
      if (options_.tcp_port == 0) options_.tcp_port = ports[1];
      if (options_.interserver_port == 0) options_.interserver_port = ports[2];
    }
    const bool tls = !options_.tls_cert_file.empty() && !options_.tls_key_file.empty();
    if (tls && options_.https_port == 0) {
      std::vector<int> ports = PickFreePorts(1);
      if (ports.size() != 1) return absl::InternalError("cannot pick a free port");
      options_.https_port = ports[0];
    }
    std::string https;
    if (tls) {
      https = absl::StrCat("  <https_port>", options_.https_port, "</https_port>\n",
                           "  <openSSL><server><certificateFile>", XmlEscape(options_.tls_cert_file),
                           "</certificateFile><privateKeyFile>", XmlEscape(options_.tls_key_file),
                           "</privateKeyFile><verificationMode>none</verificationMode>",
                           "<loadDefaultCAFile>false</loadDefaultCAFile>",
                           "<cacheSessions>true</cacheSessions><disableProtocols>sslv2,sslv3",
                           "</disableProtocols><preferServerCiphers>true</preferServerCiphers>",
                           "</server></openSSL>\n");
    }
    std::string remote;
    if (!options_.cluster_name.empty()) {
      remote = absl::StrCat("  <remote_servers>\n    <", options_.cluster_name, ">\n");
      for (const ClusterShard& shard : options_.cluster_shards) {
        absl::StrAppend(&remote, "      <shard><replica><host>", XmlEscape(shard.host),
                        "</host><port>", shard.tcp_port, "</port>");
        if (!options_.password.empty()) {
          absl::StrAppend(&remote, "<user>default</user><password>", XmlEscape(options_.password),
                          "</password>");
        }
        absl::StrAppend(&remote, "</replica></shard>\n");
      }
      absl::StrAppend(&remote, "    </", options_.cluster_name, ">\n  </remote_servers>\n");
    }
    const std::string config = absl::StrCat(
        "<?xml version=\"1.0\"?>\n<yandex>\n",
        "  <logger><level>warning</level><log>", dir, "/log/server.log</log><errorlog>", dir,
        "/log/err.log</errorlog><console>0</console></logger>\n",
        "  <http_port>", options_.http_port, "</http_port>\n",
        "  <tcp_port>", options_.tcp_port, "</tcp_port>\n",
        "  <interserver_http_port>", options_.interserver_port, "</interserver_http_port>\n",
        "  <listen_host>127.0.0.1</listen_host>\n",
        "  <path>", dir, "/data/</path>\n",
        "  <tmp_path>", dir, "/tmp/</tmp_path>\n",
        "  <user_files_path>", dir, "/user_files/</user_files_path>\n",
        "  <format_schema_path>", dir, "/format_schemas/</format_schema_path>\n",
        "  <users_config>", dir, "/users.xml</users_config>\n",
        "  <default_profile>default</default_profile>\n",
        "  <default_database>default</default_database>\n",
        "  <mark_cache_size>67108864</mark_cache_size>\n",
        "  <uncompressed_cache_size>67108864</uncompressed_cache_size>\n",
        "  <max_concurrent_queries>100</max_concurrent_queries>\n", https, remote,
        "</yandex>\n");
    const std::string users = absl::StrCat(
        "<?xml version=\"1.0\"?>\n<yandex>\n",
        "  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>\n",
        "  <users><default><password>", XmlEscape(options_.password),
        "</password><networks><ip>::1</ip><ip>127.0.0.1</ip></networks>",
        "<profile>default</profile><quota>default</quota></default></users>\n",
        "  <quotas><default><interval><duration>3600</duration><queries>0</queries>",
        "<errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows>",
        "<execution_time>0</execution_time></interval></default></quotas>\n</yandex>\n");
    SKUA_RETURN_IF_ERROR(WriteFile(dir + "/config.xml", config));
    SKUA_RETURN_IF_ERROR(WriteFile(dir + "/users.xml", users));
    const std::string err_log = dir + "/log/err.log";
    fs::remove(err_log, ec);

    const std::string config_arg = absl::StrCat("--config-file=", dir, "/config.xml");
    const std::string stdout_path = dir + "/log/stdout.log";
    const pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return absl::InternalError("fork failed");
    if (pid == 0) {
      // The server dies with the test process (or the thread that started it), so a crashed test
      // leaves no server behind.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      int fd = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
      close_range(3, ~0U, 0);  // no test sockets or files leak into the server
      if (single_binary) {
        execl(binary.c_str(), "clickhouse", "server", config_arg.c_str(), nullptr);
      } else {
        execl(binary.c_str(), "clickhouse-server", config_arg.c_str(), nullptr);
      }
      _exit(127);
    }
    pid_ = pid;

    net::HttpClientOptions http;
    http.base_url = http_url();
    http.connect_timeout_ms = 500;
    http.io_timeout_ms = 2000;
    auto client = net::NewHttpClient(http);
    if (!client.ok()) return client.status();
    const absl::Time deadline = absl::Now() + options_.start_timeout;
    bool exited = false;
    while (absl::Now() < deadline) {
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        exited = true;
        pid_ = -1;
        break;
      }
      auto ping = (*client)->Get("/ping");
      if (ping.ok() && ping->status == 200 && ping->body.rfind("Ok.", 0) == 0) {
        return absl::OkStatus();
      }
      absl::SleepFor(absl::Milliseconds(50));  // polling the server's readiness, bounded above
    }
    const std::string log = Tail(err_log) + Tail(stdout_path, 1000);
    if (!exited) Kill();
    if (exited && pick_ports && attempt < 2 && log.find("Address already in use") != std::string::npos) {
      options_.http_port = options_.tcp_port = options_.interserver_port = 0;
      if (tls) options_.https_port = 0;
      continue;
    }
    return absl::UnavailableError(absl::StrCat(
        "ClickHouse test server in ", dir, exited ? " exited during start" : " did not answer /ping",
        "; log tail:\n", log));
  }
}

void ClickHouseServer::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    int wstatus = 0;
    if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    absl::SleepFor(absl::Milliseconds(20));  // waiting for the child to exit, bounded above
  }
  Kill();
}

void ClickHouseServer::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int wstatus = 0;
  waitpid(pid_, &wstatus, 0);
  pid_ = -1;
}

absl::StatusOr<std::string> ClickHouseServer::Query(const std::string& sql) const {
  net::HttpClientOptions http;
  http.base_url = http_url();
  SKUA_ASSIGN_OR_RETURN(auto client, net::NewHttpClient(http));
  net::HttpHeaders headers;
  if (!options_.password.empty()) {
    headers.emplace_back("X-ClickHouse-User", "default");
    headers.emplace_back("X-ClickHouse-Key", options_.password);
  }
  SKUA_ASSIGN_OR_RETURN(net::HttpClientResponse response,
                        client->Post("/", sql, "text/plain", headers));
  if (response.status != 200) {
    return absl::InternalError(
        absl::StrCat("ClickHouse HTTP ", response.status, ": ", response.body));
  }
  return std::move(response.body);
}

}  // namespace skua::storage::clickhouse::testing
