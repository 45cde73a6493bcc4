// JSON text helpers shared by every encoder (Jaeger UI JSON, OTLP/JSON, the admin endpoints,
// flattened attribute values): string literals with Go encoding/json's escaping, and base64.
// One home for both so that every JSON skua writes escapes strings the same way.
#pragma once

#include <string>
#include <string_view>

#include "base/arena.h"

namespace skua {

// Appends `s` as a JSON string literal, quotes included, escaped as Go's encoding/json does
// (Jaeger's JSON is written by it): '"', '\\', \n \r \t \b \f by their short forms, other control
// characters as \u00XX, '<', '>' and '&' as \u003c \u003e \u0026 (HTML-safe), U+2028 and U+2029
// as \u2028 \u2029 (JavaScript-safe); each byte of ill-formed UTF-8 (overlong forms, surrogates,
// code points above U+10FFFF, truncated sequences) becomes \ufffd, so the output is always valid
// JSON whatever `s` holds. Everything else, including DEL and valid multi-byte UTF-8, is copied.
void AppendJsonString(std::string_view s, std::string& out);

// Appends the standard base64 encoding of `bytes` (RFC 4648 §4 alphabet, '=' padding, no line
// breaks; what Go's encoding/json uses for []byte). No quotes.
void AppendBase64(std::string_view bytes, std::string& out);

// Decodes standard or URL-safe base64, padded or not, into `arena`; `out` views the bytes.
// False on malformed input.
bool DecodeBase64(std::string_view in, Arena& arena, std::string_view& out);

}  // namespace skua
