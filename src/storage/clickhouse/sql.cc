#include "storage/clickhouse/sql.h"

#include <cstdint>

namespace skua::storage::clickhouse {

void AppendSqlString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.reserve(out.size() + s.size() + 2);
  out += '\'';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == '\'') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '\'';
}

std::string SqlString(std::string_view s) {
  std::string out;
  AppendSqlString(s, out);
  return out;
}

std::string TraceIdBytes(const model::TraceId& id) {
  std::string bytes(16, '\0');
  id.ToBytes(reinterpret_cast<uint8_t*>(bytes.data()));
  return bytes;
}

std::string SqlTraceId(const model::TraceId& id) { return SqlString(TraceIdBytes(id)); }

void AppendTagElement(std::string_view key, std::string_view value, std::string& out) {
  out.reserve(out.size() + key.size() + value.size() + 1);
  for (char c : key) {
    if (c == '\x01' || c == '\0') out += '\x01';
    out += c;
  }
  out += '\0';
  out.append(value.data(), value.size());
}

std::string TagElement(std::string_view key, std::string_view value) {
  std::string out;
  AppendTagElement(key, value, out);
  return out;
}

}  // namespace skua::storage::clickhouse
