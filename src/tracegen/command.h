// `skua tracegen`: the command-line front end of the load generator (flags, help, the report).
// Kept out of cli/main.cc so the command can be tested in-process.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace skua::tracegen {

// Runs the command with `args` (after "tracegen"). Writes the report to `out` and diagnostics and
// progress to `err`. Returns the process exit code: 0 when every span was acknowledged, 1 when
// some failed (non-retryable answers, retries exhausted, partial-success rejections), 2 for usage
// and setup errors. Installs SIGINT/SIGTERM handlers for the duration of a run: the first signal
// stops the run and still prints the report; a second one kills the process.
int TracegenMain(const std::vector<std::string>& args, std::FILE* out = stdout,
                 std::FILE* err = stderr);

}  // namespace skua::tracegen
