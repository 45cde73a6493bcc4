// The clickhouse.* flags (Jaeger's naming: --clickhouse.servers is also CLICKHOUSE_SERVERS), parsed
// in this one place into the backend's options, for the server roles and for `skua clickhouse`.
// Client TLS flags follow jaeger-compat §7.3 (.tls.enabled, .tls.ca, .tls.cert, .tls.key,
// .tls.skip-host-verify).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "config/flags.h"
#include "storage/clickhouse/clickhouse_storage.h"

namespace skua::server {

// Declares the clickhouse.* flags. `with_retention`: also clickhouse.retention, which only the
// processes that own the data's lifecycle take (all-in-one, collector, `skua clickhouse`), so a
// query server never drops data.
void DefineClickHouseFlags(config::FlagSet& flags, bool with_retention);

// The options from the flags declared above. InvalidArgument naming the flag for a value that does
// not parse or is out of range (also from ClickHouseOptions::Validate when the backend is built).
// With clickhouse.tls.enabled, servers given as bare host:port use https://, and an http:// one is
// an error; TLS files without any https:// server are an error too (they would be ignored).
absl::StatusOr<storage::clickhouse::ClickHouseOptions> ParseClickHouseFlags(
    const config::FlagSet& flags);

// "http://a:8123, http://b:8123, database skua, cluster c" for logs and Describe().
std::string DescribeClickHouse(const storage::clickhouse::ClickHouseOptions& options);

}  // namespace skua::server
