#include "receivers/jaeger_thrift/jaeger_thrift_receiver.h"

#include <atomic>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "base/status.h"
#include "model/convert/jaeger_thrift.h"
#include "model/convert/thrift/reader.h"
#include "model/convert/zipkin_thrift.h"
#include "receivers/jaeger_thrift/udp_server.h"
#include "storage/storage.h"

namespace skua::receivers::jaeger_thrift {

absl::Status JaegerThriftReceiverOptions::Validate() const {
  for (const std::string* hp : {&http_host_port, &compact_host_port, &binary_host_port}) {
    if (!hp->empty()) SKUA_RETURN_IF_ERROR(net::ParseHostPort(*hp).status());
  }
  for (size_t size : {compact_max_packet_bytes, binary_max_packet_bytes}) {
    if (size == 0 || size > 65'535) {
      return absl::InvalidArgumentError(
          absl::StrCat("UDP max packet size must be between 1 and 65535 bytes, got ", size));
    }
  }
  if (compact_socket_buffer_bytes < 0 || binary_socket_buffer_bytes < 0) {
    return absl::InvalidArgumentError("UDP socket buffer size must not be negative");
  }
  if (udp_queue_size == 0 || udp_workers <= 0 || udp_workers > 256) {
    return absl::InvalidArgumentError(
        "UDP queue size must be positive and workers between 1 and 256");
  }
  if (http_max_body_bytes == 0 || http_threads <= 0) {
    return absl::InvalidArgumentError("HTTP body limit and threads must be positive");
  }
  return absl::OkStatus();
}

namespace {

using model::thrift::Protocol;

constexpr std::string_view kReceiver = "jaeger_thrift";
constexpr std::string_view kRejectedMetric = "skua_receiver_requests_rejected_total";
constexpr std::string_view kRejectedHelp =
    "Requests rejected before reaching the pipeline, by reason.";
constexpr std::string_view kDroppedMetric = "skua_receiver_spans_dropped_total";
constexpr std::string_view kDroppedHelp =
    "Decoded spans lost because the pipeline refused them and the transport cannot tell the "
    "client (UDP).";

Counter& Rejected(Metrics& metrics, std::string_view transport, std::string_view reason) {
  return metrics.GetCounter(kRejectedMetric, kRejectedHelp,
                            {{"receiver", std::string(kReceiver)},
                             {"transport", std::string(transport)},
                             {"reason", std::string(reason)}});
}

// Lets one log line through per interval and counts the rest, so that a stream of garbage
// datagrams cannot flood the log.
class LogLimiter {
 public:
  explicit LogLimiter(std::chrono::seconds interval)
      : interval_ns_(interval.count() * 1'000'000'000) {}

  // True if a line may be written now; then `suppressed` is the number of lines skipped since the
  // previous one.
  bool Allow(uint64_t& suppressed) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t next = next_ns_.load(std::memory_order_relaxed);
    if (now < next || !next_ns_.compare_exchange_strong(next, now + interval_ns_)) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
    return true;
  }

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> next_ns_{0};
  std::atomic<uint64_t> suppressed_{0};
};

// --- HTTP (jaeger-compat §1.5, after J1 cmd/collector/app/handler/http_thrift_handler.go) -------

bool IsTokenChar(char c) {
  static constexpr std::string_view kSpecials = "()<>@,;:\\\"/[]?=";
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && kSpecials.find(c) == std::string_view::npos;
}

std::string_view ConsumeToken(std::string_view& v) {
  size_t n = 0;
  while (n < v.size() && IsTokenChar(v[n])) ++n;
  std::string_view token = v.substr(0, n);
  v.remove_prefix(n);
  return token;
}

void TrimLeft(std::string_view& v) {
  while (!v.empty() && absl::ascii_isspace(static_cast<unsigned char>(v.front())))
    v.remove_prefix(1);
}

// A parameter value: a token or a quoted string. False if neither is there.
bool ConsumeValue(std::string_view& v) {
  if (v.empty()) return false;
  if (v.front() != '"') return !ConsumeToken(v).empty();
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] == '\\') {
      ++i;
    } else if (v[i] == '"') {
      v.remove_prefix(i + 1);
      return true;
    }
  }
  return false;  // unterminated
}

