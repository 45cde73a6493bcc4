// Jaeger Thrift receivers: the HTTP handler's answers (jaeger-compat §1.5) and real UDP/HTTP
// listeners on port 0 (§1.6), against a consumer that records batches or refuses them.
#include "receivers/jaeger_thrift/jaeger_thrift_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "model/convert/jaeger.h"
#include "model/convert/jaeger_thrift.h"
#include "model/convert/thrift/writer.h"

namespace skua::receivers::jaeger_thrift {
namespace {

using model::thrift::MessageType;
using model::thrift::Protocol;
using model::thrift::Type;
using model::thrift::Writer;

// Records spans (names, transport, format) and answers with a configurable status.
class RecordingConsumer : public pipeline::SpanConsumer {
 public:
  void Consume(const pipeline::IngestContext& context, model::SpanSet batch,
               pipeline::ConsumeDone done) override {
    absl::Status answer;
    {
      absl::MutexLock lock(&mu_);
      answer = answer_;
      if (answer.ok()) {
        for (const model::Span& s : batch.spans()) {
          names_.emplace_back(s.name);
          services_.emplace_back(s.service_name());
        }
        transports_.push_back(context.transport);
        formats_.push_back(context.format);
        tenants_.emplace_back(context.tenant);
      }
    }
    done(answer);
  }
  void Answer(absl::Status s) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(s);
  }
  // Waits (bounded) until at least `n` spans were accepted; returns the count seen.
  size_t WaitForSpans(size_t n) {
    std::pair<RecordingConsumer*, size_t> arg(this, n);
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(
        absl::Condition(
            +[](std::pair<RecordingConsumer*, size_t>* a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(
                 a->first->mu_) { return a->first->names_.size() >= a->second; },
            &arg),
        absl::Seconds(10));
    return names_.size();
  }
  std::vector<std::string> names() {
    absl::MutexLock lock(&mu_);
    return names_;
  }
  std::vector<std::string> services() {
    absl::MutexLock lock(&mu_);
    return services_;
  }
  std::vector<pipeline::Transport> transports() {
    absl::MutexLock lock(&mu_);
    return transports_;
  }
  std::vector<pipeline::Format> formats() {
    absl::MutexLock lock(&mu_);
    return formats_;
  }
  std::vector<std::string> tenants() {
    absl::MutexLock lock(&mu_);
    return tenants_;
  }

 private:
  absl::Mutex mu_;
  absl::Status answer_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> names_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> services_ ABSL_GUARDED_BY(mu_);
  std::vector<pipeline::Transport> transports_ ABSL_GUARDED_BY(mu_);
  std::vector<pipeline::Format> formats_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> tenants_ ABSL_GUARDED_BY(mu_);
};

model::jaeger::Span MakeSpan(uint64_t id, std::string_view name) {
  model::jaeger::Span s;
  s.trace_id = model::TraceId{0, 0xabc};
  s.span_id = model::SpanId{id};
  s.operation_name = name;
  s.start_time_us = 1'000'000;
  s.duration_us = 10;
  return s;
}

std::string Batch(Protocol protocol, std::string_view service,
                  const std::vector<model::jaeger::Span>& spans) {
  return model::convert::EncodeJaegerThriftBatch({service, {}}, spans, protocol);
}

std::string Datagram(Protocol protocol, std::string_view service,
                     const std::vector<model::jaeger::Span>& spans,
                     MessageType type = MessageType::kOneway) {
  return model::convert::EncodeAgentEmitBatch({service, {}}, spans, protocol, type);
}

// --- HTTP handler (§1.5) ------------------------------------------------------------------------

struct HttpFixture : ::testing::Test {
  net::HttpResponse Post(std::string content_type, std::string body,
                         std::string path = "/api/traces") {
    net::HttpRequest req;
    req.method = "POST";
    req.path = std::move(path);
    if (!content_type.empty()) req.headers.emplace_back("content-type", content_type);
    req.body = std::move(body);
    net::HttpResponse res;
    handler(req, res);
    return res;
  }
  RecordingConsumer consumer;
  Metrics metrics;
  net::HttpHandler handler = NewJaegerThriftHttpHandler(consumer, metrics);
};

TEST_F(HttpFixture, AcceptsBinaryThriftBatch) {
  net::HttpResponse res = Post("application/x-thrift", Batch(Protocol::kBinary, "http-svc",
                                                             {MakeSpan(1, "a"), MakeSpan(2, "b")}));
  EXPECT_EQ(res.status, 202);
  EXPECT_EQ(res.body, "");
  EXPECT_EQ(consumer.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(consumer.services(), (std::vector<std::string>{"http-svc", "http-svc"}));
  EXPECT_EQ(consumer.transports(), std::vector<pipeline::Transport>{pipeline::Transport::kHttp});
  EXPECT_EQ(consumer.formats(), std::vector<pipeline::Format>{pipeline::Format::kJaeger});
}

TEST_F(HttpFixture, AcceptsOtherMediaTypeParametersAndCase) {
  // application/vnd.apache.thrift.binary, parameters, upper case: all the same media types.
  for (std::string type : {"application/vnd.apache.thrift.binary", "Application/X-Thrift",
                           "application/x-thrift; charset=utf-8", "application/x-thrift;"}) {
    net::HttpResponse res = Post(type, Batch(Protocol::kBinary, "s", {MakeSpan(3, "c")}));
    EXPECT_EQ(res.status, 202) << type << ": " << res.body;
  }
}

TEST_F(HttpFixture, ContentTypeErrorsAreWordedAsJaeger) {
  std::string body = Batch(Protocol::kBinary, "s", {MakeSpan(1, "a")});
  net::HttpResponse res = Post("application/json", body);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body, "Unsupported content type: application/json\n");
  EXPECT_EQ(res.content_type, "text/plain; charset=utf-8");
  res = Post("", body);
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body, "Cannot parse content type: mime: no media type\n");
  res = Post("application/", body);
  EXPECT_EQ(res.body, "Cannot parse content type: mime: expected token after slash\n");
  res = Post("application/x-thrift; charset", body);
  EXPECT_EQ(res.body, "Cannot parse content type: mime: invalid media parameter\n");
  res = Post("application/x-thrift; a=1; A=2", body);
  EXPECT_EQ(res.body, "Cannot parse content type: mime: duplicate parameter name\n");
  res = Post("text/plain&x", body);
  EXPECT_EQ(res.body, "Unsupported content type: text/plain&amp;x\n");
  EXPECT_TRUE(consumer.names().empty());
  EXPECT_EQ(metrics.CounterValue(
                "skua_receiver_requests_rejected_total",
                {{"receiver", "jaeger_thrift"}, {"transport", "http"}, {"reason", "malformed"}}),
            6u);
}

TEST_F(HttpFixture, UndecodableBodyIs400) {
  net::HttpResponse res = Post("application/x-thrift", "\x0c\x00\x01garbage");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(res.body.rfind("Unable to process request body: ", 0), 0u) << res.body;
  // A compact body on the binary endpoint is an error too (§1.5: TBinaryProtocol only).
  res = Post("application/x-thrift", Batch(Protocol::kCompact, "s", {MakeSpan(1, "a")}));
  EXPECT_EQ(res.status, 400);
  res = Post("application/x-thrift", "");
  EXPECT_EQ(res.status, 400);
}

TEST_F(HttpFixture, PipelineRefusalsAreRetryable) {
  std::string body = Batch(Protocol::kBinary, "s", {MakeSpan(1, "a")});
  consumer.Answer(absl::ResourceExhaustedError("server busy"));
  net::HttpResponse res = Post("application/x-thrift", body);
  EXPECT_EQ(res.status, 429);
  EXPECT_EQ(res.body, "Cannot submit Jaeger batch: server busy\n");
  consumer.Answer(absl::UnavailableError("shutting down"));
  EXPECT_EQ(Post("application/x-thrift", body).status, 503);
  consumer.Answer(absl::InternalError("bug"));
  EXPECT_EQ(Post("application/x-thrift", body).status, 500);
}

TEST_F(HttpFixture, OtherPathsAndMethods) {
  EXPECT_EQ(Post("application/x-thrift", "", "/api/spans").status, 404);
  net::HttpRequest get;
  get.method = "GET";
  get.path = "/api/traces";
  net::HttpResponse res;
  handler(get, res);
  EXPECT_EQ(res.status, 405);
  // A fallback handler gets every other path (e.g. /api/sampling).
  net::HttpHandler with_fallback = NewJaegerThriftHttpHandler(
      consumer, metrics, [](const net::HttpRequest& req, net::HttpResponse& r) {
        r.status = 200;
        r.body = "fallback " + req.path;
      });
  net::HttpRequest sampling;
  sampling.method = "GET";
  sampling.path = "/api/sampling";
  net::HttpResponse res2;
  with_fallback(sampling, res2);
  EXPECT_EQ(res2.body, "fallback /api/sampling");
}

// --- Live listeners on port 0 (§1.6) -------------------------------------------------------------

class UdpSender {
 public:
  UdpSender() : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {}
  ~UdpSender() { close(fd_); }
  void Send(int port, std::string_view datagram) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                     sizeof(addr)),
              static_cast<ssize_t>(datagram.size()));
  }

 private:
  int fd_;
};

