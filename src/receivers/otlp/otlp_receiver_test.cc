// OTLP receivers (jaeger-compat §1.2, §1.3): a real gRPC client built from our own .proto files and
// HTTP requests through the handler, against a consumer that records batches.
#include "receivers/otlp/otlp_receiver.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "model/convert/otlp.h"
#include "storage/storage.h"
#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace skua::receivers::otlp {
namespace {

namespace collector = opentelemetry::proto::collector::trace::v1;

// Records what it is given and answers with a configurable status. A test double for the
// SpanConsumer interface; the real pipeline is tested in pipeline_test and end to end in
// tests/clients.
class RecordingConsumer : public pipeline::SpanConsumer {
 public:
  void Consume(const pipeline::IngestContext& context, model::SpanSet batch,
               pipeline::ConsumeDone done) override {
    absl::Status answer;
    {
      absl::MutexLock lock(&mu_);
      answer = answer_;
      if (answer.ok()) {
        spans_ += batch.size();
        for (const model::Span& s : batch.spans()) names_.emplace_back(s.name);
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
  size_t spans() {
    absl::MutexLock lock(&mu_);
    return spans_;
  }
  std::vector<std::string> names() {
    absl::MutexLock lock(&mu_);
    return names_;
  }
  // The tenant of every accepted batch, in order.
  std::vector<std::string> tenants() {
    absl::MutexLock lock(&mu_);
    return tenants_;
  }

 private:
  absl::Mutex mu_;
  absl::Status answer_ ABSL_GUARDED_BY(mu_);
  size_t spans_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
  std::vector<pipeline::Transport> transports_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> tenants_ ABSL_GUARDED_BY(mu_);
};

collector::ExportTraceServiceRequest MakeRequest(int spans, const std::string& name = "op") {
  collector::ExportTraceServiceRequest req;
  auto* rs = req.add_resource_spans();
  auto* attr = rs->mutable_resource()->add_attributes();
  attr->set_key("service.name");
  attr->mutable_value()->set_string_value("svc");
  auto* ss = rs->add_scope_spans();
  for (int i = 0; i < spans; ++i) {
    auto* span = ss->add_spans();
    span->set_trace_id(std::string(15, '\0') + "\x01");
    span->set_span_id(std::string(7, '\0') + static_cast<char>(i + 1));
    span->set_name(name);
    span->set_start_time_unix_nano(1'000'000'000);
    span->set_end_time_unix_nano(2'000'000'000);
  }
  return req;
}

class OtlpGrpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OtlpReceiverOptions options;
    options.grpc_host_port = "127.0.0.1:0";
    options.http_host_port = "";
    options.max_message_bytes = 64 << 10;
    receiver_ = NewOtlpReceiver(options, consumer_, metrics_);
    ASSERT_TRUE(receiver_->Start().ok());
    std::string described = receiver_->Describe();
    port_ = described.substr(described.find(':') + 1);
    channel_ = grpc::CreateChannel("127.0.0.1:" + port_, grpc::InsecureChannelCredentials());
    stub_ = collector::TraceService::NewStub(channel_);
  }
  void TearDown() override { receiver_->Stop(); }

  grpc::Status Export(const collector::ExportTraceServiceRequest& req, bool gzip = false) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (gzip) ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    collector::ExportTraceServiceResponse resp;
    return stub_->Export(&ctx, req, &resp);
  }

  RecordingConsumer consumer_;
  Metrics metrics_;
  std::unique_ptr<Receiver> receiver_;
  std::string port_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<collector::TraceService::Stub> stub_;
};

TEST_F(OtlpGrpcTest, ExportDeliversSpans) {
  grpc::Status s = Export(MakeRequest(3, "hello"));
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(consumer_.spans(), 3u);
  EXPECT_EQ(consumer_.names(), (std::vector<std::string>{"hello", "hello", "hello"}));
}

// clients.md §3: the JS exporter compresses messages with grpc-encoding: gzip.
TEST_F(OtlpGrpcTest, GzipCompressedMessages) {
  grpc::Status s = Export(MakeRequest(5), /*gzip=*/true);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(consumer_.spans(), 5u);
}

TEST_F(OtlpGrpcTest, QueueFullIsResourceExhausted) {
  consumer_.Answer(absl::ResourceExhaustedError("server busy"));
  grpc::Status s = Export(MakeRequest(1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(), "server busy");
}

TEST_F(OtlpGrpcTest, StorageDownIsUnavailable) {
  consumer_.Answer(absl::UnavailableError("storage down"));
  EXPECT_EQ(Export(MakeRequest(1)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(OtlpGrpcTest, OversizeMessageIsRefused) {
  grpc::Status s = Export(MakeRequest(2000, std::string(100, 'x')));  // > 64 KiB
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(consumer_.spans(), 0u);
}

// Raw bytes that are not a valid ExportTraceServiceRequest: INVALID_ARGUMENT, counted, and the
// server keeps serving.
TEST_F(OtlpGrpcTest, MalformedMessageIsInvalidArgument) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::string garbage = "\x0a\xff\xff\xff\xff\x0f";  // field 1, absurd length
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1), response;
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                    grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                      status = s;
                      done.Notify();
                    });
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(metrics_.CounterValue("skua_receiver_requests_rejected_total",
                                  {{"receiver", "otlp"}, {"transport", "grpc"}, {"reason", "malformed"}}),
            1u);
  EXPECT_TRUE(Export(MakeRequest(1)).ok());
}

TEST_F(OtlpGrpcTest, UnknownMethodIsUnimplemented) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&ctx, "/some.Service/Nope", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      status = s;
                      done.Notify();
                    });
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

class OtlpHttpHandlerTest : public ::testing::Test {
 protected:
  net::HttpResponse Post(std::string content_type, std::string body, std::string path = "/v1/traces",
                         std::string method = "POST") {
    net::HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.raw_path = req.path;
    req.headers.emplace_back("content-type", std::move(content_type));
    req.body = std::move(body);
    net::HttpResponse res;
    handler_(req, res);
    return res;
  }

