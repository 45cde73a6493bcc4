#include "query/http/query_api.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/span.h"
#include "model/span_set.h"
#include "query/query_service.h"
#include "simdjson.h"
#include "storage/memory/memory_storage.h"

namespace skua::query::http {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr uint64_t kSec = 1'000'000'000;
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kNow = 1'704'153'600 * kSec;  // 2024-01-02T00:00:00Z

const model::TraceId kTraceA{0, 0xA1};       // frontend → driver, 10 minutes ago
const model::TraceId kTraceB{0x1234, 0xB2};  // frontend only, 5 minutes ago, 128-bit ID
const model::TraceId kTraceC{0, 0xC3};       // driver → mysql, 3 days ago
const model::TraceId kTraceD{0, 0xD4};       // "my svc/1", 1 hour ago
const model::TraceId kMissing{0, 0xEE};

struct SpanSpec {
  model::TraceId trace;
  uint64_t id = 0;
  uint64_t parent = 0;
  std::string service;
  std::string name;
  model::SpanKind kind = model::SpanKind::kUnspecified;
  uint64_t start = 0;
  uint64_t duration = 0;
  std::vector<model::KeyValue> attrs;
  std::vector<model::KeyValue> resource_attrs;  // besides service.name
  std::string event_name;
  std::vector<model::KeyValue> event_attrs;
};

void AddSpan(model::SpanSet& set, const SpanSpec& s) {
  std::vector<model::KeyValue> resource_attrs = {
      {"service.name", model::AnyValue::String(s.service)}};
  resource_attrs.insert(resource_attrs.end(), s.resource_attrs.begin(), s.resource_attrs.end());
  model::Resource resource;
  resource.attributes = resource_attrs;
  resource.service_name = s.service;
  model::Scope scope;
  model::Span span;
  span.trace_id = s.trace;
  span.span_id = model::SpanId{s.id};
  span.parent_span_id = model::SpanId{s.parent};
  span.name = s.name;
  span.kind = s.kind;
  span.start_time_unix_nano = s.start;
  span.end_time_unix_nano = s.start + s.duration;
  span.attributes = s.attrs;
  model::Event event;
  if (!s.event_name.empty()) {
    event.name = s.event_name;
    event.time_unix_nano = s.start;
    event.attributes = s.event_attrs;
    span.events = std::span<const model::Event>(&event, 1);
  }
  span.resource = &resource;
  span.scope = &scope;
  set.CopySpan(span);
}

class QueryApiTest : public ::testing::Test {
 protected:
  QueryApiTest() : storage_(storage::memory::NewMemoryStorage({})), service_(*storage_, {}) {}

  void SetUp() override {
    model::SpanSet batch;
    AddSpan(batch, {.trace = kTraceA,
                    .id = 1,
                    .service = "frontend",
                    .name = "GET /dispatch",
                    .kind = model::SpanKind::kServer,
                    .start = kNow - 600 * kSec,
                    .duration = 100 * kMs,
                    .attrs = {{"http.status_code", model::AnyValue::Int(200)},
                              {"big", model::AnyValue::Int(9007199254740993)},
                              {"url", model::AnyValue::String("http://host:80/dispatch")},
                              {"k", model::AnyValue::String("right")}},
                    .resource_attrs = {{"hostname", model::AnyValue::String("h1")}},
                    .event_name = "retry",
                    .event_attrs = {{"zeta", model::AnyValue::String("z")},
                                    {"alpha", model::AnyValue::String("a")}}});
    AddSpan(batch, {.trace = kTraceA,
                    .id = 2,
                    .parent = 1,
                    .service = "driver",
                    .name = "FindDriver",
                    .kind = model::SpanKind::kClient,
                    .start = kNow - 600 * kSec + 10 * kMs,
                    .duration = 50 * kMs});
    AddSpan(batch, {.trace = kTraceB,
                    .id = 3,
                    .service = "frontend",
                    .name = "GET /config",
                    .kind = model::SpanKind::kServer,
                    .start = kNow - 300 * kSec,
                    .duration = 5 * kMs,
                    .attrs = {{"http.status_code", model::AnyValue::Int(404)}},
                    .resource_attrs = {{"hostname", model::AnyValue::String("h1")}}});
    AddSpan(batch, {.trace = kTraceC,
                    .id = 4,
                    .service = "driver",
                    .name = "Query",
                    .kind = model::SpanKind::kClient,
                    .start = kNow - 3 * 86400 * kSec,
                    .duration = 20 * kMs});
    AddSpan(batch, {.trace = kTraceC,
                    .id = 5,
                    .parent = 4,
                    .service = "mysql",
                    .name = "SELECT",
                    .kind = model::SpanKind::kServer,
                    .start = kNow - 3 * 86400 * kSec + kMs,
                    .duration = 10 * kMs});
    AddSpan(batch, {.trace = kTraceD,
                    .id = 6,
                    .service = "my svc/1",
                    .name = "op1",
                    .start = kNow - 3600 * kSec,
                    .duration = kMs});
    ASSERT_TRUE(storage_->writer().WriteSpans(storage::kDefaultTenant, batch).ok());
  }

