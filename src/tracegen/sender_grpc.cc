// Unary gRPC exports (OTLP TraceService/Export, Jaeger CollectorService/PostSpans) through a
// generic stub: the request is the bytes our own encoders produced, so the product binary needs
// no generated message classes.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/http_client.h"
#include "tracegen/sender.h"

namespace skua::tracegen {
namespace {

constexpr char kOtlpExport[] = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr char kJaegerPostSpans[] = "/jaeger.api_v2.CollectorService/PostSpans";

class GrpcSender : public Sender {
 public:
  GrpcSender(Protocol protocol, std::shared_ptr<grpc::Channel> channel,
             const SenderOptions& options)
      : protocol_(protocol),
        method_(protocol == Protocol::kJaegerGrpc ? kJaegerPostSpans : kOtlpExport),
        options_(options),
        stub_(std::move(channel)) {}

  ~GrpcSender() override {
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  SendResult Send(const Payload& payload) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(options_.timeout_ms));
    if (options_.gzip) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    for (const auto& [key, value] : options_.headers) context.AddMetadata(key, value);
    grpc::Slice slice(payload.bytes.data(), payload.bytes.size());
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    auto call = stub_.PrepareUnaryCall(&context, method_, request, &cq_);
    call->StartCall();
    call->Finish(&response, &status, this);
    void* tag = nullptr;
    bool ok = false;
    // The queue is ours alone and carries one call at a time, so the next event is this call's.
    if (!cq_.Next(&tag, &ok) || tag != this) {
      return {absl::InternalError("gRPC completion queue shut down during a call")};
    }
    SendResult result;
    if (!status.ok()) {
      result.status = absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                                   absl::StrCat("gRPC ", method_, ": ", status.error_message()));
      return result;
    }
    std::vector<grpc::Slice> slices;
    // Only OTLP answers can report a partial success; PostSpansResponse is empty.
    if (protocol_ != Protocol::kJaegerGrpc && response.Dump(&slices).ok()) {
      std::string bytes;
      for (const grpc::Slice& s : slices)
        bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
      result.rejected_spans = RejectedSpansFromOtlpProto(bytes);
    }
    return result;
  }

 private:
  const Protocol protocol_;
  const std::string method_;
  SenderOptions options_;
  grpc::GenericStub stub_;
  grpc::CompletionQueue cq_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Sender>> NewGrpcSender(Protocol protocol,
                                                      const SenderOptions& options) {
  const std::string name(Info(protocol).name);
  std::string target =
      options.endpoint.empty() ? std::string(Info(protocol).default_endpoint) : options.endpoint;
  // Accept a URL too ("http://host:4317"), as OTEL_EXPORTER_OTLP_ENDPOINT is often written.
  if (target.find("://") != std::string::npos) {
    auto split = net::SplitUrl(target);
    if (!split.ok()) return split.status();
    if (split->first.rfind("https://", 0) == 0) {
      return absl::InvalidArgumentError(name + ": TLS endpoints are not supported");
    }
    target = split->first.substr(7);
  }
  if (target.empty() || target.front() == ':') {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": endpoint '", options.endpoint, "' needs a host (host:port)"));
  }
  grpc::ChannelArguments args;
  // Each worker gets its own connection rather than sharing one subchannel.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(16 << 20);
  auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  return std::unique_ptr<Sender>(new GrpcSender(protocol, std::move(channel), options));
}

}  // namespace skua::tracegen
