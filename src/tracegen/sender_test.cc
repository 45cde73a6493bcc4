// Senders against real servers on port 0: net::HttpServer standing in for an OTLP/HTTP receiver,
// receivers::GrpcUnaryServer for OTLP/gRPC. Status handling follows the OTLP specification's
// retry rules (jaeger-compat §1.2, §1.3: skua answers 429/503 and RESOURCE_EXHAUSTED when full).
#include "tracegen/sender.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "model/convert/jaeger_proto.h"
#include "model/convert/jaeger_thrift.h"
#include "model/convert/otlp.h"
#include "model/convert/zipkin_json.h"
#include "net/http_server.h"
#include "receivers/grpc_server.h"
#include "tracegen/workload.h"

namespace skua::tracegen {
namespace {

Payload W1Payload(Protocol protocol, uint64_t seed = 1) {
  W1Options o;
  o.seed = seed;
  W1Generator gen(o);
  model::SpanSet request = gen.NextRequest();
  auto payloads = EncodePayloads(protocol, request.spans());
  EXPECT_TRUE(payloads.ok());
  EXPECT_EQ(payloads->size(), 1u);
  return std::move((*payloads)[0]);
}

TEST(Protocols, ParseKnownUnknownAndUnsupported) {
  EXPECT_EQ(*ParseProtocol("otlp-grpc"), Protocol::kOtlpGrpc);
  EXPECT_EQ(*ParseProtocol("otlp-http-proto"), Protocol::kOtlpHttpProto);
  EXPECT_EQ(*ParseProtocol("otlp-http-json"), Protocol::kOtlpHttpJson);
  EXPECT_EQ(*ParseProtocol("zipkin-json"), Protocol::kZipkinJson);
  auto unknown = ParseProtocol("carrier-pigeon");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("otlp-http-json"), absl::string_view::npos);
  EXPECT_NE(unknown.status().message().find("zipkin-json"), absl::string_view::npos);
  for (const ProtocolInfo& p : Protocols()) {
    EXPECT_EQ(Info(p.protocol).name, p.name);
    if (!p.supported) {
      EXPECT_EQ(ParseProtocol(p.name).status().code(), absl::StatusCode::kUnimplemented);
    }
  }
}

TEST(Protocols, PayloadsDecodeBackToTheRequest) {
  W1Generator gen(W1Options{});
  model::SpanSet request = gen.NextRequest();
  auto proto = EncodePayloads(Protocol::kOtlpHttpProto, request.spans());
  auto json = EncodePayloads(Protocol::kOtlpHttpJson, request.spans());
  ASSERT_TRUE(proto.ok() && json.ok());
  EXPECT_EQ((*proto)[0].spans, request.size());
  auto a = model::convert::DecodeOtlpProto((*proto)[0].bytes);
  auto b = model::convert::DecodeOtlpJson((*json)[0].bytes);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), request.size());
  EXPECT_EQ(b->size(), request.size());
}

