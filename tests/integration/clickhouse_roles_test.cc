// Process-level tests of skua's roles on ClickHouse (issue #7's acceptance): `skua collector` and
// `skua query` refuse the single-process stores; a two-shard ClickHouse cluster behind two
// collectors and one query server returns every trace a real OpenTelemetry SDK client sent through
// either collector, each trace stored on exactly one shard; ClickHouse stopped during sustained
// ingest makes every ingest protocol answer 503 / UNAVAILABLE and the health checks 503, and once
// it returns ingest resumes by itself with every acknowledged span readable; a ClickHouse that does
// not answer at start is logged and reported not ready until it answers.
//
// Real processes only: skua from $SKUA_BIN, clickhouse-server started by the test on loopback
// (storage/clickhouse/clickhouse_test_server.h), and Node.js running tests/clients/send_traces.mjs
// with the OpenTelemetry JS SDK from tests/clients/node_modules. Tests that need ClickHouse or Node
// are skipped, with the reason, when those are not installed.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <sstream>

#include "gtest/gtest.h"
#include "model/convert/otlp.h"
#include "simdjson.h"
#include "storage/clickhouse/clickhouse_test_server.h"
#include "tests/integration/skua_process.h"
#include "tracegen/sender.h"
#include "tracegen/workload.h"

