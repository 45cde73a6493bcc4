#include "storage/conformance/fixtures.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "model/convert/otlp.h"
#include "simdjson.h"

#ifndef SKUA_CONFORMANCE_SOURCE_DIR
#define SKUA_CONFORMANCE_SOURCE_DIR "."
#endif

namespace skua::storage::conformance {
namespace {

// Midnight (UTC) of the placeholder day D, 2020-02-02.
constexpr int64_t kPlaceholderDaySeconds = 1580601600;
constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open fixture ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::Status JsonError(std::string_view what, simdjson::error_code error) {
  return absl::InvalidArgumentError(
      absl::StrCat("queries.json: ", std::string(what), ": ", simdjson::error_message(error)));
}

absl::Status ParseQuery(simdjson::dom::object q, TraceQuery& out) {
  for (simdjson::dom::key_value_pair kv : q) {
    std::string_view key = kv.key;
    if (key == "service_name" || key == "operation_name") {
      std::string_view s;
      if (auto e = kv.value.get_string().get(s); e) return JsonError(key, e);
      (key == "service_name" ? out.service_name : out.operation_name) = std::string(s);
    } else if (key == "tags") {
      simdjson::dom::object tags;
      if (auto e = kv.value.get_object().get(tags); e) return JsonError(key, e);
      for (simdjson::dom::key_value_pair tag : tags) {
        std::string_view v;
        if (auto e = tag.value.get_string().get(v); e) return JsonError("tag value", e);
        out.tags.emplace_back(std::string(tag.key), std::string(v));
      }
    } else if (key == "start_time_min" || key == "start_time_max") {
      std::string_view s;
      if (auto e = kv.value.get_string().get(s); e) return JsonError(key, e);
      auto t = FixtureTime(s);
      if (!t.ok()) return t.status();
      (key == "start_time_min" ? out.start_time_min : out.start_time_max) = *t;
    } else if (key == "duration_min" || key == "duration_max") {
      uint64_t d;
      if (auto e = kv.value.get_uint64().get(d); e) return JsonError(key, e);
      (key == "duration_min" ? out.duration_min : out.duration_max) = d;
    } else if (key == "num_traces") {
      int64_t n;
      if (auto e = kv.value.get_int64().get(n); e) return JsonError(key, e);
      out.num_traces = static_cast<int32_t>(n);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("queries.json: unknown query field ", std::string(key)));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseStringArray(simdjson::dom::element e, std::string_view what,
                              std::vector<std::string>& out) {
  simdjson::dom::array array;
  if (auto err = e.get_array().get(array); err) return JsonError(what, err);
  for (simdjson::dom::element item : array) {
    std::string_view s;
    if (auto err = item.get_string().get(s); err) return JsonError(what, err);
    out.emplace_back(s);
  }
  return absl::OkStatus();
}

}  // namespace

std::string SourceDir() {
  const char* env = std::getenv("SKUA_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return env;
  return SKUA_CONFORMANCE_SOURCE_DIR;
}

int64_t FixtureTimeShift() {
  static const int64_t shift = [] {
    int64_t now = absl::ToUnixSeconds(absl::Now());
    int64_t yesterday = (now / kSecondsPerDay - 1) * kSecondsPerDay;
    return (yesterday - kPlaceholderDaySeconds) * kNanosPerSecond;
  }();
  return shift;
}

std::string ShiftFixtureTimes(std::string_view json) {
  static constexpr std::string_view kMarker = "UnixNano\"";
  std::string out;
  out.reserve(json.size() + 64);
  size_t pos = 0;
  while (true) {
    size_t hit = json.find(kMarker, pos);
    if (hit == std::string_view::npos) break;
    size_t i = hit + kMarker.size();
    while (i < json.size() && (absl::ascii_isspace(json[i]) || json[i] == ':' || json[i] == '"')) {
      ++i;
    }
    size_t digits = i;
    while (digits < json.size() && absl::ascii_isdigit(json[digits])) ++digits;
    out.append(json.substr(pos, i - pos));
    uint64_t value = 0;
    if (digits > i && absl::SimpleAtoi(std::string(json.substr(i, digits - i)), &value) &&
        value != 0) {
      absl::StrAppend(&out,
                      static_cast<uint64_t>(static_cast<int64_t>(value) + FixtureTimeShift()));
    } else {
      out.append(json.substr(i, digits - i));
    }
    pos = digits;
  }
  out.append(json.substr(pos));
  return out;
}

absl::StatusOr<uint64_t> FixtureTime(std::string_view rfc3339) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(rfc3339), &t, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad fixture time ", std::string(rfc3339), ": ", error));
  }
  return static_cast<uint64_t>(absl::ToUnixNanos(t) + FixtureTimeShift());
}

absl::StatusOr<model::SpanSet> LoadTraceFixture(std::string_view stem) {
  auto text =
      ReadFile(absl::StrCat(SourceDir(), "/tests/fixtures/traces/", std::string(stem), ".json"));
  if (!text.ok()) return text.status();
  auto spans = model::convert::DecodeOtlpJson(ShiftFixtureTimes(*text));
  if (!spans.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("fixture ", std::string(stem), ": ", spans.status().message()));
  }
  return spans;
}

absl::StatusOr<QueryCases> LoadQueryCases() {
  auto text = ReadFile(absl::StrCat(SourceDir(), "/tests/fixtures/queries.json"));
  if (!text.ok()) return text.status();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto e = parser.parse(simdjson::padded_string(*text)).get(doc); e) {
    return JsonError("document", e);
  }
  QueryCases out;
  simdjson::dom::element fixtures;
  if (auto e = doc["fixtures"].get(fixtures); e) return JsonError("fixtures", e);
  if (auto s = ParseStringArray(fixtures, "fixtures", out.fixtures); !s.ok()) return s;
  simdjson::dom::array cases;
  if (auto e = doc["cases"].get_array().get(cases); e) return JsonError("cases", e);
  for (simdjson::dom::element c : cases) {
    QueryCase qc;
    std::string_view s;
    if (auto e = c["caption"].get_string().get(s); e) return JsonError("caption", e);
    qc.caption = std::string(s);
    if (c["source"].get_string().get(s) == simdjson::SUCCESS) qc.source = std::string(s);
    simdjson::dom::object query;
    if (auto e = c["query"].get_object().get(query); e) return JsonError("query", e);
    if (auto st = ParseQuery(query, qc.query); !st.ok()) return st;
    simdjson::dom::element list;
    if (auto e = c["expected"].get(list); e) return JsonError("expected", e);
    if (auto st = ParseStringArray(list, "expected", qc.expected); !st.ok()) return st;
    if (c["requires"].get(list) == simdjson::SUCCESS) {
      if (auto st = ParseStringArray(list, "requires", qc.requires_caps); !st.ok()) return st;
    }
    out.cases.push_back(std::move(qc));
  }
  return out;
}

}  // namespace skua::storage::conformance