// Jaeger payloads hold one process each (jaeger-compat §1.4 gRPC, §1.5 Thrift over HTTP, §1.6
// agent UDP); every payload decodes back to the spans it claims.
TEST(Protocols, JaegerPayloadsDecodeWithTheirSpanCounts) {
  W1Options o;
  o.seed = 5;
  W1Generator gen(o);
  model::SpanSet first = gen.NextRequest();
  model::SpanSet second = gen.NextRequest();
  ASSERT_NE(first.spans()[0].service_name(), second.spans()[0].service_name());
  // Two resources in one list: two payloads for the batch protocols.
  model::SpanSet both;
  both.CopySpans(first.spans());
  both.CopySpans(second.spans());
  const size_t total = both.size();

  auto grpc = EncodePayloads(Protocol::kJaegerGrpc, both.spans());
  ASSERT_TRUE(grpc.ok()) << grpc.status();
  ASSERT_EQ(grpc->size(), 2u);
  for (const Payload& p : *grpc) {
    auto decoded = model::convert::DecodeJaegerPostSpansRequest(p.bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->size(), p.spans);
  }
  EXPECT_EQ((*grpc)[0].spans + (*grpc)[1].spans, total);

  auto thrift = EncodePayloads(Protocol::kJaegerThriftHttp, both.spans());
  ASSERT_TRUE(thrift.ok());
  ASSERT_EQ(thrift->size(), 2u);
  for (const Payload& p : *thrift) {
    auto decoded =
        model::convert::DecodeJaegerThriftBatch(p.bytes, model::thrift::Protocol::kBinary);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->size(), p.spans);
  }

  for (Protocol agent : {Protocol::kJaegerAgentCompact, Protocol::kJaegerAgentBinary}) {
    auto datagrams = EncodePayloads(agent, both.spans());
    ASSERT_TRUE(datagrams.ok());
    ASSERT_GE(datagrams->size(), 2u);
    size_t spans = 0;
    for (const Payload& p : *datagrams) {
      EXPECT_LE(p.bytes.size(), kMaxAgentDatagramBytes);
      auto decoded = model::convert::DecodeAgentMessage(p.bytes, model::thrift::Protocol::kCompact);
      ASSERT_TRUE(decoded.ok()) << decoded.status();
      EXPECT_EQ(decoded->spans.size(), p.spans);
      spans += p.spans;
    }
    EXPECT_EQ(spans, total);
  }
}

// jaeger-compat §1.7: a Zipkin v2 request carries spans of any number of services (each span
// names its own), so one payload holds the whole list and decodes back to it.
TEST(Protocols, ZipkinPayloadHoldsEveryServiceAndDecodes) {
  W1Options o;
  o.seed = 5;
  W1Generator gen(o);
  model::SpanSet first = gen.NextRequest();
  model::SpanSet second = gen.NextRequest();
  ASSERT_NE(first.spans()[0].service_name(), second.spans()[0].service_name());
  model::SpanSet both;
  both.CopySpans(first.spans());
  both.CopySpans(second.spans());

  auto payloads = EncodePayloads(Protocol::kZipkinJson, both.spans());
  ASSERT_TRUE(payloads.ok()) << payloads.status();
  ASSERT_EQ(payloads->size(), 1u);
  EXPECT_EQ((*payloads)[0].spans, both.size());
  auto decoded = model::convert::DecodeZipkinV2Json((*payloads)[0].bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), both.size());
  for (size_t i = 0; i < both.size(); ++i) {
    const model::Span& want = both.spans()[i];
    const model::Span& got = decoded->spans()[i];
    EXPECT_EQ(got.trace_id, want.trace_id);
    EXPECT_EQ(got.span_id, want.span_id);
    EXPECT_EQ(got.parent_span_id, want.parent_span_id);
    EXPECT_EQ(got.service_name(), want.service_name());
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.status.code, want.status.code);
    EXPECT_EQ(got.events.size(), want.events.size());
    EXPECT_EQ(got.start_time_unix_nano / 1000, want.start_time_unix_nano / 1000);
  }
  EXPECT_EQ(Info(Protocol::kZipkinJson).payload_format, "zipkin-json");
}

TEST(PartialSuccess, Proto) {
  // ExportTraceServiceResponse{partial_success{rejected_spans: 7, error_message: "x"}}.
  const std::string response = std::string("\x0a\x05\x08\x07\x12\x01x", 7);
  EXPECT_EQ(RejectedSpansFromOtlpProto(response), 7);
  // An unknown field first, then the same.
  EXPECT_EQ(RejectedSpansFromOtlpProto(std::string("\x10\x01", 2) + response), 7);
  EXPECT_EQ(RejectedSpansFromOtlpProto(""), 0);
  EXPECT_EQ(RejectedSpansFromOtlpProto(std::string("\x0a\x05\x08", 3)), 0);  // truncated
  EXPECT_EQ(RejectedSpansFromOtlpProto("\xff\xff\xff"), 0);
}

