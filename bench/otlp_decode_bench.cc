// OTLP decode throughput (workload-and-targets T3: decoding OTLP protobuf into the model at
// >= 3 M spans/s per core, >= 3.5x libprotobuf's parse of the same bytes). Every run measures its
// own baseline: libprotobuf parsing the same request on an arena, touching every span.
//
// The request is W1-like (256 spans, ~365 bytes each, 7-9 attributes, 9 resource attributes, 2 %
// error spans with an exception event), generated deterministically with the libprotobuf classes.

#include <cstdint>
#include <random>
#include <string>

#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "model/convert/otlp.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace skua {
namespace {

namespace pb_common = ::opentelemetry::proto::common::v1;
namespace pb_trace = ::opentelemetry::proto::trace::v1;
namespace pb_collector = ::opentelemetry::proto::collector::trace::v1;

constexpr int kSpansPerRequest = 256;
constexpr int kServicesPerRequest = 4;

std::string BigEndian(uint64_t v, int n) {
  std::string s(n, '\0');
  for (int i = n - 1; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return s;
}

void AddStr(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* kvs, const char* key,
            const std::string& value) {
  auto* kv = kvs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_string_value(value);
}

void AddInt(google::protobuf::RepeatedPtrField<pb_common::KeyValue>* kvs, const char* key,
            int64_t value) {
  auto* kv = kvs->Add();
  kv->set_key(key);
  kv->mutable_value()->set_int_value(value);
}

pb_collector::ExportTraceServiceRequest MakeW1Request() {
  static const char* kServices[] = {"frontend", "cart", "payments", "db-proxy"};
  static const char* kRoutes[] = {"/api/cart/{id}", "/api/checkout", "/api/orders/{id}/items",
                                  "/api/products/{sku}"};
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  std::mt19937_64 rng(42);
  pb_collector::ExportTraceServiceRequest req;
  int span_index = 0;
  for (int s = 0; s < kServicesPerRequest; ++s) {
    auto* rs = req.add_resource_spans();
    auto* attrs = rs->mutable_resource()->mutable_attributes();
    AddStr(attrs, "service.name", kServices[s]);
    AddStr(attrs, "service.version", "2.14.3");
    AddStr(attrs, "service.namespace", "shop");
    AddStr(attrs, "host.name", "ip-10-0-3-17.ec2.internal");
    AddStr(attrs, "k8s.pod.name", std::string(kServices[s]) + "-7d9f8c6b5-x2k4q");
    AddStr(attrs, "k8s.namespace.name", "production");
    AddStr(attrs, "telemetry.sdk.name", "opentelemetry");
    AddStr(attrs, "telemetry.sdk.language", "go");
    AddStr(attrs, "telemetry.sdk.version", "1.28.0");
    auto* ss = rs->add_scope_spans();
    ss->mutable_scope()->set_name("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp");
    ss->mutable_scope()->set_version("0.53.0");
    for (int i = 0; i < kSpansPerRequest / kServicesPerRequest; ++i, ++span_index) {
      auto* span = ss->add_spans();
      uint64_t trace_low = rng();
      span->set_trace_id(BigEndian(rng(), 8) + BigEndian(trace_low, 8));
      span->set_span_id(BigEndian(rng() | 1, 8));
      if (i % 8 != 0) span->set_parent_span_id(BigEndian(rng() | 1, 8));
      span->set_flags(0x101);
      int route = static_cast<int>(rng() % 4);
      span->set_name(std::string(kMethods[route]) + " " + kRoutes[route]);
      span->set_kind(static_cast<pb_trace::Span::SpanKind>(1 + rng() % 5));
      uint64_t start = 1718900000000000000ULL + rng() % 1000000000000ULL;
      span->set_start_time_unix_nano(start);
      span->set_end_time_unix_nano(start + 1000 + rng() % 50000000);
      auto* a = span->mutable_attributes();
      AddStr(a, "http.request.method", kMethods[route]);
      AddStr(a, "http.route", kRoutes[route]);
      AddStr(a, "url.path", "/api/cart/" + std::to_string(rng() % 1000000));
      AddInt(a, "http.response.status_code", 200);
      AddStr(a, "peer.service", kServices[(s + 1) % kServicesPerRequest]);
      AddStr(a, "user_agent.original",
             "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0");
      if (span_index % 3 == 0) {
        AddStr(a, "db.statement", "SELECT id, sku, qty FROM cart_items WHERE cart_id = ?");
      }
      if (span_index % 50 == 7) {  // 2 % errors with an exception event
        span->mutable_status()->set_code(pb_trace::Status::STATUS_CODE_ERROR);
        auto* event = span->add_events();
        event->set_name("exception");
        event->set_time_unix_nano(start + 500);
        AddStr(event->mutable_attributes(), "exception.type", "*net.OpError");
        AddStr(event->mutable_attributes(), "exception.message", "dial tcp: connection refused");
        AddStr(event->mutable_attributes(), "exception.stacktrace",
               "goroutine 1 [running]:\nmain.handler()\n\t/app/main.go:42 +0x1d\n"
               "net/http.HandlerFunc.ServeHTTP()\n\t/usr/local/go/src/net/http/server.go:2171");
      }
    }
  }
  return req;
}

const std::string& W1Bytes() {
  static const std::string* bytes = new std::string(MakeW1Request().SerializeAsString());
  return *bytes;
}

void SetCounters(benchmark::State& state, size_t bytes) {
  state.counters["spans/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kSpansPerRequest, benchmark::Counter::kIsRate);
  state.counters["bytes/span"] = static_cast<double>(bytes) / kSpansPerRequest;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void BM_SkuaDecodeOtlpProto(benchmark::State& state) {
  const std::string& bytes = W1Bytes();
  for (auto _ : state) {
    auto set = model::convert::DecodeOtlpProto(bytes);
    if (!set.ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    uint64_t sum = 0;
    for (const model::Span& span : set->spans())
      sum += span.start_time_unix_nano + span.attributes.size();
    benchmark::DoNotOptimize(sum);
  }
  SetCounters(state, bytes.size());
}
BENCHMARK(BM_SkuaDecodeOtlpProto);

// Baseline: libprotobuf on an arena, every span touched.
void BM_LibprotobufParseArena(benchmark::State& state) {
  const std::string& bytes = W1Bytes();
  for (auto _ : state) {
    google::protobuf::Arena arena;
    auto* req =
        google::protobuf::Arena::CreateMessage<pb_collector::ExportTraceServiceRequest>(&arena);
    if (!req->ParseFromString(bytes)) {
      state.SkipWithError("parse failed");
      break;
    }
    uint64_t sum = 0;
    for (const auto& rs : req->resource_spans()) {
      for (const auto& ss : rs.scope_spans()) {
        for (const auto& span : ss.spans())
          sum += span.start_time_unix_nano() + span.attributes_size();
      }
    }
    benchmark::DoNotOptimize(sum);
  }
  SetCounters(state, bytes.size());
}
BENCHMARK(BM_LibprotobufParseArena);

void BM_SkuaDecodeOtlpJson(benchmark::State& state) {
  auto set = model::convert::DecodeOtlpProto(W1Bytes());
  const std::string json = model::convert::EncodeOtlpJson(set->spans());
  for (auto _ : state) {
    auto decoded = model::convert::DecodeOtlpJson(json);
    if (!decoded.ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(decoded->spans().data());
  }
  SetCounters(state, json.size());
}
BENCHMARK(BM_SkuaDecodeOtlpJson);

void BM_SkuaEncodeOtlpProto(benchmark::State& state) {
  auto set = model::convert::DecodeOtlpProto(W1Bytes());
  size_t size = 0;
  for (auto _ : state) {
    std::string out = model::convert::EncodeOtlpProto(set->spans());
    size = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  SetCounters(state, size);
}
BENCHMARK(BM_SkuaEncodeOtlpProto);

}  // namespace
}  // namespace skua

BENCHMARK_MAIN();
