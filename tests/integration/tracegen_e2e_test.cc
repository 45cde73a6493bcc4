// Cross-process tests of `skua tracegen` against a real skua all-in-one: every span the generator
// counts as acknowledged must be stored (skua_spans_stored_total on the admin /metrics), exactly,
// over each protocol (jaeger-compat §1.2 OTLP gRPC, §1.3 OTLP HTTP protobuf and JSON, §1.4–§1.6
// Jaeger, §1.7 Zipkin v2 JSON: a success answer means stored). Also: two processes with the same
// seed and --repeat-ids write byte-identical corpora (workload-and-targets.md §1, a deterministic
// generator).
//
// The skua binary comes from $SKUA_BIN (set by tests/CMakeLists.txt).
#include <arpa/inet.h>
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
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "net/http_client.h"
#include "tests/integration/skua_process.h"

extern char** environ;

namespace skua {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using skua::testing::FreePort;
using skua::testing::SkuaBin;
using skua::testing::Slurp;
using skua::testing::Spawn;

using skua::testing::ScratchDir;

// Runs a command to completion; returns its exit status (-1 if it did not exit normally).
int RunToCompletion(const std::vector<std::string>& args, const fs::path& log,
                    const std::map<std::string, std::string>& env = {}) {
  pid_t pid = Spawn(args, env, log);
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// The unsigned integer after "key": in a JSON line; -1 when absent.
int64_t JsonInt(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::strtoll(json.c_str() + at + key.size() + 3, nullptr, 10);
}

class SkuaProcess {
 public:
  bool Start(const fs::path& dir) {
    std::map<std::string, std::string> env;
    auto tcp = [&](std::initializer_list<const char*> names) {
      int port = FreePort(SOCK_STREAM);
      for (const char* n : names) env[n] = "127.0.0.1:" + std::to_string(port);
      return port;
    };
    otlp_grpc_ = tcp({"COLLECTOR_OTLP_GRPC_HOST_PORT"});
    otlp_http_ = tcp({"COLLECTOR_OTLP_HTTP_HOST_PORT"});
    admin_ = tcp({"ADMIN_HTTP_HOST_PORT"});
    query_ = tcp({"QUERY_HTTP_SERVER_HOST_PORT"});
    // Jaeger's listeners under both the flag-derived and Jaeger's own variable names; every
    // listener gets a free port so this test never collides with another skua.
    jaeger_grpc_ = tcp({"COLLECTOR_GRPC_SERVER_HOST_PORT", "COLLECTOR_GRPC_HOST_PORT"});
    jaeger_http_ = tcp({"COLLECTOR_HTTP_SERVER_HOST_PORT", "COLLECTOR_HTTP_HOST_PORT"});
    zipkin_ = tcp({"COLLECTOR_ZIPKIN_HOST_PORT"});
    agent_compact_ = FreePort(SOCK_DGRAM);
    agent_binary_ = FreePort(SOCK_DGRAM);
    env["PROCESSOR_JAEGER_COMPACT_SERVER_HOST_PORT"] =
        "127.0.0.1:" + std::to_string(agent_compact_);
    env["PROCESSOR_JAEGER_BINARY_SERVER_HOST_PORT"] = "127.0.0.1:" + std::to_string(agent_binary_);
    log_ = dir / "skua.log";
    pid_ = Spawn({SkuaBin()}, env, log_);
    if (pid_ < 0) return false;
    auto admin = net::NewHttpClient({.base_url = AdminUrl(), .connect_timeout_ms = 500});
    if (!admin.ok()) return false;
    admin_client_ = std::move(*admin);
    // Ready once the admin server answers; give up if skua exits or 30 s pass.
    for (auto deadline = Clock::now() + std::chrono::seconds(30); Clock::now() < deadline;) {
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      auto res = admin_client_->Get("/");
      if (res.ok() && res->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  ~SkuaProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
  }

  std::string AdminUrl() const { return "http://127.0.0.1:" + std::to_string(admin_); }
  int otlp_grpc() const { return otlp_grpc_; }
  int jaeger_grpc() const { return jaeger_grpc_; }
  int jaeger_http() const { return jaeger_http_; }
  int agent_compact() const { return agent_compact_; }
  int agent_binary() const { return agent_binary_; }
  int otlp_http() const { return otlp_http_; }
  int zipkin() const { return zipkin_; }
  int query() const { return query_; }
  std::string log() const { return Slurp(log_); }

  // Sum of skua_spans_stored_total over its labels; -1 if /metrics cannot be read.
  int64_t StoredSpans() {
    auto res = admin_client_->Get("/metrics");
    if (!res.ok() || res->status != 200) return -1;
    int64_t total = 0;
    size_t pos = 0;
    const std::string& body = res->body;
    while (pos < body.size()) {
      size_t end = body.find('\n', pos);
      if (end == std::string::npos) end = body.size();
      std::string line = body.substr(pos, end - pos);
      pos = end + 1;
      if (line.rfind("skua_spans_stored_total", 0) != 0) continue;
      size_t space = line.rfind(' ');
      total += static_cast<int64_t>(std::strtod(line.c_str() + space + 1, nullptr));
    }
    return total;
  }

 private:
  pid_t pid_ = -1;
  int otlp_grpc_ = 0, otlp_http_ = 0, admin_ = 0, query_ = 0;
  int jaeger_grpc_ = 0, jaeger_http_ = 0, agent_compact_ = 0, agent_binary_ = 0, zipkin_ = 0;
  fs::path log_;
  std::unique_ptr<net::HttpClient> admin_client_;
};

TEST(TracegenE2E, AcknowledgedEqualsStoredOverEveryProtocol) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("ingest");
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(dir)) << skua.log();
  int64_t stored = skua.StoredSpans();
  ASSERT_EQ(stored, 0);

  struct Case {
    const char* protocol;
    std::string endpoint;
    std::vector<std::string> extra;
    bool datagrams = false;
  };
  const std::string local = "127.0.0.1:";
  const std::string http = "http://127.0.0.1:" + std::to_string(skua.otlp_http());
  const std::vector<Case> cases = {
      {"otlp-grpc", local + std::to_string(skua.otlp_grpc()), {}},
      {"otlp-grpc", local + std::to_string(skua.otlp_grpc()), {"--gzip", "--concurrency=2"}},
      {"otlp-http-proto", http, {"--concurrency=2"}},
      {"otlp-http-proto", http + "/v1/traces", {"--gzip"}},
      {"otlp-http-json", http, {}},
      {"otlp-http-json", http, {"--gzip", "--concurrency=2"}},
      // jaeger-compat §1.4 (api_v2 gRPC) and §1.5 (Thrift over HTTP, answered 202 once stored).
      {"jaeger-grpc", local + std::to_string(skua.jaeger_grpc()), {"--concurrency=2"}},
      {"jaeger-thrift-http", local + std::to_string(skua.jaeger_http()), {}},
      // §1.7 Zipkin v2 JSON (answered 202 once stored; one request mixes services).
      {"zipkin-json", local + std::to_string(skua.zipkin()), {}},
      {"zipkin-json",
       "http://127.0.0.1:" + std::to_string(skua.zipkin()) + "/api/v2/spans",
       {"--gzip", "--concurrency=2"}},
      // §1.6 agent UDP: no answers, so a modest rate that a loopback socket buffer absorbs.
      {"jaeger-agent-compact", local + std::to_string(skua.agent_compact()), {"--rate=3000"}, true},
      {"jaeger-agent-binary", local + std::to_string(skua.agent_binary()), {"--rate=3000"}, true},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.protocol) + (c.extra.empty() ? "" : " " + c.extra[0]));
    fs::path out = dir / ("tracegen_" + std::to_string(n++) + ".out");
    std::vector<std::string> args = {SkuaBin(),    "tracegen", "--protocol",     c.protocol,
                                     "--endpoint", c.endpoint, "--duration",     "2s",
                                     "--json",     "--seed",   std::to_string(n)};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    int rc = RunToCompletion(args, out);
    std::string report = Slurp(out);
    ASSERT_EQ(rc, 0) << report;
    int64_t acknowledged = JsonInt(report, "spans_acknowledged");
    ASSERT_GT(acknowledged, 0) << report;
    EXPECT_EQ(JsonInt(report, "spans_failed"), 0) << report;
    EXPECT_EQ(JsonInt(report, "spans_sent"), acknowledged) << report;
    // Acknowledged means stored (an answer is sent once the batch is in storage), so the counter
    // is expected to match at once; poll briefly only in case the counter is bumped after the
    // answer goes out.
    int64_t want = stored + acknowledged;
    for (auto deadline = Clock::now() + std::chrono::seconds(5);
         skua.StoredSpans() < want && Clock::now() < deadline;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    int64_t now_stored = skua.StoredSpans();
    if (c.datagrams) {
      // "Acknowledged" for UDP means the kernel took the datagram; the receiver may still drop
      // some under load, but never store more than was sent, and a working path loses little.
      EXPECT_LE(now_stored, want) << report;
      EXPECT_GE(now_stored - stored, acknowledged * 95 / 100) << report;
    } else {
      EXPECT_EQ(now_stored, want) << report;
    }
    stored = now_stored;
  }

  // The traces are searchable through the query API: W1's root services are listed.
  auto query = net::NewHttpClient({.base_url = "http://127.0.0.1:" + std::to_string(skua.query())});
  ASSERT_TRUE(query.ok());
  auto services = (*query)->Get("/api/services");
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_NE(services->body.find("\"frontend\""), std::string::npos) << services->body;
  EXPECT_NE(services->body.find("\"db-proxy\""), std::string::npos) << services->body;
}

TEST(TracegenE2E, ReplayedCorpusIsStoredExactly) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("replay");
  ASSERT_EQ(RunToCompletion({SkuaBin(), "tracegen", "--write-corpus", (dir / "corpus").string(),
                             "--protocol", "otlp-http-json", "--spans", "3000"},
                            dir / "write.out"),
            0)
      << Slurp(dir / "write.out");
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(dir)) << skua.log();
  std::string out = (dir / "replay.out").string();
  int rc =
      RunToCompletion({SkuaBin(), "tracegen", "--replay", (dir / "corpus").string(), "--endpoint",
                       "127.0.0.1:" + std::to_string(skua.otlp_http()), "--json"},
                      out);
  std::string report = Slurp(out);
  ASSERT_EQ(rc, 0) << report;
  EXPECT_EQ(JsonInt(report, "spans_acknowledged"), 3000) << report;
  for (auto deadline = Clock::now() + std::chrono::seconds(5);
       skua.StoredSpans() < 3000 && Clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(skua.StoredSpans(), 3000);
}

