// Jaeger gRPC receiver (jaeger-compat §1.4): a real gRPC client generated from our own api_v2
// .proto files posts spans; they are read back through the real pipeline, memory store and query
// service. Refusals are checked against a consumer that answers with a chosen status.
#include "receivers/jaeger_grpc/jaeger_grpc_receiver.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jaeger/api_v2/collector.grpc.pb.h"
#include "model/convert/jaeger.h"
#include "pipeline/pipeline.h"
#include "query/query_service.h"
#include "storage/memory/memory_storage.h"

namespace skua::receivers::jaeger_grpc {
namespace {

namespace pb = ::jaeger::api_v2;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr char kPostSpans[] = "/jaeger.api_v2.CollectorService/PostSpans";

std::string Bytes16(uint64_t high, uint64_t low) {
  uint8_t b[16];
  model::TraceId{high, low}.ToBytes(b);
  return std::string(reinterpret_cast<const char*>(b), 16);
}
std::string Bytes8(uint64_t v) {
  uint8_t b[8];
  model::SpanId{v}.ToBytes(b);
  return std::string(reinterpret_cast<const char*>(b), 8);
}

pb::KeyValue* AddTag(google::protobuf::RepeatedPtrField<pb::KeyValue>* tags, std::string key) {
  pb::KeyValue* kv = tags->Add();
  kv->set_key(std::move(key));
  return kv;
}

constexpr uint64_t kTraceHigh = 0xabcdef0123456789, kTraceLow = 0x1;
constexpr int64_t kStartSeconds = 1'700'000'000;

// What a Jaeger client sends: the process on the batch, spans without one, and a span of another
// service carrying its own process.
pb::PostSpansRequest MakeRequest() {
  pb::PostSpansRequest request;
  pb::Batch* batch = request.mutable_batch();
  batch->mutable_process()->set_service_name("frontend");
  AddTag(batch->mutable_process()->mutable_tags(), "hostname")->set_v_str("web-1");

  pb::Span* root = batch->add_spans();
  root->set_trace_id(Bytes16(kTraceHigh, kTraceLow));
  root->set_span_id(Bytes8(1));
  root->set_operation_name("HTTP GET /dispatch");
  root->set_flags(1);
  root->mutable_start_time()->set_seconds(kStartSeconds);
  root->mutable_duration()->set_nanos(50'000'000);
  AddTag(root->mutable_tags(), "span.kind")->set_v_str("server");
  AddTag(root->mutable_tags(), "http.method")->set_v_str("GET");
  pb::KeyValue* b = AddTag(root->mutable_tags(), "cache.hit");
  b->set_v_type(pb::BOOL);
  b->set_v_bool(true);
  pb::KeyValue* i = AddTag(root->mutable_tags(), "http.status_code");
  i->set_v_type(pb::INT64);
  i->set_v_int64(200);
  pb::KeyValue* f = AddTag(root->mutable_tags(), "sampler.param");
  f->set_v_type(pb::FLOAT64);
  f->set_v_float64(0.25);
  pb::KeyValue* bin = AddTag(root->mutable_tags(), "payload");
  bin->set_v_type(pb::BINARY);
  bin->set_v_binary(std::string("\x01\x02\xff", 3));
  pb::Log* log = root->add_logs();
  log->mutable_timestamp()->set_seconds(kStartSeconds);
  log->mutable_timestamp()->set_nanos(10'000'000);
  AddTag(log->mutable_fields(), "event")->set_v_str("cache miss");
  AddTag(log->mutable_fields(), "key")->set_v_str("customer:123");

  pb::Span* child = batch->add_spans();
  child->set_trace_id(root->trace_id());
  child->set_span_id(Bytes8(2));
  child->set_operation_name("SQL SELECT");
  child->mutable_start_time()->set_seconds(kStartSeconds);
  child->mutable_start_time()->set_nanos(5'000'000);
  child->mutable_duration()->set_nanos(20'000'000);
  pb::SpanRef* parent = child->add_references();
  parent->set_trace_id(root->trace_id());
  parent->set_span_id(root->span_id());
  AddTag(child->mutable_tags(), "span.kind")->set_v_str("client");
  pb::KeyValue* err = AddTag(child->mutable_tags(), "error");
  err->set_v_type(pb::BOOL);
  err->set_v_bool(true);

  pb::Span* async = batch->add_spans();
  async->set_trace_id(root->trace_id());
  async->set_span_id(Bytes8(3));
  async->set_operation_name("process order");
  async->mutable_start_time()->set_seconds(kStartSeconds);
  async->mutable_start_time()->set_nanos(30'000'000);
  async->mutable_duration()->set_nanos(1'000'000);
  pb::SpanRef* follows = async->add_references();
  follows->set_trace_id(root->trace_id());
  follows->set_span_id(child->span_id());
  follows->set_ref_type(pb::FOLLOWS_FROM);
  AddTag(async->mutable_tags(), "span.kind")->set_v_str("consumer");
  async->mutable_process()->set_service_name("worker");
  return request;
}

std::shared_ptr<grpc::Channel> Connect(const Receiver& receiver) {
  std::string described = receiver.Describe();  // "Jaeger gRPC :<port>"
  return grpc::CreateChannel("127.0.0.1:" + described.substr(described.rfind(':') + 1),
                             grpc::InsecureChannelCredentials());
}

grpc::Status PostSpans(pb::CollectorService::Stub& stub, const pb::PostSpansRequest& request) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  pb::PostSpansResponse response;
  return stub.PostSpans(&ctx, request, &response);
}

// A raw unary call, for bytes the generated stub would not send and for the health service.
grpc::Status RawCall(std::shared_ptr<grpc::Channel> channel, const std::string& method,
                     const std::string& body, std::string* response_bytes = nullptr) {
  grpc::GenericStub generic(std::move(channel));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(body);
  grpc::ByteBuffer request(&slice, 1), response;
  absl::Notification done;
  grpc::Status status;
  generic.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  if (status.ok() && response_bytes != nullptr) {
    std::vector<grpc::Slice> slices;
    if (response.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices) {
        response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
      }
    }
  }
  return status;
}