// Go's mime.ParseMediaType as far as the collector's answers depend on it: the lower-cased media
// type, or an error text as Go words it ("mime: no media type", …).
absl::StatusOr<std::string> ParseMediaType(std::string_view header) {
  std::string_view base = header.substr(0, header.find(';'));
  std::string media(absl::StripAsciiWhitespace(ToAbsl(base)));
  absl::AsciiStrToLower(&media);
  std::string_view rest = media;
  if (ConsumeToken(rest).empty()) return absl::InvalidArgumentError("mime: no media type");
  if (!rest.empty()) {
    if (rest.front() != '/')
      return absl::InvalidArgumentError("mime: expected slash after first token");
    rest.remove_prefix(1);
    if (ConsumeToken(rest).empty())
      return absl::InvalidArgumentError("mime: expected token after slash");
    if (!rest.empty()) {
      return absl::InvalidArgumentError("mime: unexpected content after media subtype");
    }
  }
  std::string_view params = header.substr(base.size());
  std::vector<std::string> seen;
  while (true) {
    TrimLeft(params);
    if (params.empty()) break;
    std::string_view v = params;
    bool ok = false;
    if (v.front() == ';') {
      v.remove_prefix(1);
      TrimLeft(v);
      std::string key(ConsumeToken(v));
      TrimLeft(v);
      if (!key.empty() && !v.empty() && v.front() == '=') {
        v.remove_prefix(1);
        TrimLeft(v);
        if (ConsumeValue(v)) {
          absl::AsciiStrToLower(&key);
          for (const std::string& s : seen) {
            if (s == key) return absl::InvalidArgumentError("mime: duplicate parameter name");
          }
          seen.push_back(std::move(key));
          ok = true;
        }
      }
    }
    if (!ok) {
      if (absl::StripAsciiWhitespace(ToAbsl(params)) == ";") break;  // trailing semicolon
      return absl::InvalidArgumentError("mime: invalid media parameter");
    }
    params = v;
  }
  return media;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '"':
        out += "&#34;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Go's http.Error: the text plus a newline, as text/plain.
void HttpError(net::HttpResponse& res, int status, std::string message) {
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.body = std::move(message);
  res.body.push_back('\n');
}

}  // namespace

net::HttpHandler NewJaegerThriftHttpHandler(pipeline::SpanConsumer& consumer, Metrics& metrics,
                                            net::HttpHandler fallback,
                                            tenancy::TenancyOptions tenancy_options) {
  Counter* malformed = &Rejected(metrics, "http", "malformed");
  Counter* tenant_refused = &Rejected(metrics, "http", "tenant");
  return [&consumer, malformed, tenant_refused, fallback = std::move(fallback),
          tenancy_options = std::move(tenancy_options)](const net::HttpRequest& req,
                                                        net::HttpResponse& res) {
    if (req.path != "/api/traces") {
      if (fallback) {
        fallback(req, res);
        return;
      }
      HttpError(res, 404, "404 page not found");
      return;
    }
    if (req.method != "POST") {
      // The route is registered for POST only; the router answers other methods with a bare 405.
      res.status = 405;
      res.content_type = "text/plain; charset=utf-8";
      res.body.clear();
      return;
    }
    // Tenancy first (jaeger-compat §1.8): a refused client costs no decoding.
    absl::StatusOr<std::string> tenant = tenancy::TenantFromHttpRequest(tenancy_options, req);
    if (!tenant.ok()) {
      tenant_refused->Add();
      tenancy::WriteHttpRefusal(tenant.status(), res);
      return;
    }
    // A `format=jaeger.thrift` query parameter (ruby-jaeger-client, clients.md §2) is ignored, as
    // Jaeger ignores the query string.
    absl::StatusOr<std::string> media = ParseMediaType(req.Header("content-type").value_or(""));
    if (!media.ok()) {
      malformed->Add();
      HttpError(res, 400, absl::StrCat("Cannot parse content type: ", media.status().message()));
      return;
    }
    if (*media != "application/x-thrift" && *media != "application/vnd.apache.thrift.binary") {
      malformed->Add();
      HttpError(res, 400, absl::StrCat("Unsupported content type: ", HtmlEscape(*media)));
      return;
    }
    absl::StatusOr<model::SpanSet> batch =
        model::convert::DecodeJaegerThriftBatch(req.body, Protocol::kBinary);
    if (!batch.ok()) {
      malformed->Add();
      HttpError(res, 400,
                absl::StrCat("Unable to process request body: ", batch.status().message()));
      return;
    }
    pipeline::IngestContext context{*tenant, pipeline::Transport::kHttp,
                                    pipeline::Format::kJaeger};
    absl::Status stored = consumer.ConsumeAndWait(context, std::move(*batch));
    if (!stored.ok()) {
      // Jaeger answers 500 for every processing failure; refusals that are worth retrying are
      // told apart here so that clients with retry logic back off and try again.
      int status = absl::IsResourceExhausted(stored) ? 429
                   : absl::IsUnavailable(stored)     ? 503
                                                     : 500;
      HttpError(res, status, absl::StrCat("Cannot submit Jaeger batch: ", stored.message()));
      if (status != 500) res.headers.emplace_back("Retry-After", "1");
      return;
    }
    res.status = 202;
    res.content_type.clear();
    res.body.clear();
  };
}