  QueryApiOptions Options() {
    QueryApiOptions options;
    options.now_unix_nanos = [] { return static_cast<int64_t>(kNow); };
    return options;
  }

  net::HttpHandler Handler(QueryApiOptions options) {
    return NewQueryApiHandler(service_, std::move(options),
                              [this](const net::HttpRequest& req, net::HttpResponse& resp) {
                                fallback_paths_.push_back(req.path);
                                resp.status = 404;
                                resp.content_type = "text/plain";
                                resp.body = "fallback";
                              });
  }

  // GET `raw_path` (percent-encoded as on the wire) with decoded query parameters.
  net::HttpResponse Get(std::string raw_path,
                        std::vector<std::pair<std::string, std::string>> query = {},
                        std::string method = "GET") {
    return Call(Handler(Options()), std::move(raw_path), std::move(query), std::move(method));
  }

  static net::HttpResponse Call(const net::HttpHandler& handler, std::string raw_path,
                                std::vector<std::pair<std::string, std::string>> query = {},
                                std::string method = "GET",
                                std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::HttpRequest req;
    req.method = std::move(method);
    req.raw_path = raw_path;
    req.path = raw_path;  // the handler routes on raw_path; tests that decode set it apart
    req.query = std::move(query);
    req.headers = std::move(headers);
    net::HttpResponse resp;
    handler(req, resp);
    return resp;
  }

  // The body Go's http.Error writes for `code`/`msg` (§2.3).
  static std::string ErrorBody(int code, const std::string& msg) {
    return "{\"data\":null,\"total\":0,\"limit\":0,\"offset\":0,\"errors\":[{\"code\":" +
           std::to_string(code) + ",\"msg\":\"" + msg + "\"}]}\n";
  }

  static void ExpectError(const net::HttpResponse& resp, int code, const std::string& msg) {
    EXPECT_EQ(resp.status, code);
    EXPECT_EQ(resp.content_type, "text/plain; charset=utf-8");
    EXPECT_EQ(resp.body, ErrorBody(code, msg));
  }

  // traceIDs of the traces in a search/trace response, in order.
  static std::vector<std::string> TraceIds(const net::HttpResponse& resp) {
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(resp.body);
    std::vector<std::string> ids;
    for (simdjson::dom::element trace : root["data"].get_array()) {
      ids.emplace_back(std::string_view(trace["traceID"]));
    }
    return ids;
  }

  std::unique_ptr<storage::Storage> storage_;
  QueryService service_;
  std::vector<std::string> fallback_paths_;
};

// §2.1/§2.3: services, with total, limit/offset 0 and errors null.
TEST_F(QueryApiTest, Services) {
  net::HttpResponse resp = Get("/api/services");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.content_type, "application/json");
  EXPECT_EQ(resp.body, R"({"data":["driver","frontend","my svc/1","mysql"],"total":4,"limit":0,)"
                       R"("offset":0,"errors":null})");
}