// Polls a counter until it reaches `want` or ten seconds pass.
uint64_t WaitForCounter(Metrics& metrics, std::string_view name, const MetricLabels& labels,
                        uint64_t want) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  uint64_t v = 0;
  while ((v = metrics.CounterValue(name, labels)) < want && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  return v;
}

struct LiveFixture : ::testing::Test {
  void StartReceiver(JaegerThriftReceiverOptions options = {}) {
    if (options.http_host_port == ":14268") options.http_host_port = "127.0.0.1:0";
    if (options.compact_host_port == ":6831") options.compact_host_port = "127.0.0.1:0";
    if (options.binary_host_port == ":6832") options.binary_host_port = "127.0.0.1:0";
    receiver = std::make_unique<JaegerThriftReceiver>(options, consumer, metrics);
    ASSERT_TRUE(receiver->Start().ok());
  }
  void TearDown() override {
    if (receiver) receiver->Stop();
  }
  RecordingConsumer consumer;
  Metrics metrics;
  UdpSender sender;
  std::unique_ptr<JaegerThriftReceiver> receiver;
};

TEST_F(LiveFixture, CompactAndBinaryOnTheirPortsAndSwapped) {
  StartReceiver();
  ASSERT_NE(receiver->compact_port(), 0);
  ASSERT_NE(receiver->binary_port(), 0);
  // Compact ONEWAY on 6831, binary CALL on 6832, and binary on the compact port (Node
  // jaeger-client, clients.md §3), compact CALL (jaeger-client-go).
  sender.Send(receiver->compact_port(),
              Datagram(Protocol::kCompact, "c", {MakeSpan(1, "compact")}));
  ASSERT_EQ(consumer.WaitForSpans(1), 1u);
  sender.Send(receiver->binary_port(),
              Datagram(Protocol::kBinary, "b", {MakeSpan(2, "binary")}, MessageType::kCall));
  ASSERT_EQ(consumer.WaitForSpans(2), 2u);
  sender.Send(receiver->compact_port(), Datagram(Protocol::kBinary, "n", {MakeSpan(3, "swapped")}));
  ASSERT_EQ(consumer.WaitForSpans(3), 3u);
  sender.Send(receiver->compact_port(),
              Datagram(Protocol::kCompact, "g", {MakeSpan(4, "go-call")}, MessageType::kCall));
  ASSERT_EQ(consumer.WaitForSpans(4), 4u);
  EXPECT_EQ(consumer.names(),
            (std::vector<std::string>{"compact", "binary", "swapped", "go-call"}));
  for (pipeline::Transport t : consumer.transports()) EXPECT_EQ(t, pipeline::Transport::kUdp);
  EXPECT_EQ(metrics.CounterValue("skua_receiver_udp_packets_total",
                                 {{"receiver", "jaeger_thrift"}, {"listener", "compact"}}),
            3u);
}