namespace {

// Decodes agent datagrams of one listener and hands them to the pipeline.
class AgentHandler {
 public:
  // `refuse_all`: multi-tenancy is on, and a datagram cannot name its tenant.
  AgentHandler(Protocol port_protocol, pipeline::SpanConsumer& consumer, Metrics& metrics,
               bool refuse_all)
      : port_protocol_(port_protocol),
        consumer_(consumer),
        refuse_all_(refuse_all),
        malformed_(Rejected(metrics, "udp", "malformed")),
        tenant_refused_(Rejected(metrics, "udp", "tenant")),
        dropped_full_(metrics.GetCounter(kDroppedMetric, kDroppedHelp,
                                         {{"receiver", std::string(kReceiver)},
                                          {"transport", "udp"},
                                          {"reason", "queue_full"}})),
        dropped_unavailable_(metrics.GetCounter(kDroppedMetric, kDroppedHelp,
                                                {{"receiver", std::string(kReceiver)},
                                                 {"transport", "udp"},
                                                 {"reason", "unavailable"}})) {}

  void Handle(std::string_view datagram) {
    if (refuse_all_) {
      tenant_refused_.Add();
      if (!refusal_logged_.exchange(true, std::memory_order_relaxed)) {
        SKUA_LOG(WARNING) << "jaeger agent " << model::thrift::ProtocolName(port_protocol_)
                          << " port: refused a datagram: with multi-tenancy enabled UDP spans "
                             "cannot name their tenant; every datagram is dropped and counted in "
                             "skua_receiver_requests_rejected_total{transport=\"udp\","
                             "reason=\"tenant\"} (logged once)";
      }
      return;
    }
    absl::StatusOr<model::convert::AgentMessage> msg =
        model::convert::DecodeAgentMessage(datagram, port_protocol_);
    if (!msg.ok()) {
      Malformed(msg.status());
      return;
    }
    pipeline::IngestContext context{storage::kDefaultTenant, pipeline::Transport::kUdp,
                                    pipeline::Format::kJaeger};
    model::SpanSet spans = std::move(msg->spans);
    if (msg->method == model::convert::AgentMessage::Method::kEmitZipkinBatch) {
      // jaeger-compat §1.6: the agent also accepts Zipkin Thrift spans on its ports.
      context.format = pipeline::Format::kZipkin;
      if (!msg->zipkin_spans.empty()) {
        model::thrift::Reader reader(msg->zipkin_spans, msg->protocol);
        absl::Status s = model::convert::AppendZipkinThriftSpans(reader, spans);
        if (!s.ok()) {
          Malformed(s);
          return;
        }
      }
    }
    const size_t count = spans.size();
    if (count == 0) return;
    // UDP cannot carry a refusal back to the client: count what is lost. The counters live in
    // Metrics, which outlives the pipeline, so the callback never touches this handler.
    Counter* full = &dropped_full_;
    Counter* unavailable = &dropped_unavailable_;
    consumer_.Consume(context, std::move(spans), [full, unavailable, count](absl::Status s) {
      if (s.ok()) return;
      (absl::IsResourceExhausted(s) ? full : unavailable)->Add(count);
    });
  }

 private:
  void Malformed(const absl::Status& status) {
    malformed_.Add();
    uint64_t suppressed = 0;
    if (log_limiter_.Allow(suppressed)) {
      SKUA_LOG(WARNING) << "jaeger agent " << model::thrift::ProtocolName(port_protocol_)
                        << " port: dropped a malformed datagram: " << status.message()
                        << (suppressed > 0
                                ? absl::StrCat(" (", suppressed, " more since the last report)")
                                : std::string());
    }
  }

  const Protocol port_protocol_;
  pipeline::SpanConsumer& consumer_;
  const bool refuse_all_;
  std::atomic<bool> refusal_logged_{false};
  Counter& malformed_;
  Counter& tenant_refused_;
  Counter& dropped_full_;
  Counter& dropped_unavailable_;
  LogLimiter log_limiter_{std::chrono::seconds(5)};
};

}  // namespace

struct JaegerThriftReceiver::Impl {
  Impl(JaegerThriftReceiverOptions o, pipeline::SpanConsumer& c, Metrics& m)
      : options(std::move(o)),
        consumer(c),
        metrics(m),
        compact_handler(Protocol::kCompact, c, m, options.tenancy.enabled),
        binary_handler(Protocol::kBinary, c, m, options.tenancy.enabled) {}