// §11 choice: an empty list is [] rather than Go's null.
TEST_F(QueryApiTest, EmptyListsAreArrays) {
  std::unique_ptr<storage::Storage> empty = storage::memory::NewMemoryStorage({});
  QueryService service(*empty, {});
  net::HttpHandler handler = NewQueryApiHandler(service, Options(), nullptr);
  EXPECT_EQ(Call(handler, "/api/services").body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(Call(handler, "/api/traces", {{"service", "x"}}).body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(Call(handler, "/api/dependencies").body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
}

// §2.1: legacy route, operation names of every kind, service URL-unescaped from the path.
TEST_F(QueryApiTest, LegacyOperations) {
  EXPECT_EQ(Get("/api/services/frontend/operations").body,
            R"({"data":["GET /config","GET /dispatch"],"total":2,"limit":0,"offset":0,)"
            R"("errors":null})");
  // url.QueryUnescape: '+' is a space and %2F a slash that does not split the route.
  EXPECT_EQ(Get("/api/services/my+svc%2F1/operations").body,
            R"({"data":["op1"],"total":1,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(Get("/api/services/my%20svc%2f1/operations").body,
            R"({"data":["op1"],"total":1,"limit":0,"offset":0,"errors":null})");
  // A malformed escape: Jaeger asks for service "" and returns nothing.
  EXPECT_EQ(Get("/api/services/bad%zz/operations").body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(Get("/api/services/unknown/operations").body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
}

// §2.1: /api/operations with spanKind filter; service is required.
TEST_F(QueryApiTest, Operations) {
  EXPECT_EQ(Get("/api/operations", {{"service", "frontend"}}).body,
            R"({"data":[{"name":"GET /config","spanKind":"server"},)"
            R"({"name":"GET /dispatch","spanKind":"server"}],"total":2,"limit":0,"offset":0,)"
            R"("errors":null})");
  EXPECT_EQ(Get("/api/operations", {{"service", "driver"}, {"spanKind", "client"}}).body,
            R"({"data":[{"name":"FindDriver","spanKind":"client"},)"
            R"({"name":"Query","spanKind":"client"}],"total":2,"limit":0,"offset":0,)"
            R"("errors":null})");
  EXPECT_EQ(Get("/api/operations", {{"service", "driver"}, {"spanKind", "server"}}).body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
  // An empty spanKind means every kind (Jaeger v1).
  EXPECT_THAT(Get("/api/operations", {{"service", "driver"}, {"spanKind", ""}}).body,
              HasSubstr("\"total\":2"));
  ExpectError(Get("/api/operations"), 400, "parameter 'service' is required");
  ExpectError(Get("/api/operations", {{"service", ""}}), 400, "parameter 'service' is required");
}

// §2.2: default window is now−48h..now; results newest first and always adjusted.
TEST_F(QueryApiTest, SearchByService) {
  net::HttpResponse resp = Get("/api/traces", {{"service", "frontend"}, {"lookback", "2d"}});
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.content_type, "application/json");
  EXPECT_THAT(TraceIds(resp), ElementsAre(kTraceB.ToJaegerHex(), kTraceA.ToJaegerHex()));
  EXPECT_THAT(resp.body, testing::EndsWith(R"(,"total":0,"limit":0,"offset":0,"errors":null})"));
  // The 3-day-old mysql trace is outside the default window.
  EXPECT_THAT(TraceIds(Get("/api/traces", {{"service", "mysql"}})), ElementsAre());
}

TEST_F(QueryApiTest, SearchOperationAndLimit) {
  EXPECT_THAT(
      TraceIds(Get("/api/traces", {{"service", "frontend"}, {"operation", "GET /dispatch"}})),
      ElementsAre(kTraceA.ToJaegerHex()));
  EXPECT_THAT(TraceIds(Get("/api/traces", {{"service", "frontend"}, {"limit", "1"}})),
              ElementsAre(kTraceB.ToJaegerHex()));
  // limit <= 0 falls back to the default (100).
  EXPECT_EQ(TraceIds(Get("/api/traces", {{"service", "frontend"}, {"limit", "0"}})).size(), 2u);
  ExpectError(
      Get("/api/traces", {{"service", "frontend"}, {"limit", "abc"}}), 400,
      "unable to parse param 'limit': strconv.ParseInt: parsing \\\"abc\\\": invalid syntax");
  // limit is an int32.
  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"limit", "3000000000"}}), 400,
              "unable to parse param 'limit': strconv.ParseInt: parsing \\\"3000000000\\\": value "
              "out of range");
}

// §2.2: start/end in microseconds.
TEST_F(QueryApiTest, SearchTimeWindow) {
  const uint64_t c_start_us = (kNow - 3 * 86400 * kSec) / 1000;
  EXPECT_THAT(TraceIds(Get("/api/traces", {{"service", "mysql"},
                                           {"start", std::to_string(c_start_us - 1'000'000)},
                                           {"end", std::to_string(c_start_us + 1'000'000)}})),
              ElementsAre(kTraceC.ToJaegerHex()));
  // Only start: end defaults to now.
  EXPECT_THAT(TraceIds(Get("/api/traces", {{"service", "frontend"},
                                           {"start", std::to_string((kNow - 400 * kSec) / 1000)}})),
              ElementsAre(kTraceB.ToJaegerHex()));
  // Only end: start defaults to now − 48h.
  EXPECT_THAT(TraceIds(Get("/api/traces", {{"service", "frontend"},
                                           {"end", std::to_string((kNow - 400 * kSec) / 1000)}})),
              ElementsAre(kTraceA.ToJaegerHex()));
  ExpectError(
      Get("/api/traces", {{"service", "frontend"}, {"start", "abc"}}), 400,
      "unable to parse param 'start': strconv.ParseInt: parsing \\\"abc\\\": invalid syntax");
  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"end", "1.5"}}), 400,
              "unable to parse param 'end': strconv.ParseInt: parsing \\\"1.5\\\": invalid syntax");
  ExpectError(
      Get("/api/traces", {{"service", "frontend"}, {"end", "99999999999999999999"}}), 400,
      "unable to parse param 'end': strconv.ParseInt: parsing \\\"99999999999999999999\\\": "
      "value out of range");
}

