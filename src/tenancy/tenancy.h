// Multi-tenancy (jaeger-compat §7.4): the options behind --multi-tenancy.* and the one rule that
// turns the tenant header of a request into a tenant, or refuses the request with Jaeger's words.
// Every receiver and the query API use this rule; each maps a refusal to its transport (gRPC
// PERMISSION_DENIED, HTTP 401). While tenancy is off every request uses storage::kDefaultTenant.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "net/http_server.h"

namespace skua::tenancy {

struct TenancyOptions {
  // --multi-tenancy.enabled (MULTI_TENANCY_ENABLED). When false the header is ignored and every
  // request reads and writes storage::kDefaultTenant. Default false. Restart required.
  bool enabled = false;
  // --multi-tenancy.header (MULTI_TENANCY_HEADER): the HTTP header, and the gRPC metadata key,
  // naming the tenant. Matched case-insensitively. Default "x-tenant". Restart required.
  std::string header = "x-tenant";
  // --multi-tenancy.tenants (MULTI_TENANCY_TENANTS): the accepted tenants; empty accepts any
  // non-empty value. Default empty. Restart required.
  std::vector<std::string> tenants;

  // InvalidArgument when, with tenancy enabled, `header` is not a name both HTTP and gRPC can carry
  // (letters, digits, '-', '_', '.'; not a reserved "grpc-" key nor a binary "-bin" key) or a
  // listed tenant is empty.
  absl::Status Validate() const;

  // `header` lower-cased: the gRPC metadata key (keys are lower-case on the wire).
  std::string HeaderKey() const;
};

// The refusals, word for word as Jaeger sends them.
inline constexpr std::string_view kMissingTenant = "missing tenant header";
inline constexpr std::string_view kExtraTenant = "extra tenant header";
inline constexpr std::string_view kUnknownTenant = "unknown tenant";

// The HTTP status of every refusal (Jaeger's pkg/tenancy/http.go answers 401 for both of its
// cases; skua adds "extra tenant header" with the same status).
inline constexpr int kHttpRefusalStatus = 401;

// The rule. `values` are every value of the tenant header on one request, in the order received.
// Tenancy off: storage::kDefaultTenant, whatever `values` hold. Tenancy on:
//   no value, or one empty value → PermissionDenied "missing tenant header";
//   more than one value          → PermissionDenied "extra tenant header";
//   a value not in `tenants`     → PermissionDenied "unknown tenant" (any value when empty);
//   otherwise                    → that value, unchanged.
// Jaeger's HTTP handler reads only the first of several headers; skua refuses several on every
// transport, so that a proxy appending a second header can never change the tenant silently.
// Jaeger's gRPC handler accepts an empty value as a tenant; skua treats it as missing, because the
// empty tenant is where an untenanted deployment's spans live.
absl::StatusOr<std::string> ResolveTenant(const TenancyOptions& options,
                                          std::span<const std::string_view> values);

// The rule on an HTTP request's headers (names lower-cased, as net::HttpRequest keeps them).
absl::StatusOr<std::string> TenantFromHttpRequest(const TenancyOptions& options,
                                                  const net::HttpRequest& request);

// Writes the HTTP answer to a refusal from ResolveTenant / TenantFromHttpRequest as Jaeger's
// http.Error does: 401, text/plain, the message and a newline.
void WriteHttpRefusal(const absl::Status& refusal, net::HttpResponse& response);

// Splits a --multi-tenancy.tenants value at commas, trimming spaces around each name and dropping
// empty items ("a, b,," → {"a", "b"}; "" → {}).
std::vector<std::string> ParseTenantList(std::string_view list);

}  // namespace skua::tenancy
