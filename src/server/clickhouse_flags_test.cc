#include "server/clickhouse_flags.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::server {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Parses `args` and the environment `env` into options.
absl::StatusOr<storage::clickhouse::ClickHouseOptions> Parse(
    const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
    bool with_retention = true) {
  config::FlagSet flags;
  DefineClickHouseFlags(flags, with_retention);
  auto rest = flags.Parse(args, [&](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  if (!rest.ok()) return rest.status();
  return ParseClickHouseFlags(flags);
}

TEST(ClickHouseFlagsTest, Defaults) {
  auto o = Parse({});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->servers, ElementsAre("http://127.0.0.1:8123"));
  EXPECT_EQ(o->database, "skua");
  EXPECT_EQ(o->username, "default");
  EXPECT_EQ(o->password, "");
  EXPECT_EQ(o->cluster, "");
  EXPECT_EQ(o->connect_timeout, absl::Seconds(5));
  EXPECT_EQ(o->request_timeout, absl::Seconds(30));
  EXPECT_FALSE(o->create_schema);
  EXPECT_EQ(o->retention, absl::ZeroDuration());
  EXPECT_EQ(o->max_rows_per_insert, 100'000u);
  EXPECT_FALSE(o->tls_skip_verify);
}

// A readable file (the backend checks that TLS files can be read).
std::string TempFile(const std::string& name) {
  std::string path =
      ::testing::TempDir() + "/clickhouse_flags_test_" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
  return path;
}

TEST(ClickHouseFlagsTest, EveryFlagFromTheCommandLine) {
  const std::string ca = TempFile("ca.pem"), cert = TempFile("c.pem"), key = TempFile("k.pem");
  auto o = Parse({"--clickhouse.servers= ch1:8123 ,https://ch2:8443,,", "--clickhouse.database=t",
                  "--clickhouse.username=u", "--clickhouse.password=p", "--clickhouse.cluster=c",
                  "--clickhouse.tls.ca=" + ca, "--clickhouse.tls.cert=" + cert,
                  "--clickhouse.tls.key=" + key, "--clickhouse.connect-timeout=2s",
                  "--clickhouse.timeout=1m", "--clickhouse.create-schema",
                  "--clickhouse.retention=168h", "--clickhouse.max-rows-per-insert=500"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->servers, ElementsAre("http://ch1:8123", "https://ch2:8443"));
  EXPECT_EQ(o->database, "t");
  EXPECT_EQ(o->username, "u");
  EXPECT_EQ(o->password, "p");
  EXPECT_EQ(o->cluster, "c");
  EXPECT_EQ(o->tls_ca_file, ca);
  EXPECT_EQ(o->tls_cert_file, cert);
  EXPECT_EQ(o->tls_key_file, key);
  EXPECT_EQ(o->connect_timeout, absl::Seconds(2));
  EXPECT_EQ(o->request_timeout, absl::Minutes(1));
  EXPECT_TRUE(o->create_schema);
  EXPECT_EQ(o->retention, absl::Hours(168));
  EXPECT_EQ(o->max_rows_per_insert, 500u);
  for (const std::string& f : {ca, cert, key}) std::remove(f.c_str());
}

TEST(ClickHouseFlagsTest, EnvironmentVariablesUseJaegerNaming) {
  auto o = Parse({"--clickhouse.database=flag_wins"}, {{"CLICKHOUSE_SERVERS", "a:1,b:2"},
                                                       {"CLICKHOUSE_DATABASE", "env"},
                                                       {"CLICKHOUSE_TLS_ENABLED", "true"},
                                                       {"CLICKHOUSE_TLS_SKIP_HOST_VERIFY", "true"},
                                                       {"CLICKHOUSE_MAX_ROWS_PER_INSERT", "7"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_THAT(o->servers, ElementsAre("https://a:1", "https://b:2"));
  EXPECT_EQ(o->database, "flag_wins");
  EXPECT_TRUE(o->tls_skip_verify);
  EXPECT_EQ(o->max_rows_per_insert, 7u);
}

TEST(ClickHouseFlagsTest, TlsMismatchesAreErrors) {
  auto plain = Parse({"--clickhouse.servers=http://a:8123", "--clickhouse.tls.enabled=true"});
  EXPECT_TRUE(absl::IsInvalidArgument(plain.status()));
  EXPECT_THAT(std::string(plain.status().message()), HasSubstr("http://a:8123"));

  auto ignored_ca = Parse({"--clickhouse.tls.ca=/ca.pem"});
  EXPECT_TRUE(absl::IsInvalidArgument(ignored_ca.status()));
  EXPECT_THAT(std::string(ignored_ca.status().message()), HasSubstr("no server uses TLS"));

  auto cert_without_key = Parse({"--clickhouse.servers=https://a", "--clickhouse.tls.cert=/c"});
  EXPECT_TRUE(absl::IsInvalidArgument(cert_without_key.status()));
}

TEST(ClickHouseFlagsTest, BadValuesNameTheFlag) {
  for (const auto& [arg, flag] : std::vector<std::pair<std::string, std::string>>{
           {"--clickhouse.servers=,,", "clickhouse.servers"},
           {"--clickhouse.servers=ftp://x", "clickhouse.servers"},
           {"--clickhouse.timeout=soon", "clickhouse.timeout"},
           {"--clickhouse.connect-timeout=0s", "clickhouse.connect-timeout"},
           {"--clickhouse.retention=-1h", "clickhouse.retention"},
           {"--clickhouse.max-rows-per-insert=0", "clickhouse.max-rows-per-insert"},
           {"--clickhouse.create-schema=maybe", "clickhouse.create-schema"}}) {
    auto o = Parse({arg});
    EXPECT_TRUE(absl::IsInvalidArgument(o.status())) << arg;
    EXPECT_THAT(std::string(o.status().message()), HasSubstr(flag)) << arg;
  }
}

TEST(ClickHouseFlagsTest, RetentionOnlyWhereDeclared) {
  auto o = Parse({}, {{"CLICKHOUSE_RETENTION", "24h"}}, /*with_retention=*/false);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->retention, absl::ZeroDuration());
  EXPECT_FALSE(Parse({"--clickhouse.retention=24h"}, {}, /*with_retention=*/false).ok());
}

TEST(ClickHouseFlagsTest, Describe) {
  auto o = Parse({"--clickhouse.servers=a:1,b:2", "--clickhouse.cluster=two"});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(DescribeClickHouse(*o), "http://a:1, http://b:2, database skua, cluster two");
}

}  // namespace
}  // namespace skua::server
