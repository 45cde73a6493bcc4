#include "receivers/otlp/otlp_receiver.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status.h"
#include "model/convert/otlp.h"
#include "receivers/grpc_server.h"
#include "storage/storage.h"

namespace skua::receivers::otlp {
namespace {

constexpr std::string_view kExportMethod =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

enum class Encoding { kProto, kJson };

// HTTP status for a consumer error (jaeger-compat §1.3, after the OTel receiver's mapping).
int HttpStatusFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted: return 429;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kUnimplemented: return 404;
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss: return 503;
    default: return 500;
  }
}

void WriteStatusBody(Encoding encoding, const absl::Status& s, net::HttpResponse& res) {
  if (encoding == Encoding::kJson) {
    res.content_type = "application/json";
    res.body = model::convert::EncodeRpcStatusJson(static_cast<int>(s.code()), StatusMessage(s));
  } else {
    res.content_type = "application/x-protobuf";
    res.body = model::convert::EncodeRpcStatusProto(static_cast<int>(s.code()), StatusMessage(s));
  }
}

class RejectCounter {
 public:
  RejectCounter(Metrics& metrics, std::string_view transport)
      : decode_(Get(metrics, transport, "malformed")), tenant_(Get(metrics, transport, "tenant")) {}
  void Malformed() { decode_.Add(); }
  // Refused by the multi-tenancy rule (missing, extra or unknown tenant).
  void Tenant() { tenant_.Add(); }

 private:
  static Counter& Get(Metrics& metrics, std::string_view transport, std::string_view reason) {
    return metrics.GetCounter("skua_receiver_requests_rejected_total",
                              "Requests rejected before reaching the pipeline, by reason.",
                              {{"receiver", "otlp"}, {"transport", std::string(transport)},
                               {"reason", std::string(reason)}});
  }
  Counter& decode_;
  Counter& tenant_;
};

}  // namespace

net::HttpHandler NewOtlpHttpHandler(pipeline::SpanConsumer& consumer, Metrics& metrics,
                                    tenancy::TenancyOptions tenancy_options) {
  auto rejects = std::make_shared<RejectCounter>(metrics, "http");
  return [&consumer, rejects, tenancy_options = std::move(tenancy_options)](
             const net::HttpRequest& req, net::HttpResponse& res) {
    if (req.path != "/v1/traces") {
      res.status = 404;
      res.content_type = "text/plain";
      res.body = "404 page not found";
      return;
    }
    if (req.method != "POST") {
      res.status = 405;
      res.content_type = "text/plain";
      res.body = "405 method not allowed, supported: [POST]";
      res.headers.emplace_back("Allow", "POST");
      return;
    }
    // Tenancy first (jaeger-compat §1.8): a refused client costs no decoding.
    absl::StatusOr<std::string> tenant = tenancy::TenantFromHttpRequest(tenancy_options, req);
    if (!tenant.ok()) {
      rejects->Tenant();
      tenancy::WriteHttpRefusal(tenant.status(), res);
      return;
    }
    // The media type decides the encoding; parameters such as charset are ignored.
    std::string media(req.Header("content-type").value_or(""));
    media = std::string(absl::StripAsciiWhitespace(media.substr(0, media.find(';'))));
    absl::AsciiStrToLower(&media);
    Encoding encoding;
    if (media == "application/x-protobuf") {
      encoding = Encoding::kProto;
    } else if (media == "application/json") {
      encoding = Encoding::kJson;
    } else {
      res.status = 415;
      res.content_type = "text/plain";
      res.body =
          "415 unsupported media type, supported: [application/json, application/x-protobuf]";
      return;
    }
    absl::StatusOr<model::SpanSet> batch = encoding == Encoding::kProto
                                               ? model::convert::DecodeOtlpProto(req.body)
                                               : model::convert::DecodeOtlpJson(req.body);
    if (!batch.ok()) {
      rejects->Malformed();
      res.status = 400;
      WriteStatusBody(encoding, batch.status(), res);
      return;
    }
    pipeline::IngestContext context{*tenant, pipeline::Transport::kHttp, pipeline::Format::kOtlp};
    absl::Status stored = consumer.ConsumeAndWait(context, std::move(*batch));
    if (!stored.ok()) {
      res.status = HttpStatusFor(stored);
      if (res.status == 429 || res.status == 503) res.headers.emplace_back("Retry-After", "1");
      WriteStatusBody(encoding, stored, res);
      return;
    }
    // An empty ExportTraceServiceResponse: no partial_success because everything was accepted.
    res.status = 200;
    if (encoding == Encoding::kJson) {
      res.content_type = "application/json";
      res.body = "{}";
    } else {
      res.content_type = "application/x-protobuf";
      res.body.clear();
    }
  };
}

