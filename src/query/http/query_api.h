// The Jaeger UI's HTTP JSON API (/api/*, port 16686; jaeger-compat §2.1–§2.4): services,
// operations, trace search and multi-get, trace by ID, dependencies. Request parsing, envelope,
// status codes and error texts follow Jaeger v1's query_parser.go and http_handler.go; decisions
// where Jaeger is ambiguous (§11) are written next to the option or route they affect.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/http_server.h"
#include "query/query_service.h"

namespace skua::query::http {

struct QueryApiOptions {
  // URL prefix of every route (Jaeger's --query.base-path / QUERY_BASE_PATH), e.g. "/jaeger".
  // Must start with '/'; a trailing '/' is ignored. Default: "/". Restart required.
  std::string base_path = "/";
  // Search window when `start` is absent: now − this (Jaeger's 2-day default). Restart required.
  absl::Duration default_search_lookback = absl::Hours(48);
  // Dependencies window when `lookback` is absent (Jaeger's 24h default). Restart required.
  absl::Duration default_dependencies_lookback = absl::Hours(24);
  // Headers added to every response, /api and fallback alike (--query.additional-headers).
  // Default: none.
  std::vector<std::pair<std::string, std::string>> additional_headers;
  // Multi-tenancy (jaeger-compat §7.4; --multi-tenancy.enabled, .header, .tenants). When enabled,
  // every /api request must carry `tenant_header` exactly once (401 "missing tenant header" /
  // "extra tenant header") naming one of `tenants` (401 "unknown tenant"; an empty list accepts
  // any tenant), and all reads use that tenant; the rule is tenancy::ResolveTenant, the one the
  // receivers apply. Routes outside /api (the UI's files) are not guarded. When disabled, reads
  // use storage::kDefaultTenant. Default: disabled, header "x-tenant". Restart required.
  bool multi_tenancy = false;
  std::string tenant_header = "x-tenant";
  std::vector<std::string> tenants;
  // Current time in Unix nanoseconds, for the default search and dependency windows. Null means
  // the system clock; tests inject a fixed clock.
  std::function<int64_t()> now_unix_nanos;

  // InvalidArgument naming the first offending field.
  absl::Status Validate() const;
};

// Returns the handler for `{base_path}/api/...`. Every other path (the UI, static assets, paths
// outside base_path) goes to `fallback`. An unknown /api path answers 404 and a known GET route
// asked with another method answers 405, both with the JSON error envelope (§2.3).
// /api/metrics/* answers 501 "metrics querying is currently disabled" (Jaeger without a metrics
// backend). `service` must outlive the handler; `options` must pass Validate(). The handler is
// thread-safe.
//
// Output choices (§11): empty lists are emitted as [] (Jaeger's Go code may emit null); search and
// multi-get results are always adjusted (Jaeger ignores raw= there), /api/traces/{id} honours
// raw=true|1|t|T|TRUE|True (Go's strconv.ParseBool); a `limit` <= 0 means the default 100; the
// `tags` JSON accepts numbers and booleans besides strings and stringifies them the way stored
// values are rendered for tag search (ints in decimal, doubles as %.10g, true/false), JSON null
// as "" (as Go's decoder does); arrays and objects as values are rejected.
net::HttpHandler NewQueryApiHandler(QueryService& service, QueryApiOptions options,
                                    net::HttpHandler fallback);

}  // namespace skua::query::http
