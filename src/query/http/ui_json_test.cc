#include "query/http/ui_json.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace skua::query::http {
namespace {

using model::SpanId;
using model::TraceId;
using model::jaeger::JaegerTrace;
using model::jaeger::Log;
using model::jaeger::Process;
using model::jaeger::RefType;
using model::jaeger::Span;
using model::jaeger::Tag;

std::string TraceJson(const JaegerTrace& t) {
  std::string out;
  AppendTraceJson(t, out);
  return out;
}

// One span with a single tag; returns the tag's JSON object as emitted.
std::string TagJson(const Tag& tag) {
  JaegerTrace t;
  t.processes.push_back(Process{"s", {}});
  Span& s = t.spans.emplace_back();
  s.tags.push_back(tag);
  std::string json = TraceJson(t);
  size_t begin = json.find("\"tags\":[") + 8;
  size_t end = json.find("],\"logs\"");
  return json.substr(begin, end - begin);
}

// The §2.4 example, written out by hand from the spec (field order, µs times, base64 binary,
// processID p1, null warnings).
TEST(UiJsonTest, GoldenFromSpec) {
  JaegerTrace t;
  TraceId tid{0x4bf92f3577b34da6, 0xa3ce929d0e0e4736};
  t.processes.push_back(Process{"frontend", {Tag::String("hostname", "h1")}});
  Span& s = t.spans.emplace_back();
  s.trace_id = tid;
  s.span_id = SpanId{3};
  s.flags = 1;
  s.operation_name = "HTTP GET /dispatch";
  s.references.push_back({RefType::kChildOf, tid, SpanId{2}});
  s.start_time_us = 1485449191639875;
  s.duration_us = 100000;
  s.tags = {Tag::String("span.kind", "server"), Tag::Int("http.status_code", 200),
            Tag::Bool("error", true), Tag::Float("x", 1.5),
            Tag::Binary("blob", std::string_view("\x01\x02\x03", 3))};
  s.logs.push_back(Log{1485449191639875, {Tag::String("event", "got request")}});
  s.process_index = 0;

  EXPECT_EQ(TraceJson(t),
            R"({"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spans":[{)"
            R"("traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"0000000000000003",)"
            R"("flags":1,"operationName":"HTTP GET /dispatch",)"
            R"("references":[{"refType":"CHILD_OF","traceID":"4bf92f3577b34da6a3ce929d0e0e4736",)"
            R"("spanID":"0000000000000002"}],"startTime":1485449191639875,"duration":100000,)"
            R"("tags":[{"key":"span.kind","type":"string","value":"server"},)"
            R"({"key":"http.status_code","type":"int64","value":200},)"
            R"({"key":"error","type":"bool","value":true},)"
            R"({"key":"x","type":"float64","value":1.5},)"
            R"({"key":"blob","type":"binary","value":"AQID"}],)"
            R"("logs":[{"timestamp":1485449191639875,"fields":[)"
            R"({"key":"event","type":"string","value":"got request"}]}],)"
            R"("processID":"p1","warnings":null}],)"
            R"("processes":{"p1":{"serviceName":"frontend",)"
            R"("tags":[{"key":"hostname","type":"string","value":"h1"}]}},"warnings":null})");
}

// §2.4: flags omitted when 0; a 64-bit trace ID renders as 16 hex digits; empty lists are [];
// warnings become arrays when present; FOLLOWS_FROM references.
TEST(UiJsonTest, OmittedFlagsShortTraceIdAndWarnings) {
  JaegerTrace t;
  t.processes.push_back(Process{"svc", {}});
  Span& s = t.spans.emplace_back();
  s.trace_id = TraceId{0, 0x11};
  s.span_id = SpanId{0xff};
  s.references.push_back({RefType::kFollowsFrom, TraceId{1, 2}, SpanId{0xa}});
  s.warnings = {"w1", "w\"2"};
  t.warnings = {"trace-level"};
  EXPECT_EQ(TraceJson(t),
            R"({"traceID":"0000000000000011","spans":[{"traceID":"0000000000000011",)"
            R"("spanID":"00000000000000ff","operationName":"","references":[{"refType":)"
            R"("FOLLOWS_FROM","traceID":"00000000000000010000000000000002",)"
            R"("spanID":"000000000000000a"}],"startTime":0,"duration":0,"tags":[],"logs":[],)"
            R"("processID":"p1","warnings":["w1","w\"2"]}],)"
            R"("processes":{"p1":{"serviceName":"svc","tags":[]}},"warnings":["trace-level"]})");
}

