// The composition root: turns flags into components, wires them, and runs their lifecycle. This is
// the only place that names concrete backends and receivers (the explicit component list).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/flags.h"

namespace skua::server {

struct VersionInfo {
  std::string git_commit;
  std::string git_version;
  std::string build_date;
};

// Declares every flag of the all-in-one (and their Jaeger environment variable names).
void DefineAllInOneFlags(config::FlagSet& flags);

// A running all-in-one: receivers → pipeline → storage, query API, admin.
class AllInOne {
 public:
  virtual ~AllInOne() = default;
  // Starts every component; on error, stops whatever already started.
  virtual absl::Status Start() = 0;
  // Graceful stop: health goes unavailable, receivers stop, accepted spans are written, then query,
  // storage and admin close. Idempotent.
  virtual void Stop() = 0;
  // The startup summary (listen addresses, storage, UI URL).
  virtual std::string Describe() const = 0;
};

// Validates the flags and builds (but does not start) the all-in-one. InvalidArgument for bad flags.
absl::StatusOr<std::unique_ptr<AllInOne>> NewAllInOne(const config::FlagSet& flags,
                                                      VersionInfo version);

}  // namespace skua::server
