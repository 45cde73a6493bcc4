// SQL text for ClickHouse built from untrusted values: string literals escaped so that any bytes
// (quotes, backslashes, NUL, newlines, invalid UTF-8) round-trip exactly, and the encoding of one
// searchable tag as an element of span_index.tags. ClickHouse 18.16 has no query parameters, so
// every value reaches SQL through these functions and nothing else.
#pragma once

#include <string>
#include <string_view>

#include "model/ids.h"

namespace skua::storage::clickhouse {

// Appends `s` as a single-quoted ClickHouse string literal: backslash and quote escaped, every
// byte below 0x20 and 0x7F as \xHH; other bytes verbatim.
void AppendSqlString(std::string_view s, std::string& out);
std::string SqlString(std::string_view s);

// A FixedString(16) literal holding the trace ID's 16 big-endian bytes.
std::string SqlTraceId(const model::TraceId& id);

// The span_index.tags element for tag (key, value): the key with byte 0x01 written 0x01 0x01 and
// byte 0x00 written 0x01 0x00, then a 0x00 separator, then the value verbatim — "key\0value" for
// every ordinary key, and unambiguous even for keys holding NUL bytes.
void AppendTagElement(std::string_view key, std::string_view value, std::string& out);
std::string TagElement(std::string_view key, std::string_view value);

// The 16 big-endian bytes of a trace ID (the FixedString(16) trace_id columns).
std::string TraceIdBytes(const model::TraceId& id);

}  // namespace skua::storage::clickhouse
