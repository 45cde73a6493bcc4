// Zipkin receiver (jaeger-compat §1.7): requests through the handler against a consumer that
// records batches, and through a real HTTP server (gzip and deflate bodies) with httplib::Client.
#include "receivers/zipkin/zipkin_receiver.h"

#include <httplib.h>
#include <zlib.h>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/convert/thrift/writer.h"
#include "net/compression.h"
#include "zipkin/zipkin.pb.h"

namespace skua::receivers::zipkin {
namespace {

using ::testing::HasSubstr;

// Records what it is given and answers with a configurable status.
class RecordingConsumer : public pipeline::SpanConsumer {
 public:
  void Consume(const pipeline::IngestContext& context, model::SpanSet batch,
               pipeline::ConsumeDone done) override {
    absl::Status answer;
    {
      absl::MutexLock lock(&mu_);
      answer = answer_;
      ++calls_;
      if (answer.ok()) {
        for (const model::Span& s : batch.spans()) {
          names_.emplace_back(s.name);
          services_.emplace_back(s.service_name());
          flags_.push_back(s.flags);
        }
        formats_.push_back(context.format);
        transports_.push_back(context.transport);
        tenants_.emplace_back(context.tenant);
      }
    }
    done(answer);
  }
  void Answer(absl::Status s) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(s);
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::vector<std::string> names() {
    absl::MutexLock lock(&mu_);
    return names_;
  }
  std::vector<std::string> services() {
    absl::MutexLock lock(&mu_);
    return services_;
  }
  std::vector<uint32_t> flags() {
    absl::MutexLock lock(&mu_);
    return flags_;
  }
  std::vector<pipeline::Format> formats() {
    absl::MutexLock lock(&mu_);
    return formats_;
  }
  std::vector<pipeline::Transport> transports() {
    absl::MutexLock lock(&mu_);
    return transports_;
  }
  std::vector<std::string> tenants() {
    absl::MutexLock lock(&mu_);
    return tenants_;
  }

 private:
  absl::Mutex mu_;
  absl::Status answer_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> services_ ABSL_GUARDED_BY(mu_);
  std::vector<uint32_t> flags_ ABSL_GUARDED_BY(mu_);
  std::vector<pipeline::Format> formats_ ABSL_GUARDED_BY(mu_);
  std::vector<pipeline::Transport> transports_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> tenants_ ABSL_GUARDED_BY(mu_);
};

constexpr std::string_view kV2Json =
    R"([{"traceId":"1","id":"2","name":"v2op","localEndpoint":{"serviceName":"svc2"}}])";
constexpr std::string_view kV1Json =
    R"([{"traceId":"1","id":"3","name":"v1op","annotations":[{"timestamp":5,"value":"sr",)"
    R"("endpoint":{"serviceName":"svc1"}}]}])";

std::string V2Proto() {
  ::zipkin::proto3::ListOfSpans list;
  ::zipkin::proto3::Span* s = list.add_spans();
  s->set_trace_id(std::string(7, '\0') + "\x09");
  s->set_id(std::string(7, '\0') + "\x04");
  s->set_name("protoop");
  s->mutable_local_endpoint()->set_service_name("svcp");
  return list.SerializeAsString();
}

std::string V1Thrift() {
  using model::thrift::Type;
  std::string out;
  model::thrift::Writer w(model::thrift::Protocol::kBinary, out);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI64, 1);
  w.WriteI64(1);
  w.WriteFieldBegin(Type::kString, 3);
  w.WriteString("thriftop");
  w.WriteFieldBegin(Type::kI64, 4);
  w.WriteI64(5);
  w.WriteFieldBegin(Type::kList, 8);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString("lc");
  w.WriteFieldBegin(Type::kString, 2);
  w.WriteString("component");
  w.WriteFieldBegin(Type::kI32, 3);
  w.WriteI32(6);
  w.WriteFieldBegin(Type::kStruct, 4);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 3);
  w.WriteString("svct");
  w.WriteStructEnd();
  w.WriteStructEnd();
  w.WriteStructEnd();
  return out;
}

class ZipkinHandlerTest : public ::testing::Test {
 protected:
  net::HttpResponse Post(std::string path, std::string content_type, std::string_view body,
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    net::HttpRequest req;
    req.method = "POST";
    req.path = std::move(path);
    if (!content_type.empty()) req.headers.emplace_back("content-type", std::move(content_type));
    for (auto& h : headers) req.headers.push_back(std::move(h));
    req.body = std::string(body);
    net::HttpResponse res;
    handler_(req, res);
    return res;
  }

  RecordingConsumer consumer_;
  Metrics metrics_;
  net::HttpHandler handler_ = NewZipkinHttpHandler(consumer_, metrics_);
};

