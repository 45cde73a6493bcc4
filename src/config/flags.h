// Command-line flags with Jaeger's naming: every flag `--a.b-c` can also be set by the environment
// variable `A_B_C` (upper case, '.' and '-' become '_'; jaeger-compat §7.2). A flag on the command
// line wins over the environment, which wins over the default.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace skua::config {

class FlagSet {
 public:
  // Declares a flag. `name` without leading dashes, e.g. "collector.otlp.grpc.host-port".
  void Define(std::string name, std::string default_value, std::string help);
  // Also reads `env` for flag `name` (declared before), when the flag's own variable is unset; for
  // names older Jaeger releases used (e.g. COLLECTOR_GRPC_HOST_PORT for
  // --collector.grpc-server.host-port).
  void AddEnvAlias(std::string_view name, std::string env);

  // Parses `--name=value`, `--name value`, and `--name` (for booleans: "true") from `args`
  // (without the program name and subcommand), then fills undeclared-on-command-line flags from
  // `env` lookups. Returns the positional arguments. InvalidArgument for unknown flags.
  absl::StatusOr<std::vector<std::string>> Parse(
      const std::vector<std::string>& args,
      const std::function<std::optional<std::string>(const std::string&)>& env);

  // Typed getters; InvalidArgument naming the flag when the value does not parse.
  std::string GetString(std::string_view name) const;
  absl::StatusOr<int64_t> GetInt(std::string_view name) const;
  absl::StatusOr<bool> GetBool(std::string_view name) const;
  // Go durations (config::ParseGoDuration: "1h30m", "250ms", "2s"); a bare integer means seconds.
  // InvalidArgument "--name: " + Go's message otherwise.
  absl::StatusOr<int64_t> GetDurationNanos(std::string_view name) const;
  // Sizes: a bare integer (bytes) or with a suffix KiB, MiB, GiB (also K/M/G, KB/MB/GB as binary).
  absl::StatusOr<uint64_t> GetBytes(std::string_view name) const;
  // Whether the value came from the command line or the environment rather than the default.
  bool IsSet(std::string_view name) const;

  // Help text: one line per flag with its environment variable and default.
  std::string Usage() const;

  // "collector.otlp.grpc.host-port" -> "COLLECTOR_OTLP_GRPC_HOST_PORT".
  static std::string EnvName(std::string_view flag);

 private:
  struct Flag {
    std::string value;
    std::string default_value;
    std::string help;
    bool set = false;
    std::vector<std::string> env_aliases;
  };
  std::map<std::string, Flag, std::less<>> flags_;
};

}  // namespace skua::config
