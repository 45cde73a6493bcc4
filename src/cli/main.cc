// skua: the command-line entry point. `skua [all-in-one|collector|query] [flags]` runs a server in
// that role (docs/roles.md); `skua clickhouse init|schema|retention` maintains the ClickHouse
// backend; `skua version` prints the build; `skua tracegen` generates load; `skua help [command]`
// lists every flag of a role with its environment variable.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "base/logging.h"
#include "config/flags.h"
#include "server/clickhouse_command.h"
#include "server/server.h"
#include "tracegen/command.h"

#ifndef SKUA_GIT_COMMIT
#define SKUA_GIT_COMMIT "unknown"
#endif
#ifndef SKUA_GIT_VERSION
#define SKUA_GIT_VERSION "v0.1.0"
#endif
#ifndef SKUA_BUILD_DATE
#define SKUA_BUILD_DATE "unknown"
#endif

namespace skua {
namespace {

server::VersionInfo Version() { return {SKUA_GIT_COMMIT, SKUA_GIT_VERSION, SKUA_BUILD_DATE}; }

std::optional<std::string> GetEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

void PrintUsage(server::Role role, const config::FlagSet& flags) {
  std::printf(
      "skua: distributed tracing, a drop-in replacement for Jaeger.\n\n"
      "Usage:\n"
      "  skua [all-in-one] [flags]   receivers, storage, query API and UI in one process "
      "(default)\n"
      "  skua collector [flags]      receivers and storage writer (admin :14269); "
      "SPAN_STORAGE_TYPE=clickhouse\n"
      "  skua query [flags]          query API and UI (admin :16687); "
      "SPAN_STORAGE_TYPE=clickhouse\n"
      "  skua clickhouse init|schema|retention [flags]\n"
      "                              ClickHouse schema and retention (skua clickhouse --help)\n"
      "  skua version                print version information as JSON\n"
      "  skua tracegen [flags]       generate and send test traces (skua tracegen --help)\n"
      "  skua help [command]         this text, with the flags of a role (default all-in-one)\n\n"
      "Flags of skua %s (each can also be set by the environment variable shown):\n%s",
      std::string(server::RoleName(role)).c_str(), flags.Usage().c_str());
}

int RunServer(server::Role role, const config::FlagSet& flags) {
  LogLevel level;
  if (!ParseLogLevel(flags.GetString("log-level"), &level)) {
    std::fprintf(stderr, "skua: invalid --log-level '%s'\n", flags.GetString("log-level").c_str());
    return 2;
  }
  SetMinLogLevel(level);

  // Block termination signals in every thread; the main thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto app = server::NewServer(role, flags, Version());
  if (!app.ok()) {
    std::fprintf(stderr, "skua: %s\n", std::string(app.status().message()).c_str());
    return 2;
  }
  absl::Status started = (*app)->Start();
  if (!started.ok()) {
    SKUA_LOG(ERROR) << "cannot start: " << started;
    return 1;
  }
  SKUA_LOG(INFO) << "skua " << server::RoleName(role) << " started; " << (*app)->Describe();
  int sig = 0;
  sigwait(&signals, &sig);
  SKUA_LOG(INFO) << "received signal " << sig << ", shutting down";
  (*app)->Stop();
  SKUA_LOG(INFO) << "stopped";
  return 0;
}

// The embedded store keeps every block file open and servers keep many connections: use the
// hard limit on open files rather than the (often 1,024) soft default.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, rlim_t{1} << 20);
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace
}  // namespace skua

int main(int argc, char** argv) {
  using namespace skua;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "all-in-one";
  if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
    command = args[0];
    args.erase(args.begin());
  }
  if (command == "tracegen") return tracegen::TracegenMain(args);
  if (command == "clickhouse") return server::ClickHouseMain(args);
  if (command == "version") {
    server::VersionInfo v = Version();
    std::printf("{\"gitCommit\":\"%s\",\"gitVersion\":\"%s\",\"buildDate\":\"%s\"}\n",
                v.git_commit.c_str(), v.git_version.c_str(), v.build_date.c_str());
    return 0;
  }
  // `skua help [command]` and `skua [role] --help`: the flags of that role.
  bool help = !args.empty() && (args[0] == "--help" || args[0] == "-h");
  if (command == "help") {
    help = true;
    command = args.empty() ? "all-in-one" : args[0];
    if (command == "tracegen") return tracegen::TracegenMain({"--help"});
    if (command == "clickhouse") return server::ClickHouseMain({"--help"});
  }
  std::optional<server::Role> role = server::ParseRole(command);
  if (!role) {
    std::fprintf(stderr, "skua: unknown command '%s' (try 'skua help')\n", command.c_str());
    return 2;
  }
  config::FlagSet flags;
  server::DefineFlags(*role, flags);
  if (help) {
    PrintUsage(*role, flags);
    return 0;
  }
  RaiseOpenFileLimit();
  auto rest = flags.Parse(args, GetEnv);
  if (!rest.ok()) {
    std::fprintf(stderr, "skua: %s (try 'skua help %s')\n",
                 std::string(rest.status().message()).c_str(), command.c_str());
    return 2;
  }
  if (!rest->empty()) {
    std::fprintf(stderr, "skua: unexpected argument '%s'\n", (*rest)[0].c_str());
    return 2;
  }
  return RunServer(*role, flags);
}