// --- Through the real pipeline, memory store and query service ------------------------------

class JaegerGrpcEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = storage::memory::NewMemoryStorage({});
    pipeline_ = std::make_unique<pipeline::Pipeline>(pipeline::PipelineOptions{},
                                                     storage_->writer(), metrics_);
    query_ = std::make_unique<query::QueryService>(*storage_, query::QueryServiceOptions{});
    JaegerGrpcReceiverOptions options;
    options.host_port = "127.0.0.1:0";
    receiver_ = NewJaegerGrpcReceiver(options, *pipeline_, metrics_);
    ASSERT_TRUE(receiver_->Start().ok());
    channel_ = Connect(*receiver_);
    stub_ = pb::CollectorService::NewStub(channel_);
  }
  void TearDown() override {
    receiver_->Stop();
    pipeline_->Stop();
  }

  Metrics metrics_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<query::QueryService> query_;
  std::unique_ptr<Receiver> receiver_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::CollectorService::Stub> stub_;
};

const model::jaeger::Span* FindSpan(const model::jaeger::JaegerTrace& trace, uint64_t id) {
  for (const model::jaeger::Span& s : trace.spans) {
    if (s.span_id.value == id) return &s;
  }
  return nullptr;
}

std::vector<std::string> Describe(const std::vector<model::jaeger::Tag>& tags) {
  std::vector<std::string> out;
  for (const model::jaeger::Tag& t : tags) {
    out.push_back(std::string(t.key) + ":" + std::string(model::jaeger::TagTypeName(t.type)) + "=" +
                  model::jaeger::TagValueString(t));
  }
  return out;
}