TEST_F(LiveFixture, MalformedDatagramsAreCountedAndTheListenerKeepsGoing) {
  StartReceiver();
  const MetricLabels malformed{
      {"receiver", "jaeger_thrift"}, {"transport", "udp"}, {"reason", "malformed"}};
  std::string good = Datagram(Protocol::kCompact, "s", {MakeSpan(1, "after-garbage")});
  sender.Send(receiver->compact_port(), "not thrift at all");
  sender.Send(receiver->compact_port(), std::string_view(good).substr(0, good.size() / 2));
  sender.Send(receiver->binary_port(), std::string(1000, '\xff'));
  EXPECT_EQ(WaitForCounter(metrics, "skua_receiver_requests_rejected_total", malformed, 3), 3u);
  sender.Send(receiver->compact_port(), good);
  ASSERT_EQ(consumer.WaitForSpans(1), 1u);
  EXPECT_EQ(consumer.names()[0], "after-garbage");
}

TEST_F(LiveFixture, MaximumSizeAndOversizeDatagrams) {
  JaegerThriftReceiverOptions options;
  options.compact_max_packet_bytes = 65'000;
  options.binary_max_packet_bytes = 2'000;
  StartReceiver(options);
  // A datagram of exactly the limit is accepted...
  model::jaeger::Span big = MakeSpan(1, "big");
  std::string filler;
  std::string datagram;
  for (size_t pad = 64'000; datagram.size() != 65'000; pad += 65'000 - datagram.size()) {
    filler.assign(pad, 'x');
    big.tags = {model::jaeger::Tag::String("filler", filler)};
    datagram = Datagram(Protocol::kCompact, "s", {big});
    ASSERT_LE(pad, 65'000u);
  }
  sender.Send(receiver->compact_port(), datagram);
  ASSERT_EQ(consumer.WaitForSpans(1), 1u);
  // ...one byte more is not; nor is a 2,001-byte datagram on a port limited to 2,000.
  std::string small = Datagram(Protocol::kBinary, "s", {MakeSpan(2, "small")});
  ASSERT_LT(small.size(), 2'000u);
  std::string padded = small;
  padded.resize(2'001, '\0');
  sender.Send(receiver->binary_port(), padded);
  const MetricLabels too_large{
      {"receiver", "jaeger_thrift"}, {"listener", "binary"}, {"reason", "too_large"}};
  EXPECT_EQ(WaitForCounter(metrics, "skua_receiver_udp_packets_dropped_total", too_large, 1), 1u);
  sender.Send(receiver->binary_port(), small);
  ASSERT_EQ(consumer.WaitForSpans(2), 2u);
  EXPECT_EQ(consumer.names()[1], "small");
}

TEST_F(LiveFixture, RefusedSpansAreCountedAsDropped) {
  StartReceiver();
  consumer.Answer(absl::ResourceExhaustedError("queue full"));
  sender.Send(
      receiver->compact_port(),
      Datagram(Protocol::kCompact, "s", {MakeSpan(1, "a"), MakeSpan(2, "b"), MakeSpan(3, "c")}));
  const MetricLabels dropped{
      {"receiver", "jaeger_thrift"}, {"transport", "udp"}, {"reason", "queue_full"}};
  EXPECT_EQ(WaitForCounter(metrics, "skua_receiver_spans_dropped_total", dropped, 3), 3u);
}

TEST_F(LiveFixture, EmitZipkinBatchGoesThroughTheZipkinDecoder) {
  StartReceiver();
  // agent.thrift emitZipkinBatch(1: list<zipkincore.Span>) with one v1 span: trace_id 1 (field 1),
  // name (3), id 2 (4), timestamp (10), duration (11).
  std::string datagram;
  Writer w(Protocol::kCompact, datagram);
  w.WriteMessageBegin("emitZipkinBatch", MessageType::kOneway, 0);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kList, 1);
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI64, 1);
  w.WriteI64(1);
  w.WriteFieldBegin(Type::kString, 3);
  w.WriteString("zipkin-op");
  w.WriteFieldBegin(Type::kI64, 4);
  w.WriteI64(2);
  w.WriteFieldBegin(Type::kI64, 10);
  w.WriteI64(1'000'000);
  w.WriteFieldBegin(Type::kI64, 11);
  w.WriteI64(5);
  w.WriteStructEnd();
  w.WriteStructEnd();
  sender.Send(receiver->compact_port(), datagram);
  ASSERT_EQ(consumer.WaitForSpans(1), 1u);
  EXPECT_EQ(consumer.names()[0], "zipkin-op");
  EXPECT_EQ(consumer.formats()[0], pipeline::Format::kZipkin);
}

TEST_F(LiveFixture, HttpOverTheWire) {
  StartReceiver();
  httplib::Client client("127.0.0.1", receiver->http_port());
  auto res = client.Post("/api/traces?format=jaeger.thrift",
                         Batch(Protocol::kBinary, "wire", {MakeSpan(9, "over-http")}),
                         "application/x-thrift");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(res->body, "");
  EXPECT_EQ(consumer.names(), std::vector<std::string>{"over-http"});
}

TEST_F(LiveFixture, EmptyAddressesDisableListeners) {
  JaegerThriftReceiverOptions options;
  options.compact_host_port = "";
  options.binary_host_port = "";
  StartReceiver(options);
  EXPECT_EQ(receiver->compact_port(), 0);
  EXPECT_EQ(receiver->binary_port(), 0);
  EXPECT_NE(receiver->http_port(), 0);
  EXPECT_EQ(receiver->Describe().find("UDP"), std::string::npos) << receiver->Describe();
}

TEST(JaegerThriftReceiverTest, BusyPortFailsStartAndLeavesNothingListening) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  RecordingConsumer consumer;
  Metrics metrics;
  JaegerThriftReceiverOptions options;
  options.compact_host_port = "127.0.0.1:0";
  options.binary_host_port = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  options.http_host_port = "127.0.0.1:0";
  JaegerThriftReceiver receiver(options, consumer, metrics);
  absl::Status s = receiver.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(receiver.compact_port(), 0);
  EXPECT_EQ(receiver.http_port(), 0);
  close(fd);
}