TEST(UiJsonTest, EmptyTrace) {
  JaegerTrace t;
  EXPECT_EQ(TraceJson(t), R"({"traceID":"","spans":[],"processes":{},"warnings":null})");
}

// §2.4: int64 beyond ±(2^53−1) is emitted as a JSON string.
TEST(UiJsonTest, Int64SafeIntegerBoundary) {
  EXPECT_EQ(TagJson(Tag::Int("k", 9007199254740991)),
            R"({"key":"k","type":"int64","value":9007199254740991})");
  EXPECT_EQ(TagJson(Tag::Int("k", 9007199254740992)),
            R"({"key":"k","type":"int64","value":"9007199254740992"})");
  EXPECT_EQ(TagJson(Tag::Int("k", -9007199254740991)),
            R"({"key":"k","type":"int64","value":-9007199254740991})");
  EXPECT_EQ(TagJson(Tag::Int("k", -9007199254740992)),
            R"({"key":"k","type":"int64","value":"-9007199254740992"})");
  EXPECT_EQ(TagJson(Tag::Int("k", std::numeric_limits<int64_t>::min())),
            R"({"key":"k","type":"int64","value":"-9223372036854775808"})");
  EXPECT_EQ(TagJson(Tag::Int("k", 0)), R"({"key":"k","type":"int64","value":0})");
}