// §1.4: PostSpans answers once the spans are stored; they read back with services, operations,
// parents, every tag type and logs as sent.
TEST_F(JaegerGrpcEndToEndTest, PostSpansThenQuery) {
  grpc::Status s = PostSpans(*stub_, MakeRequest());
  ASSERT_TRUE(s.ok()) << s.error_message();

  absl::StatusOr<std::vector<std::string>> services = query_->GetServices(storage::kDefaultTenant);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, ElementsAre("frontend", "worker"));

  storage::OperationQuery ops_query;
  ops_query.service_name = "frontend";
  absl::StatusOr<std::vector<storage::Operation>> ops =
      query_->GetOperations(storage::kDefaultTenant, ops_query);
  ASSERT_TRUE(ops.ok()) << ops.status();
  EXPECT_THAT(*ops, ElementsAre(storage::Operation{"HTTP GET /dispatch", "server"},
                                storage::Operation{"SQL SELECT", "client"}));
  ops_query.service_name = "worker";
  ops = query_->GetOperations(storage::kDefaultTenant, ops_query);
  ASSERT_TRUE(ops.ok());
  EXPECT_THAT(*ops, ElementsAre(storage::Operation{"process order", "consumer"}));

  absl::StatusOr<model::SpanSet> trace =
      query_->GetTrace(storage::kDefaultTenant, model::TraceId{kTraceHigh, kTraceLow});
  ASSERT_TRUE(trace.ok()) << trace.status();
  model::jaeger::JaegerTrace view = query_->JaegerView(*trace, /*adjust=*/false);
  ASSERT_EQ(view.spans.size(), 3u);

  const model::jaeger::Span* root = FindSpan(view, 1);
  const model::jaeger::Span* child = FindSpan(view, 2);
  const model::jaeger::Span* async = FindSpan(view, 3);
  ASSERT_TRUE(root && child && async);
  EXPECT_EQ(root->operation_name, "HTTP GET /dispatch");
  EXPECT_EQ(root->start_time_us, 1'700'000'000'000'000u);
  EXPECT_EQ(root->duration_us, 50'000u);
  EXPECT_EQ(root->flags, 1u);
  EXPECT_TRUE(root->references.empty());
  EXPECT_THAT(Describe(root->tags),
              UnorderedElementsAre("span.kind:string=server", "http.method:string=GET",
                                   "cache.hit:bool=true", "http.status_code:int64=200",
                                   "sampler.param:float64=0.25", "payload:binary=0102ff"));
  ASSERT_EQ(root->logs.size(), 1u);
  EXPECT_EQ(root->logs[0].timestamp_us, 1'700'000'000'010'000u);
  EXPECT_THAT(Describe(root->logs[0].fields),
              ElementsAre("event:string=cache miss", "key:string=customer:123"));
  EXPECT_EQ(view.processes[root->process_index].service_name, "frontend");
  EXPECT_THAT(Describe(view.processes[root->process_index].tags),
              ElementsAre("hostname:string=web-1"));

  // The parent rule (§1.4): CHILD_OF, and FOLLOWS_FROM when there is no CHILD_OF.
  ASSERT_EQ(child->references.size(), 1u);
  EXPECT_EQ(child->references[0].type, model::jaeger::RefType::kChildOf);
  EXPECT_EQ(child->ParentSpanId(), model::SpanId{1});
  // error=true reads back, with the status tag §1.9 derives from it.
  EXPECT_THAT(Describe(child->tags),
              UnorderedElementsAre("span.kind:string=client", "otel.status_code:string=ERROR",
                                   "error:bool=true"));
  ASSERT_EQ(async->references.size(), 1u);
  EXPECT_EQ(async->references[0].type, model::jaeger::RefType::kFollowsFrom);
  EXPECT_EQ(async->ParentSpanId(), model::SpanId{2});
  EXPECT_EQ(view.processes[async->process_index].service_name, "worker");

  // The model (what OTLP/api_v3 readers see) has the kinds and the parent.
  for (const model::Span& span : trace->spans()) {
    if (span.span_id.value == 3) {
      EXPECT_EQ(span.kind, model::SpanKind::kConsumer);
      EXPECT_EQ(span.parent_span_id, model::SpanId{2});
    }
  }
}

// §1.4: the gRPC health service reports the collector service SERVING.
TEST_F(JaegerGrpcEndToEndTest, HealthReportsCollectorServing) {
  // HealthCheckRequest{service = 1}; HealthCheckResponse{status = 1}, SERVING = 1.
  const std::string service = "jaeger.api_v2.CollectorService";
  std::string request = std::string("\x0a") + static_cast<char>(service.size()) + service;
  std::string response;
  grpc::Status s = RawCall(channel_, "/grpc.health.v1.Health/Check", request, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(response, std::string("\x08\x01", 2));
}

// --- Refusals, against a consumer with a chosen answer ---------------------------------------

class AnsweringConsumer : public pipeline::SpanConsumer {
 public:
  void Consume(const pipeline::IngestContext& context, model::SpanSet batch,
               pipeline::ConsumeDone done) override {
    absl::Status answer;
    {
      absl::MutexLock lock(&mu_);
      answer = answer_;
      ++calls_;
      if (answer.ok()) spans_ += batch.size();
      format_ = context.format;
      transport_ = context.transport;
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
  size_t calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  pipeline::Format format() {
    absl::MutexLock lock(&mu_);
    return format_;
  }
  pipeline::Transport transport() {
    absl::MutexLock lock(&mu_);
    return transport_;
  }

 private:
  absl::Mutex mu_;
  absl::Status answer_ ABSL_GUARDED_BY(mu_);
  size_t spans_ ABSL_GUARDED_BY(mu_) = 0;
  size_t calls_ ABSL_GUARDED_BY(mu_) = 0;
  pipeline::Format format_ ABSL_GUARDED_BY(mu_) = pipeline::Format::kUnknown;
  pipeline::Transport transport_ ABSL_GUARDED_BY(mu_) = pipeline::Transport::kUnknown;
};

class JaegerGrpcReceiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    JaegerGrpcReceiverOptions options;
    options.host_port = "127.0.0.1:0";
    options.max_message_bytes = 64 << 10;
    receiver_ = NewJaegerGrpcReceiver(options, consumer_, metrics_);
    ASSERT_TRUE(receiver_->Start().ok());
    channel_ = Connect(*receiver_);
    stub_ = pb::CollectorService::NewStub(channel_);
  }
  void TearDown() override { receiver_->Stop(); }

  AnsweringConsumer consumer_;
  Metrics metrics_;
  std::unique_ptr<Receiver> receiver_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::CollectorService::Stub> stub_;
};

// Jaeger labels api_v2 spans format "proto", transport "grpc" (§1.8 metrics).
TEST_F(JaegerGrpcReceiverTest, DeliversWithProtoFormat) {
  ASSERT_TRUE(PostSpans(*stub_, MakeRequest()).ok());
  EXPECT_EQ(consumer_.spans(), 3u);
  EXPECT_EQ(consumer_.format(), pipeline::Format::kProto);
  EXPECT_EQ(consumer_.transport(), pipeline::Transport::kGrpc);
  EXPECT_EQ(receiver_->Describe().rfind("Jaeger gRPC :", 0), 0u);
}

// §1.4/§1.8: a full queue is RESOURCE_EXHAUSTED so clients retry.
TEST_F(JaegerGrpcReceiverTest, QueueFullIsResourceExhausted) {
  consumer_.Answer(absl::ResourceExhaustedError("server busy"));
  grpc::Status s = PostSpans(*stub_, MakeRequest());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(s.error_message(), "server busy");
}

TEST_F(JaegerGrpcReceiverTest, ShuttingDownIsUnavailable) {
  consumer_.Answer(absl::UnavailableError("shutting down"));
  EXPECT_EQ(PostSpans(*stub_, MakeRequest()).error_code(), grpc::StatusCode::UNAVAILABLE);
}

// Malformed bytes: INVALID_ARGUMENT with the decoder's message, counted, never handed on; the
// server keeps serving.
TEST_F(JaegerGrpcReceiverTest, MalformedIsInvalidArgument) {
  grpc::Status s = RawCall(channel_, kPostSpans, std::string("\x0a\xff\xff\xff\xff\x0f", 6));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("invalid Jaeger api_v2 protobuf"));
  pb::PostSpansRequest bad_id = MakeRequest();
  bad_id.mutable_batch()->mutable_spans(0)->set_trace_id("short");
  s = PostSpans(*stub_, bad_id);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("trace_id must be 16 bytes"));
  EXPECT_EQ(consumer_.calls(), 0u);
  EXPECT_EQ(metrics_.CounterValue(
                "skua_receiver_requests_rejected_total",
                {{"receiver", "jaeger"}, {"transport", "grpc"}, {"reason", "malformed"}}),
            2u);
  EXPECT_TRUE(PostSpans(*stub_, MakeRequest()).ok());
}

// --collector.grpc-server.max-message-size: larger requests are refused by gRPC.
TEST_F(JaegerGrpcReceiverTest, OversizeMessageIsRefused) {
  pb::PostSpansRequest big = MakeRequest();
  AddTag(big.mutable_batch()->mutable_spans(0)->mutable_tags(), "big")
      ->set_v_str(std::string(70 << 10, 'x'));
  grpc::Status s = PostSpans(*stub_, big);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(consumer_.calls(), 0u);
}

// An empty host_port disables the receiver.
TEST(JaegerGrpcReceiverOptionsTest, EmptyHostPortDisables) {
  AnsweringConsumer consumer;
  Metrics metrics;
  JaegerGrpcReceiverOptions options;
  options.host_port = "";
  std::unique_ptr<Receiver> receiver = NewJaegerGrpcReceiver(options, consumer, metrics);
  EXPECT_TRUE(receiver->Start().ok());
  EXPECT_EQ(receiver->Describe(), "");
  receiver->Stop();
}

// --- Multi-tenancy (jaeger-compat §1.4, §7.4), through the real pipeline and memory store -------

class JaegerGrpcTenancyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = storage::memory::NewMemoryStorage({});
    pipeline_ = std::make_unique<pipeline::Pipeline>(pipeline::PipelineOptions{},
                                                     storage_->writer(), metrics_);
    query_ = std::make_unique<query::QueryService>(*storage_, query::QueryServiceOptions{});
    JaegerGrpcReceiverOptions options;
    options.host_port = "127.0.0.1:0";
    options.tenancy.enabled = true;
    options.tenancy.header = "x-org";
    options.tenancy.tenants = {"acme", "beta"};
    receiver_ = NewJaegerGrpcReceiver(options, *pipeline_, metrics_);
    ASSERT_TRUE(receiver_->Start().ok());
    stub_ = pb::CollectorService::NewStub(Connect(*receiver_));
  }
  void TearDown() override {
    receiver_->Stop();
    pipeline_->Stop();
  }

  grpc::Status Post(const std::vector<std::pair<std::string, std::string>>& metadata) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    for (const auto& [k, v] : metadata) ctx.AddMetadata(k, v);
    pb::PostSpansResponse response;
    return stub_->PostSpans(&ctx, MakeRequest(), &response);
  }

  std::vector<std::string> Services(std::string_view tenant) {
    absl::StatusOr<std::vector<std::string>> services = query_->GetServices(tenant);
    EXPECT_TRUE(services.ok()) << services.status();
    return services.value_or(std::vector<std::string>{});
  }

  Metrics metrics_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<pipeline::Pipeline> pipeline_;
  std::unique_ptr<query::QueryService> query_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<pb::CollectorService::Stub> stub_;
};