  absl::Status StartUdp(const std::string& host_port, size_t max_packet, int buffer,
                        const char* name, AgentHandler& handler,
                        std::unique_ptr<UdpServer>& server) {
    UdpServerOptions udp;
    udp.host_port = host_port;
    udp.max_packet_bytes = max_packet;
    udp.socket_buffer_bytes = buffer;
    udp.queue_size = options.udp_queue_size;
    udp.workers = options.udp_workers;
    udp.name = name;
    server = std::make_unique<UdpServer>(
        udp, [&handler](std::string_view datagram) { handler.Handle(datagram); }, metrics,
        kReceiver);
    absl::Status s = server->Start();
    if (!s.ok()) server.reset();
    return s;
  }

  const JaegerThriftReceiverOptions options;
  pipeline::SpanConsumer& consumer;
  Metrics& metrics;
  AgentHandler compact_handler;
  AgentHandler binary_handler;
  std::unique_ptr<UdpServer> compact;
  std::unique_ptr<UdpServer> binary;
  std::unique_ptr<net::HttpServer> http;
};

JaegerThriftReceiver::JaegerThriftReceiver(JaegerThriftReceiverOptions options,
                                           pipeline::SpanConsumer& consumer, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), consumer, metrics)) {}

JaegerThriftReceiver::~JaegerThriftReceiver() { Stop(); }

absl::Status JaegerThriftReceiver::Start() {
  const JaegerThriftReceiverOptions& o = impl_->options;
  SKUA_RETURN_IF_ERROR(o.Validate());
  absl::Status s;
  if (!o.compact_host_port.empty()) {
    s = impl_->StartUdp(o.compact_host_port, o.compact_max_packet_bytes,
                        o.compact_socket_buffer_bytes, "compact", impl_->compact_handler,
                        impl_->compact);
  }
  if (s.ok() && !o.binary_host_port.empty()) {
    s = impl_->StartUdp(o.binary_host_port, o.binary_max_packet_bytes, o.binary_socket_buffer_bytes,
                        "binary", impl_->binary_handler, impl_->binary);
  }
  if (s.ok() && !o.http_host_port.empty()) {
    net::HttpServerOptions http;
    http.host_port = o.http_host_port;
    http.max_body_bytes = o.http_max_body_bytes;
    http.worker_threads = o.http_threads;
    http.name = "jaeger-thrift-http";
    impl_->http = net::NewHttpServer(
        http, NewJaegerThriftHttpHandler(impl_->consumer, impl_->metrics, o.http_fallback,
                                         o.tenancy));
    s = impl_->http->Start();
    if (!s.ok()) impl_->http.reset();
  }
  if (!s.ok()) {  // nothing is left listening on error
    Stop();
    impl_->http.reset();
    impl_->compact.reset();
    impl_->binary.reset();
    return s;
  }
  if (o.tenancy.enabled && (impl_->compact || impl_->binary)) {
    SKUA_LOG(WARNING) << "multi-tenancy is enabled: the Jaeger agent UDP ports refuse every "
                         "datagram (UDP cannot carry the tenant header); send over OTLP, Jaeger "
                         "gRPC or HTTP with the "
                      << o.tenancy.header
                      << " header instead, or turn the UDP listeners off "
                         "(--processor.jaeger-compact.server-host-port= "
                         "--processor.jaeger-binary.server-host-port=)";
  }
  return s;
}

void JaegerThriftReceiver::Stop() {
  if (impl_->http) impl_->http->Stop();
  if (impl_->compact) impl_->compact->Stop();
  if (impl_->binary) impl_->binary->Stop();
}

std::string JaegerThriftReceiver::Describe() const {
  std::string out;
  auto add = [&out](std::string_view what, int port) {
    if (port != 0) absl::StrAppend(&out, out.empty() ? "" : ", ", ToAbsl(what), " :", port);
  };
  add("Jaeger Thrift HTTP", http_port());
  add("Jaeger agent compact UDP", compact_port());
  add("Jaeger agent binary UDP", binary_port());
  return out;
}

int JaegerThriftReceiver::http_port() const { return impl_->http ? impl_->http->port() : 0; }
int JaegerThriftReceiver::compact_port() const {
  return impl_->compact ? impl_->compact->port() : 0;
}
int JaegerThriftReceiver::binary_port() const { return impl_->binary ? impl_->binary->port() : 0; }

std::unique_ptr<Receiver> NewJaegerThriftReceiver(JaegerThriftReceiverOptions options,
                                                  pipeline::SpanConsumer& consumer,
                                                  Metrics& metrics) {
  return std::make_unique<JaegerThriftReceiver>(std::move(options), consumer, metrics);
}

}  // namespace skua::receivers::jaeger_thrift
