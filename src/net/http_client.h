// A small blocking HTTP/1.1 client (keep-alive, bounded responses) for skua's own outgoing calls:
// the load generator's senders and multi-process tests. As with the server, the implementation
// (http_client.cc) is the only place that names the third-party HTTP library.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace skua::net {

struct HttpClientOptions {
  // "http://host:port" (also "https://…" and a bare "host:port", which means http). A path in the
  // URL is ignored here: callers pass paths per request. Required.
  std::string base_url;
  // Connection and per-read/write timeouts, milliseconds. Defaults 5 s and 30 s.
  int connect_timeout_ms = 5'000;
  int io_timeout_ms = 30'000;
  // Largest response body read; a larger one fails with ResourceExhausted. Default 64 MiB.
  size_t max_response_bytes = 64 << 20;
  // TLS, for https:// URLs only (ignored for http://). The server is verified against the CA
  // bundle in tls_ca_file (PEM; empty = the system's default CAs), host name included, unless
  // tls_skip_verify (tests only). tls_cert_file and tls_key_file (PEM, both or neither) present a
  // client certificate (mutual TLS). Defaults: system CAs, verify, no client certificate.
  std::string tls_ca_file;
  bool tls_skip_verify = false;
  std::string tls_cert_file;
  std::string tls_key_file;
};

struct HttpClientResponse {
  int status = 0;
  std::string body;
  // Header names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;

  // First header value with this (case-insensitive) name, or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Not thread-safe: one client per thread. It keeps one connection open between requests.
class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Sends a request and waits for the whole response. Any HTTP status is returned as a response;
  // errors are transport failures only: Unavailable (cannot connect, connection dropped, timeout)
  // or ResourceExhausted (response larger than max_response_bytes).
  virtual absl::StatusOr<HttpClientResponse> Post(std::string_view path, std::string_view body,
                                                  std::string_view content_type,
                                                  const HttpHeaders& headers = {}) = 0;
  virtual absl::StatusOr<HttpClientResponse> Get(std::string_view path,
                                                 const HttpHeaders& headers = {}) = 0;
};

// InvalidArgument for a malformed base_url, an https:// URL in a build without TLS, or TLS files
// that cannot be loaded.
absl::StatusOr<std::unique_ptr<HttpClient>> NewHttpClient(HttpClientOptions options);

// True when this build can speak https:// (TLS support compiled in); NewHttpClient rejects
// https:// URLs otherwise.
bool HttpsSupported();

// Splits "http://host:port/path" into {"http://host:port", "/path"} (path "" when absent). A URL
// without a scheme gets "http://". InvalidArgument when there is no host.
absl::StatusOr<std::pair<std::string, std::string>> SplitUrl(std::string_view url);

}  // namespace skua::net
