// Multi-tenancy end to end (jaeger-compat §7.4): a real skua with --multi-tenancy.enabled=true,
// two tenants sending over OTLP HTTP and OTLP gRPC, and each reading back through /api with its own
// tenant header: each sees only its own traces and services; requests without a (known) tenant are
// refused at ingest (401 / PERMISSION_DENIED) and at query (401). Runs on the all-in-one with the
// memory and the embedded store, and on `skua collector` + `skua query` sharing a real ClickHouse
// server (skipped when clickhouse-server is not installed).
//
// Real processes only: skua from $SKUA_BIN (tests/integration/skua_process.h); the OTLP gRPC
// client is generated from our own .proto files.
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"
#include "simdjson.h"
#include "tests/integration/skua_process.h"
#ifdef SKUA_TENANCY_WITH_CLICKHOUSE
#include "storage/clickhouse/clickhouse_test_server.h"
#endif

namespace skua {
namespace {

namespace collector = opentelemetry::proto::collector::trace::v1;
namespace fs = std::filesystem;
using testing::Clock;
using testing::SkuaBin;
using testing::SkuaProcess;
using testing::Slurp;
using Headers = std::vector<std::pair<std::string, std::string>>;

using testing::ScratchDir;

// Polls `condition` until it holds or `timeout` passes; its last value.
template <typename F>
bool WaitFor(F condition, std::chrono::seconds timeout) {
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

// One trace of two spans of `service`, starting now; its ID is 16 bytes ending in `n`.
struct SentTrace {
  std::string service;
  std::string trace_hex;
  collector::ExportTraceServiceRequest request;
};

SentTrace MakeTrace(const std::string& service, uint8_t n) {
  SentTrace t;
  t.service = service;
  std::string id(16, '\0');
  id[0] = '\x7e';
  id[15] = static_cast<char>(n);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : id) {
    t.trace_hex += kHex[c >> 4];
    t.trace_hex += kHex[c & 15];
  }
  auto* rs = t.request.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value(service);
  auto* ss = rs->add_scope_spans();
  const uint64_t now =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  for (int i = 1; i <= 2; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(id);
    span->set_span_id(std::string(7, '\0') + static_cast<char>(i));
    if (i == 2) span->set_parent_span_id(std::string(7, '\0') + '\x01');
    span->set_name(service + "-op" + std::to_string(i));
    span->set_start_time_unix_nano(now - 1'000'000);
    span->set_end_time_unix_nano(now);
  }
  return t;
}

// OTLP over HTTP (protobuf) with the given extra headers.
absl::StatusOr<net::HttpClientResponse> PostOtlpHttp(int port, const SentTrace& trace,
                                                     const Headers& headers) {
  auto client = SkuaProcess::Client(port);
  if (client == nullptr) return absl::UnavailableError("no client");
  return client->Post("/v1/traces", trace.request.SerializeAsString(), "application/x-protobuf",
                      headers);
}

// OTLP over gRPC with the given metadata.
grpc::Status ExportOtlpGrpc(int port, const SentTrace& trace, const Headers& metadata) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto stub = collector::TraceService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
  collector::ExportTraceServiceResponse response;
  return stub->Export(&ctx, trace.request, &response);
}

Headers Tenant(const std::string& tenant) { return {{"x-tenant", tenant}}; }

// The "data" string array of GET `path`; nullopt unless the answer is 200 with one.
std::optional<std::set<std::string>> Names(net::HttpClient& query, const std::string& path,
                                           const Headers& headers) {
  auto res = query.Get(path, headers);
  if (!res.ok() || res->status != 200) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array data;
  if (parser.parse(res->body).get(root) != simdjson::SUCCESS ||
      root["data"].get_array().get(data) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  std::set<std::string> out;
  for (simdjson::dom::element e : data) {
    std::string_view s;
    if (e.get_string().get(s) == simdjson::SUCCESS) out.emplace(s);
  }
  return out;
}

// The trace IDs in a /api/traces search answer; nullopt unless 200.
std::optional<std::set<std::string>> SearchTraceIds(net::HttpClient& query,
                                                    const std::string& service,
                                                    const Headers& headers) {
  auto res = query.Get("/api/traces?service=" + service + "&lookback=1h", headers);
  if (!res.ok() || res->status != 200) return std::nullopt;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array data;
  if (parser.parse(res->body).get(root) != simdjson::SUCCESS ||
      root["data"].get_array().get(data) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  std::set<std::string> out;
  for (simdjson::dom::element trace : data) {
    std::string_view id;
    if (trace["traceID"].get_string().get(id) == simdjson::SUCCESS) out.emplace(id);
  }
  return out;
}

// For failure messages: the status and body of GET `path`.
std::string Body(net::HttpClient& query, const std::string& path, const Headers& headers) {
  auto res = query.Get(path, headers);
  if (!res.ok()) return std::string(res.status().message());
  return std::to_string(res->status) + " " + res->body;
}

int TraceStatus(net::HttpClient& query, const std::string& trace_hex, const Headers& headers) {
  auto res = query.Get("/api/traces/" + trace_hex, headers);
  return res.ok() ? res->status : -1;
}

// The whole scenario against one ingesting process and one serving process (the same process for
// the all-in-one). Tenants "acme" and "beta" each send one trace over OTLP HTTP and one over OTLP
// gRPC; `listed_tenants`: the process was started with --multi-tenancy.tenants=acme,beta.
void RunTwoTenantScenario(SkuaProcess& ingest, SkuaProcess& serve, bool listed_tenants) {
  const SentTrace acme_http = MakeTrace("acme-http", 1), acme_grpc = MakeTrace("acme-grpc", 2);
  const SentTrace beta_http = MakeTrace("beta-http", 3), beta_grpc = MakeTrace("beta-grpc", 4);

  // Ingest: every acknowledged request is stored under its tenant.
  for (const auto& [trace, tenant] :
       {std::pair{&acme_http, "acme"}, std::pair{&beta_http, "beta"}}) {
    auto res = PostOtlpHttp(ingest.otlp_http(), *trace, Tenant(tenant));
    ASSERT_TRUE(res.ok()) << res.status();
    ASSERT_EQ(res->status, 200) << res->body;
  }
  for (const auto& [trace, tenant] :
       {std::pair{&acme_grpc, "acme"}, std::pair{&beta_grpc, "beta"}}) {
    grpc::Status s = ExportOtlpGrpc(ingest.otlp_grpc(), *trace, Tenant(tenant));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // Ingest refusals: nothing of these may show up anywhere below.
  const SentTrace stray = MakeTrace("stray", 9);
  auto missing = PostOtlpHttp(ingest.otlp_http(), stray, {});
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->body, "missing tenant header\n");
  auto twice =
      PostOtlpHttp(ingest.otlp_http(), stray, {{"x-tenant", "acme"}, {"x-tenant", "beta"}});
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->status, 401);
  EXPECT_EQ(twice->body, "extra tenant header\n");
  grpc::Status s = ExportOtlpGrpc(ingest.otlp_grpc(), stray, {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "missing tenant header");
  s = ExportOtlpGrpc(ingest.otlp_grpc(), stray, {{"x-tenant", "acme"}, {"x-tenant", "acme"}});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(s.error_message(), "extra tenant header");
  int refusals = 4;
  if (listed_tenants) {
    auto unknown = PostOtlpHttp(ingest.otlp_http(), stray, Tenant("umbrella"));
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->status, 401);
    EXPECT_EQ(unknown->body, "unknown tenant\n");
    s = ExportOtlpGrpc(ingest.otlp_grpc(), stray, Tenant("umbrella"));
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(s.error_message(), "unknown tenant");
    refusals += 2;
  }
  EXPECT_EQ(ingest.Metric("skua_receiver_requests_rejected_total"), refusals)
      << ingest.MetricsText();

  // Query: each tenant sees its own services and traces only. Polled: a store may take a moment to
  // make an acknowledged span searchable.
  net::HttpClient& query = serve.query_client();
  const std::set<std::string> acme_services = {"acme-grpc", "acme-http"};
  const std::set<std::string> beta_services = {"beta-grpc", "beta-http"};
  EXPECT_TRUE(WaitFor(
      [&] {
        return Names(query, "/api/services", Tenant("acme")) == acme_services &&
               Names(query, "/api/services", Tenant("beta")) == beta_services;
      },
      std::chrono::seconds(30)))
      << "acme: " << Body(query, "/api/services", Tenant("acme"))
      << " beta: " << Body(query, "/api/services", Tenant("beta"));
  for (const SentTrace* t : {&acme_http, &acme_grpc}) {
    EXPECT_TRUE(WaitFor([&] { return TraceStatus(query, t->trace_hex, Tenant("acme")) == 200; },
                        std::chrono::seconds(30)))
        << t->service;
    EXPECT_EQ(TraceStatus(query, t->trace_hex, Tenant("beta")), 404) << t->service;
    EXPECT_EQ(SearchTraceIds(query, t->service, Tenant("acme")),
              std::set<std::string>{t->trace_hex});
    EXPECT_EQ(SearchTraceIds(query, t->service, Tenant("beta")), std::set<std::string>{});
  }
  for (const SentTrace* t : {&beta_http, &beta_grpc}) {
    EXPECT_TRUE(WaitFor([&] { return TraceStatus(query, t->trace_hex, Tenant("beta")) == 200; },
                        std::chrono::seconds(30)))
        << t->service;
    EXPECT_EQ(TraceStatus(query, t->trace_hex, Tenant("acme")), 404) << t->service;
    EXPECT_EQ(SearchTraceIds(query, t->service, Tenant("acme")), std::set<std::string>{});
  }
  // Operations are per tenant too.
  EXPECT_EQ(Names(query, "/api/services/acme-http/operations", Tenant("acme")),
            (std::set<std::string>{"acme-http-op1", "acme-http-op2"}));
  EXPECT_EQ(Names(query, "/api/services/acme-http/operations", Tenant("beta")),
            std::set<std::string>{});
  // The refused trace went nowhere: not under either tenant.
  for (const char* tenant : {"acme", "beta"}) {
    EXPECT_EQ(TraceStatus(query, stray.trace_hex, Tenant(tenant)), 404) << tenant;
  }

  // Query refusals: 401 with Jaeger's text.
  auto res = query.Get("/api/services");
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->body, "missing tenant header\n");
  res = query.Get("/api/traces/" + acme_http.trace_hex);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 401);
  res = query.Get("/api/services", {{"x-tenant", "acme"}, {"x-tenant", "beta"}});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->body, "extra tenant header\n");
  if (listed_tenants) {
    res = query.Get("/api/services", Tenant("umbrella"));
    ASSERT_TRUE(res.ok());
    EXPECT_EQ(res->status, 401);
    EXPECT_EQ(res->body, "unknown tenant\n");
  } else {
    // Any tenant is accepted, and a tenant nobody wrote to is empty.
    EXPECT_EQ(Names(query, "/api/services", Tenant("umbrella")), std::set<std::string>{});
  }
}

