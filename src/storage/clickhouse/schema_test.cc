#include "storage/clickhouse/schema.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/clickhouse/clickhouse_client.h"
#include "storage/clickhouse/clickhouse_storage.h"

namespace skua::storage::clickhouse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SchemaTest, SingleServer) {
  ClickHouseOptions o;
  o.servers = {"127.0.0.1:8123"};
  o.database = "tracing";
  std::vector<std::string> statements = SchemaStatements(o);
  ASSERT_GE(statements.size(), 5u);
  EXPECT_EQ(statements[0], "CREATE DATABASE IF NOT EXISTS tracing");
  for (const std::string& s : statements) {
    EXPECT_THAT(s, Not(HasSubstr("{"))) << s;  // every placeholder filled
    EXPECT_THAT(s, Not(HasSubstr("_local"))) << s;
    EXPECT_THAT(s, Not(HasSubstr("Distributed"))) << s;
    EXPECT_THAT(s, HasSubstr("IF NOT EXISTS")) << s;  // idempotent
    EXPECT_THAT(s, Not(HasSubstr("TTL"))) << s;        // ClickHouse 18.16 has none
    EXPECT_THAT(s, Not(HasSubstr("CODEC"))) << s;
    EXPECT_NE(s.back(), ';');
  }
  EXPECT_THAT(statements[1], HasSubstr("CREATE TABLE IF NOT EXISTS tracing.spans ("));
  EXPECT_THAT(statements[1], HasSubstr("ORDER BY (tenant, trace_id)"));
}

TEST(SchemaTest, ClusterMode) {
  ClickHouseOptions o;
  o.servers = {"127.0.0.1:8123"};
  o.cluster = "c1";
  std::vector<std::string> statements = SchemaStatements(o);
  std::string all;
  for (const std::string& s : statements) all += s + ";\n";
  EXPECT_THAT(all, HasSubstr("CREATE TABLE IF NOT EXISTS skua.spans_local ("));
  EXPECT_THAT(all, HasSubstr("TO skua.operations_local"));
  EXPECT_THAT(all, HasSubstr("FROM skua.span_index_local"));
  EXPECT_THAT(all, HasSubstr("ENGINE = Distributed('c1', 'skua', 'spans_local', "
                             "cityHash64(trace_id))"));
  EXPECT_THAT(all, HasSubstr("ENGINE = Distributed('c1', 'skua', 'span_index_local', "
                             "cityHash64(trace_id))"));
  EXPECT_THAT(all, Not(HasSubstr("{")));
}

TEST(ClickHouseOptionsTest, Validate) {
  ClickHouseOptions ok;
  ok.servers = {"http://127.0.0.1:8123", "localhost:9000"};
  EXPECT_TRUE(ok.Validate().ok()) << ok.Validate();
  auto bad = [&](auto mutate) {
    ClickHouseOptions o = ok;
    mutate(o);
    return o.Validate().code();
  };
  EXPECT_EQ(bad([](auto& o) { o.servers.clear(); }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.servers = {"ftp://x"}; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.database = "a-b"; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.database = "x; DROP"; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.cluster = "c'"; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.tls_cert_file = "c.pem"; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.tls_ca_file = "/nonexistent/ca.pem"; }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.request_timeout = absl::ZeroDuration(); }),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.max_rows_per_insert = 0; }), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad([](auto& o) { o.retention = -absl::Hours(1); }),
            absl::StatusCode::kInvalidArgument);
}

// ClickHouse's error answers map to codes the gateways turn into retry-or-not decisions.
TEST(StatusFromClickHouseErrorTest, Codes) {
  const std::string server = "http://ch:8123";
  auto missing = StatusFromClickHouseError(
      server, 404, "Code: 60, e.displayText() = DB::Exception: Table skua.spans doesn't exist.\n");
  EXPECT_EQ(missing.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("run `skua clickhouse init`"));
  EXPECT_THAT(std::string(missing.message()), HasSubstr(server));
  EXPECT_EQ(StatusFromClickHouseError(server, 404, "Code: 81, e.displayText() = no db").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusFromClickHouseError(server, 500, "Code: 252, e.displayText() = Too many parts")
                .code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromClickHouseError(server, 500, "Code: 241, e.displayText() = Memory").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromClickHouseError(server, 500, "Code: 516, e.displayText() = auth").code(),
            absl::StatusCode::kFailedPrecondition);
  auto syntax = StatusFromClickHouseError(
      server, 400, "Code: 62, e.displayText() = DB::Exception: Syntax error\nstack trace…");
  EXPECT_EQ(syntax.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(syntax.message()), HasSubstr("Syntax error"));
  EXPECT_THAT(std::string(syntax.message()), Not(HasSubstr("stack trace")));
  EXPECT_EQ(StatusFromClickHouseError(server, 502, "").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusFromClickHouseError(server, 200, "Code: xx").code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace skua::storage::clickhouse
