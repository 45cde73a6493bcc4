#include "server/clickhouse_command.h"

#include <cstdlib>
#include <optional>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/status.h"
#include "config/flags.h"
#include "server/clickhouse_flags.h"

namespace skua::server {
namespace {

namespace ch = storage::clickhouse;

constexpr std::string_view kUsage =
    "Usage:\n"
    "  skua clickhouse init [flags]       apply the schema on every server (idempotent)\n"
    "  skua clickhouse schema [flags]     print the schema's SQL\n"
    "  skua clickhouse retention [flags]  drop day partitions older than --clickhouse.retention\n"
    "\n"
    "Flags (each can also be set by the environment variable shown):\n";

std::string Help() {
  config::FlagSet flags;
  DefineClickHouseFlags(flags, /*with_retention=*/true);
  return absl::StrCat(
      "skua clickhouse: maintenance of the ClickHouse backend (docs/storage/clickhouse.md).\n\n",
      ToAbsl(kUsage), flags.Usage());
}

int Usage(std::FILE* err, std::string_view message) {
  std::fprintf(err, "skua clickhouse: %.*s (try 'skua clickhouse --help')\n",
               static_cast<int>(message.size()), message.data());
  return 2;
}

// "CREATE TABLE IF NOT EXISTS skua.spans_local" from a statement: its first line that is not a
// comment, up to the first '(' and without trailing blanks.
std::string StatementTitle(std::string_view sql) {
  while (!sql.empty()) {
    size_t end = sql.find('\n');
    std::string_view line = sql.substr(0, end);
    sql = end == std::string_view::npos ? std::string_view() : sql.substr(end + 1);
    line = ToStd(absl::StripAsciiWhitespace(ToAbsl(line)));
    if (line.empty() || line.substr(0, 2) == "--") continue;
    line = line.substr(0, line.find('('));
    if (line.size() > 100) line = line.substr(0, 100);
    return std::string(absl::StripTrailingAsciiWhitespace(ToAbsl(line)));
  }
  return "(empty statement)";
}

#ifdef SKUA_HAVE_CLICKHOUSE
int Init(const ch::ClickHouseOptions& options, std::FILE* out, std::FILE* err) {
  const std::vector<std::string> statements = ch::SchemaStatements(options);
  std::fprintf(
      out, "schema of database %s%s: %zu statements per server\n", options.database.c_str(),
      options.cluster.empty()
          ? ""
          : absl::StrCat(" (cluster ", options.cluster, ": local and Distributed tables)").c_str(),
      statements.size());
  for (const std::string& s : statements) std::fprintf(out, "  %s\n", StatementTitle(s).c_str());
  int failed = 0;
  // One server at a time, so the output says which servers have the schema and which do not.
  for (const std::string& server : options.servers) {
    ch::ClickHouseOptions one = options;
    one.servers = {server};
    absl::Status s = ch::InitSchema(one);
    if (s.ok()) {
      std::fprintf(out, "%s: schema applied\n", server.c_str());
    } else {
      ++failed;
      // The backend's message names the server and the statement.
      std::fprintf(err, "skua clickhouse init: %s\n", std::string(StatusMessage(s)).c_str());
    }
  }
  if (failed > 0) {
    std::fprintf(err, "skua clickhouse init: failed on %d of %zu servers (safe to run again)\n",
                 failed, options.servers.size());
    return 1;
  }
  return 0;
}

int Retention(const ch::ClickHouseOptions& options, std::FILE* out, std::FILE* err) {
  if (options.retention <= absl::ZeroDuration()) {
    return Usage(err,
                 "retention needs --clickhouse.retention (e.g. 168h), the age of the oldest "
                 "data to keep");
  }
  const uint64_t now = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  auto dropped = ch::DropExpiredPartitions(options, options.retention, now);
  if (!dropped.ok()) {
    std::fprintf(err, "skua clickhouse retention: %s\n",
                 std::string(StatusMessage(dropped.status())).c_str());
    return 1;
  }
  if (dropped->empty()) {
    std::fprintf(out, "nothing to drop: no day partition holds only data older than %s\n",
                 absl::FormatDuration(options.retention).c_str());
  }
  for (const std::string& p : *dropped) std::fprintf(out, "dropped %s\n", p.c_str());
  return 0;
}
#endif

}  // namespace

int ClickHouseMain(const std::vector<std::string>& args, std::FILE* out, std::FILE* err) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h" || a == "help") {
      std::fputs(Help().c_str(), out);
      return 0;
    }
  }
  if (args.empty() || args[0].empty() || args[0][0] == '-') {
    return Usage(err, "missing subcommand: init, schema or retention");
  }
  const std::string command = args[0];
  if (command != "init" && command != "schema" && command != "retention") {
    return Usage(err,
                 absl::StrCat("unknown subcommand '", command, "' (init, schema or retention)"));
  }
  config::FlagSet flags;
  DefineClickHouseFlags(flags, /*with_retention=*/true);
  auto rest = flags.Parse(std::vector<std::string>(args.begin() + 1, args.end()),
                          [](const std::string& name) -> std::optional<std::string> {
                            const char* v = std::getenv(name.c_str());
                            if (v == nullptr) return std::nullopt;
                            return std::string(v);
                          });
  if (!rest.ok()) return Usage(err, StatusMessage(rest.status()));
  if (!rest->empty()) return Usage(err, absl::StrCat("unexpected argument '", (*rest)[0], "'"));
  auto options = ParseClickHouseFlags(flags);
  if (!options.ok()) return Usage(err, StatusMessage(options.status()));
#ifdef SKUA_HAVE_CLICKHOUSE
  if (command == "schema") {
    for (const std::string& s : ch::SchemaStatements(*options)) {
      std::string_view sql = ToStd(absl::StripTrailingAsciiWhitespace(s));
      while (!sql.empty() && sql.back() == ';') sql.remove_suffix(1);
      std::fprintf(out, "%.*s;\n\n", static_cast<int>(sql.size()), sql.data());
    }
    return 0;
  }
  if (command == "init") return Init(*options, out, err);
  return Retention(*options, out, err);
#else
  std::fprintf(err, "skua clickhouse: this skua was built without the ClickHouse backend\n");
  return 1;
#endif
}

}  // namespace skua::server