// float64: shortest round-trip digits, plain notation in [1e-6, 1e21) as Go's encoding/json does;
// NaN and infinities as strings.
TEST(UiJsonTest, FloatForms) {
  auto value = [](double d) {
    std::string j = TagJson(Tag::Float("f", d));
    size_t v = j.find("\"value\":") + 8;
    return j.substr(v, j.size() - v - 1);
  };
  EXPECT_EQ(value(1.5), "1.5");
  EXPECT_EQ(value(0.1), "0.1");
  EXPECT_EQ(value(100), "100");
  EXPECT_EQ(value(0), "0");
  EXPECT_EQ(value(-2.25), "-2.25");
  EXPECT_EQ(value(1e20), "100000000000000000000");
  EXPECT_EQ(value(1e21), "1e+21");
  EXPECT_EQ(value(0.000001), "0.000001");
  EXPECT_EQ(value(1e-7), "1e-7");
  EXPECT_EQ(value(1.2345e-300), "1.2345e-300");
  EXPECT_EQ(value(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(value(std::nan("")), "\"NaN\"");
  EXPECT_EQ(value(INFINITY), "\"Infinity\"");
  EXPECT_EQ(value(-INFINITY), "\"-Infinity\"");
}

TEST(UiJsonTest, OtherTagTypes) {
  EXPECT_EQ(TagJson(Tag::Bool("b", false)), R"({"key":"b","type":"bool","value":false})");
  EXPECT_EQ(TagJson(Tag::Binary("x", "")), R"({"key":"x","type":"binary","value":""})");
  EXPECT_EQ(TagJson(Tag::Binary("x", "ab")), R"({"key":"x","type":"binary","value":"YWI="})");
  EXPECT_EQ(TagJson(Tag::Binary("x", "abcd")), R"({"key":"x","type":"binary","value":"YWJjZA=="})");
  EXPECT_EQ(TagJson(Tag::String("s", "")), R"({"key":"s","type":"string","value":""})");
}

// §2.4 process IDs: p1, p2, … in order of first use by spans; processes equal in content share an
// ID; unused processes are not emitted; keys appear in Go's sorted-map order (p1, p10, p11, p2, …).
TEST(UiJsonTest, ProcessIds) {
  JaegerTrace t;
  for (int i = 0; i < 12; ++i) {
    t.processes.push_back(Process{t.arena.CopyString("svc" + std::to_string(i)), {}});
  }
  t.processes.push_back(Process{"svc11", {}});   // index 12: same content as index 11
  t.processes.push_back(Process{"unused", {}});  // index 13
  // Use processes in reverse order: index 11 → p1, 10 → p2, …, 0 → p12, then 12 → p1 again.
  for (int i = 11; i >= 0; --i) {
    Span& s = t.spans.emplace_back();
    s.span_id = SpanId{static_cast<uint64_t>(20 - i)};
    s.process_index = static_cast<size_t>(i);
  }
  t.spans.emplace_back().process_index = 12;
  std::string json = TraceJson(t);
  std::vector<std::string> pids;
  for (size_t at = json.find("\"processID\":\""); at != std::string::npos;
       at = json.find("\"processID\":\"", at + 1)) {
    size_t b = at + 13;
    pids.push_back(json.substr(b, json.find('"', b) - b));
  }
  EXPECT_THAT(pids, ::testing::ElementsAre("p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9",
                                           "p10", "p11", "p12", "p1"));
  size_t procs = json.find("\"processes\":{");
  ASSERT_NE(procs, std::string::npos);
  EXPECT_EQ(json.substr(procs),
            R"("processes":{"p1":{"serviceName":"svc11","tags":[]},)"
            R"("p10":{"serviceName":"svc2","tags":[]},"p11":{"serviceName":"svc1","tags":[]},)"
            R"("p12":{"serviceName":"svc0","tags":[]},"p2":{"serviceName":"svc10","tags":[]},)"
            R"("p3":{"serviceName":"svc9","tags":[]},"p4":{"serviceName":"svc8","tags":[]},)"
            R"("p5":{"serviceName":"svc7","tags":[]},"p6":{"serviceName":"svc6","tags":[]},)"
            R"("p7":{"serviceName":"svc5","tags":[]},"p8":{"serviceName":"svc4","tags":[]},)"
            R"("p9":{"serviceName":"svc3","tags":[]}},"warnings":null})");
}

// Processes differing only in a tag value get different IDs; an out-of-range index is tolerated.
TEST(UiJsonTest, ProcessContentComparison) {
  JaegerTrace t;
  t.processes.push_back(Process{"a", {Tag::Int("n", 1)}});
  t.processes.push_back(Process{"a", {Tag::Int("n", 2)}});
  t.processes.push_back(Process{"a", {Tag::Int("n", 1)}});
  for (size_t i : {0, 1, 2, 99}) t.spans.emplace_back().process_index = i;
  std::string json = TraceJson(t);
  EXPECT_THAT(json, ::testing::HasSubstr(
                        R"("processes":{"p1":{"serviceName":"a","tags":[{"key":"n","type":"int64",)"
                        R"("value":1}]},"p2":{"serviceName":"a","tags":[{"key":"n","type":"int64",)"
                        R"("value":2}]},"p3":{"serviceName":"","tags":[]}})"));
  EXPECT_EQ(json.find("\"p4\""), std::string::npos);
}

// Many processes (past the encoder's linear-comparison limit): duplicates still share IDs.
TEST(UiJsonTest, ManyProcessesShareIds) {
  JaegerTrace t;
  const int kDistinct = 100;
  for (int i = 0; i < 2 * kDistinct; ++i) {
    // Index i and i + kDistinct have equal content.
    std::string_view name = t.arena.CopyString("s" + std::to_string(i % kDistinct));
    t.processes.push_back(Process{name, {Tag::Int("n", i % kDistinct)}});
  }
  for (int i = 0; i < 2 * kDistinct; ++i) t.spans.emplace_back().process_index = i;
  std::string json = TraceJson(t);
  std::vector<std::string> pids;
  for (size_t at = json.find("\"processID\":\""); at != std::string::npos;
       at = json.find("\"processID\":\"", at + 1)) {
    size_t b = at + 13;
    pids.push_back(json.substr(b, json.find('"', b) - b));
  }
  ASSERT_EQ(pids.size(), 2u * kDistinct);
  for (int i = 0; i < kDistinct; ++i) {
    EXPECT_EQ(pids[i], "p" + std::to_string(i + 1));
    EXPECT_EQ(pids[i + kDistinct], pids[i]);
  }
  EXPECT_NE(json.find("\"p100\":{\"serviceName\":\"s99\""), std::string::npos);
  EXPECT_EQ(json.find("\"p101\""), std::string::npos);
}

// The output is valid JSON that a real parser reads back to the same values, including awkward
// strings and numbers.
TEST(UiJsonTest, ParsesBack) {
  JaegerTrace t;
  t.processes.push_back(Process{"sv\"c", {Tag::String("k{", "v}\\")}});
  Span& s = t.spans.emplace_back();
  s.trace_id = TraceId{0, 1};
  s.span_id = SpanId{2};
  s.operation_name = "op\n<1>";
  s.tags = {Tag::Int("big", std::numeric_limits<int64_t>::max()), Tag::Float("f", 1e300),
            Tag::String("bad", "\xff")};
  std::string json = TraceJson(t);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(root["spans"].at(0)["operationName"]), "op\n<1>");
  EXPECT_EQ(std::string_view(root["spans"].at(0)["tags"].at(0)["value"]), "9223372036854775807");
  EXPECT_EQ(double(root["spans"].at(0)["tags"].at(1)["value"]), 1e300);
  EXPECT_EQ(std::string_view(root["spans"].at(0)["tags"].at(2)["value"]), "\xef\xbf\xbd");
  EXPECT_EQ(std::string_view(root["processes"]["p1"]["serviceName"]), "sv\"c");
  EXPECT_EQ(std::string_view(root["processes"]["p1"]["tags"].at(0)["value"]), "v}\\");
}

// prettyPrint=true (§2.3): Go's MarshalIndent layout with 4 spaces; strings holding braces,
// brackets, commas, colons, quotes and escapes are copied untouched; empty {} and [] stay inline.
TEST(PrettyPrintJsonTest, FourSpaceIndent) {
  std::string compact =
      R"({"data":[{"a":1,"b":"x{y}[z],:\"q\\"},[],{}],"total":0,"errors":null,"n":{"m":[true]}})";
  EXPECT_EQ(PrettyPrintJson(compact),
            "{\n"
            "    \"data\": [\n"
            "        {\n"
            "            \"a\": 1,\n"
            "            \"b\": \"x{y}[z],:\\\"q\\\\\"\n"
            "        },\n"
            "        [],\n"
            "        {}\n"
            "    ],\n"
            "    \"total\": 0,\n"
            "    \"errors\": null,\n"
            "    \"n\": {\n"
            "        \"m\": [\n"
            "            true\n"
            "        ]\n"
            "    }\n"
            "}");
  EXPECT_EQ(PrettyPrintJson("[]"), "[]");
  EXPECT_EQ(PrettyPrintJson(R"("a\"}")"), R"("a\"}")");
}

// Pretty-printing a real trace document keeps it valid JSON with the same content.
TEST(PrettyPrintJsonTest, TraceRoundTrip) {
  JaegerTrace t;
  t.processes.push_back(Process{"svc", {Tag::String("q", "\"{[")}});
  Span& s = t.spans.emplace_back();
  s.operation_name = "a\\\"b";
  s.warnings = {"w"};
  std::string compact = TraceJson(t);
  std::string pretty = PrettyPrintJson(compact);
  EXPECT_NE(pretty, compact);
  simdjson::dom::parser parser;
  simdjson::dom::element a, b;
  ASSERT_EQ(parser.parse(pretty).get(a), simdjson::SUCCESS) << pretty;
  EXPECT_EQ(simdjson::minify(a), compact);
}

}  // namespace
}  // namespace skua::query::http