std::vector<std::string> TenancyFlags(bool listed) {
  std::vector<std::string> flags = {"--multi-tenancy.enabled=true"};
  if (listed) flags.push_back("--multi-tenancy.tenants=acme, beta");
  return flags;
}

TEST(TenancyAllInOne, MemoryStore) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("memory");
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(TenancyFlags(/*listed=*/true), dir / "skua.log",
                         {{"SPAN_STORAGE_TYPE", "memory"}}))
      << skua.log();
  RunTwoTenantScenario(skua, skua, /*listed_tenants=*/true);
  EXPECT_NE(skua.log().find("multi-tenancy: header x-tenant, tenants acme,beta"), std::string::npos)
      << skua.log();
  EXPECT_EQ(skua.Stop(), 0) << skua.log();
}

// The default store, and the flags given as environment variables; any tenant accepted.
TEST(TenancyAllInOne, EmbeddedStoreWithEnvironment) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("embedded");
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start({"--embedded.directory=" + (dir / "data").string()}, dir / "skua.log",
                         {{"SPAN_STORAGE_TYPE", "embedded"}, {"MULTI_TENANCY_ENABLED", "true"}}))
      << skua.log();
  RunTwoTenantScenario(skua, skua, /*listed_tenants=*/false);
  EXPECT_EQ(skua.Stop(), 0) << skua.log();
}

