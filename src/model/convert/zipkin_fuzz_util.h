// Test-only invariant check shared by the Zipkin fuzz targets: whatever a decoder accepts must be
// a well-formed SpanSet (non-zero IDs, resource and scope set, every view readable).
#pragma once

#include <cstddef>

#include "absl/status/statusor.h"
#include "model/span_set.h"

namespace skua::model::convert::testing {

// Traps unless `decoded` is InvalidArgument or a SpanSet meeting the invariants above. Reading
// every byte of every string lets AddressSanitizer catch views into freed or foreign memory.
inline void CheckZipkinDecodeResult(const absl::StatusOr<SpanSet>& decoded) {
  if (!decoded.ok()) {
    if (decoded.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return;
  }
  volatile size_t sum = 0;
  auto touch = [&](std::string_view s) {
    for (char c : s) sum = sum + static_cast<unsigned char>(c);
  };
  auto touch_attributes = [&](Attributes attributes) {
    for (const KeyValue& kv : attributes) {
      touch(kv.key);
      if (kv.value.type() == ValueType::kString || kv.value.type() == ValueType::kBytes) {
        touch(kv.value.string_value());
      }
    }
  };
  for (const Span& s : decoded->spans()) {
    if (s.trace_id.IsZero() || s.span_id.IsZero()) __builtin_trap();
    if (s.resource == nullptr || s.scope == nullptr) __builtin_trap();
    if (s.end_time_unix_nano < s.start_time_unix_nano) __builtin_trap();
    touch(s.name);
    touch(s.trace_state);
    touch(s.status.message);
    touch(s.scope->name);
    touch(s.scope->version);
    touch_attributes(s.attributes);
    touch_attributes(s.resource->attributes);
    for (const Event& e : s.events) {
      touch(e.name);
      touch_attributes(e.attributes);
    }
  }
}

}  // namespace skua::model::convert::testing