TEST(JaegerThriftReceiverTest, OptionsValidate) {
  JaegerThriftReceiverOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.compact_max_packet_bytes = 0;
  EXPECT_FALSE(o.Validate().ok());
  o = {};
  o.binary_host_port = "nonsense";
  EXPECT_FALSE(o.Validate().ok());
  o = {};
  o.udp_workers = 0;
  EXPECT_FALSE(o.Validate().ok());
}

// --- Multi-tenancy: Jaeger guards neither endpoint; skua guards HTTP like OTLP, refuses UDP ---

tenancy::TenancyOptions Tenancy() {
  tenancy::TenancyOptions t;
  t.enabled = true;
  t.tenants = {"acme", "beta"};
  return t;
}

TEST_F(HttpFixture, TenancyStoresUnderTheTenantAndRefusesWith401) {
  net::HttpHandler fallback = [](const net::HttpRequest&, net::HttpResponse& r) {
    r.status = 200;
    r.body = "sampling";
  };
  handler = NewJaegerThriftHttpHandler(consumer, metrics, fallback, Tenancy());
  auto post = [&](std::vector<std::pair<std::string, std::string>> headers, std::string body) {
    net::HttpRequest req;
    req.method = "POST";
    req.path = "/api/traces";
    req.headers = {{"content-type", "application/x-thrift"}};
    for (auto& h : headers) req.headers.push_back(std::move(h));
    req.body = std::move(body);
    net::HttpResponse res;
    handler(req, res);
    return res;
  };
  const std::string batch = Batch(Protocol::kBinary, "svc", {MakeSpan(1, "a")});
  EXPECT_EQ(post({{"x-tenant", "beta"}}, batch).status, 202);
  EXPECT_EQ(consumer.tenants(), std::vector<std::string>{"beta"});
  net::HttpResponse res = post({}, batch);
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body, "missing tenant header\n");
  res = post({{"x-tenant", "acme"}, {"x-tenant", "acme"}}, batch);
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body, "extra tenant header\n");
  res = post({{"x-tenant", "umbrella"}}, "undecodable");  // tenancy answers before decoding
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body, "unknown tenant\n");
  EXPECT_EQ(consumer.names(), std::vector<std::string>{"a"});
  EXPECT_EQ(metrics.CounterValue(
                "skua_receiver_requests_rejected_total",
                {{"receiver", "jaeger_thrift"}, {"transport", "http"}, {"reason", "tenant"}}),
            3u);
  // The other routes of the port (GET /api/sampling) are not guarded.
  net::HttpRequest sampling;
  sampling.method = "GET";
  sampling.path = "/api/sampling";
  handler(sampling, res);
  EXPECT_EQ(res.body, "sampling");
}