// Tenancy on, but the default tenant's data written before is not reachable through any header,
// and with tenancy off again the tenants' data is not visible as the default tenant's.
TEST(TenancyAllInOne, DefaultTenantStaysApartAcrossRestarts) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("restart");
  const std::string data = "--embedded.directory=" + (dir / "data").string();
  const SentTrace untenanted = MakeTrace("no-tenant", 5), tenanted = MakeTrace("acme-only", 6);
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start({data}, dir / "off.log", {{"SPAN_STORAGE_TYPE", "embedded"}}))
        << skua.log();
    auto res = PostOtlpHttp(skua.otlp_http(), untenanted, Tenant("acme"));  // header ignored
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res->status, 200);
    ASSERT_EQ(skua.Stop(), 0) << skua.log();
  }
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start({data, "--multi-tenancy.enabled=true"}, dir / "on.log",
                           {{"SPAN_STORAGE_TYPE", "embedded"}}))
        << skua.log();
    auto res = PostOtlpHttp(skua.otlp_http(), tenanted, Tenant("acme"));
    ASSERT_TRUE(res.ok());
    ASSERT_EQ(res->status, 200);
    EXPECT_TRUE(WaitFor(
        [&] {
          return Names(skua.query_client(), "/api/services", Tenant("acme")) ==
                 std::set<std::string>{"acme-only"};
        },
        std::chrono::seconds(30)));
    EXPECT_EQ(TraceStatus(skua.query_client(), untenanted.trace_hex, Tenant("acme")), 404);
    ASSERT_EQ(skua.Stop(), 0) << skua.log();
  }
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start({data}, dir / "off-again.log", {{"SPAN_STORAGE_TYPE", "embedded"}}))
        << skua.log();
    EXPECT_TRUE(WaitFor(
        [&] {
          return Names(skua.query_client(), "/api/services", {}) ==
                 std::set<std::string>{"no-tenant"};
        },
        std::chrono::seconds(30)))
        << Body(skua.query_client(), "/api/services", {});
    EXPECT_EQ(TraceStatus(skua.query_client(), tenanted.trace_hex, {}), 404);
    EXPECT_EQ(skua.Stop(), 0) << skua.log();
  }
}

