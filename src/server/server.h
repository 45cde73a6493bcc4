// The composition root: turns flags into components, wires them, and runs their lifecycle. This is
// the only place that names concrete backends and receivers (the explicit component list). One
// binary runs in one of three roles (docs/roles.md): all-in-one, collector or query.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "config/flags.h"

namespace skua::server {

struct VersionInfo {
  std::string git_commit;
  std::string git_version;
  std::string build_date;
};

// What one skua process runs (jaeger-compat §1.1 ports):
//   kAllInOne  receivers → pipeline → storage, query API and UI, admin :14269 (the default role);
//   kCollector receivers → pipeline → storage writer, admin :14269;
//   kQuery     query API and UI :16686 over the storage reader, admin :16687.
// Collector and query share spans only through a database several processes can open: they run on
// SPAN_STORAGE_TYPE=clickhouse (their default) and refuse the single-process stores.
enum class Role { kAllInOne, kCollector, kQuery };

// "all-in-one", "collector", "query" (the subcommand names).
std::string_view RoleName(Role role);
// The role of a subcommand name; nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name);

// Declares every flag `role` uses, with their Jaeger environment variable names. Defaults that
// depend on the role: admin.http.host-port (:14269, query :16687) and span-storage.type
// (all-in-one embedded, collector and query clickhouse).
void DefineFlags(Role role, config::FlagSet& flags);

// A running skua process of one role.
class Server {
 public:
  virtual ~Server() = default;
  // Starts every component of the role; on error, stops whatever already started. A storage that
  // cannot serve yet (a database that does not answer) is not an error: it is logged, the admin
  // health check answers 503 until storage is ready, and the process keeps running.
  virtual absl::Status Start() = 0;
  // Graceful stop: health goes unavailable, receivers stop, accepted spans are written, then query,
  // storage and admin close. Idempotent.
  virtual void Stop() = 0;
  // The startup summary (role, storage, listen addresses, UI URL); before Start, the configured
  // addresses, after it the bound ones.
  virtual std::string Describe() const = 0;
};

// Validates the flags (declared by DefineFlags(role, …)) and builds, but does not start, a server
// of `role`. InvalidArgument for bad flags, and for a collector or query on a store that keeps its
// spans inside one process (memory, embedded/badger), naming SPAN_STORAGE_TYPE=clickhouse.
absl::StatusOr<std::unique_ptr<Server>> NewServer(Role role, const config::FlagSet& flags,
                                                  VersionInfo version);

}  // namespace skua::server
