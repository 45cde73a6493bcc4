// Sanitizers applied to every batch before it is queued, whatever protocol it came in
// (jaeger-compat §1.8, Jaeger v2's always-on set): an empty or missing service name becomes
// "empty-service-name" / "missing-service-name", an empty span name "empty-span-name", invalid
// UTF-8 in names, attribute keys and string values is repaired (invalid bytes → U+FFFD), and a
// span whose end precedes its start gets end = start. Repaired strings are written to the set's
// arena; valid input is left untouched and costs one validation pass.
#pragma once

#include <cstdint>

#include "model/span_set.h"

namespace skua::model::convert {

struct SanitizeStats {
  uint32_t repaired_strings = 0;    // invalid UTF-8 replaced
  uint32_t renamed_services = 0;    // empty or missing service names
  uint32_t renamed_spans = 0;       // empty span names
  uint32_t fixed_durations = 0;     // negative durations
};

// Sanitizes `batch` in place and reports what it changed.
SanitizeStats SanitizeSpans(SpanSet& batch);

}  // namespace skua::model::convert