// §2.2: Go durations for minDuration/maxDuration.
TEST_F(QueryApiTest, SearchDurations) {
  auto search = [&](std::vector<std::pair<std::string, std::string>> extra) {
    extra.emplace_back("service", "frontend");
    return TraceIds(Get("/api/traces", std::move(extra)));
  };
  EXPECT_THAT(search({{"minDuration", "50ms"}}), ElementsAre(kTraceA.ToJaegerHex()));
  EXPECT_THAT(search({{"maxDuration", "10ms"}}), ElementsAre(kTraceB.ToJaegerHex()));
  EXPECT_THAT(search({{"minDuration", "4000us"}, {"maxDuration", "0.006s"}}),
              ElementsAre(kTraceB.ToJaegerHex()));
  EXPECT_THAT(search({{"minDuration", "5000µs"}, {"maxDuration", "1h15m"}}),
              ElementsAre(kTraceB.ToJaegerHex(), kTraceA.ToJaegerHex()));
  EXPECT_THAT(search({{"minDuration", "1.2s"}}), ElementsAre());
  EXPECT_THAT(search({{"maxDuration", "-1s"}}), ElementsAre());  // nothing lasts < 0

  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"minDuration", "1x"}}), 400,
              "unable to parse param 'minDuration': time: unknown unit \\\"x\\\" in duration "
              "\\\"1x\\\"");
  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"maxDuration", "5"}}), 400,
              "unable to parse param 'maxDuration': time: missing unit in duration \\\"5\\\"");
  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"minDuration", "abc"}}), 400,
              "unable to parse param 'minDuration': time: invalid duration \\\"abc\\\"");
  ExpectError(
      Get("/api/traces", {{"service", "frontend"}, {"minDuration", "2s"}, {"maxDuration", "1s"}}),
      400, "'maxDuration' should be greater than 'minDuration'");
}