  RecordingConsumer consumer_;
  Metrics metrics_;
  net::HttpHandler handler_ = NewOtlpHttpHandler(consumer_, metrics_);
};

TEST_F(OtlpHttpHandlerTest, ProtobufBody) {
  net::HttpResponse res = Post("application/x-protobuf", MakeRequest(2).SerializeAsString());
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.content_type, "application/x-protobuf");
  collector::ExportTraceServiceResponse parsed;
  EXPECT_TRUE(parsed.ParseFromString(res.body));
  EXPECT_EQ(consumer_.spans(), 2u);
}

TEST_F(OtlpHttpHandlerTest, JsonBodyWithCharsetParameter) {
  std::string json = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",
    "value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c",
    "spanId":"b7ad6b7169203331","name":"j","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2",
    "flags":257}]}]}]})";
  net::HttpResponse res = Post("application/json; charset=utf-8", json);
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_EQ(res.body, "{}");
  EXPECT_EQ(consumer_.names(), std::vector<std::string>{"j"});
}

// §1.3: 415 / 405 texts, 400 with google.rpc.Status in the request's encoding.
TEST_F(OtlpHttpHandlerTest, UnsupportedMediaType) {
  net::HttpResponse res = Post("text/plain", "x");
  EXPECT_EQ(res.status, 415);
  EXPECT_EQ(res.body,
            "415 unsupported media type, supported: [application/json, application/x-protobuf]");
}

TEST_F(OtlpHttpHandlerTest, MethodNotAllowed) {
  net::HttpResponse res = Post("application/json", "", "/v1/traces", "GET");
  EXPECT_EQ(res.status, 405);
  EXPECT_EQ(res.body, "405 method not allowed, supported: [POST]");
}

TEST_F(OtlpHttpHandlerTest, UnknownPathIs404) {
  EXPECT_EQ(Post("application/json", "{}", "/v1/metrics").status, 404);
}

