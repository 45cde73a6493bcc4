// Test fixtures of the storage conformance suite: OTLP/JSON traces under tests/fixtures/traces/ and
// the FindTraces cases of tests/fixtures/queries.json. Fixture times sit on placeholder days
// (2020-02-02 = D, 2020-02-01 = D-1) and are shifted at load time so that D is yesterday (UTC),
// which keeps time-window queries meaningful for stores that expire old data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/span_set.h"
#include "storage/storage.h"

namespace skua::storage::conformance {

// The source tree root: $SKUA_SOURCE_DIR (set by skua_cc_test), else the directory configured at
// build time.
std::string SourceDir();

// Nanoseconds added to every fixture time: yesterday's midnight (UTC) minus the placeholder day's.
// Computed once per process so that a run crossing midnight stays consistent.
int64_t FixtureTimeShift();

// Adds FixtureTimeShift() to every "...UnixNano" value of an OTLP/JSON document.
std::string ShiftFixtureTimes(std::string_view otlp_json);

// Parses an RFC 3339 time on the placeholder days and returns it shifted, in Unix nanoseconds.
absl::StatusOr<uint64_t> FixtureTime(std::string_view rfc3339);

// Loads tests/fixtures/traces/<stem>.json, shifted, decoded.
absl::StatusOr<model::SpanSet> LoadTraceFixture(std::string_view stem);

struct QueryCase {
  std::string caption;
  std::string source;  // the jaeger-compat section the case comes from
  TraceQuery query;    // times already shifted
  // Trace fixture stems expected, newest first.
  std::vector<std::string> expected;
  // Capabilities the case needs (e.g. "search_without_service"); the suite skips it otherwise.
  std::vector<std::string> requires_caps;
};

struct QueryCases {
  // Every fixture written before the cases run (the expected ones and the counter-examples).
  std::vector<std::string> fixtures;
  std::vector<QueryCase> cases;
};

// Loads tests/fixtures/queries.json.
absl::StatusOr<QueryCases> LoadQueryCases();

}  // namespace skua::storage::conformance