// §2.2: tag=k:v (split on the first ':'), tags= JSON, both repeatable and merged.
TEST_F(QueryApiTest, SearchTags) {
  auto search = [&](std::vector<std::pair<std::string, std::string>> extra) {
    extra.emplace_back("service", "frontend");
    return TraceIds(Get("/api/traces", std::move(extra)));
  };
  EXPECT_THAT(search({{"tag", "http.status_code:200"}}), ElementsAre(kTraceA.ToJaegerHex()));
  EXPECT_THAT(search({{"tag", "url:http://host:80/dispatch"}}), ElementsAre(kTraceA.ToJaegerHex()));
  EXPECT_THAT(search({{"tag", "hostname:h1"}, {"tag", "http.status_code:404"}}),
              ElementsAre(kTraceB.ToJaegerHex()));
  EXPECT_THAT(search({{"tags", R"({"http.status_code":"404"})"}}),
              ElementsAre(kTraceB.ToJaegerHex()));
  // Numbers are accepted and stringified (documented choice).
  EXPECT_THAT(search({{"tags", R"({"http.status_code":200})"}}),
              ElementsAre(kTraceA.ToJaegerHex()));
  // Repeated keys: the last one wins (Jaeger builds one map).
  EXPECT_THAT(search({{"tag", "k:wrong"}, {"tag", "k:right"}}), ElementsAre(kTraceA.ToJaegerHex()));
  EXPECT_THAT(search({{"tag", "k:right"}, {"tag", "k:wrong"}}), ElementsAre());
  // tags= overrides tag= for the same key (Jaeger merges into one map, JSON last).
  EXPECT_THAT(search({{"tag", "k:wrong"}, {"tags", R"({"k":"right"})"}}),
              ElementsAre(kTraceA.ToJaegerHex()));
  EXPECT_THAT(search({{"tags", R"({"k":"wrong"})"}, {"tags", R"({"k":"right"})"}}),
              ElementsAre(kTraceA.ToJaegerHex()));
  EXPECT_THAT(search({{"tag", "http.status_code:500"}}), ElementsAre());
  EXPECT_THAT(search({{"tags", "null"}}).size(), 2u);

  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"tag", "key"}}), 400,
              "malformed 'tag' parameter, expecting key:value, received: key");
  net::HttpResponse bad = Get("/api/traces", {{"service", "frontend"}, {"tags", "{not json"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr(R"("msg":"malformed 'tags' parameter, cannot unmarshal JSON: )"));
  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"tags", R"({"a":[1]})"}}), 400,
              "malformed 'tags' parameter, cannot unmarshal JSON: json: cannot unmarshal array "
              "into Go value of type string");
  ExpectError(Get("/api/traces", {{"service", "frontend"}, {"tags", R"(["a"])"}}), 400,
              "malformed 'tags' parameter, cannot unmarshal JSON: json: cannot unmarshal array "
              "into Go value of type map[string]string");
}

TEST_F(QueryApiTest, SearchRequiresService) {
  ExpectError(Get("/api/traces"), 400, "parameter 'service' is required");
  ExpectError(Get("/api/traces", {{"operation", "GET /dispatch"}}), 400,
              "parameter 'service' is required");
  // Parse errors are reported before validation, as in query_parser.go.
  ExpectError(Get("/api/traces", {{"start", "x"}}), 400,
              "unable to parse param 'start': strconv.ParseInt: parsing \\\"x\\\": invalid syntax");
}

// §2.1: multi-get by traceID; missing traces listed in errors without a code.
TEST_F(QueryApiTest, MultiGetWithMissingId) {
  net::HttpResponse resp =
      Get("/api/traces", {{"traceID", "a1"}, {"traceID", "ee"}, {"traceID", kTraceB.ToHex()}});
  EXPECT_EQ(resp.status, 200);
  EXPECT_THAT(TraceIds(resp), ElementsAre(kTraceA.ToJaegerHex(), kTraceB.ToJaegerHex()));
  EXPECT_THAT(resp.body,
              testing::EndsWith(R"(,"total":0,"limit":0,"offset":0,"errors":[{"msg":"trace not )"
                                R"(found","traceID":"00000000000000ee"}]})"));
  // All found: errors stays null.
  EXPECT_THAT(Get("/api/traces", {{"traceID", "a1"}}).body, testing::EndsWith("\"errors\":null}"));

  ExpectError(Get("/api/traces", {{"traceID", "xyz"}}), 400,
              "unable to parse param 'traceID': strconv.ParseUint: parsing \\\"xyz\\\": invalid "
              "syntax");
  ExpectError(Get("/api/traces", {{"traceID", std::string(33, 'a')}}), 400,
              "unable to parse param 'traceID': TraceID cannot be longer than 32 hex characters: " +
                  std::string(33, 'a'));
}

// §2.1: trace by ID; 404 and 400 texts.
TEST_F(QueryApiTest, TraceById) {
  net::HttpResponse resp = Get("/api/traces/" + kTraceB.ToHex());
  EXPECT_EQ(resp.status, 200);
  EXPECT_THAT(TraceIds(resp), ElementsAre("000000000000123400000000000000b2"));
  // 64-bit IDs render as 16 hex digits and may be asked for in short or upper-case form.
  EXPECT_THAT(TraceIds(Get("/api/traces/A1")), ElementsAre("00000000000000a1"));
  EXPECT_THAT(TraceIds(Get("/api/traces/" + kTraceA.ToHex())), ElementsAre("00000000000000a1"));

  ExpectError(Get("/api/traces/ee"), 404, "trace not found");
  ExpectError(Get("/api/traces/zz"), 400, "strconv.ParseUint: parsing \\\"zz\\\": invalid syntax");
  ExpectError(Get("/api/traces/" + std::string(33, '1')), 400,
              "TraceID cannot be longer than 32 hex characters: " + std::string(33, '1'));
  // The high half is parsed separately: its error names only those digits.
  ExpectError(Get("/api/traces/g0000000000000000a1"), 400,
              "strconv.ParseUint: parsing \\\"g00\\\": invalid syntax");
}

