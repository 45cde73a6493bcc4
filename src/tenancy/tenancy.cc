#include "tenancy/tenancy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "storage/storage.h"

namespace skua::tenancy {

absl::Status TenancyOptions::Validate() const {
  if (!enabled) return absl::OkStatus();
  const std::string key = HeaderKey();
  if (key.empty()) {
    return absl::InvalidArgumentError("--multi-tenancy.header must not be empty");
  }
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(
          absl::StrCat("--multi-tenancy.header \"", header,
                       "\" is not a valid header name (letters, digits, '-', '_' and '.' only)"));
    }
  }
  if (absl::StartsWith(key, "grpc-") || absl::EndsWith(key, "-bin")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--multi-tenancy.header \"", header,
                     "\" is reserved by gRPC (grpc-…) or names binary metadata (…-bin)"));
  }
  for (const std::string& t : tenants) {
    if (t.empty()) return absl::InvalidArgumentError("--multi-tenancy.tenants has an empty name");
  }
  return absl::OkStatus();
}

std::string TenancyOptions::HeaderKey() const { return absl::AsciiStrToLower(header); }

absl::StatusOr<std::string> ResolveTenant(const TenancyOptions& options,
                                          std::span<const std::string_view> values) {
  if (!options.enabled) return std::string(storage::kDefaultTenant);
  if (values.empty() || (values.size() == 1 && values[0].empty())) {
    return absl::PermissionDeniedError(ToAbsl(kMissingTenant));
  }
  if (values.size() > 1) return absl::PermissionDeniedError(ToAbsl(kExtraTenant));
  const std::string_view tenant = values[0];
  if (!options.tenants.empty() &&
      std::find(options.tenants.begin(), options.tenants.end(), tenant) == options.tenants.end()) {
    return absl::PermissionDeniedError(ToAbsl(kUnknownTenant));
  }
  return std::string(tenant);
}

absl::StatusOr<std::string> TenantFromHttpRequest(const TenancyOptions& options,
                                                  const net::HttpRequest& request) {
  if (!options.enabled) return std::string(storage::kDefaultTenant);
  std::vector<std::string_view> values;
  for (const auto& [name, value] : request.headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(name), ToAbsl(options.header))) values.push_back(value);
  }
  return ResolveTenant(options, values);
}

void WriteHttpRefusal(const absl::Status& refusal, net::HttpResponse& response) {
  response.status = kHttpRefusalStatus;
  response.content_type = "text/plain; charset=utf-8";
  response.body = absl::StrCat(refusal.message(), "\n");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

std::vector<std::string> ParseTenantList(std::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(ToAbsl(list), ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

}  // namespace skua::tenancy
