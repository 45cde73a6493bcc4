// Jaeger UI trace JSON serialization throughput (workload-and-targets T10: >= 1 M spans/s per
// core).
//
// Traces are W1-like: 5-30 spans each, 20 services with 9 resource attributes, scope name and
// version, 7-9 span attributes, consistent span kinds, 2 % error spans with an exception event
// carrying a multi-line stack trace. They are generated deterministically with the model API and
// converted to the Jaeger view once; BM_AppendTraceJson times only the encoder (the T10 figure),
// BM_QueryPipeline adds conversion and the standard adjusters (what a trace-by-ID request costs).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "model/convert/jaeger.h"
#include "model/span_set.h"
#include "query/adjusters.h"
#include "query/http/ui_json.h"

namespace skua {
namespace {

using model::AnyValue;
using model::KeyValue;

constexpr int kTraces = 200;

const char* const kServices[] = {"frontend", "cart",     "payments", "db-proxy", "checkout",
                                 "catalog",  "search",   "auth",     "shipping", "email",
                                 "ads",      "currency", "quote",    "reviews",  "inventory",
                                 "pricing",  "orders",   "users",    "gateway",  "recommend"};

// Builds one W1-like trace into its own SpanSet.
model::SpanSet MakeTrace(std::mt19937_64& rng) {
  model::SpanSet set(16 * 1024);
  Arena& arena = set.arena();
  auto str = [&](std::string_view s) { return AnyValue::String(arena.CopyString(s)); };
  auto attrs = [&](const std::vector<KeyValue>& kvs) {
    return arena.CopyArray(std::span<const KeyValue>(kvs));
  };

  model::Scope* scope = arena.New<model::Scope>();
  scope->name = "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp";
  scope->version = "0.53.0";

  const int n = 5 + static_cast<int>(rng() % 26);
  const model::TraceId trace_id{rng(), rng()};
  const uint64_t start = 1'700'000'000'000'000'000ull + rng() % 1'000'000'000'000ull;
  std::vector<uint64_t> ids;
  std::vector<int> service_of;
  const model::Resource* resources[20] = {};
  for (int i = 0; i < n; ++i) {
    int parent = i == 0 ? -1 : static_cast<int>(rng() % i);
    // A client span is followed by its server child in another service (W1's call tree shape).
    int service = parent < 0 ? static_cast<int>(rng() % 20)
                             : (i % 2 == 1 ? service_of[parent] : static_cast<int>(rng() % 20));
    service_of.push_back(service);
    const model::Resource*& res = resources[service];  // one resource per service, as stored
    if (res == nullptr) {
      std::string svc = kServices[service];
      res = model::MakeResource(
          arena,
          attrs({{"service.name", str(svc)},
                 {"service.version", str("2.14.3")},
                 {"service.namespace", str("shop")},
                 {"host.name", str("ip-10-0-3-" + std::to_string(service) + ".ec2.internal")},
                 {"k8s.pod.name", str(svc + "-7d9f8c6b5-x2k4q")},
                 {"k8s.namespace.name", str("production")},
                 {"telemetry.sdk.name", str("opentelemetry")},
                 {"telemetry.sdk.language", str("go")},
                 {"telemetry.sdk.version", str("1.28.0")}}));
    }
    model::Span& s = set.spans().emplace_back();
    s.trace_id = trace_id;
    s.span_id = model::SpanId{rng() | 1};
    ids.push_back(s.span_id.value);
    if (parent >= 0) s.parent_span_id = model::SpanId{ids[parent]};
    s.flags = 0x101;
    s.resource = res;
    s.scope = scope;
    s.kind = i == 0 ? model::SpanKind::kServer
                    : (i % 2 == 1 ? model::SpanKind::kClient : model::SpanKind::kServer);
    s.start_time_unix_nano = start + static_cast<uint64_t>(i) * 1'000'000 + rng() % 1000;
    s.end_time_unix_nano = s.start_time_unix_nano + 200'000 + rng() % 50'000'000;
    std::string id = std::to_string(rng() % 1'000'000);
    std::vector<KeyValue> kv = {
        {"http.request.method", str(i % 3 == 0 ? "POST" : "GET")},
        {"http.route", str("/api/cart/{id}")},
        {"url.path", str("/api/cart/" + id)},
        {"http.response.status_code", AnyValue::Int(200)},
        {"peer.service", str(kServices[(service + 1) % 20])},
        {"user_agent.original", str("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36")},
        {"net.peer.port", AnyValue::Int(8080)},
    };
    if (i % 3 == 0) kv.push_back({"db.statement", str("SELECT * FROM orders WHERE id = ?")});
    if (i % 4 == 0) kv.push_back({"retry", AnyValue::Bool(false)});
    s.attributes = attrs(kv);
    s.name = arena.CopyString(i % 2 == 0 ? "GET /api/cart/{id}" : "SELECT orders");
    if (rng() % 50 == 0) {  // 2 % errors with an exception event
      s.status = {model::StatusCode::kError, "upstream failed"};
      model::Event* ev = arena.New<model::Event>();
      ev->name = "exception";
      ev->time_unix_nano = s.start_time_unix_nano + 1000;
      ev->attributes =
          attrs({{"exception.type", str("java.io.IOException")},
                 {"exception.message", str("connection reset by peer")},
                 {"exception.stacktrace",
                  str("java.io.IOException: connection reset\n\tat a.b.C.d(C.java:10)\n"
                      "\tat a.b.E.f(E.java:20)\n\tat a.b.G.h(G.java:30)\n")}});
      s.events = std::span<const model::Event>(ev, 1);
    }
  }
  return set;
}

struct Corpus {
  std::vector<model::SpanSet> sets;
  std::vector<model::jaeger::JaegerTrace> traces;
  size_t spans = 0;
};

const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    std::mt19937_64 rng(42);
    for (int i = 0; i < kTraces; ++i) c->sets.push_back(MakeTrace(rng));
    for (const auto& set : c->sets) {
      c->traces.push_back(model::jaeger::ToJaegerTrace(set));
      query::ApplyStandardAdjusters(c->traces.back(), {});
      c->spans += set.size();
    }
    return c;
  }();
  return *corpus;
}

// T10: the encoder alone, one trace document per call, output buffer reused.
void BM_AppendTraceJson(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  std::string out;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& trace : corpus.traces) {
      out.clear();
      query::http::AppendTraceJson(trace, out);
      bytes += out.size();
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.counters["spans/s"] = benchmark::Counter(
      static_cast<double>(corpus.spans) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.counters["bytes/span"] =
      static_cast<double>(bytes) / (static_cast<double>(corpus.spans) * state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_AppendTraceJson);

// Conversion + standard adjusters + encoding: the per-trace cost of /api/traces/{id}.
void BM_QueryPipeline(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  std::string out;
  for (auto _ : state) {
    for (const auto& set : corpus.sets) {
      model::jaeger::JaegerTrace trace = model::jaeger::ToJaegerTrace(set);
      query::ApplyStandardAdjusters(trace, {});
      out.clear();
      query::http::AppendTraceJson(trace, out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.counters["spans/s"] = benchmark::Counter(
      static_cast<double>(corpus.spans) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}
BENCHMARK(BM_QueryPipeline);

}  // namespace
}  // namespace skua

BENCHMARK_MAIN();