TEST(TenancyAllInOne, InvalidHeaderNameIsRefusedAtStart) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("bad-header");
  SkuaProcess skua;
  EXPECT_FALSE(skua.Start({"--multi-tenancy.enabled=true", "--multi-tenancy.header=x tenant"},
                          dir / "skua.log", {{"SPAN_STORAGE_TYPE", "memory"}},
                          std::chrono::seconds(30)));
  EXPECT_NE(skua.exit_status(), 0);
  EXPECT_NE(skua.log().find("--multi-tenancy.header"), std::string::npos) << skua.log();
}

#ifdef SKUA_TENANCY_WITH_CLICKHOUSE
using storage::clickhouse::testing::ClickHouseInstalled;
using storage::clickhouse::testing::ClickHouseServer;
using storage::clickhouse::testing::ClickHouseServerOptions;

// Runs `args` to completion (output appended to `log`); its exit code, or -1.
int RunToExit(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = testing::Spawn(args, {}, log);
  if (pid < 0) return -1;
  for (auto deadline = Clock::now() + std::chrono::seconds(60); Clock::now() < deadline;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

// The same through the split roles: tenancy is checked by the collector at ingest and by the query
// server at read, and the tenant travels through ClickHouse.
TEST(TenancyClickHouse, CollectorAndQuery) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  if (!ClickHouseInstalled()) {
    GTEST_SKIP() << "clickhouse-server is not installed (scripts/install-deps.sh --test)";
  }
  fs::path dir = ScratchDir("clickhouse");
  ClickHouseServer clickhouse(ClickHouseServerOptions{});
  absl::Status started = clickhouse.Start();
  ASSERT_TRUE(started.ok()) << started;
  const std::vector<std::string> storage = {"--clickhouse.servers=" + clickhouse.http_url()};
  std::vector<std::string> init = {SkuaBin(), "clickhouse", "init"};
  init.insert(init.end(), storage.begin(), storage.end());
  ASSERT_EQ(RunToExit(init, dir / "init.log"), 0) << Slurp(dir / "init.log");

  std::vector<std::string> flags = storage;
  for (const std::string& f : TenancyFlags(/*listed=*/true)) flags.push_back(f);
  const std::map<std::string, std::string> env = {{"SPAN_STORAGE_TYPE", "clickhouse"}};
  SkuaProcess collector, query;
  collector.set_role("collector");
  ASSERT_TRUE(collector.Start(flags, dir / "collector.log", env)) << collector.log();
  query.set_role("query");
  ASSERT_TRUE(query.Start(flags, dir / "query.log", env)) << query.log();
  RunTwoTenantScenario(collector, query, /*listed_tenants=*/true);
  EXPECT_EQ(collector.Stop(), 0) << collector.log();
  EXPECT_EQ(query.Stop(), 0) << query.log();
}
#endif

}  // namespace
}  // namespace skua