TEST_F(JaegerGrpcTenancyTest, SpansAreStoredUnderTheNamedTenantOnly) {
  grpc::Status s = Post({{"x-org", "beta"}});
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(Services("beta"), ElementsAre("frontend", "worker"));
  EXPECT_THAT(Services("acme"), ElementsAre());
  EXPECT_THAT(Services(storage::kDefaultTenant), ElementsAre());
  absl::StatusOr<model::SpanSet> trace =
      query_->GetTrace("beta", model::TraceId{kTraceHigh, kTraceLow});
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->size(), 3u);
  EXPECT_TRUE(absl::IsNotFound(
      query_->GetTrace("acme", model::TraceId{kTraceHigh, kTraceLow}).status()));
}

// Jaeger's collector answers (grpc_handler.go): PERMISSION_DENIED with its three texts.
TEST_F(JaegerGrpcTenancyTest, RefusalsArePermissionDenied) {
  using Metadata = std::vector<std::pair<std::string, std::string>>;
  for (const auto& [metadata, message] :
       std::vector<std::pair<Metadata, std::string>>{
           {{}, "missing tenant header"},
           {{{"x-tenant", "acme"}}, "missing tenant header"},
           {{{"x-org", "acme"}, {"x-org", "beta"}}, "extra tenant header"},
           {{{"x-org", "umbrella"}}, "unknown tenant"}}) {
    grpc::Status s = Post(metadata);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << message;
    EXPECT_EQ(s.error_message(), message);
  }
  for (std::string_view tenant : {"acme", "beta", "umbrella", ""}) {
    EXPECT_THAT(Services(tenant), ElementsAre()) << "tenant " << tenant;
  }
  EXPECT_EQ(metrics_.CounterValue(
                "skua_receiver_requests_rejected_total",
                {{"receiver", "jaeger"}, {"transport", "grpc"}, {"reason", "tenant"}}),
            4u);
}

}  // namespace
}  // namespace skua::receivers::jaeger_grpc
