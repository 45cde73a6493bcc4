#include "receivers/zipkin/zipkin_receiver.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/convert/zipkin_json.h"
#include "model/convert/zipkin_proto.h"
#include "model/convert/zipkin_thrift.h"
#include "storage/storage.h"

namespace skua::receivers::zipkin {
namespace {

constexpr std::string_view kV1Path = "/api/v1/spans";
constexpr std::string_view kV2Path = "/api/v2/spans";

// HTTP status for a consumer error: the OTLP HTTP receiver's mapping (jaeger-compat §1.3), so that
// every HTTP receiver tells clients to back off the same way.
int HttpStatusFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kCancelled:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
      return 503;
    default:
      return 500;
  }
}

void Text(int status, std::string body, net::HttpResponse& res) {
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.body = std::move(body);
}

// The media type of Content-Type, lower-cased, without parameters.
std::string MediaType(const net::HttpRequest& req) {
  std::string media(req.Header("content-type").value_or(""));
  media = std::string(absl::StripAsciiWhitespace(media.substr(0, media.find(';'))));
  absl::AsciiStrToLower(&media);
  return media;
}

Counter& Rejected(Metrics& metrics, std::string_view reason) {
  return metrics.GetCounter(
      "skua_receiver_requests_rejected_total",
      "Requests rejected before reaching the pipeline, by reason.",
      {{"receiver", "zipkin"}, {"transport", "http"}, {"reason", std::string(reason)}});
}

struct Counters {
  explicit Counters(Metrics& metrics)
      : malformed(Rejected(metrics, "malformed")), tenant(Rejected(metrics, "tenant")) {}
  Counter& malformed;
  Counter& tenant;  // refused by multi-tenancy
};

}  // namespace

net::HttpHandler NewZipkinHttpHandler(pipeline::SpanConsumer& consumer, Metrics& metrics,
                                      tenancy::TenancyOptions tenancy_options) {
  auto counters = std::make_shared<Counters>(metrics);
  return [&consumer, counters, tenancy_options = std::move(tenancy_options)](
             const net::HttpRequest& req, net::HttpResponse& res) {
    const bool v1 = req.path == kV1Path;
    if (!v1 && req.path != kV2Path) {
      Text(404, "404 page not found\n", res);
      return;
    }
    if (req.method != "POST") {
      Text(405, "405 method not allowed, supported: [POST]\n", res);
      res.headers.emplace_back("Allow", "POST");
      return;
    }
    // Tenancy first (jaeger-compat §1.8): a refused client costs no decoding.
    absl::StatusOr<std::string> tenant = tenancy::TenantFromHttpRequest(tenancy_options, req);
    if (!tenant.ok()) {
      counters->tenant.Add();
      tenancy::WriteHttpRefusal(tenant.status(), res);
      return;
    }
    const std::string media = MediaType(req);
    absl::StatusOr<model::SpanSet> batch;
    if (v1) {
      batch = media == "application/x-thrift" ? model::convert::DecodeZipkinThrift(req.body)
                                              : model::convert::DecodeZipkinV1Json(req.body);
    } else if (media == "application/x-protobuf") {
      model::convert::ZipkinProtoOptions options;
      options.debug = req.Header("x-b3-flags").value_or("") == "1";
      batch = model::convert::DecodeZipkinProto(req.body, options);
    } else {
      batch = model::convert::DecodeZipkinV2Json(req.body);
    }
    if (!batch.ok()) {
      counters->malformed.Add();
      Text(400, absl::StrCat(batch.status().message(), "\n"), res);
      return;
    }
    if (!batch->empty()) {
      pipeline::IngestContext context{*tenant, pipeline::Transport::kHttp,
                                      pipeline::Format::kZipkin};
      absl::Status stored = consumer.ConsumeAndWait(context, std::move(*batch));
      if (!stored.ok()) {
        const int status = HttpStatusFor(stored);
        Text(status, absl::StrCat(stored.message(), "\n"), res);
        if (status == 429 || status == 503) res.headers.emplace_back("Retry-After", "1");
        return;
      }
    }
    res.status = 202;
    res.content_type = "text/plain; charset=utf-8";
    res.body.clear();
  };
}

namespace {

class ZipkinReceiver : public Receiver {
 public:
  ZipkinReceiver(ZipkinReceiverOptions options, pipeline::SpanConsumer& consumer, Metrics& metrics)
      : options_(std::move(options)), consumer_(consumer), metrics_(metrics) {}

  ~ZipkinReceiver() override { Stop(); }

  absl::Status Start() override {
    net::HttpServerOptions http_options;
    http_options.host_port = options_.host_port;
    http_options.max_body_bytes = options_.max_body_bytes;
    http_options.worker_threads = options_.http_threads;
    http_options.name = "zipkin";
    http_ = net::NewHttpServer(http_options,
                               NewZipkinHttpHandler(consumer_, metrics_, options_.tenancy));
    absl::Status s = http_->Start();
    if (!s.ok()) http_.reset();
    return s;
  }

  void Stop() override {
    if (http_) http_->Stop();
  }

  std::string Describe() const override {
    return http_ ? absl::StrCat("Zipkin HTTP :", http_->port()) : "Zipkin HTTP (not started)";
  }

 private:
  const ZipkinReceiverOptions options_;
  pipeline::SpanConsumer& consumer_;
  Metrics& metrics_;
  std::unique_ptr<net::HttpServer> http_;
};

}  // namespace

std::unique_ptr<Receiver> NewZipkinReceiver(ZipkinReceiverOptions options,
                                            pipeline::SpanConsumer& consumer, Metrics& metrics) {
  return std::make_unique<ZipkinReceiver>(std::move(options), consumer, metrics);
}

}  // namespace skua::receivers::zipkin