// §2.5: adjusted unless raw=true; SortLogFields puts `event` first, then keys in order.
TEST_F(QueryApiTest, RawVersusAdjusted) {
  auto log_keys = [](const net::HttpResponse& resp) {
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(resp.body);
    std::vector<std::string> keys;
    for (simdjson::dom::element span : root["data"].at(0)["spans"].get_array()) {
      if (std::string_view(span["spanID"]) != "0000000000000001") continue;
      for (simdjson::dom::element field : span["logs"].at(0)["fields"].get_array()) {
        keys.emplace_back(std::string_view(field["key"]));
      }
    }
    return keys;
  };
  const std::string path = "/api/traces/" + kTraceA.ToHex();
  EXPECT_THAT(log_keys(Get(path)), ElementsAre("event", "alpha", "zeta"));
  EXPECT_THAT(log_keys(Get(path, {{"raw", "false"}})), ElementsAre("event", "alpha", "zeta"));
  std::vector<std::string> raw = log_keys(Get(path, {{"raw", "true"}}));
  ASSERT_EQ(raw.size(), 3u);
  EXPECT_NE(raw, (std::vector<std::string>{"event", "alpha", "zeta"}));
  EXPECT_EQ(log_keys(Get(path, {{"raw", "1"}})), raw);  // strconv.ParseBool spellings
  // Search results are always adjusted (Jaeger ignores raw there).
  EXPECT_THAT(log_keys(Get("/api/traces", {{"traceID", "a1"}, {"raw", "true"}})),
              ElementsAre("event", "alpha", "zeta"));
}

// §2.4: int64 beyond ±(2^53−1) as a JSON string; processes p1, p2 by first use.
TEST_F(QueryApiTest, TraceJsonShape) {
  net::HttpResponse resp = Get("/api/traces/a1");
  EXPECT_THAT(resp.body, HasSubstr(R"({"key":"big","type":"int64","value":"9007199254740993"})"));
  EXPECT_THAT(resp.body, HasSubstr(R"({"key":"http.status_code","type":"int64","value":200})"));

  simdjson::dom::parser parser;
  simdjson::dom::element trace = parser.parse(resp.body)["data"].at(0);
  std::vector<std::pair<std::string, std::string>> span_process;
  for (simdjson::dom::element span : trace["spans"].get_array()) {
    span_process.emplace_back(std::string(std::string_view(span["spanID"])),
                              std::string(std::string_view(span["processID"])));
  }
  EXPECT_THAT(span_process,
              ElementsAre(std::pair<std::string, std::string>{"0000000000000001", "p1"},
                          std::pair<std::string, std::string>{"0000000000000002", "p2"}));
  EXPECT_EQ(std::string_view(trace["processes"]["p1"]["serviceName"]), "frontend");
  EXPECT_EQ(std::string_view(trace["processes"]["p2"]["serviceName"]), "driver");
}

// §2.1: prettyPrint with anything but "" or "false" indents by 4 spaces.
TEST_F(QueryApiTest, PrettyPrint) {
  const std::string compact = Get("/api/services").body;
  EXPECT_EQ(Get("/api/services", {{"prettyPrint", ""}}).body, compact);
  EXPECT_EQ(Get("/api/services", {{"prettyPrint", "false"}}).body, compact);
  for (const char* on : {"true", "1", "yes"}) {
    net::HttpResponse pretty = Get("/api/services", {{"prettyPrint", on}});
    EXPECT_THAT(pretty.body, StartsWith("{\n    \"data\": [\n        \"driver\",")) << on;
    // Same document once whitespace outside strings is gone.
    simdjson::dom::parser p1, p2;
    EXPECT_EQ(simdjson::minify(p1.parse(pretty.body).value()),
              simdjson::minify(p2.parse(compact).value()));
  }
}

