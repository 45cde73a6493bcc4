// Test-only helpers for the OTLP codecs: a deep, field-by-field comparison of model spans that
// explains the first difference. Used by the codec tests and the fuzz targets' round-trip checks.
#pragma once

#include <span>
#include <string>

#include "model/span.h"

namespace skua::model::convert::testing {

// True when `a` and `b` hold the same data: every span field, attribute values deeply (doubles
// bit-for-bit, so NaN equals the same NaN), and resource and scope by content. On a difference,
// sets `*why` (if not null) to a description of the first one found.
bool SpansEquivalent(std::span<const Span> a, std::span<const Span> b, std::string* why = nullptr);

}  // namespace skua::model::convert::testing