TEST(PartialSuccess, Json) {
  EXPECT_EQ(RejectedSpansFromOtlpJson(R"({"partialSuccess":{"rejectedSpans":"12"}})"), 12);
  EXPECT_EQ(RejectedSpansFromOtlpJson(R"({"partialSuccess": {"rejectedSpans" : 3}})"), 3);
  EXPECT_EQ(RejectedSpansFromOtlpJson("{}"), 0);
  EXPECT_EQ(RejectedSpansFromOtlpJson(R"({"partialSuccess":{"rejectedSpans")"), 0);
}

// A stand-in OTLP/HTTP receiver answering from a script.
class FakeHttpReceiver {
 public:
  FakeHttpReceiver() {
    server_ = net::NewHttpServer({.host_port = "127.0.0.1:0", .worker_threads = 2},
                                 [this](const net::HttpRequest& req, net::HttpResponse& res) {
                                   absl::MutexLock lock(&mu_);
                                   requests_.push_back(req);
                                   res.status = status_;
                                   res.body = body_;
                                   res.headers = headers_;
                                 });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~FakeHttpReceiver() { server_->Stop(); }
  std::string url() { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void Answer(int status, std::string body = "",
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    absl::MutexLock lock(&mu_);
    status_ = status;
    body_ = std::move(body);
    headers_ = std::move(headers);
  }
  std::vector<net::HttpRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  std::unique_ptr<net::HttpServer> server_;
  absl::Mutex mu_;
  int status_ = 200;
  std::string body_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<net::HttpRequest> requests_;
};

TEST(HttpSender, PostsProtobufToTheDefaultPath) {
  FakeHttpReceiver receiver;
  // No path and "/" both mean the protocol's usual path.
  for (std::string suffix : {"", "/"}) {
    auto sender = NewSender(Protocol::kOtlpHttpProto, {.endpoint = receiver.url() + suffix});
    ASSERT_TRUE(sender.ok()) << sender.status();
    EXPECT_TRUE((*sender)->Send(W1Payload(Protocol::kOtlpHttpProto)).status.ok());
  }
  auto sender = NewSender(Protocol::kOtlpHttpProto, {.endpoint = receiver.url()});
  ASSERT_TRUE(sender.ok()) << sender.status();
  Payload p = W1Payload(Protocol::kOtlpHttpProto, 9);
  SendResult r = (*sender)->Send(p);
  EXPECT_TRUE(r.status.ok()) << r.status;
  auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].path, "/v1/traces");
  EXPECT_EQ(reqs[1].path, "/v1/traces");
  reqs.erase(reqs.begin(), reqs.begin() + 2);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].path, "/v1/traces");
  EXPECT_EQ(reqs[0].Header("content-type").value_or(""), "application/x-protobuf");
  EXPECT_EQ(reqs[0].body, p.bytes);
}

TEST(HttpSender, SendsTheConfiguredHeaders) {
  FakeHttpReceiver receiver;
  SenderOptions options{.endpoint = receiver.url()};
  options.headers = {{"x-tenant", "acme"}};
  auto sender = NewSender(Protocol::kOtlpHttpProto, options);
  ASSERT_TRUE(sender.ok()) << sender.status();
  EXPECT_TRUE((*sender)->Send(W1Payload(Protocol::kOtlpHttpProto)).status.ok());
  const std::vector<net::HttpRequest> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  std::optional<std::string_view> tenant = requests[0].Header("x-tenant");
  ASSERT_TRUE(tenant.has_value());
  EXPECT_EQ(*tenant, "acme");
}

TEST(HttpSender, JsonWithGzipToAnExplicitPath) {
  FakeHttpReceiver receiver;
  auto sender = NewSender(Protocol::kOtlpHttpJson,
                          {.endpoint = receiver.url() + "/custom/traces", .gzip = true});
  ASSERT_TRUE(sender.ok());
  Payload p = W1Payload(Protocol::kOtlpHttpJson);
  EXPECT_TRUE((*sender)->Send(p).status.ok());
  auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].path, "/custom/traces");
  EXPECT_EQ(reqs[0].Header("content-type").value_or(""), "application/json");
  // The server takes Content-Encoding away once it has undone it; Content-Length still tells
  // what came over the wire.
  size_t wire_bytes = std::stoul(std::string(reqs[0].Header("content-length").value_or("0")));
  EXPECT_GT(wire_bytes, 0u);
  EXPECT_LT(wire_bytes, p.bytes.size() / 2);
  EXPECT_EQ(reqs[0].body, p.bytes);  // the server undid the gzip
}

