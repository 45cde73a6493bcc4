// A small HTTP/1.1 server interface shared by the OTLP HTTP receiver, the query API and the admin
// server. The implementation (http_server.cc) is the only place that names the third-party HTTP
// library, so it can be replaced without touching any handler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace skua::net {

struct HttpRequest {
  std::string method;  // "GET", "POST", …
  std::string path;    // URL-decoded path, without the query string
  std::string raw_path;  // the path as received (still percent-encoded)
  // Query parameters in order of appearance, URL-decoded; repeated keys appear repeatedly.
  std::vector<std::pair<std::string, std::string>> query;
  // Header names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;
  // The body after Content-Encoding (gzip, deflate) was undone; never larger than
  // HttpServerOptions::max_body_bytes.
  std::string body;
  std::string remote_address;

  // First header value with this (case-insensitive) name, or nullopt.
  std::optional<std::string_view> Header(std::string_view name) const;
  // First query value for `key`, or nullopt.
  std::optional<std::string_view> QueryParam(std::string_view key) const;
  // Every query value for `key`, in order.
  std::vector<std::string_view> QueryParams(std::string_view key) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (Content-Type and Content-Length are set from the fields above).
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called concurrently from the server's worker threads.
using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

struct HttpServerOptions {
  // "host:port" to listen on; ":port" means all interfaces; port 0 picks a free port.
  std::string host_port = ":0";
  // Largest body accepted, after decompression. Larger → 413. Default 4 MiB.
  size_t max_body_bytes = 4 << 20;
  // Worker threads (each serves one connection at a time). Default 16.
  int worker_threads = 16;
  // Compress responses with gzip when the client sends Accept-Encoding: gzip.
  bool gzip_responses = true;
  // Idle keep-alive timeout and read timeout, seconds.
  int keep_alive_timeout_seconds = 30;
  int read_timeout_seconds = 30;
  // Name used in logs ("otlp-http", "query", "admin").
  std::string name = "http";
};

// Thread-safe: Start/Stop may be called from any thread; Stop waits for in-flight requests.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Binds and starts serving in background threads. InvalidArgument for a malformed host_port,
  // Unavailable if the address cannot be bound.
  virtual absl::Status Start() = 0;
  // The bound port (useful with port 0). Valid after Start.
  virtual int port() const = 0;
  // Stops accepting, finishes in-flight requests, joins threads. Idempotent.
  virtual void Stop() = 0;
};

// Every request goes to `handler`, which does its own routing. The server itself answers only
// malformed requests (400), oversize bodies (413) and unsupported Content-Encoding (415).
std::unique_ptr<HttpServer> NewHttpServer(HttpServerOptions options, HttpHandler handler);

// Splits "host:port". ":4318" → ("0.0.0.0", 4318). InvalidArgument on anything else.
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(std::string_view host_port);

}  // namespace skua::net