// §2.1/§5.3: dependencies, ms parameters, default lookback 24h, service filter.
TEST_F(QueryApiTest, Dependencies) {
  EXPECT_EQ(Get("/api/dependencies").body,
            R"({"data":[{"parent":"frontend","child":"driver","callCount":1}],"total":0,)"
            R"("limit":0,"offset":0,"errors":null})");
  const std::string end_ms = std::to_string(kNow / kMs);
  const std::string four_days = std::to_string(4 * 86400 * 1000);
  EXPECT_EQ(Get("/api/dependencies", {{"endTs", end_ms}, {"lookback", four_days}}).body,
            R"({"data":[{"parent":"driver","child":"mysql","callCount":1},)"
            R"({"parent":"frontend","child":"driver","callCount":1}],"total":0,"limit":0,)"
            R"("offset":0,"errors":null})");
  EXPECT_EQ(
      Get("/api/dependencies", {{"endTs", end_ms}, {"lookback", four_days}, {"service", "mysql"}})
          .body,
      R"({"data":[{"parent":"driver","child":"mysql","callCount":1}],"total":0,)"
      R"("limit":0,"offset":0,"errors":null})");
  // driver is both a child and a parent.
  EXPECT_THAT(
      Get("/api/dependencies", {{"endTs", end_ms}, {"lookback", four_days}, {"service", "driver"}})
          .body,
      HasSubstr(R"("callCount":1},{"parent":"frontend")"));
  // A window that ends before trace A.
  EXPECT_THAT(Get("/api/dependencies",
                  {{"endTs", std::to_string(kNow / kMs - 3'600'000)}, {"lookback", "1000"}})
                  .body,
              StartsWith(R"({"data":[],)"));

  ExpectError(Get("/api/dependencies", {{"endTs", "soon"}}), 400,
              "unable to parse param 'endTs': strconv.ParseInt: parsing \\\"soon\\\": invalid "
              "syntax");
  ExpectError(Get("/api/dependencies", {{"lookback", "1h"}}), 400,
              "unable to parse param 'lookback': strconv.ParseInt: parsing \\\"1h\\\": invalid "
              "syntax");
}

// §2.1: every route is prefixed by the base path; everything else goes to the fallback.
TEST_F(QueryApiTest, BasePathAndFallback) {
  QueryApiOptions options = Options();
  options.base_path = "/jaeger/";
  net::HttpHandler handler = Handler(options);
  EXPECT_THAT(Call(handler, "/jaeger/api/services").body, HasSubstr("\"total\":4"));
  EXPECT_EQ(Call(handler, "/api/services").body, "fallback");
  EXPECT_EQ(Call(handler, "/jaeger/search").body, "fallback");
  EXPECT_EQ(Call(handler, "/jaeger/apix").body, "fallback");
  EXPECT_THAT(fallback_paths_, ElementsAre("/api/services", "/jaeger/search", "/jaeger/apix"));

  fallback_paths_.clear();
  net::HttpHandler root = Handler(Options());
  EXPECT_EQ(Call(root, "/").body, "fallback");
  EXPECT_EQ(Call(root, "/static/main.js").body, "fallback");
  EXPECT_EQ(Call(root, "/trace/abc").body, "fallback");
  EXPECT_EQ(fallback_paths_.size(), 3u);
}

TEST_F(QueryApiTest, UnknownRoutesAndMethods) {
  ExpectError(Get("/api/nope"), 404, "page not found");
  ExpectError(Get("/api"), 404, "page not found");
  ExpectError(Get("/api/services/"), 404, "page not found");
  ExpectError(Get("/api/traces/"), 404, "page not found");
  ExpectError(Get("/api/services/frontend/operations/x"), 404, "page not found");

  net::HttpResponse post = Get("/api/services", {}, "POST");
  ExpectError(post, 405, "method not allowed");
  EXPECT_THAT(post.headers, testing::Contains(std::pair<std::string, std::string>{"Allow", "GET"}));
  ExpectError(Get("/api/traces/a1", {}, "DELETE"), 405, "method not allowed");

  // Jaeger without a metrics backend (SPM off).
  ExpectError(Get("/api/metrics/minstep"), 501, "metrics querying is currently disabled");
  ExpectError(Get("/api/metrics/latencies", {{"service", "frontend"}, {"quantile", "0.95"}}), 501,
              "metrics querying is currently disabled");
}

