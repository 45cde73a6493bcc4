#include "config/flags.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace skua::config {
namespace {

std::function<std::optional<std::string>(const std::string&)> Env(
    std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// jaeger-compat §7.2: flags map to environment variables mechanically.
TEST(FlagSetTest, EnvNameFollowsJaegerConvention) {
  EXPECT_EQ(FlagSet::EnvName("collector.zipkin.host-port"), "COLLECTOR_ZIPKIN_HOST_PORT");
  EXPECT_EQ(FlagSet::EnvName("memory.max-traces"), "MEMORY_MAX_TRACES");
  EXPECT_EQ(FlagSet::EnvName("query.base-path"), "QUERY_BASE_PATH");
}

TEST(FlagSetTest, CommandLineBeatsEnvironmentBeatsDefault) {
  FlagSet flags;
  flags.Define("a.b", "1", "");
  flags.Define("c-d", "2", "");
  flags.Define("e", "3", "");
  auto rest = flags.Parse({"--a.b=10", "pos"}, Env({{"A_B", "20"}, {"C_D", "30"}}));
  ASSERT_TRUE(rest.ok()) << rest.status();
  EXPECT_EQ(*rest, std::vector<std::string>{"pos"});
  EXPECT_EQ(flags.GetString("a.b"), "10");
  EXPECT_EQ(flags.GetString("c-d"), "30");
  EXPECT_EQ(flags.GetString("e"), "3");
  EXPECT_TRUE(flags.IsSet("c-d"));
  EXPECT_FALSE(flags.IsSet("e"));
}

TEST(FlagSetTest, EnvAliasIsReadWhenTheCanonicalNameIsUnset) {
  FlagSet flags;
  flags.Define("collector.grpc-server.host-port", ":14250", "");
  flags.AddEnvAlias("collector.grpc-server.host-port", "COLLECTOR_GRPC_HOST_PORT");
  ASSERT_TRUE(flags.Parse({}, Env({{"COLLECTOR_GRPC_HOST_PORT", ":1"}})).ok());
  EXPECT_EQ(flags.GetString("collector.grpc-server.host-port"), ":1");
  FlagSet both;
  both.Define("x.y", "d", "");
  both.AddEnvAlias("x.y", "OLD_X");
  ASSERT_TRUE(both.Parse({}, Env({{"OLD_X", "old"}, {"X_Y", "new"}})).ok());
  EXPECT_EQ(both.GetString("x.y"), "new");
  EXPECT_NE(both.Usage().find("OLD_X"), std::string::npos);
}

TEST(FlagSetTest, SeparateValueAndBareBoolean) {
  FlagSet flags;
  flags.Define("port", ":1", "");
  flags.Define("enabled", "false", "");
  ASSERT_TRUE(flags.Parse({"--port", ":2", "--enabled"}, Env({})).ok());
  EXPECT_EQ(flags.GetString("port"), ":2");
  EXPECT_EQ(*flags.GetBool("enabled"), true);
}

TEST(FlagSetTest, UnknownFlagIsAnError) {
  FlagSet flags;
  auto rest = flags.Parse({"--nope=1"}, Env({}));
  EXPECT_FALSE(rest.ok());
  EXPECT_NE(rest.status().message().find("--nope"), std::string_view::npos);
}

TEST(FlagSetTest, TypedGettersRejectGarbage) {
  FlagSet flags;
  flags.Define("n", "x", "");
  ASSERT_TRUE(flags.Parse({}, Env({})).ok());
  EXPECT_FALSE(flags.GetInt("n").ok());
  EXPECT_FALSE(flags.GetBool("n").ok());
  EXPECT_FALSE(flags.GetBytes("n").ok());
  EXPECT_FALSE(flags.GetDurationNanos("n").ok());
}

TEST(FlagSetTest, Sizes) {
  FlagSet flags;
  flags.Define("s", "4MiB", "");
  flags.Define("t", "100", "");
  ASSERT_TRUE(flags.Parse({}, Env({})).ok());
  EXPECT_EQ(*flags.GetBytes("s"), 4u << 20);
  EXPECT_EQ(*flags.GetBytes("t"), 100u);
}

// jaeger-compat §7.2: duration flags take Go durations; a bare integer is a number of seconds.
TEST(FlagSetTest, Durations) {
  FlagSet flags;
  flags.Define("go", "1m30s", "");
  flags.Define("bare", "30", "");
  flags.Define("frac", "1.5ms", "");
  flags.Define("bad", "5d", "");
  ASSERT_TRUE(flags.Parse({}, Env({})).ok());
  EXPECT_EQ(*flags.GetDurationNanos("go"), 90'000'000'000);
  EXPECT_EQ(*flags.GetDurationNanos("bare"), 30'000'000'000);
  EXPECT_EQ(*flags.GetDurationNanos("frac"), 1'500'000);
  absl::StatusOr<int64_t> bad = flags.GetDurationNanos("bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.status().message()),
            "--bad: time: unknown unit \"d\" in duration \"5d\"");
}

}  // namespace
}  // namespace skua::config
