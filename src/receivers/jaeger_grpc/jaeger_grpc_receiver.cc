#include "receivers/jaeger_grpc/jaeger_grpc_receiver.h"

#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "model/convert/jaeger_proto.h"
#include "receivers/grpc_server.h"
#include "storage/storage.h"

namespace skua::receivers::jaeger_grpc {
namespace {

constexpr std::string_view kPostSpansMethod = "/jaeger.api_v2.CollectorService/PostSpans";
constexpr std::string_view kCollectorService = "jaeger.api_v2.CollectorService";

class JaegerGrpcReceiver : public Receiver {
 public:
  JaegerGrpcReceiver(JaegerGrpcReceiverOptions options, pipeline::SpanConsumer& consumer,
                     Metrics& metrics)
      : options_(std::move(options)),
        consumer_(consumer),
        malformed_(Rejected(metrics, "malformed")),
        tenant_refused_(Rejected(metrics, "tenant")) {}

  ~JaegerGrpcReceiver() override { Stop(); }

  absl::Status Start() override {
    if (options_.host_port.empty()) return absl::OkStatus();
    GrpcServerOptions grpc_options;
    grpc_options.host_port = options_.host_port;
    grpc_options.max_receive_message_bytes = static_cast<int>(options_.max_message_bytes);
    grpc_options.health_services = {std::string(kCollectorService)};
    grpc_ = std::make_unique<GrpcUnaryServer>(grpc_options);
    grpc_->RegisterWithMetadata(
        std::string(kPostSpansMethod),
        [this](const GrpcCallMetadata& metadata, std::string request, GrpcRespond respond) {
          PostSpans(metadata, std::move(request), std::move(respond));
        });
    absl::Status s = grpc_->Start();
    if (!s.ok()) grpc_.reset();
    return s;
  }

  void Stop() override {
    if (grpc_) grpc_->Stop();
  }

  std::string Describe() const override {
    return grpc_ ? absl::StrCat("Jaeger gRPC :", grpc_->port()) : std::string();
  }

 private:
  static Counter& Rejected(Metrics& metrics, std::string_view reason) {
    return metrics.GetCounter(
        "skua_receiver_requests_rejected_total",
        "Requests rejected before reaching the pipeline, by reason.",
        {{"receiver", "jaeger"}, {"transport", "grpc"}, {"reason", std::string(reason)}});
  }

  void PostSpans(const GrpcCallMetadata& metadata, std::string request, GrpcRespond respond) {
    // Tenancy first (jaeger-compat §1.8): a refused client costs no decoding.
    absl::StatusOr<std::string> tenant = TenantFromMetadata(options_.tenancy, metadata);
    if (!tenant.ok()) {
      tenant_refused_.Add();
      respond(tenant.status(), "");
      return;
    }
    absl::StatusOr<model::SpanSet> batch = model::convert::DecodeJaegerPostSpansRequest(request);
    if (!batch.ok()) {
      malformed_.Add();
      respond(batch.status(), "");
      return;
    }
    // Jaeger labels api_v2 spans format "proto" (jaeger-compat §1.8).
    pipeline::IngestContext context{*tenant, pipeline::Transport::kGrpc, pipeline::Format::kProto};
    consumer_.Consume(context, std::move(*batch), [respond](absl::Status s) {
      // An empty PostSpansResponse encodes as zero bytes.
      respond(std::move(s), "");
    });
  }

  const JaegerGrpcReceiverOptions options_;
  pipeline::SpanConsumer& consumer_;
  Counter& malformed_;
  Counter& tenant_refused_;
  std::unique_ptr<GrpcUnaryServer> grpc_;
};

}  // namespace

std::unique_ptr<Receiver> NewJaegerGrpcReceiver(JaegerGrpcReceiverOptions options,
                                                pipeline::SpanConsumer& consumer,
                                                Metrics& metrics) {
  return std::make_unique<JaegerGrpcReceiver>(std::move(options), consumer, metrics);
}

}  // namespace skua::receivers::jaeger_grpc
