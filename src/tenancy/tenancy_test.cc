// The tenant-header rule (jaeger-compat §7.4) and the --multi-tenancy.* option checks.
#include "tenancy/tenancy.h"

#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "storage/storage.h"

namespace skua::tenancy {
namespace {

TenancyOptions Enabled(std::vector<std::string> tenants = {}) {
  TenancyOptions o;
  o.enabled = true;
  o.tenants = std::move(tenants);
  return o;
}

absl::StatusOr<std::string> Resolve(const TenancyOptions& o, std::vector<std::string_view> values) {
  return ResolveTenant(o, values);
}

void ExpectRefused(const absl::StatusOr<std::string>& got, std::string_view message) {
  ASSERT_FALSE(got.ok()) << "accepted as tenant \"" << *got << "\"";
  EXPECT_EQ(got.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(got.status().message()), message);
}

TEST(ResolveTenant, DisabledIgnoresTheHeader) {
  TenancyOptions off;
  off.tenants = {"acme"};
  for (std::vector<std::string_view> values :
       {std::vector<std::string_view>{}, {"acme"}, {"other"}, {"a", "b"}}) {
    absl::StatusOr<std::string> got = Resolve(off, values);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, storage::kDefaultTenant);
  }
}

TEST(ResolveTenant, MissingHeader) {
  ExpectRefused(Resolve(Enabled(), {}), "missing tenant header");
  ExpectRefused(Resolve(Enabled({"acme"}), {}), "missing tenant header");
}

// The empty tenant is the default tenant's storage: an empty value must never reach it.
TEST(ResolveTenant, EmptyValueIsMissing) {
  ExpectRefused(Resolve(Enabled(), {""}), "missing tenant header");
}

TEST(ResolveTenant, SeveralValuesAreRefused) {
  ExpectRefused(Resolve(Enabled(), {"acme", "beta"}), "extra tenant header");
  ExpectRefused(Resolve(Enabled({"acme"}), {"acme", "acme"}), "extra tenant header");
  ExpectRefused(Resolve(Enabled(), {"", "acme"}), "extra tenant header");
}

TEST(ResolveTenant, ListedTenantsOnly) {
  const TenancyOptions o = Enabled({"acme", "beta"});
  EXPECT_EQ(Resolve(o, {"acme"}).value_or("?"), "acme");
  EXPECT_EQ(Resolve(o, {"beta"}).value_or("?"), "beta");
  ExpectRefused(Resolve(o, {"gamma"}), "unknown tenant");
  // Tenants are compared exactly: case and spaces matter.
  ExpectRefused(Resolve(o, {"ACME"}), "unknown tenant");
  ExpectRefused(Resolve(o, {"acme "}), "unknown tenant");
}

TEST(ResolveTenant, EmptyListAcceptsAnyName) {
  EXPECT_EQ(Resolve(Enabled(), {"whoever"}).value_or("?"), "whoever");
  EXPECT_EQ(Resolve(Enabled(), {"a b/c"}).value_or("?"), "a b/c");
}

net::HttpRequest RequestWith(std::vector<std::pair<std::string, std::string>> headers) {
  net::HttpRequest req;
  req.method = "GET";
  req.path = "/";
  req.headers = std::move(headers);
  return req;
}

TEST(TenantFromHttpRequest, MatchesTheHeaderNameCaseInsensitively) {
  TenancyOptions o = Enabled({"acme"});
  o.header = "X-Org";
  absl::StatusOr<std::string> got =
      TenantFromHttpRequest(o, RequestWith({{"x-tenant", "beta"}, {"x-org", "acme"}}));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "acme");
  ExpectRefused(TenantFromHttpRequest(o, RequestWith({{"x-tenant", "acme"}})),
                "missing tenant header");
  ExpectRefused(TenantFromHttpRequest(o, RequestWith({{"x-org", "acme"}, {"x-org", "acme"}})),
                "extra tenant header");
  ExpectRefused(TenantFromHttpRequest(o, RequestWith({{"x-org", "zeta"}})), "unknown tenant");
}

TEST(TenantFromHttpRequest, DisabledIsTheDefaultTenant) {
  absl::StatusOr<std::string> got =
      TenantFromHttpRequest(TenancyOptions{}, RequestWith({{"x-tenant", "acme"}}));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, storage::kDefaultTenant);
}

TEST(WriteHttpRefusal, IsJaegersHttpError) {
  net::HttpResponse res;
  WriteHttpRefusal(absl::PermissionDeniedError("unknown tenant"), res);
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body, "unknown tenant\n");
  EXPECT_EQ(res.content_type, "text/plain; charset=utf-8");
}

TEST(ParseTenantList, SplitsTrimsAndDropsEmptyItems) {
  EXPECT_EQ(ParseTenantList(""), std::vector<std::string>{});
  EXPECT_EQ(ParseTenantList("acme"), std::vector<std::string>{"acme"});
  EXPECT_EQ(ParseTenantList(" acme , beta,,gamma ,"),
            (std::vector<std::string>{"acme", "beta", "gamma"}));
}

TEST(TenancyOptions, Validate) {
  TenancyOptions o = Enabled();
  EXPECT_TRUE(o.Validate().ok());
  o.header = "X-Scope-OrgID";
  EXPECT_TRUE(o.Validate().ok());
  EXPECT_EQ(o.HeaderKey(), "x-scope-orgid");
  for (std::string bad : {"", "x tenant", "x-tenant:", "grpc-tenant", "x-tenant-bin", "tenant\n"}) {
    o.header = bad;
    EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument) << "header: " << bad;
  }
  o.header = "x-tenant";
  o.tenants = {"acme", ""};
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  // Nothing is checked while tenancy is off: the flags are then unused.
  o.enabled = false;
  o.header = "";
  EXPECT_TRUE(o.Validate().ok());
}

}  // namespace
}  // namespace skua::tenancy