namespace skua {
namespace {

using storage::clickhouse::testing::ClickHouseInstalled;
using storage::clickhouse::testing::ClickHouseServer;
using storage::clickhouse::testing::ClickHouseServerOptions;
using storage::clickhouse::testing::ClusterShard;
using storage::clickhouse::testing::PickFreePorts;
using testing::Clock;
using testing::FetchNames;
using testing::FetchTraceSpanIds;
using testing::FreePort;
using testing::SkuaBin;
using testing::SkuaProcess;
using testing::Slurp;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::ScratchDir;

// Runs `args` to completion (output appended to `log`); its exit code, or -1 when it was killed
// by a signal or did not finish within `timeout` (it is then killed).
int RunToExit(const std::vector<std::string>& args, const fs::path& log,
              seconds timeout = seconds(60)) {
  pid_t pid = testing::Spawn(args, {}, log);
  if (pid < 0) return -1;
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// Polls `condition` until it holds or `timeout` passes; its last value.
template <typename F>
bool WaitFor(F condition, seconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return condition();
}

std::string SourceDir() {
  const char* dir = std::getenv("SKUA_SOURCE_DIR");
  return dir != nullptr ? dir : "";
}

// The node binary on PATH; "" when there is none.
std::string NodeBin() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string p(path);
  for (size_t start = 0; start <= p.size();) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    fs::path candidate = fs::path(p.substr(start, end - start)) / "node";
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return "";
}

// Why the real-client sender cannot run here; "" when it can.
std::string NodeClientMissing() {
  if (SourceDir().empty()) return "SKUA_SOURCE_DIR is not set";
  if (NodeBin().empty()) return "node is not installed";
  fs::path modules =
      fs::path(SourceDir()) / "tests/clients/node_modules/@opentelemetry/exporter-trace-otlp-proto";
  if (!fs::exists(modules)) {
    return "tests/clients/node_modules is missing (run npm ci in tests/clients)";
  }
  return "";
}

#define SKIP_WITHOUT_CLICKHOUSE()                                                            \
  do {                                                                                       \
    ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";                                       \
    if (!ClickHouseInstalled()) {                                                            \
      GTEST_SKIP() << "clickhouse-server is not installed (scripts/install-deps.sh --test)"; \
    }                                                                                        \
  } while (0)

// A two-shard cluster: two servers on loopback whose remote_servers configuration defines
// `kCluster` with one shard on each (named by their native-protocol ports).
constexpr const char* kCluster = "skua_two_shards";

absl::Status StartCluster(std::vector<std::unique_ptr<ClickHouseServer>>& servers) {
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    servers.clear();
    std::vector<int> ports = PickFreePorts(2);
    std::vector<ClusterShard> shards(2);
    for (int i = 0; i < 2; ++i) shards[i].tcp_port = ports[i];
    bool ok = true;
    for (int i = 0; i < 2 && ok; ++i) {
      ClickHouseServerOptions options;
      options.tcp_port = ports[i];
      options.cluster_name = kCluster;
      options.cluster_shards = shards;
      servers.push_back(std::make_unique<ClickHouseServer>(options));
      last = servers.back()->Start();
      ok = last.ok();
    }
    if (ok) return absl::OkStatus();
  }
  return last;
}

std::string ServerList(const std::vector<std::unique_ptr<ClickHouseServer>>& servers) {
  std::string out;
  for (const auto& s : servers) out += (out.empty() ? "" : ",") + s->http_url();
  return out;
}

// `skua clickhouse init` as a process; its exit code (output in `log`).
int InitSchema(const std::vector<std::string>& flags, const fs::path& log) {
  std::vector<std::string> args = {SkuaBin(), "clickhouse", "init"};
  args.insert(args.end(), flags.begin(), flags.end());
  return RunToExit(args, log);
}

// A trace sent by send_traces.mjs.
struct SentTrace {
  std::string trace_id;
  std::set<std::string> span_ids;
};

// Runs tests/clients/send_traces.mjs (the OpenTelemetry JS SDK's OTLP proto/HTTP exporter) against
// a collector's OTLP HTTP port; the traces it sent, or nullopt when it failed (details in `log`).
std::optional<std::vector<SentTrace>> SendWithOtelSdk(int otlp_http_port,
                                                      const std::string& service, int traces,
                                                      const fs::path& log) {
  fs::path out = log;
  out += ".out";
  std::vector<std::string> args = {
      "/bin/sh",
      "-c",
      "exec \"$0\" \"$1\" --endpoint=\"$2\" --traces=\"$3\" --service=\"$4\" --spans=4 >\"$5\"",
      NodeBin(),
      (fs::path(SourceDir()) / "tests/clients/send_traces.mjs").string(),
      "http://127.0.0.1:" + std::to_string(otlp_http_port) + "/v1/traces",
      std::to_string(traces),
      service,
      out.string()};
  if (RunToExit(args, log, seconds(120)) != 0) return std::nullopt;
  std::vector<SentTrace> sent;
  simdjson::dom::parser parser;
  std::istringstream lines(Slurp(out));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    simdjson::dom::element e;
    std::string_view id;
    simdjson::dom::array spans;
    if (parser.parse(line).get(e) != simdjson::SUCCESS ||
        e["traceId"].get_string().get(id) != simdjson::SUCCESS ||
        e["spanIds"].get_array().get(spans) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    SentTrace t{std::string(id), {}};
    for (simdjson::dom::element s : spans) {
      std::string_view span;
      if (s.get_string().get(span) == simdjson::SUCCESS) t.span_ids.emplace(span);
    }
    sent.push_back(std::move(t));
  }
  return sent;
}

// The trace IDs (lower-case hex) in a ClickHouse server's local table, with their row counts.
std::map<std::string, int> TraceRowsOn(const ClickHouseServer& server, const std::string& table) {
  std::map<std::string, int> out;
  auto tsv = server.Query("SELECT lower(hex(trace_id)), count() FROM skua." + table +
                          " GROUP BY trace_id FORMAT TabSeparated");
  if (!tsv.ok()) {
    ADD_FAILURE() << "querying " << table << " on " << server.http_url() << ": " << tsv.status();
    return out;
  }
  std::istringstream lines(*tsv);
  for (std::string line; std::getline(lines, line);) {
    size_t tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(0, tab)] = std::atoi(line.c_str() + tab + 1);
  }
  return out;
}

// Every span of every trace comes back from GET /api/traces/{id} before `timeout`; the problems
// found at the deadline otherwise.
std::vector<std::string> MissingTraces(net::HttpClient& query, const std::vector<SentTrace>& sent,
                                       seconds timeout) {
  std::vector<std::string> problems;
  auto deadline = Clock::now() + timeout;
  for (const SentTrace& t : sent) {
    std::string error;
    for (;;) {
      auto got = FetchTraceSpanIds(query, t.trace_id, &error);
      if (got && *got == t.span_ids) break;
      if (got) {
        error = "got " + std::to_string(got->size()) + " of " + std::to_string(t.span_ids.size()) +
                " spans";
      }
      if (Clock::now() > deadline) {
        problems.push_back("trace " + t.trace_id + ": " + error);
        break;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  return problems;
}

std::string Summary(const std::vector<std::string>& problems) {
  std::string out = std::to_string(problems.size()) + " problem(s)";
  for (size_t i = 0; i < problems.size() && i < 10; ++i) out += "\n  " + problems[i];
  return out;
}

// --- roles without ClickHouse
// ---------------------------------------------------------------------

// A collector or query server cannot share spans through the memory or embedded store: it refuses
// to start (exit 2) and says why and what to use instead.
TEST(ClickHouseRoles, CollectorAndQueryRefuseSingleProcessStores) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("refuse");
  int n = 0;
  for (const std::string role : {"collector", "query"}) {
    for (const std::string type : {"memory", "embedded", "badger"}) {
      SCOPED_TRACE(role + " with " + type);
      SkuaProcess skua;
      skua.set_role(role);
      // Once by the environment (as Jaeger's SPAN_STORAGE_TYPE), once by the flag.
      const bool by_env = (n++ % 2) == 0;
      std::map<std::string, std::string> env = {{"SPAN_STORAGE_TYPE", type}};
      std::vector<std::string> flags = {"--span-storage.type=" + type};
      fs::path log = dir / (role + "_" + type + ".log");
      EXPECT_FALSE(skua.Launch(by_env ? std::vector<std::string>{} : flags, log,
                               by_env ? env : std::map<std::string, std::string>{}, seconds(30)));
      EXPECT_EQ(skua.WaitExit(seconds(30)), 2);
      const std::string out = Slurp(log);
      EXPECT_NE(out.find("`skua " + role + "` cannot use SPAN_STORAGE_TYPE=" + type),
                std::string::npos)
          << out;
      EXPECT_NE(out.find("Use SPAN_STORAGE_TYPE=clickhouse"), std::string::npos) << out;
    }
  }
}

// --- two shards, two collectors, one query server
// -------------------------------------------------

TEST(ClickHouseCluster, TracesThroughEitherCollectorComeBackCompleteFromOneShard) {
  SKIP_WITHOUT_CLICKHOUSE();
  if (std::string why = NodeClientMissing(); !why.empty()) GTEST_SKIP() << why;
  fs::path dir = ScratchDir("cluster");
  std::vector<std::unique_ptr<ClickHouseServer>> servers;
  absl::Status started = StartCluster(servers);
  ASSERT_TRUE(started.ok()) << started;
  const std::vector<std::string> storage = {"--clickhouse.servers=" + ServerList(servers),
                                            std::string("--clickhouse.cluster=") + kCluster};
  ASSERT_EQ(InitSchema(storage, dir / "init.log"), 0) << Slurp(dir / "init.log");
  const std::string init = Slurp(dir / "init.log");
  for (const auto& s : servers) {
    EXPECT_NE(init.find(s->http_url() + ": schema applied"), std::string::npos) << init;
  }

  SkuaProcess collectors[2], query;
  for (int i = 0; i < 2; ++i) {
    collectors[i].set_role("collector");
    ASSERT_TRUE(collectors[i].Start(storage, dir / ("collector" + std::to_string(i) + ".log")))
        << collectors[i].log();
  }
  query.set_role("query");
  ASSERT_TRUE(query.Start(storage, dir / "query.log")) << query.log();

  // The same real client, one run through each collector, concurrently.
  std::optional<std::vector<SentTrace>> sent[2];
  {
    std::vector<std::thread> clients;
    for (int i = 0; i < 2; ++i) {
      clients.emplace_back([&, i] {
        sent[i] = SendWithOtelSdk(collectors[i].otlp_http(), "via-collector-" + std::to_string(i),
                                  20, dir / ("client" + std::to_string(i) + ".log"));
      });
    }
    for (auto& t : clients) t.join();
  }
  std::vector<SentTrace> all;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(sent[i].has_value()) << Slurp(dir / ("client" + std::to_string(i) + ".log"));
    ASSERT_EQ(sent[i]->size(), 20u);
    all.insert(all.end(), sent[i]->begin(), sent[i]->end());
  }

  // Every trace complete through the query server.
  std::vector<std::string> problems = MissingTraces(query.query_client(), all, seconds(30));
  EXPECT_TRUE(problems.empty()) << Summary(problems) << "\n" << query.log();
  std::set<std::string> services = FetchNames(query.query_client(), "/api/services");
  EXPECT_TRUE(services.count("via-collector-0") && services.count("via-collector-1"));

  // Each trace on exactly one shard, spans and search index rows alike; both shards used.
  for (const std::string table : {"spans_local", "span_index_local"}) {
    SCOPED_TRACE(table);
    std::map<std::string, int> rows[2] = {TraceRowsOn(*servers[0], table),
                                          TraceRowsOn(*servers[1], table)};
    for (const SentTrace& t : all) {
      const bool on0 = rows[0].count(t.trace_id) > 0, on1 = rows[1].count(t.trace_id) > 0;
      EXPECT_TRUE(on0 != on1) << "trace " << t.trace_id << " on shard 0: " << on0
                              << ", on shard 1: " << on1;
      const int n = on0 ? rows[0][t.trace_id] : on1 ? rows[1][t.trace_id] : 0;
      EXPECT_GE(n, static_cast<int>(t.span_ids.size())) << t.trace_id;
    }
    std::printf("%s: %zu traces on shard 0, %zu on shard 1\n", table.c_str(), rows[0].size(),
                rows[1].size());
    EXPECT_FALSE(rows[0].empty()) << "shard 0 got no trace";
    EXPECT_FALSE(rows[1].empty()) << "shard 1 got no trace";
  }
  for (auto* p : {&collectors[0], &collectors[1], &query}) EXPECT_EQ(p->Stop(), 0) << p->log();
}

// --- ClickHouse stopped during ingest
// -------------------------------------------------------------

// Acknowledged spans (by trace) and the answers seen by the sender threads.
struct Acked {
  std::mutex mu;
  std::map<std::string, std::set<std::string>> spans_by_trace;
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> refused{0};  // 503 (or 429) answers, retried
  std::atomic<int> unexpected{0};    // the last answer that was neither 200, 429 nor 503
};

// Sends W1 export requests over OTLP HTTP protobuf until `stop`, retrying each refused request
// until it is acknowledged (as an OTLP exporter does), and records the spans of every request
// answered 200.
void SendW1(int port, uint64_t seed, const std::atomic<bool>& stop, Acked& acked) {
  auto client = SkuaProcess::Client(port);
  if (!client) return;
  tracegen::W1Options options;
  options.seed = seed;
  options.max_spans_per_request = 64;
  tracegen::W1Generator gen(options);
  while (!stop.load()) {
    model::SpanSet request = gen.NextRequest();
    std::string body = model::convert::EncodeOtlpProto(request.spans());
    while (!stop.load()) {
      auto res = client->Post("/v1/traces", body, "application/x-protobuf");
      if (res.ok() && res->status == 200) {
        std::lock_guard<std::mutex> lock(acked.mu);
        for (const model::Span& span : request.spans()) {
          acked.spans_by_trace[span.trace_id.ToHex()].insert(span.span_id.ToHex());
        }
        ++acked.requests;
        break;
      }
      if (res.ok() && res->status != 429 && res->status != 503) {
        acked.unexpected = res->status;
        return;
      }
      ++acked.refused;
      std::this_thread::sleep_for(milliseconds(50));  // client back-off between retries
    }
  }
}

// One request over each ingest protocol while storage is down: each must be refused with the
// retryable answer of its protocol (HTTP 503, gRPC UNAVAILABLE). The problems found.
std::vector<std::string> CheckRefusedOverEveryProtocol(int otlp_grpc, int otlp_http,
                                                       int jaeger_grpc, int jaeger_http,
                                                       int zipkin) {
  tracegen::W1Options options;
  options.seed = 99;
  tracegen::W1Generator gen(options);
  model::SpanSet request = gen.NextRequest();
  std::vector<std::string> problems;
  auto payload = [&](tracegen::Protocol p) {
    auto payloads = tracegen::EncodePayloads(p, request.spans());
    return payloads.ok() && !payloads->empty() ? (*payloads)[0] : tracegen::Payload{};
  };
  for (auto [protocol, port] : {std::pair{tracegen::Protocol::kOtlpGrpc, otlp_grpc},
                                std::pair{tracegen::Protocol::kJaegerGrpc, jaeger_grpc}}) {
    tracegen::SenderOptions options;
    options.endpoint = "127.0.0.1:" + std::to_string(port);
    options.timeout_ms = 20'000;
    auto sender = tracegen::NewSender(protocol, options);
    if (!sender.ok()) {
      problems.push_back(std::string(tracegen::Info(protocol).name) + ": " +
                         std::string(sender.status().message()));
      continue;
    }
    tracegen::SendResult r = (*sender)->Send(payload(protocol));
    if (!absl::IsUnavailable(r.status)) {
      problems.push_back(std::string(tracegen::Info(protocol).name) +
                         ": expected gRPC UNAVAILABLE, got " + r.status.ToString());
    }
  }
  struct Http {
    tracegen::Protocol protocol;
    int port;
    const char* path;
    const char* content_type;
  };
  for (const Http& h :
       {Http{tracegen::Protocol::kOtlpHttpJson, otlp_http, "/v1/traces", "application/json"},
        Http{tracegen::Protocol::kOtlpHttpProto, otlp_http, "/v1/traces", "application/x-protobuf"},
        Http{tracegen::Protocol::kJaegerThriftHttp, jaeger_http, "/api/traces",
             "application/x-thrift"},
        Http{tracegen::Protocol::kZipkinJson, zipkin, "/api/v2/spans", "application/json"}}) {
    auto client = SkuaProcess::Client(h.port);
    auto res = client->Post(h.path, payload(h.protocol).bytes, h.content_type);
    if (!res.ok() || res->status != 503) {
      problems.push_back(std::string(tracegen::Info(h.protocol).name) +
                         ": expected HTTP 503, got " +
                         (res.ok() ? std::to_string(res->status) + " " + res->body.substr(0, 200)
                                   : std::string(res.status().message())));
    }
  }
  return problems;
}

// Fetches every acknowledged trace; the problems found (after retrying for up to `timeout`).
std::vector<std::string> CheckAcked(int query_port, const Acked& acked, seconds timeout) {
  std::vector<SentTrace> traces;
  for (const auto& [id, spans] : acked.spans_by_trace) traces.push_back({id, spans});
  auto query = SkuaProcess::Client(query_port);
  std::vector<std::string> problems;
  auto deadline = Clock::now() + timeout;
  for (const SentTrace& t : traces) {
    for (;;) {
      std::string error;
      auto got = FetchTraceSpanIds(*query, t.trace_id, &error);
      std::vector<std::string> missing;
      if (got) {
        for (const std::string& s : t.span_ids) {
          if (!got->count(s)) missing.push_back(s);
        }
      }
      if (got && missing.empty()) break;
      if (Clock::now() > deadline) {
        problems.push_back("trace " + t.trace_id + ": " +
                           (got ? "lacks acknowledged span " + missing[0] + " (and " +
                                      std::to_string(missing.size() - 1) + " more)"
                                : error));
        break;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  return problems;
}

TEST(ClickHouseFaults, StoppedDuringIngestRefusesRetryablyAndLosesNothingAcknowledged) {
  SKIP_WITHOUT_CLICKHOUSE();
  fs::path dir = ScratchDir("stopped");
  ClickHouseServer clickhouse(ClickHouseServerOptions{});
  absl::Status started = clickhouse.Start();
  ASSERT_TRUE(started.ok()) << started;
  const std::vector<std::string> storage = {"--clickhouse.servers=" + clickhouse.http_url(),
                                            "--clickhouse.connect-timeout=1s",
                                            "--clickhouse.timeout=10s"};
  ASSERT_EQ(InitSchema(storage, dir / "init.log"), 0) << Slurp(dir / "init.log");

  // The collector with every ingest protocol on (the harness turns the unused ones off).
  const int jaeger_grpc = FreePort(), jaeger_http = FreePort(), zipkin = FreePort();
  auto local = [](int port) { return "127.0.0.1:" + std::to_string(port); };
  std::vector<std::string> collector_flags = storage;
  collector_flags.insert(collector_flags.end(),
                         {"--collector.grpc-server.host-port=" + local(jaeger_grpc),
                          "--collector.http-server.host-port=" + local(jaeger_http),
                          "--collector.zipkin.host-port=" + local(zipkin)});
  SkuaProcess collector, query;
  collector.set_role("collector");
  ASSERT_TRUE(collector.Start(collector_flags, dir / "collector.log")) << collector.log();
  query.set_role("query");
  ASSERT_TRUE(query.Start(storage, dir / "query.log")) << query.log();

  Acked acked;
  std::atomic<bool> stop{false};
  std::vector<std::thread> senders;
  for (int t = 0; t < 3; ++t) {
    senders.emplace_back(SendW1, collector.otlp_http(), 700 + t, std::cref(stop), std::ref(acked));
  }
  auto stop_senders = [&] {
    stop = true;
    for (auto& t : senders) t.join();
    senders.clear();
  };
  ASSERT_TRUE(WaitFor([&] { return acked.requests.load() >= 20; }, seconds(30)))
      << "ingest did not start: " << acked.requests.load() << " requests acknowledged\n"
      << collector.log();

  clickhouse.Stop();
  const uint64_t refused_before = acked.refused.load();
  EXPECT_TRUE(collector.WaitHealth(503, seconds(20))) << collector.log();
  EXPECT_TRUE(query.WaitHealth(503, seconds(20))) << query.log();
  EXPECT_EQ(collector.Metric("skua_storage_ready"), 0);
  EXPECT_TRUE(WaitFor([&] { return acked.refused.load() > refused_before + 3; }, seconds(20)))
      << "the senders were not refused while ClickHouse was down";
  std::vector<std::string> protocol_problems = CheckRefusedOverEveryProtocol(
      collector.otlp_grpc(), collector.otlp_http(), jaeger_grpc, jaeger_http, zipkin);
  EXPECT_TRUE(protocol_problems.empty()) << Summary(protocol_problems);
  EXPECT_TRUE(collector.running()) << collector.log();
  {
    // Reads fail retryably too (a trace lookup: 503).
    auto trace = query.query_client().Get("/api/traces/0123456789abcdef0123456789abcdef");
    ASSERT_TRUE(trace.ok()) << trace.status();
    EXPECT_EQ(trace->status, 503) << trace->body;
  }

  // ClickHouse returns on the same directory and ports: ingest resumes by itself.
  absl::Status restarted = clickhouse.Start();
  if (!restarted.ok()) stop_senders();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_TRUE(collector.WaitHealth(200, seconds(30))) << collector.log();
  EXPECT_TRUE(query.WaitHealth(200, seconds(30))) << query.log();
  EXPECT_EQ(collector.Metric("skua_storage_ready"), 1);
  const uint64_t acked_at_restart = acked.requests.load();
  EXPECT_TRUE(WaitFor([&] { return acked.requests.load() >= acked_at_restart + 20; }, seconds(30)))
      << "ingest did not resume: " << acked.requests.load() - acked_at_restart
      << " requests acknowledged since the restart\n"
      << collector.log();
  stop_senders();
  EXPECT_EQ(acked.unexpected.load(), 0) << "an ingest request got an answer other than 200/429/503";

  std::vector<std::string> problems = CheckAcked(query.query(), acked, seconds(30));
  EXPECT_TRUE(problems.empty()) << Summary(problems) << "\n" << query.log();
  std::printf("%llu requests (%zu traces) acknowledged, %llu refusals retried\n",
              static_cast<unsigned long long>(acked.requests.load()), acked.spans_by_trace.size(),
              static_cast<unsigned long long>(acked.refused.load()));

  // One log line per transition, with the reason.
  const std::string log = collector.log();
  EXPECT_NE(log.find("storage not ready"), std::string::npos) << log;
  EXPECT_NE(log.find(clickhouse.http_url()), std::string::npos) << log;
  EXPECT_NE(log.find("storage ready"), std::string::npos) << log;
  EXPECT_EQ(collector.Stop(), 0) << collector.log();
  EXPECT_EQ(query.Stop(), 0) << query.log();
}

// --- ClickHouse unreachable at start (and `skua clickhouse init` and `retention`)
// --------------------------------------------------------------

TEST(ClickHouseFaults, UnreachableAtStartIsReportedNotReadyUntilItAnswers) {
  SKIP_WITHOUT_CLICKHOUSE();
  fs::path dir = ScratchDir("unreachable");
  const int http_port = PickFreePorts(1)[0];
  const std::string url = "http://127.0.0.1:" + std::to_string(http_port);
  const std::vector<std::string> storage = {"--clickhouse.servers=" + url,
                                            "--clickhouse.connect-timeout=1s"};
  // `skua clickhouse init` against it fails with exit code 1, naming the server.
  ASSERT_EQ(InitSchema(storage, dir / "init-refused.log"), 1) << Slurp(dir / "init-refused.log");
  EXPECT_NE(Slurp(dir / "init-refused.log").find(url), std::string::npos)
      << Slurp(dir / "init-refused.log");

  SkuaProcess collector, query;
  collector.set_role("collector");
  query.set_role("query");
  ASSERT_TRUE(collector.Launch(storage, dir / "collector.log")) << collector.log();
  ASSERT_TRUE(query.Launch(storage, dir / "query.log")) << query.log();
  for (SkuaProcess* p : {&collector, &query}) {
    // A clear error naming the server, the process stays up, and health says not ready.
    EXPECT_TRUE(WaitFor(
        [&] {
          std::string log = p->log();
          return log.find("storage not ready at start") != std::string::npos &&
                 log.find(url) != std::string::npos;
        },
        seconds(20)))
        << p->log();
    EXPECT_TRUE(p->running()) << p->log();
    EXPECT_EQ(p->Health(), 503);
  }
  // Ingest is refused meanwhile, retryably.
  {
    auto otlp = SkuaProcess::Client(collector.otlp_http());
    tracegen::W1Generator gen(tracegen::W1Options{});
    auto res = otlp->Post("/v1/traces", model::convert::EncodeOtlpProto(gen.NextRequest().spans()),
                          "application/x-protobuf");
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(res->status, 503) << res->body;
  }

  // A ClickHouse starts on that port: still not ready until the schema exists, then ready.
  ClickHouseServerOptions options;
  options.http_port = http_port;
  ClickHouseServer clickhouse(options);
  absl::Status started = clickhouse.Start();
  ASSERT_TRUE(started.ok()) << started;
  EXPECT_EQ(collector.Health(), 503);
  ASSERT_EQ(InitSchema({"--clickhouse.servers=" + url}, dir / "init.log"), 0)
      << Slurp(dir / "init.log");
  EXPECT_TRUE(collector.WaitHealth(200, seconds(30))) << collector.log();
  EXPECT_TRUE(query.WaitHealth(200, seconds(30))) << query.log();

  // And it works end to end.
  tracegen::W1Options w1;
  w1.seed = 5;
  tracegen::W1Generator gen(w1);
  model::SpanSet request = gen.NextRequest();
  auto otlp = SkuaProcess::Client(collector.otlp_http());
  auto res = otlp->Post("/v1/traces", model::convert::EncodeOtlpProto(request.spans()),
                        "application/x-protobuf");
  ASSERT_TRUE(res.ok() && res->status == 200) << (res.ok() ? res->body : res.status().ToString());
  Acked acked;
  for (const model::Span& span : request.spans()) {
    acked.spans_by_trace[span.trace_id.ToHex()].insert(span.span_id.ToHex());
  }
  std::vector<std::string> problems = CheckAcked(query.query(), acked, seconds(30));
  EXPECT_TRUE(problems.empty()) << Summary(problems);

  // `skua clickhouse retention` drops the day partitions older than the retention: spans from ten
  // days ago go, today's stay.
  tracegen::W1Options old_options;
  old_options.seed = 6;
  old_options.start_time_unix_nano =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count()) -
      uint64_t{10} * 24 * 3600 * 1'000'000'000;
  tracegen::W1Generator old_gen(old_options);
  model::SpanSet old_request = old_gen.NextRequest();
  res = otlp->Post("/v1/traces", model::convert::EncodeOtlpProto(old_request.spans()),
                   "application/x-protobuf");
  ASSERT_TRUE(res.ok() && res->status == 200) << (res.ok() ? res->body : res.status().ToString());
  const std::string old_trace = old_request.spans()[0].trace_id.ToHex();
  ASSERT_TRUE(WaitFor(
      [&] { return FetchTraceSpanIds(query.query_client(), old_trace).has_value(); }, seconds(30)));
  std::vector<std::string> retention = {SkuaBin(), "clickhouse", "retention",
                                        "--clickhouse.servers=" + url,
                                        "--clickhouse.retention=72h"};
  ASSERT_EQ(RunToExit(retention, dir / "retention.log"), 0) << Slurp(dir / "retention.log");
  EXPECT_NE(Slurp(dir / "retention.log").find("dropped spans/"), std::string::npos)
      << Slurp(dir / "retention.log");
  std::string error;
  EXPECT_FALSE(FetchTraceSpanIds(query.query_client(), old_trace, &error).has_value());
  EXPECT_NE(error.find("404"), std::string::npos) << error;
  problems = CheckAcked(query.query(), acked, seconds(30));
  EXPECT_TRUE(problems.empty()) << "today's spans must stay: " << Summary(problems);
  // Without a retention the command says what it needs.
  retention.pop_back();
  EXPECT_EQ(RunToExit(retention, dir / "retention-usage.log"), 2);
  EXPECT_NE(Slurp(dir / "retention-usage.log").find("--clickhouse.retention"), std::string::npos)
      << Slurp(dir / "retention-usage.log");

  EXPECT_EQ(collector.Stop(), 0) << collector.log();
  EXPECT_EQ(query.Stop(), 0) << query.log();
}

}  // namespace
}  // namespace skua
