// The Jaeger UI JSON encoding (jaeger-compat §2.3, §2.4): traces with p1… process IDs, µs times,
// int64 beyond ±(2^53−1) as strings, binary as base64; plus the response envelope.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "model/convert/jaeger.h"

namespace skua::query::http {

// Appends one trace object {"traceID","spans","processes","warnings"} to `out`. Processes get IDs
// p1, p2, … in order of first use by the spans (equal processes share an ID).
void AppendTraceJson(const model::jaeger::JaegerTrace& trace, std::string& out);

// Re-indents compact JSON with 4 spaces per level (for prettyPrint=true).
std::string PrettyPrintJson(std::string_view compact_json);

}  // namespace skua::query::http
