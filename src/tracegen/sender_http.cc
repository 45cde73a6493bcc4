// Senders that POST one payload per request: OTLP HTTP (protobuf and JSON), Jaeger's collector
// Thrift endpoint and Zipkin's v2 JSON endpoint. Status mapping and retry hints follow the
// OTLP/HTTP specification for all of them: 429, 502, 503 and 504 are retryable, other 4xx/5xx are
// not; any 2xx is an acknowledgement (Jaeger and Zipkin answer 202).
#include <cctype>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "net/compression.h"
#include "net/http_client.h"
#include "tracegen/sender.h"

namespace skua::tracegen {
namespace {

absl::StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    case 400:
    case 413:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
    case 405:
      return absl::StatusCode::kUnimplemented;
    default:
      return status >= 500 ? absl::StatusCode::kInternal : absl::StatusCode::kUnknown;
  }
}

std::string_view ContentType(Protocol protocol) {
  switch (protocol) {
    case Protocol::kOtlpHttpJson:
    case Protocol::kZipkinJson:
      return "application/json";
    case Protocol::kJaegerThriftHttp:
      return "application/x-thrift";
    default:
      return "application/x-protobuf";
  }
}

// The first 200 bytes of a body, printable, for error messages.
std::string Snippet(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) {
    out.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : '.');
  }
  return out;
}

class HttpSender : public Sender {
 public:
  HttpSender(Protocol protocol, const SenderOptions& options, std::string path,
             std::unique_ptr<net::HttpClient> client)
      : protocol_(protocol), options_(options), path_(std::move(path)), client_(std::move(client)) {
    headers_.emplace_back("User-Agent", "skua-tracegen");
    if (options_.gzip) headers_.emplace_back("Content-Encoding", "gzip");
    for (const auto& header : options_.headers) headers_.push_back(header);
  }

  SendResult Send(const Payload& payload) override {
    std::string_view content_type = ContentType(protocol_);
    std::string compressed;
    std::string_view body = payload.bytes;
    if (options_.gzip) {
      compressed = net::GzipCompress(payload.bytes);
      body = compressed;
    }
    SendResult result;
    auto res = client_->Post(path_, body, content_type, headers_);
    if (!res.ok()) {
      result.status = res.status();
      return result;
    }
    if (auto retry_after = res->Header("retry-after")) {
      int64_t seconds = 0;
      auto [ptr, ec] =
          std::from_chars(retry_after->data(), retry_after->data() + retry_after->size(), seconds);
      if (ec == std::errc() && seconds >= 0 && seconds < 3600)
        result.retry_after_ms = seconds * 1000;
    }
    if (res->status >= 200 && res->status < 300) {
      // Only OTLP answers can report a partial success (Jaeger and Zipkin answer 202, no body).
      if (protocol_ == Protocol::kOtlpHttpJson) {
        result.rejected_spans = RejectedSpansFromOtlpJson(res->body);
      } else if (protocol_ == Protocol::kOtlpHttpProto) {
        result.rejected_spans = RejectedSpansFromOtlpProto(res->body);
      }
      return result;
    }
    result.status = absl::Status(
        CodeForHttpStatus(res->status),
        absl::StrCat("HTTP ", res->status, " from POST ", path_, ": ", Snippet(res->body)));
    return result;
  }

 private:
  Protocol protocol_;
  SenderOptions options_;
  std::string path_;
  std::unique_ptr<net::HttpClient> client_;
  net::HttpHeaders headers_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Sender>> NewHttpSender(Protocol protocol,
                                                      const SenderOptions& options) {
  const ProtocolInfo& info = Info(protocol);
  auto defaults = net::SplitUrl(info.default_endpoint);
  if (!defaults.ok()) return defaults.status();
  auto split = net::SplitUrl(options.endpoint.empty() ? info.default_endpoint : options.endpoint);
  if (!split.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(info.name), ": ", std::string(StatusMessage(split.status()))));
  }
  // No path (or just "/") means the protocol's usual one.
  std::string path =
      split->second.empty() || split->second == "/" ? defaults->second : split->second;
  net::HttpClientOptions client_options;
  client_options.base_url = split->first;
  client_options.io_timeout_ms = options.timeout_ms;
  client_options.max_response_bytes = 1 << 20;
  auto client = net::NewHttpClient(client_options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<Sender>(
      new HttpSender(protocol, options, std::move(path), std::move(*client)));
}

}  // namespace skua::tracegen