// UDP cannot carry the tenant header: with tenancy on, every datagram is refused and counted, and
// nothing reaches the pipeline (never into the default tenant); HTTP on the same receiver works.
TEST_F(LiveFixture, WithTenancyAgentDatagramsAreRefusedAndCounted) {
  JaegerThriftReceiverOptions options;
  options.tenancy = Tenancy();
  StartReceiver(options);
  sender.Send(receiver->compact_port(), Datagram(Protocol::kCompact, "c", {MakeSpan(1, "udp")}));
  sender.Send(receiver->binary_port(), Datagram(Protocol::kBinary, "b", {MakeSpan(2, "udp")}));
  sender.Send(receiver->compact_port(), "not thrift at all");
  const MetricLabels refused{
      {"receiver", "jaeger_thrift"}, {"transport", "udp"}, {"reason", "tenant"}};
  EXPECT_EQ(WaitForCounter(metrics, "skua_receiver_requests_rejected_total", refused, 3), 3u);
  httplib::Client client("127.0.0.1", receiver->http_port());
  auto res = client.Post("/api/traces", httplib::Headers{{"X-Tenant", "acme"}},
                         Batch(Protocol::kBinary, "wire", {MakeSpan(9, "over-http")}),
                         "application/x-thrift");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  // The HTTP batch was consumed after the datagrams were counted: had any datagram been accepted,
  // it would be in the list too.
  EXPECT_EQ(consumer.names(), std::vector<std::string>{"over-http"});
  EXPECT_EQ(consumer.tenants(), std::vector<std::string>{"acme"});
  EXPECT_EQ(metrics.CounterValue("skua_receiver_requests_rejected_total",
                                 {{"receiver", "jaeger_thrift"},
                                  {"transport", "udp"},
                                  {"reason", "malformed"}}),
            0u);
}

}  // namespace
}  // namespace skua::receivers::jaeger_thrift
