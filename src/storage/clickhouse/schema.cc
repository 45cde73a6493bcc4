#include "storage/clickhouse/schema.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/status.h"

namespace skua::storage::clickhouse {
namespace {
constexpr std::string_view kClusterOnly = "-- skua: cluster only";
}  // namespace

std::vector<SchemaStatement> ExpandSchema(std::string_view database, std::string_view cluster) {
  std::vector<const SchemaFile*> files;
  for (size_t i = 0; i < kSchemaFileCount; ++i) files.push_back(&kSchemaFiles[i]);
  std::sort(files.begin(), files.end(), [](const SchemaFile* a, const SchemaFile* b) {
    return std::string_view(a->name) < std::string_view(b->name);
  });
  const std::string local = cluster.empty() ? "" : "_local";
  std::vector<SchemaStatement> out;
  for (const SchemaFile* file : files) {
    std::string_view text = file->text;
    if (text.substr(0, kClusterOnly.size()) == kClusterOnly && cluster.empty()) continue;
    std::string statement;
    for (absl::string_view line : absl::StrSplit(ToAbsl(text), '\n')) {
      absl::string_view trimmed = absl::StripAsciiWhitespace(line);
      if (trimmed.empty() && statement.empty()) continue;
      if (absl::StartsWith(trimmed, "--")) continue;
      bool ends = absl::EndsWith(trimmed, ";");
      if (ends) line = line.substr(0, line.rfind(';'));
      if (!statement.empty()) statement += '\n';
      statement.append(line.data(), line.size());
      if (ends) {
        out.push_back(SchemaStatement{
            file->name,
            absl::StrReplaceAll(statement, {{"{database}", ToAbsl(database)},
                                            {"{local}", local},
                                            {"{cluster}", ToAbsl(cluster)}})});
        statement.clear();
      }
    }
  }
  return out;
}

std::vector<std::string> DataTables(std::string_view cluster) {
  const std::string local = cluster.empty() ? "" : "_local";
  return {"spans" + local, "span_index" + local, "operations" + local};
}

}  // namespace skua::storage::clickhouse
