#include "server/server.h"

#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_client.h"
#include "server/ports.h"

namespace skua::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr Role kRoles[] = {Role::kAllInOne, Role::kCollector, Role::kQuery};

// The flags of `role` after parsing `args` (no environment).
absl::Status ParseFlags(Role role, const std::vector<std::string>& args, config::FlagSet& flags) {
  DefineFlags(role, flags);
  auto rest = flags.Parse(args, [](const std::string&) { return std::nullopt; });
  return rest.status();
}

TEST(RoleTest, NamesRoundTrip) {
  for (Role role : kRoles) EXPECT_EQ(ParseRole(RoleName(role)), role);
  EXPECT_EQ(RoleName(Role::kCollector), "collector");
  EXPECT_EQ(ParseRole("ingester"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
}

TEST(RoleTest, AdminPortDefaultsFollowJaeger) {
  // jaeger-compat §1.1 / §7.1: collector and all-in-one 14269, query 16687.
  const std::pair<Role, int> expected[] = {
      {Role::kAllInOne, kCollectorAdminPort}, {Role::kCollector, 14269}, {Role::kQuery, 16687}};
  for (const auto& [role, port] : expected) {
    config::FlagSet flags;
    DefineFlags(role, flags);
    EXPECT_EQ(flags.GetString("admin.http.host-port"), ":" + std::to_string(port))
        << RoleName(role);
  }
}

TEST(RoleTest, ExplicitAdminPortWins) {
  config::FlagSet flags;
  ASSERT_TRUE(ParseFlags(Role::kQuery, {"--admin.http.host-port=:9999"}, flags).ok());
  EXPECT_EQ(flags.GetString("admin.http.host-port"), ":9999");
}

TEST(RoleTest, StorageDefaults) {
  const std::pair<Role, std::string> expected[] = {{Role::kAllInOne, "embedded"},
                                                   {Role::kCollector, "clickhouse"},
                                                   {Role::kQuery, "clickhouse"}};
  for (const auto& [role, type] : expected) {
    config::FlagSet flags;
    DefineFlags(role, flags);
    EXPECT_EQ(flags.GetString("span-storage.type"), type) << RoleName(role);
  }
}

TEST(RoleTest, EachRoleDeclaresOnlyTheFlagsItUses) {
  config::FlagSet collector, query, all;
  DefineFlags(Role::kCollector, collector);
  DefineFlags(Role::kQuery, query);
  DefineFlags(Role::kAllInOne, all);
  EXPECT_THAT(collector.Usage(), HasSubstr("--collector.otlp.grpc.host-port"));
  EXPECT_THAT(collector.Usage(), HasSubstr("--clickhouse.retention"));
  EXPECT_THAT(collector.Usage(), Not(HasSubstr("--query.")));
  EXPECT_THAT(collector.Usage(), Not(HasSubstr("--embedded.")));
  EXPECT_THAT(collector.Usage(), Not(HasSubstr("--memory.")));
  EXPECT_THAT(query.Usage(), HasSubstr("--query.http-server.host-port"));
  EXPECT_THAT(query.Usage(), HasSubstr("--clickhouse.servers"));
  EXPECT_THAT(query.Usage(), Not(HasSubstr("--collector.")));
  EXPECT_THAT(query.Usage(), Not(HasSubstr("--processor.")));
  EXPECT_THAT(query.Usage(), Not(HasSubstr("--clickhouse.retention")));  // never drops data
  for (const char* flag : {"--collector.otlp.grpc.host-port", "--query.base-path",
                           "--embedded.directory", "--badger.ephemeral", "--clickhouse.servers",
                           "--memory.max-traces", "--clickhouse.retention"}) {
    EXPECT_THAT(all.Usage(), HasSubstr(flag));
  }
  config::FlagSet parsed;
  auto s = ParseFlags(Role::kCollector, {"--query.base-path=/x"}, parsed);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
}

TEST(RoleTest, CollectorAndQueryRefuseSingleProcessStores) {
  for (Role role : {Role::kCollector, Role::kQuery}) {
    for (const char* type : {"memory", "embedded", "badger"}) {
      config::FlagSet flags;
      ASSERT_TRUE(ParseFlags(role, {std::string("--span-storage.type=") + type}, flags).ok());
      auto server = NewServer(role, flags, {});
      ASSERT_FALSE(server.ok()) << RoleName(role) << " " << type;
      EXPECT_TRUE(absl::IsInvalidArgument(server.status()));
      const std::string message(server.status().message());
      EXPECT_THAT(message, HasSubstr(std::string("SPAN_STORAGE_TYPE=") + type));
      EXPECT_THAT(message, HasSubstr("Use SPAN_STORAGE_TYPE=clickhouse"));
      EXPECT_THAT(message, HasSubstr("skua all-in-one"));
      EXPECT_THAT(message, HasSubstr(type == std::string("memory") ? "inside this process"
                                                                   : "one skua process locks"));
    }
  }
}

TEST(RoleTest, UnknownStorageType) {
  config::FlagSet flags;
  ASSERT_TRUE(ParseFlags(Role::kQuery, {"--span-storage.type=cassandra"}, flags).ok());
  auto server = NewServer(Role::kQuery, flags, {});
  EXPECT_TRUE(absl::IsInvalidArgument(server.status()));
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("'cassandra'"));
}

#ifdef SKUA_HAVE_CLICKHOUSE
TEST(RoleTest, DescribeShowsTheRoleAndItsDefaultPorts) {
  config::FlagSet collector_flags, query_flags;
  ASSERT_TRUE(ParseFlags(Role::kCollector, {}, collector_flags).ok());
  ASSERT_TRUE(ParseFlags(Role::kQuery, {}, query_flags).ok());
  auto collector = NewServer(Role::kCollector, collector_flags, {});
  auto query = NewServer(Role::kQuery, query_flags, {});
  ASSERT_TRUE(collector.ok()) << collector.status();
  ASSERT_TRUE(query.ok()) << query.status();
  const std::string c = (*collector)->Describe();
  const std::string q = (*query)->Describe();
  EXPECT_THAT(c, HasSubstr("role: collector; storage: clickhouse at http://127.0.0.1:8123"));
  EXPECT_THAT(c, HasSubstr("otlp grpc :4317 http :4318"));
  EXPECT_THAT(c, HasSubstr("admin :14269"));
  EXPECT_THAT(c, Not(HasSubstr("query")));
  EXPECT_THAT(q, HasSubstr("role: query; storage: clickhouse"));
  EXPECT_THAT(q, HasSubstr("query :16686; admin :16687"));
  EXPECT_THAT(q, Not(HasSubstr("otlp")));
}
#endif

// A started all-in-one answers its health check ready (memory storage is always ready) and
// Describe() reports the bound ports.
TEST(ServerTest, AllInOneStartsReadyOnPortZero) {
  config::FlagSet flags;
  ASSERT_TRUE(
      ParseFlags(Role::kAllInOne,
                 {"--span-storage.type=memory", "--admin.http.host-port=127.0.0.1:0",
                  "--query.http-server.host-port=127.0.0.1:0",
                  "--collector.otlp.grpc.host-port=127.0.0.1:0",
                  "--collector.otlp.http.host-port=127.0.0.1:0",
                  "--collector.grpc-server.host-port=", "--collector.http-server.host-port=",
                  "--collector.zipkin.host-port=", "--processor.jaeger-compact.server-host-port=",
                  "--processor.jaeger-binary.server-host-port="},
                 flags)
          .ok());
  auto server = NewServer(Role::kAllInOne, flags, {});
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)->Start().ok());
  const std::string d = (*server)->Describe();
  EXPECT_THAT(d, HasSubstr("role: all-in-one; storage: memory"));
  size_t at = d.find("; admin :");
  ASSERT_NE(at, std::string::npos) << d;
  const int admin_port = std::stoi(d.substr(at + 9));
  EXPECT_GT(admin_port, 0);
  auto client = net::NewHttpClient({.base_url = "http://127.0.0.1:" + std::to_string(admin_port)});
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Get("/");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 200) << res->body;
  (*server)->Stop();
  auto after = (*client)->Get("/");
  EXPECT_FALSE(after.ok() && after->status == 200);
}

}  // namespace
}  // namespace skua::server