TEST_F(OtlpHttpHandlerTest, MalformedProtobufIs400WithStatusBody) {
  net::HttpResponse res = Post("application/x-protobuf", "\x0a\xff\xff\xff\xff\x0f");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.content_type, "application/x-protobuf");
  google::rpc::Status status;
  ASSERT_TRUE(status.ParseFromString(res.body));
  EXPECT_EQ(status.code(), 3);
  EXPECT_FALSE(status.message().empty());
  EXPECT_EQ(consumer_.spans(), 0u);
}

TEST_F(OtlpHttpHandlerTest, MalformedJsonIs400WithJsonStatus) {
  net::HttpResponse res = Post("application/json", "{\"resourceSpans\": [");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.content_type, "application/json");
  EXPECT_NE(res.body.find("\"code\":3"), std::string::npos) << res.body;
}

TEST_F(OtlpHttpHandlerTest, BackpressureMapsTo429And503) {
  consumer_.Answer(absl::ResourceExhaustedError("server busy"));
  net::HttpResponse busy = Post("application/x-protobuf", MakeRequest(1).SerializeAsString());
  EXPECT_EQ(busy.status, 429);
  bool retry_after = false;
  for (const auto& [k, v] : busy.headers) retry_after |= (k == "Retry-After");
  EXPECT_TRUE(retry_after);
  consumer_.Answer(absl::UnavailableError("down"));
  EXPECT_EQ(Post("application/x-protobuf", MakeRequest(1).SerializeAsString()).status, 503);
}

// --- Multi-tenancy (jaeger-compat §7.4) -------------------------------------------------------

tenancy::TenancyOptions Tenancy(std::string header = "x-tenant") {
  tenancy::TenancyOptions t;
  t.enabled = true;
  t.header = std::move(header);
  t.tenants = {"acme", "beta"};
  return t;
}

using Metadata = std::vector<std::pair<std::string, std::string>>;

class OtlpGrpcTenancyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OtlpReceiverOptions options;
    options.grpc_host_port = "127.0.0.1:0";
    options.http_host_port = "";
    options.tenancy = Tenancy("X-Tenant");  // the configured name's case does not matter
    receiver_ = NewOtlpReceiver(options, consumer_, metrics_);
    ASSERT_TRUE(receiver_->Start().ok());
    std::string described = receiver_->Describe();
    channel_ = grpc::CreateChannel("127.0.0.1:" + described.substr(described.find(':') + 1),
                                   grpc::InsecureChannelCredentials());
    stub_ = collector::TraceService::NewStub(channel_);
  }
  void TearDown() override { receiver_->Stop(); }

  grpc::Status Export(const Metadata& metadata, const std::string& name = "op") {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
    collector::ExportTraceServiceResponse resp;
    return stub_->Export(&ctx, MakeRequest(2, name), &resp);
  }

  uint64_t Refused() {
    return metrics_.CounterValue(
        "skua_receiver_requests_rejected_total",
        {{"receiver", "otlp"}, {"transport", "grpc"}, {"reason", "tenant"}});
  }

  RecordingConsumer consumer_;
  Metrics metrics_;
  std::unique_ptr<Receiver> receiver_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<collector::TraceService::Stub> stub_;
};

TEST_F(OtlpGrpcTenancyTest, SpansAreStoredUnderTheNamedTenant) {
  ASSERT_TRUE(Export({{"x-tenant", "acme"}}, "a").ok());
  ASSERT_TRUE(Export({{"x-tenant", "beta"}}, "b").ok());
  EXPECT_EQ(consumer_.tenants(), (std::vector<std::string>{"acme", "beta"}));
  EXPECT_EQ(consumer_.names(), (std::vector<std::string>{"a", "a", "b", "b"}));
  EXPECT_EQ(Refused(), 0u);
}

