// The schema files (schema/*.sql, embedded into the binary at build time) expanded for one
// configuration. Internal to the backend; the public entry points are in clickhouse_storage.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skua::storage::clickhouse {

// One file as embedded (generated schema_files.cc).
struct SchemaFile {
  const char* name;
  const char* text;
};
extern const SchemaFile kSchemaFiles[];
extern const size_t kSchemaFileCount;

struct SchemaStatement {
  std::string file;  // e.g. "002_spans.sql"
  std::string sql;
};

// The statements of every file in name order, placeholders replaced; a file marked
// "-- skua: cluster only" only when `cluster` is not empty. Comment lines are dropped.
// `database` and `cluster` must already be validated (ClickHouseOptions::Validate).
std::vector<SchemaStatement> ExpandSchema(std::string_view database, std::string_view cluster);

// Names of skua's data tables (the ones holding day partitions): local tables in cluster mode.
std::vector<std::string> DataTables(std::string_view cluster);

}  // namespace skua::storage::clickhouse