namespace {

class OtlpReceiver : public Receiver {
 public:
  OtlpReceiver(OtlpReceiverOptions options, pipeline::SpanConsumer& consumer, Metrics& metrics)
      : options_(std::move(options)), consumer_(consumer), metrics_(metrics),
        grpc_rejects_(metrics, "grpc") {}

  ~OtlpReceiver() override { Stop(); }

  absl::Status Start() override {
    if (!options_.grpc_host_port.empty()) {
      GrpcServerOptions grpc_options;
      grpc_options.host_port = options_.grpc_host_port;
      grpc_options.max_receive_message_bytes = static_cast<int>(options_.max_message_bytes);
      grpc_options.health_services = {"opentelemetry.proto.collector.trace.v1.TraceService"};
      grpc_ = std::make_unique<GrpcUnaryServer>(grpc_options);
      grpc_->RegisterWithMetadata(
          std::string(kExportMethod),
          [this](const GrpcCallMetadata& md, std::string request, GrpcRespond respond) {
            // Tenancy first (jaeger-compat §1.8): a refused client costs no decoding.
            absl::StatusOr<std::string> tenant = TenantFromMetadata(options_.tenancy, md);
            if (!tenant.ok()) {
              grpc_rejects_.Tenant();
              respond(tenant.status(), "");
              return;
            }
            absl::StatusOr<model::SpanSet> batch = model::convert::DecodeOtlpProto(request);
            if (!batch.ok()) {
              grpc_rejects_.Malformed();
              respond(batch.status(), "");
              return;
            }
            pipeline::IngestContext context{*tenant, pipeline::Transport::kGrpc,
                                            pipeline::Format::kOtlp};
            consumer_.Consume(context, std::move(*batch), [respond](absl::Status s) {
              // An empty ExportTraceServiceResponse encodes as zero bytes.
              respond(std::move(s), "");
            });
          });
      absl::Status s = grpc_->Start();
      if (!s.ok()) {
        grpc_.reset();
        return s;
      }
    }
    if (!options_.http_host_port.empty()) {
      net::HttpServerOptions http_options;
      http_options.host_port = options_.http_host_port;
      http_options.max_body_bytes = options_.max_message_bytes;
      http_options.worker_threads = options_.http_threads;
      http_options.name = "otlp-http";
      http_ = net::NewHttpServer(http_options,
                                 NewOtlpHttpHandler(consumer_, metrics_, options_.tenancy));
      absl::Status s = http_->Start();
      if (!s.ok()) {
        http_.reset();
        Stop();
        return s;
      }
    }
    return absl::OkStatus();
  }

  void Stop() override {
    if (grpc_) grpc_->Stop();
    if (http_) http_->Stop();
  }

  std::string Describe() const override {
    std::string out;
    if (grpc_) absl::StrAppend(&out, "OTLP gRPC :", grpc_->port());
    if (http_) absl::StrAppend(&out, out.empty() ? "" : ", ", "OTLP HTTP :", http_->port());
    return out;
  }

 private:
  const OtlpReceiverOptions options_;
  pipeline::SpanConsumer& consumer_;
  Metrics& metrics_;
  RejectCounter grpc_rejects_;
  std::unique_ptr<GrpcUnaryServer> grpc_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace

std::unique_ptr<Receiver> NewOtlpReceiver(OtlpReceiverOptions options,
                                          pipeline::SpanConsumer& consumer, Metrics& metrics) {
  return std::make_unique<OtlpReceiver>(std::move(options), consumer, metrics);
}

}  // namespace skua::receivers::otlp