TEST(TracegenE2E, InterruptStopsTheRunAndStillReports) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("interrupt");
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(dir)) << skua.log();
  // No --spans and no --duration: only a signal ends this run.
  pid_t pid = Spawn({SkuaBin(), "tracegen", "--endpoint",
                     "127.0.0.1:" + std::to_string(skua.otlp_grpc()), "--json", "--concurrency=2"},
                    {}, dir / "out");
  ASSERT_GT(pid, 0);
  for (auto deadline = Clock::now() + std::chrono::seconds(20);
       skua.StoredSpans() < 5000 && Clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(skua.StoredSpans(), 5000);
  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  std::string report = Slurp(dir / "out");
  ASSERT_TRUE(WIFEXITED(status)) << report;
  EXPECT_EQ(WEXITSTATUS(status), 0) << report;
  int64_t acknowledged = JsonInt(report, "spans_acknowledged");
  EXPECT_GE(acknowledged, 5000) << report;
  EXPECT_EQ(JsonInt(report, "spans_failed"), 0) << report;
  // In-flight requests finish before the report, so every acknowledged span is stored.
  for (auto deadline = Clock::now() + std::chrono::seconds(5);
       skua.StoredSpans() < acknowledged && Clock::now() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(skua.StoredSpans(), acknowledged) << report;
}

TEST(TracegenE2E, UnreachableEndpointFailsWithExitStatusOne) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("unreachable");
  int port = FreePort(SOCK_STREAM);
  int rc = RunToCompletion(
      {SkuaBin(), "tracegen", "--protocol", "otlp-http-proto", "--endpoint",
       "127.0.0.1:" + std::to_string(port), "--spans", "100", "--max-retries", "1", "--json"},
      dir / "out");
  std::string report = Slurp(dir / "out");
  EXPECT_EQ(rc, 1) << report;
  EXPECT_EQ(JsonInt(report, "spans_failed"), 100) << report;
  EXPECT_EQ(JsonInt(report, "spans_acknowledged"), 0) << report;
  EXPECT_EQ(JsonInt(report, "retries"), 1) << report;
}

