// Go's time.ParseDuration, the one duration grammar skua accepts: in flags and config
// (FlagSet::GetDurationNanos) and in the query API's minDuration/maxDuration (jaeger-compat §2.2),
// with Go's exact semantics and error texts so that messages match Jaeger's.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace skua::config {

// Parses a Go duration: an optional sign, then one or more decimal numbers (with optional
// fraction) each followed by a unit (ns, us, µs, μs, ms, s, m, h), e.g. "1.2s", "1h15m", "-5ms";
// "0" alone needs no unit. Returns nanoseconds; the result must fit in int64 (as in Go).
// Failure: InvalidArgument with Go's message: `time: invalid duration "x"`,
// `time: missing unit in duration "1"` or `time: unknown unit "d" in duration "1d"` (the quoted
// parts as Go's time package quotes them: bytes outside printable ASCII as \xNN).
absl::StatusOr<int64_t> ParseGoDuration(std::string_view s);

}  // namespace skua::config