// §7.4: with multi-tenancy every /api request names a known tenant; tenants are isolated.
TEST_F(QueryApiTest, MultiTenancy) {
  QueryApiOptions options = Options();
  options.multi_tenancy = true;
  options.tenants = {"acme", "initech"};
  net::HttpHandler handler = Handler(options);

  net::HttpResponse missing = Call(handler, "/api/services");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.body, "missing tenant header\n");
  net::HttpResponse unknown = Call(handler, "/api/services", {}, "GET", {{"x-tenant", "umbrella"}});
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body, "unknown tenant\n");

  model::SpanSet batch;
  AddSpan(batch, {.trace = model::TraceId{0, 0x77},
                  .id = 9,
                  .service = "acme-svc",
                  .name = "op",
                  .start = kNow - kSec,
                  .duration = kMs});
  ASSERT_TRUE(storage_->writer().WriteSpans("acme", batch).ok());
  EXPECT_EQ(Call(handler, "/api/services", {}, "GET", {{"x-tenant", "acme"}}).body,
            R"({"data":["acme-svc"],"total":1,"limit":0,"offset":0,"errors":null})");
  EXPECT_EQ(Call(handler, "/api/services", {}, "GET", {{"x-tenant", "initech"}}).body,
            R"({"data":[],"total":0,"limit":0,"offset":0,"errors":null})");
  // The UI itself is not guarded.
  EXPECT_EQ(Call(handler, "/search").body, "fallback");
}

TEST_F(QueryApiTest, AdditionalHeaders) {
  QueryApiOptions options = Options();
  options.additional_headers = {{"Access-Control-Allow-Origin", "*"}};
  net::HttpHandler handler = Handler(options);
  for (const char* path : {"/api/services", "/api/nope", "/"}) {
    net::HttpResponse resp = Call(handler, path);
    EXPECT_THAT(resp.headers, testing::Contains(std::pair<std::string, std::string>{
                                  "Access-Control-Allow-Origin", "*"}))
        << path;
  }
}

// Bad network input never crashes: every parameter of every route gets hostile values and the
// answer is a 200 or a 400 with the JSON envelope.
TEST_F(QueryApiTest, HostileParametersAreRejectedCleanly) {
  const std::vector<std::string> values = {
      "", "%", "%zz", "\xff\xfe", std::string("a\0b", 3), "-", "+", "--1", "0x10",
      std::string(40, '9'), "-" + std::string(40, '9'), "1e309", "NaN", ":", "::", "{", "}",
      "null", "[]", "{\"a\":{\"b\":1}}", std::string(2000, '['), "{\"a\":1e999}",
      "{\"a\":\"\\ud800\"}", std::string(100'000, 'x'), "1.5.5s", ".", "1..s", "9e9h",
      "\xc2\xb5", "\"", "\\"};
  const std::vector<std::pair<std::string, std::vector<std::string>>> routes = {
      {"/api/traces",
       {"service", "operation", "limit", "start", "end", "minDuration", "maxDuration", "tag",
        "tags", "traceID", "lookback", "prettyPrint", "raw"}},
      {"/api/operations", {"service", "spanKind"}},
      {"/api/dependencies", {"endTs", "lookback", "service"}},
      {"/api/traces/a1", {"raw", "prettyPrint"}},
  };
  for (const auto& [path, params] : routes) {
    for (const std::string& param : params) {
      for (const std::string& value : values) {
        std::vector<std::pair<std::string, std::string>> query = {{param, value}};
        if (param != "service") query.emplace_back("service", "frontend");
        net::HttpResponse resp = Get(path, query);
        EXPECT_TRUE(resp.status == 200 || resp.status == 400)
            << path << " " << param << "=" << value.substr(0, 40) << " → " << resp.status;
        simdjson::dom::parser parser;
        EXPECT_EQ(parser.parse(resp.body).error(), simdjson::SUCCESS)
            << path << " " << param << "=" << value.substr(0, 40);
      }
    }
  }
  for (const std::string& value : values) {
    if (value.find('/') != std::string::npos) continue;
    net::HttpResponse trace = Get("/api/traces/" + value);
    EXPECT_TRUE(trace.status == 400 || trace.status == 404) << value.substr(0, 40);
    net::HttpResponse ops = Get("/api/services/" + value + "/operations");
    EXPECT_TRUE(ops.status == 200 || ops.status == 404) << value.substr(0, 40);
  }
}

TEST(QueryApiOptionsTest, Validate) {
  QueryApiOptions options;
  EXPECT_TRUE(options.Validate().ok());
  options.base_path = "jaeger";
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
  options.base_path = "/jaeger";
  options.default_search_lookback = absl::ZeroDuration();
  EXPECT_EQ(options.Validate().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skua::query::http
