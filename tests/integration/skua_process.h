// A real skua (all-in-one, or a collector or query role) in a child process for multi-process
// tests: free loopback ports, its own flags and environment, readiness by polling the admin health
// check with a deadline, and the ways a process can end (SIGTERM, SIGKILL, exiting by itself).
// Also small HTTP helpers for the OTLP receiver, the query API and /metrics. The binary comes from
// $SKUA_BIN.
#pragma once

#include <arpa/inet.h>
#include <errno.h>  // program_invocation_short_name
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/http_client.h"
#include "simdjson.h"

extern char** environ;

namespace skua::testing {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline std::string SkuaBin() {
  const char* bin = std::getenv("SKUA_BIN");
  return bin ? bin : "";
}

// A port nothing listens on right now (bound, read, released); `type` SOCK_STREAM or SOCK_DGRAM.
// A fresh, empty scratch directory `name` for this test process, under
// $TMPDIR (or /tmp)/<binary>_<pid>/; the whole tree is removed when the process that made it
// exits (not by forked children).
inline fs::path ScratchDir(const std::string& name) {
  struct Root {
    fs::path path;
    pid_t owner;
    ~Root() {
      std::error_code ec;
      if (::getpid() == owner) fs::remove_all(path, ec);
    }
  };
  static Root root{fs::temp_directory_path() /
                       (std::string(program_invocation_short_name) + "_" +
                        std::to_string(::getpid())),
                   ::getpid()};
  fs::path dir = root.path / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

inline int FreePort(int type = SOCK_STREAM) {
  int fd = socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Starts `args` with extra environment variables, stdout and stderr appended to `log`.
inline pid_t Spawn(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const fs::path& log) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (!env.count(entry.substr(0, entry.find('=')))) env_strings.push_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const std::string& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// Sum of every series of a Prometheus metric in a text exposition; -1 when absent.
inline double MetricSum(const std::string& text, const std::string& name) {
  double total = 0;
  bool found = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind(name, 0) != 0 || line.size() == name.size()) continue;
    char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    total += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    found = true;
  }
  return found ? total : -1;
}

class SkuaProcess {
 public:
  // Starts skua with `flags` (besides the listener flags chosen here) and extra environment,
  // output appended to `log`. Returns true once the admin health check answers 200; false if the
  // process exits first (exit_status() then tells how) or `timeout` passes.
  bool Start(const std::vector<std::string>& flags, const fs::path& log,
             const std::map<std::string, std::string>& env = {},
             std::chrono::seconds timeout = std::chrono::seconds(90)) {
    auto deadline = Clock::now() + timeout;
    if (!Launch(flags, log, env, timeout)) return false;
    while (Clock::now() < deadline) {
      if (Reap(WNOHANG)) return false;
      if (Health() == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The `skua` subcommand Start and Launch run: "" (none: the all-in-one), "all-in-one",
  // "collector" or "query". Only the listener flags of that role are passed (the others are not
  // declared by it): collector OTLP gRPC/HTTP and admin; query HTTP and admin. Call before Start.
  void set_role(std::string role) { role_ = std::move(role); }

  // Like Start, but returns true as soon as the admin server answers at all (any status), for a
  // process that is expected to run without being ready; false if it exits first or `timeout`
  // passes.
  bool Launch(const std::vector<std::string>& flags, const fs::path& log,
              const std::map<std::string, std::string>& env = {},
              std::chrono::seconds timeout = std::chrono::seconds(90)) {
    log_ = log;
    otlp_grpc_ = FreePort();
    otlp_http_ = FreePort();
    query_ = FreePort();
    admin_ = FreePort();
    auto local = [](int port) { return "127.0.0.1:" + std::to_string(port); };
    const bool ingests = role_ != "query";
    const bool serves = role_ != "collector";
    std::vector<std::string> args = {SkuaBin()};
    if (!role_.empty()) args.push_back(role_);
    if (ingests) {
      args.insert(args.end(),
                  {"--collector.otlp.grpc.host-port=" + local(otlp_grpc_),
                   "--collector.otlp.http.host-port=" + local(otlp_http_)});
    }
    if (serves) args.push_back("--query.http-server.host-port=" + local(query_));
    args.push_back("--admin.http.host-port=" + local(admin_));
    if (ingests) {
      // Listeners these tests do not use are off, so they never collide with other tests.
      args.insert(args.end(), {"--collector.grpc-server.host-port=",
                               "--collector.http-server.host-port=",
                               "--collector.zipkin.host-port=",
                               "--processor.jaeger-compact.server-host-port=",
                               "--processor.jaeger-binary.server-host-port="});
    }
    args.insert(args.end(), flags.begin(), flags.end());
    pid_ = Spawn(args, env, log);
    if (pid_ < 0) return false;
    admin_client_ = Client(admin_, 500);
    query_client_ = Client(query_, 2000);
    for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
      if (Reap(WNOHANG)) return false;
      if (Health() > 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // The HTTP status of the admin health check (GET /): 200 ready, 503 not ready; -1 when the admin
  // server does not answer.
  int Health() {
    if (!admin_client_) return -1;
    auto res = admin_client_->Get("/");
    return res.ok() ? res->status : -1;
  }

  // Polls the health check until it answers `status`; false if the process exits or `timeout`
  // passes first.
  bool WaitHealth(int status, std::chrono::seconds timeout) {
    for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
      if (pid_ <= 0 || Reap(WNOHANG)) return false;
      if (Health() == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  ~SkuaProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Reap(0);
    }
  }

  // SIGTERM and wait (a graceful stop: the store is closed). Returns the exit status, or -1 if
  // the process did not exit normally within `timeout` (it is then killed).
  int Stop(std::chrono::seconds timeout = std::chrono::seconds(60)) {
    if (pid_ <= 0) return exit_status_;
    kill(pid_, SIGTERM);
    return WaitExit(timeout);
  }

  // SIGKILL and wait: a crash at an arbitrary point.
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    Reap(0);
  }

  // Waits for the process to exit by itself; its exit status, or -1 (then it is killed).
  int WaitExit(std::chrono::seconds timeout) {
    for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
      if (pid_ <= 0 || Reap(WNOHANG)) return exit_status_;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill();
    return -1;
  }

  bool running() { return pid_ > 0 && !Reap(WNOHANG); }
  // Exit code if the process exited normally; -1 while running or when killed by a signal.
  int exit_status() const { return exit_status_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return Slurp(log_); }

  int otlp_http() const { return otlp_http_; }
  int otlp_grpc() const { return otlp_grpc_; }
  int query() const { return query_; }
  int admin() const { return admin_; }

  // A new HTTP client of one of this process's ports (clients are not thread-safe).
  static std::unique_ptr<net::HttpClient> Client(int port, int connect_timeout_ms = 2000) {
    auto c = net::NewHttpClient({.base_url = "http://127.0.0.1:" + std::to_string(port),
                                 .connect_timeout_ms = connect_timeout_ms,
                                 .io_timeout_ms = 60'000});
    return c.ok() ? std::move(*c) : nullptr;
  }

  net::HttpClient& query_client() { return *query_client_; }

  // Sum of a metric's series from /metrics; -1 when absent or unreadable.
  double Metric(const std::string& name) {
    auto res = admin_client_->Get("/metrics");
    if (!res.ok() || res->status != 200) return -1;
    return MetricSum(res->body, name);
  }
  std::string MetricsText() {
    auto res = admin_client_->Get("/metrics");
    return res.ok() ? res->body : "";
  }

 private:
  // True if the process has exited (and records how).
  bool Reap(int flags) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, flags);
    if (r != pid_) return false;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid_ = -1;
    return true;
  }

  std::string role_;
  pid_t pid_ = -1;
  int exit_status_ = -1;
  int otlp_grpc_ = 0, otlp_http_ = 0, query_ = 0, admin_ = 0;
  fs::path log_;
  std::unique_ptr<net::HttpClient> admin_client_;
  std::unique_ptr<net::HttpClient> query_client_;
};

// The span IDs (hex) of a trace fetched by GET /api/traces/{id}: nullopt when the answer is not
// 200 with one trace (404 for an unknown trace), with `error` saying what came back.
inline std::optional<std::set<std::string>> FetchTraceSpanIds(net::HttpClient& query,
                                                              const std::string& trace_hex,
                                                              std::string* error = nullptr) {
  auto res = query.Get("/api/traces/" + trace_hex);
  if (!res.ok() || res->status != 200) {
    if (error != nullptr) {
      *error = res.ok() ? "HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 200)
                        : std::string(res.status().message());
    }
    return std::nullopt;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array traces;
  if (parser.parse(res->body).get(root) != simdjson::SUCCESS ||
      root["data"].get_array().get(traces) != simdjson::SUCCESS || traces.size() != 1) {
    if (error != nullptr) *error = "unexpected JSON: " + res->body.substr(0, 200);
    return std::nullopt;
  }
  std::set<std::string> ids;
  simdjson::dom::array spans;
  if (traces.at(0)["spans"].get_array().get(spans) != simdjson::SUCCESS) return ids;
  for (simdjson::dom::element span : spans) {
    std::string_view id;
    if (span["spanID"].get_string().get(id) == simdjson::SUCCESS) ids.emplace(id);
  }
  return ids;
}

// The "data" string array of /api/services or the operation names of /api/operations.
inline std::set<std::string> FetchNames(net::HttpClient& query, const std::string& path) {
  std::set<std::string> out;
  auto res = query.Get(path);
  if (!res.ok() || res->status != 200) return out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array data;
  if (parser.parse(res->body).get(root) != simdjson::SUCCESS ||
      root["data"].get_array().get(data) != simdjson::SUCCESS) {
    return out;
  }
  for (simdjson::dom::element e : data) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) {
      out.emplace(s);
    } else if (e["name"].get_string().get(s) == simdjson::SUCCESS) {
      out.emplace(s);
    }
  }
  return out;
}

}  // namespace skua::testing