TEST_F(OtlpGrpcTenancyTest, RefusalsArePermissionDenied) {
  struct Case {
    Metadata metadata;
    std::string message;
  };
  for (const Case& c : {Case{{}, "missing tenant header"},
                        Case{{{"x-other", "acme"}}, "missing tenant header"},
                        Case{{{"x-tenant", ""}}, "missing tenant header"},
                        Case{{{"x-tenant", "acme"}, {"x-tenant", "beta"}}, "extra tenant header"},
                        Case{{{"x-tenant", "gamma"}}, "unknown tenant"}}) {
    grpc::Status s = Export(c.metadata);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << c.message;
    EXPECT_EQ(s.error_message(), c.message);
  }
  EXPECT_EQ(consumer_.spans(), 0u);
  EXPECT_EQ(Refused(), 5u);
}

// The tenant is checked before the body is decoded: garbage without a tenant is a tenancy refusal.
TEST_F(OtlpGrpcTenancyTest, TenancyIsCheckedBeforeDecoding) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(std::string("\x0a\xff\xff\xff\xff\x0f"));
  grpc::ByteBuffer request(&slice, 1), response;
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&ctx, "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                    grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
                      status = s;
                      done.Notify();
                    });
  done.WaitForNotification();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Refused(), 1u);
}

class OtlpHttpTenancyTest : public ::testing::Test {
 protected:
  net::HttpResponse Post(const Metadata& headers) {
    net::HttpRequest req;
    req.method = "POST";
    req.path = req.raw_path = "/v1/traces";
    req.headers.emplace_back("content-type", "application/x-protobuf");
    for (const auto& h : headers) req.headers.push_back(h);
    req.body = MakeRequest(1).SerializeAsString();
    net::HttpResponse res;
    handler_(req, res);
    return res;
  }

  RecordingConsumer consumer_;
  Metrics metrics_;
  net::HttpHandler handler_ = NewOtlpHttpHandler(consumer_, metrics_, Tenancy());
};

TEST_F(OtlpHttpTenancyTest, SpansAreStoredUnderTheNamedTenant) {
  EXPECT_EQ(Post({{"x-tenant", "beta"}}).status, 200);
  EXPECT_EQ(Post({{"x-tenant", "acme"}}).status, 200);
  EXPECT_EQ(consumer_.tenants(), (std::vector<std::string>{"beta", "acme"}));
}

TEST_F(OtlpHttpTenancyTest, RefusalsAre401WithJaegersText) {
  struct Case {
    Metadata headers;
    std::string body;
  };
  for (const Case& c : {Case{{}, "missing tenant header\n"},
                        Case{{{"x-tenant", ""}}, "missing tenant header\n"},
                        Case{{{"x-tenant", "acme"}, {"x-tenant", "acme"}}, "extra tenant header\n"},
                        Case{{{"x-tenant", "gamma"}}, "unknown tenant\n"}}) {
    net::HttpResponse res = Post(c.headers);
    EXPECT_EQ(res.status, 401) << c.body;
    EXPECT_EQ(res.body, c.body);
    EXPECT_EQ(res.content_type, "text/plain; charset=utf-8");
  }
  EXPECT_EQ(consumer_.spans(), 0u);
  EXPECT_EQ(metrics_.CounterValue(
                "skua_receiver_requests_rejected_total",
                {{"receiver", "otlp"}, {"transport", "http"}, {"reason", "tenant"}}),
            4u);
}

// Tenancy off (the default): the header is ignored and spans go to the default tenant.
TEST_F(OtlpHttpHandlerTest, WithoutTenancyTheHeaderIsIgnored) {
  net::HttpRequest req;
  req.method = "POST";
  req.path = req.raw_path = "/v1/traces";
  req.headers = {{"content-type", "application/x-protobuf"}, {"x-tenant", "acme"}};
  req.body = MakeRequest(1).SerializeAsString();
  net::HttpResponse res;
  handler_(req, res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(consumer_.tenants(), std::vector<std::string>{std::string(storage::kDefaultTenant)});
}

}  // namespace
}  // namespace skua::receivers::otlp