TEST_F(ZipkinHandlerTest, EveryFormatOnItsPath) {
  EXPECT_EQ(Post("/api/v2/spans", "application/json", kV2Json).status, 202);
  EXPECT_EQ(Post("/api/v1/spans", "application/json; charset=utf-8", kV1Json).status, 202);
  EXPECT_EQ(Post("/api/v2/spans", "application/x-protobuf", V2Proto()).status, 202);
  EXPECT_EQ(Post("/api/v1/spans", "Application/X-Thrift", V1Thrift()).status, 202);
  // No Content-Type: JSON, as the OpenTelemetry receiver assumes.
  EXPECT_EQ(Post("/api/v2/spans", "", kV2Json).status, 202);
  EXPECT_THAT(consumer_.names(),
              ::testing::ElementsAre("v2op", "v1op", "protoop", "thriftop", "v2op"));
  EXPECT_THAT(consumer_.services(), ::testing::ElementsAre("svc2", "svc1", "svcp", "svct", "svc2"));
  for (pipeline::Format f : consumer_.formats()) EXPECT_EQ(f, pipeline::Format::kZipkin);
  for (pipeline::Transport t : consumer_.transports()) EXPECT_EQ(t, pipeline::Transport::kHttp);
}

TEST_F(ZipkinHandlerTest, B3FlagsHeaderMarksProtobufSpansDebug) {
  EXPECT_EQ(
      Post("/api/v2/spans", "application/x-protobuf", V2Proto(), {{"x-b3-flags", "1"}}).status,
      202);
  EXPECT_EQ(Post("/api/v2/spans", "application/x-protobuf", V2Proto()).status, 202);
  EXPECT_THAT(consumer_.flags(), ::testing::ElementsAre(3u, 1u));
}

TEST_F(ZipkinHandlerTest, DecodeErrorsAre400WithAReason) {
  net::HttpResponse res = Post("/api/v2/spans", "application/json", "[{\"traceId\": 5}]");
  EXPECT_EQ(res.status, 400);
  EXPECT_THAT(res.body, HasSubstr("span[0].traceId: must be a string"));
  // A v2 body posted as protobuf, a JSON body posted as Thrift.
  EXPECT_EQ(Post("/api/v2/spans", "application/x-protobuf", kV2Json).status, 400);
  res = Post("/api/v1/spans", "application/x-thrift", kV1Json);
  EXPECT_EQ(res.status, 400);
  EXPECT_THAT(res.body, HasSubstr("invalid Zipkin Thrift"));
  EXPECT_EQ(consumer_.calls(), 0);
  EXPECT_EQ(
      metrics_
          .GetCounter("skua_receiver_requests_rejected_total", "",
                      {{"receiver", "zipkin"}, {"transport", "http"}, {"reason", "malformed"}})
          .value(),
      3u);
}

TEST_F(ZipkinHandlerTest, EmptyListIsAcceptedWithoutTouchingThePipeline) {
  EXPECT_EQ(Post("/api/v2/spans", "application/json", "[]").status, 202);
  EXPECT_EQ(consumer_.calls(), 0);
}

TEST_F(ZipkinHandlerTest, PathsAndMethods) {
  EXPECT_EQ(Post("/api/v3/spans", "application/json", kV2Json).status, 404);
  EXPECT_EQ(Post("/api/v2/spans/", "application/json", kV2Json).status, 404);
  net::HttpRequest get;
  get.method = "GET";
  get.path = "/api/v2/spans";
  net::HttpResponse res;
  handler_(get, res);
  EXPECT_EQ(res.status, 405);
}

TEST_F(ZipkinHandlerTest, PipelineRefusalsAreRetryable) {
  consumer_.Answer(absl::ResourceExhaustedError("queue full"));
  net::HttpResponse res = Post("/api/v2/spans", "application/json", kV2Json);
  EXPECT_EQ(res.status, 429);
  EXPECT_THAT(res.headers, ::testing::Contains(::testing::Pair("Retry-After", "1")));
  consumer_.Answer(absl::UnavailableError("shutting down"));
  res = Post("/api/v2/spans", "application/json", kV2Json);
  EXPECT_EQ(res.status, 503);
  EXPECT_THAT(res.body, HasSubstr("shutting down"));
  consumer_.Answer(absl::InternalError("bug"));
  EXPECT_EQ(Post("/api/v2/spans", "application/json", kV2Json).status, 500);
}

std::string Deflate(std::string_view data) {
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  EXPECT_EQ(compress(reinterpret_cast<Bytef*>(out.data()), &size,
                     reinterpret_cast<const Bytef*>(data.data()), data.size()),
            Z_OK);
  out.resize(size);
  return out;
}

