// `skua clickhouse init|schema|retention`: the ClickHouse backend's maintenance steps as commands,
// with the same clickhouse.* flags and environment variables as the collector and query roles.
// Kept out of cli/main.cc so the command can be tested in-process.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace skua::server {

// Runs `skua clickhouse <args…>`:
//   init       applies the schema on every server of clickhouse.servers (CREATE … IF NOT EXISTS,
//              so it is safe to repeat) and prints what it did per server;
//   schema     prints the SQL that init applies, for this database and cluster;
//   retention  drops, on every server, the day partitions older than clickhouse.retention and
//              prints them.
// Output goes to `out`, errors to `err`. Returns the exit code: 0 on success, 1 when a server
// failed (the message names it), 2 for usage errors (unknown subcommand or flag, bad value).
int ClickHouseMain(const std::vector<std::string>& args, std::FILE* out = stdout,
                   std::FILE* err = stderr);

}  // namespace skua::server