// jaeger-compat §1.7: POST /api/v2/spans with Content-Type application/json; Zipkin answers 202.
TEST(HttpSender, ZipkinJsonPostsToApiV2Spans) {
  FakeHttpReceiver receiver;
  receiver.Answer(202);
  for (bool gzip : {false, true}) {
    auto sender = NewSender(Protocol::kZipkinJson, {.endpoint = receiver.url(), .gzip = gzip});
    ASSERT_TRUE(sender.ok()) << sender.status();
    Payload p = W1Payload(Protocol::kZipkinJson, 3);
    SendResult r = (*sender)->Send(p);
    EXPECT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(r.rejected_spans, 0);
  }
  auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 2u);
  for (const net::HttpRequest& req : reqs) {
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.path, "/api/v2/spans");
    EXPECT_EQ(req.Header("content-type").value_or(""), "application/json");
    auto decoded = model::convert::DecodeZipkinV2Json(req.body);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->size(), W1Payload(Protocol::kZipkinJson, 3).spans);
  }
  receiver.Answer(503, "", {{"Retry-After", "1"}});
  auto sender = NewSender(Protocol::kZipkinJson, {.endpoint = receiver.url()});
  ASSERT_TRUE(sender.ok());
  SendResult busy = (*sender)->Send(W1Payload(Protocol::kZipkinJson));
  EXPECT_EQ(busy.status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(busy.retry_after_ms, 1000);
}

TEST(HttpSender, MapsStatusesByTheOtlpRetryRules) {
  FakeHttpReceiver receiver;
  auto sender = NewSender(Protocol::kOtlpHttpProto, {.endpoint = receiver.url()});
  ASSERT_TRUE(sender.ok());
  Payload p = W1Payload(Protocol::kOtlpHttpProto);

  receiver.Answer(429, "", {{"Retry-After", "2"}});
  SendResult busy = (*sender)->Send(p);
  EXPECT_EQ(busy.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(IsRetryable(busy.status));
  EXPECT_EQ(busy.retry_after_ms, 2000);

  for (int code : {502, 503, 504}) {
    receiver.Answer(code);
    SendResult r = (*sender)->Send(p);
    EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable) << code;
    EXPECT_TRUE(IsRetryable(r.status));
    EXPECT_EQ(r.retry_after_ms, -1);
  }
  for (int code : {400, 404, 413, 500}) {
    receiver.Answer(code, "bad things");
    SendResult r = (*sender)->Send(p);
    EXPECT_FALSE(r.status.ok()) << code;
    EXPECT_FALSE(IsRetryable(r.status)) << code;
    EXPECT_NE(r.status.message().find("bad things"), absl::string_view::npos);
  }
  receiver.Answer(200, R"({"partialSuccess":{"rejectedSpans":"5"}})");
  auto json_sender = NewSender(Protocol::kOtlpHttpJson, {.endpoint = receiver.url()});
  SendResult partial = (*json_sender)->Send(W1Payload(Protocol::kOtlpHttpJson));
  EXPECT_TRUE(partial.status.ok());
  EXPECT_EQ(partial.rejected_spans, 5);
}

TEST(HttpSender, UnreachableIsRetryable) {
  int port;
  {
    FakeHttpReceiver gone;
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  auto sender = NewSender(Protocol::kOtlpHttpProto,
                          {.endpoint = "127.0.0.1:" + std::to_string(port), .timeout_ms = 2000});
  ASSERT_TRUE(sender.ok());
  SendResult r = (*sender)->Send(W1Payload(Protocol::kOtlpHttpProto));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable) << r.status;
}

