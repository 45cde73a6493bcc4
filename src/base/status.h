// Status helpers shared by every module. Codes are the gRPC codes (absl::StatusCode); the HTTP and
// gRPC layers map them mechanically (docs/architecture.md, "Errors").
#pragma once

#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SKUA_STATUS_CONCAT_INNER_(a, b) a##b
#define SKUA_STATUS_CONCAT_(a, b) SKUA_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (an absl::Status) is not OK.
#define SKUA_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    ::absl::Status skua_status_ = (expr);          \
    if (!skua_status_.ok()) return skua_status_;   \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the value
// into `lhs` (which may be a declaration such as `auto x`).
#define SKUA_ASSIGN_OR_RETURN(lhs, rexpr) \
  SKUA_ASSIGN_OR_RETURN_IMPL_(SKUA_STATUS_CONCAT_(skua_statusor_, __LINE__), lhs, rexpr)
#define SKUA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()

namespace skua {

// Debian's abseil has its own absl::string_view (not std::string_view); these convert at the seams.
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }
inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
// The status message as a std::string_view.
inline std::string_view StatusMessage(const absl::Status& s) { return ToStd(s.message()); }

// Drops a status on purpose. `why` documents the decision at the call site and keeps it greppable.
inline void IgnoreError(const absl::Status& /*status*/, std::string_view /*why*/) {}

}  // namespace skua