TEST(TracegenE2E, SameSeedWritesByteIdenticalCorpora) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("corpora");
  auto write = [&](const std::string& name, const std::string& seed) {
    return RunToCompletion({SkuaBin(), "tracegen", "--write-corpus", (dir / name).string(),
                            "--spans", "20000", "--seed", seed, "--repeat-ids"},
                           dir / (name + ".out"));
  };
  ASSERT_EQ(write("a", "11"), 0) << Slurp(dir / "a.out");
  ASSERT_EQ(write("b", "11"), 0) << Slurp(dir / "b.out");
  ASSERT_EQ(write("c", "12"), 0) << Slurp(dir / "c.out");
  size_t files = 0, differing_from_c = 0;
  for (const auto& entry : fs::directory_iterator(dir / "a")) {
    std::string name = entry.path().filename().string();
    ASSERT_TRUE(fs::exists(dir / "b" / name)) << name;
    EXPECT_EQ(Slurp(entry.path()), Slurp(dir / "b" / name)) << name << " differs between runs";
    if (!fs::exists(dir / "c" / name) || Slurp(entry.path()) != Slurp(dir / "c" / name)) {
      ++differing_from_c;
    }
    ++files;
  }
  EXPECT_GT(files, 50u);
  EXPECT_EQ(files, static_cast<size_t>(std::distance(fs::directory_iterator(dir / "b"), {})));
  EXPECT_GT(differing_from_c, files / 2);  // another seed is another corpus

  // Without --repeat-ids the IDs are salted per run: same sizes of work, different bytes.
  auto salted = [&](const std::string& name) {
    return RunToCompletion(
        {SkuaBin(), "tracegen", "--write-corpus", (dir / name).string(), "--spans", "2000",
         "--seed", "11", "--start-time", "2024-01-01T00:00:00Z"},
        dir / (name + ".out"));
  };
  ASSERT_EQ(salted("s1"), 0);
  ASSERT_EQ(salted("s2"), 0);
  EXPECT_NE(Slurp(dir / "s1" / "000000.pb"), Slurp(dir / "s2" / "000000.pb"));
  EXPECT_EQ(Slurp(dir / "s1" / "000000.pb").size(), Slurp(dir / "s2" / "000000.pb").size());
}

}  // namespace
}  // namespace skua