TEST(HttpSender, BadEndpoint) {
  EXPECT_EQ(NewSender(Protocol::kOtlpHttpProto, {.endpoint = "ftp://x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(NewSender(Protocol::kOtlpGrpc, {.endpoint = ":4317"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

constexpr char kExport[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

class GrpcSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<receivers::GrpcUnaryServer>(
        receivers::GrpcServerOptions{.host_port = "127.0.0.1:0"});
    server_->Register(kExport, [this](std::string request, receivers::GrpcRespond respond) {
      auto decoded = model::convert::DecodeOtlpProto(request);
      absl::Status answer;
      std::string response;
      {
        absl::MutexLock lock(&mu_);
        if (decoded.ok()) spans_ += decoded->size();
        answer = answer_;
        response = response_;
      }
      respond(decoded.ok() ? answer : decoded.status(), response);
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(0); }
  std::string endpoint() { return "127.0.0.1:" + std::to_string(server_->port()); }
  size_t spans() {
    absl::MutexLock lock(&mu_);
    return spans_;
  }
  void Answer(absl::Status s, std::string response = "") {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(s);
    response_ = std::move(response);
  }

  std::unique_ptr<receivers::GrpcUnaryServer> server_;
  absl::Mutex mu_;
  size_t spans_ = 0;
  absl::Status answer_;
  std::string response_;
};

TEST_F(GrpcSenderTest, ExportsWithAndWithoutGzip) {
  for (bool gzip : {false, true}) {
    auto sender = NewSender(Protocol::kOtlpGrpc, {.endpoint = endpoint(), .gzip = gzip});
    ASSERT_TRUE(sender.ok()) << sender.status();
    size_t before = spans();
    Payload p = W1Payload(Protocol::kOtlpGrpc);
    SendResult r = (*sender)->Send(p);
    EXPECT_TRUE(r.status.ok()) << r.status;
    EXPECT_EQ(spans() - before, p.spans);
  }
}

TEST_F(GrpcSenderTest, AcceptsAUrlEndpoint) {
  auto sender = NewSender(Protocol::kOtlpGrpc, {.endpoint = "http://" + endpoint()});
  ASSERT_TRUE(sender.ok());
  EXPECT_TRUE((*sender)->Send(W1Payload(Protocol::kOtlpGrpc)).status.ok());
}

TEST_F(GrpcSenderTest, StatusesAndPartialSuccess) {
  auto sender = NewSender(Protocol::kOtlpGrpc, {.endpoint = endpoint()});
  ASSERT_TRUE(sender.ok());
  Payload p = W1Payload(Protocol::kOtlpGrpc);
  Answer(absl::ResourceExhaustedError("queue full"));
  SendResult full = (*sender)->Send(p);
  EXPECT_EQ(full.status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(IsRetryable(full.status));
  Answer(absl::UnavailableError("storage down"));
  EXPECT_TRUE(IsRetryable((*sender)->Send(p).status));
  Answer(absl::InvalidArgumentError("nope"));
  SendResult bad = (*sender)->Send(p);
  EXPECT_EQ(bad.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(IsRetryable(bad.status));
  Answer(absl::OkStatus(), std::string("\x0a\x02\x08\x04", 4));
  SendResult partial = (*sender)->Send(p);
  EXPECT_TRUE(partial.status.ok());
  EXPECT_EQ(partial.rejected_spans, 4);
}

TEST(GrpcSender, UnreachableIsUnavailable) {
  int port;
  {
    receivers::GrpcUnaryServer s({.host_port = "127.0.0.1:0"});
    ASSERT_TRUE(s.Start().ok());
    port = s.port();
    s.Stop(0);
  }
  auto sender = NewSender(Protocol::kOtlpGrpc,
                          {.endpoint = "127.0.0.1:" + std::to_string(port), .timeout_ms = 2000});
  ASSERT_TRUE(sender.ok());
  SendResult r = (*sender)->Send(W1Payload(Protocol::kOtlpGrpc));
  EXPECT_EQ(r.status.code(), absl::StatusCode::kUnavailable) << r.status;
}

}  // namespace
}  // namespace skua::tracegen