// Through a real listener: compressed bodies (§1.7: gzip and deflate) and the 4 MiB limit.
TEST(ZipkinServer, CompressedBodiesOverHttp) {
  RecordingConsumer consumer;
  Metrics metrics;
  net::HttpServerOptions options;
  options.host_port = "127.0.0.1:0";
  options.max_body_bytes = 4096;
  auto server = net::NewHttpServer(options, NewZipkinHttpHandler(consumer, metrics));
  ASSERT_TRUE(server->Start().ok());
  httplib::Client client("127.0.0.1", server->port());
  httplib::Headers gzip = {{"Content-Encoding", "gzip"}};
  auto res = client.Post("/api/v2/spans", gzip, net::GzipCompress(kV2Json), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  httplib::Headers deflate = {{"Content-Encoding", "deflate"}};
  res = client.Post("/api/v1/spans", deflate, Deflate(kV1Json), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  res = client.Post("/api/v2/spans", std::string(8192, ' '), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_THAT(consumer.names(), ::testing::ElementsAre("v2op", "v1op"));
  server->Stop();
}

TEST(ZipkinReceiver, StartsAndDescribesItself) {
  RecordingConsumer consumer;
  Metrics metrics;
  ZipkinReceiverOptions options;
  options.host_port = "127.0.0.1:0";
  std::unique_ptr<Receiver> receiver = NewZipkinReceiver(options, consumer, metrics);
  ASSERT_TRUE(receiver->Start().ok());
  EXPECT_THAT(receiver->Describe(), ::testing::StartsWith("Zipkin HTTP :"));
  receiver->Stop();
  receiver->Stop();  // idempotent
}

// --- Multi-tenancy: Jaeger leaves Zipkin unguarded; skua guards it like OTLP HTTP (§7.4) --------

tenancy::TenancyOptions Tenancy() {
  tenancy::TenancyOptions t;
  t.enabled = true;
  t.tenants = {"acme", "beta"};
  return t;
}

class ZipkinTenancyTest : public ZipkinHandlerTest {
 protected:
  ZipkinTenancyTest() { handler_ = NewZipkinHttpHandler(consumer_, metrics_, Tenancy()); }
};

TEST_F(ZipkinTenancyTest, SpansAreStoredUnderTheNamedTenant) {
  EXPECT_EQ(Post("/api/v2/spans", "application/json", kV2Json, {{"x-tenant", "acme"}}).status, 202);
  EXPECT_EQ(Post("/api/v1/spans", "application/json", kV1Json, {{"x-tenant", "beta"}}).status, 202);
  EXPECT_THAT(consumer_.tenants(), ::testing::ElementsAre("acme", "beta"));
}

TEST_F(ZipkinTenancyTest, RefusalsAre401BeforeDecoding) {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  for (const auto& [headers, body] : std::vector<std::pair<Headers, std::string>>{
           {{}, "missing tenant header\n"},
           {{{"x-tenant", "acme"}, {"x-tenant", "beta"}}, "extra tenant header\n"},
           {{{"x-tenant", "umbrella"}}, "unknown tenant\n"}}) {
    // A body that would not decode: tenancy answers first.
    net::HttpResponse res = Post("/api/v2/spans", "application/json", "not json", headers);
    EXPECT_EQ(res.status, 401) << body;
    EXPECT_EQ(res.body, body);
  }
  // Even an empty list, which never reaches the pipeline, needs a tenant.
  EXPECT_EQ(Post("/api/v2/spans", "application/json", "[]").status, 401);
  EXPECT_EQ(consumer_.calls(), 0);
  EXPECT_EQ(metrics_.CounterValue(
                "skua_receiver_requests_rejected_total",
                {{"receiver", "zipkin"}, {"transport", "http"}, {"reason", "tenant"}}),
            4u);
  EXPECT_EQ(metrics_.CounterValue(
                "skua_receiver_requests_rejected_total",
                {{"receiver", "zipkin"}, {"transport", "http"}, {"reason", "malformed"}}),
            0u);
}

// Through a real listener: header names are case-insensitive, and a repeated header arrives as
// two values and is refused.
TEST(ZipkinServer, TenantHeaderOverHttp) {
  RecordingConsumer consumer;
  Metrics metrics;
  net::HttpServerOptions http;
  http.host_port = "127.0.0.1:0";
  auto server = net::NewHttpServer(http, NewZipkinHttpHandler(consumer, metrics, Tenancy()));
  ASSERT_TRUE(server->Start().ok());
  httplib::Client client("127.0.0.1", server->port());
  auto res = client.Post("/api/v2/spans", httplib::Headers{{"X-Tenant", "beta"}},
                         std::string(kV2Json), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  res = client.Post("/api/v2/spans", httplib::Headers{{"X-Tenant", "beta"}, {"x-tenant", "acme"}},
                    std::string(kV2Json), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->body, "extra tenant header\n");
  res = client.Post("/api/v2/spans", std::string(kV2Json), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->body, "missing tenant header\n");
  EXPECT_THAT(consumer.tenants(), ::testing::ElementsAre("beta"));
  server->Stop();
}

}  // namespace
}  // namespace skua::receivers::zipkin
