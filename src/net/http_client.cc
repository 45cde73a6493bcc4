#include "net/http_client.h"

#include <httplib.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"

namespace skua::net {
namespace {

// What went wrong, in words an operator can act on (the library's own names are terse, e.g.
// "Connection" for a refused connection).
std::string DescribeError(httplib::Error error) {
  switch (error) {
    case httplib::Error::Connection:
      return "cannot connect (connection refused or host unreachable)";
    case httplib::Error::ConnectionTimeout:
      return "connect timed out";
    case httplib::Error::Read:
      return "connection closed or timed out while reading the response";
    case httplib::Error::Write:
      return "connection closed or timed out while sending the request";
    case httplib::Error::SSLConnection:
      return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return "cannot load the TLS certificates";
    case httplib::Error::SSLServerVerification:
      return "TLS server certificate verification failed";
    default:
      return httplib::to_string(error);
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

class HttplibClient : public HttpClient {
 public:
  explicit HttplibClient(HttpClientOptions options)
      : options_(std::move(options)),
        client_(options_.tls_cert_file.empty()
                    ? httplib::Client(options_.base_url)
                    : httplib::Client(options_.base_url, options_.tls_cert_file,
                                      options_.tls_key_file)) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
    if (options_.base_url.rfind("https://", 0) == 0) {
      if (!options_.tls_ca_file.empty()) client_.set_ca_cert_path(options_.tls_ca_file);
      client_.enable_server_certificate_verification(!options_.tls_skip_verify);
    }
#endif
    client_.set_keep_alive(true);
    // Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus the peer's
    // delayed ACK stalls every request by ~40 ms.
    client_.set_tcp_nodelay(true);
    client_.set_connection_timeout(std::chrono::milliseconds(options_.connect_timeout_ms));
    client_.set_read_timeout(std::chrono::milliseconds(options_.io_timeout_ms));
    client_.set_write_timeout(std::chrono::milliseconds(options_.io_timeout_ms));
  }

  // False when the library could not set up the client (e.g. unreadable client certificate).
  bool valid() const { return client_.is_valid(); }

  absl::StatusOr<HttpClientResponse> Post(std::string_view path, std::string_view body,
                                          std::string_view content_type,
                                          const HttpHeaders& headers) override {
    httplib::Request req;
    req.method = "POST";
    req.path = std::string(path);
    req.body = std::string(body);
    req.set_header("Content-Type", std::string(content_type));
    return Send(req, headers);
  }

  absl::StatusOr<HttpClientResponse> Get(std::string_view path,
                                         const HttpHeaders& headers) override {
    httplib::Request req;
    req.method = "GET";
    req.path = std::string(path);
    return Send(req, headers);
  }

 private:
  absl::StatusOr<HttpClientResponse> Send(httplib::Request& req, const HttpHeaders& headers) {
    for (const auto& [k, v] : headers) req.set_header(k, v);
    HttpClientResponse out;
    bool too_large = false;
    // Reading the body through a receiver bounds memory: the library would otherwise buffer any
    // size the server sends.
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (out.body.size() + n > options_.max_response_bytes) {
        too_large = true;
        return false;
      }
      out.body.append(data, n);
      return true;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    bool ok = client_.send(req, res, error);
    if (too_large) {
      return absl::ResourceExhaustedError(absl::StrCat("HTTP response from ", options_.base_url,
                                                       " larger than ", options_.max_response_bytes,
                                                       " bytes"));
    }
    if (!ok) {
      return absl::UnavailableError(absl::StrCat(req.method, " ", options_.base_url, req.path, ": ",
                                                 DescribeError(error)));
    }
    out.status = res.status;
    for (const auto& [k, v] : res.headers) out.headers.emplace_back(Lower(k), v);
    return out;
  }

  HttpClientOptions options_;
  httplib::Client client_;
};

}  // namespace

std::optional<std::string_view> HttpClientResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

absl::StatusOr<std::pair<std::string, std::string>> SplitUrl(std::string_view url) {
  std::string scheme = "http://";
  size_t sep = url.find("://");
  if (sep != std::string_view::npos) {
    scheme = Lower(url.substr(0, sep + 3));
    if (scheme != "http://" && scheme != "https://") {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported URL scheme in '", std::string(url), "' (want http or https)"));
    }
    url.remove_prefix(sep + 3);
  }
  size_t slash = url.find('/');
  std::string_view host = url.substr(0, slash);
  if (host.empty() || host.front() == ':') {
    return absl::InvalidArgumentError(absl::StrCat("no host in URL '", std::string(url), "'"));
  }
  std::string path = slash == std::string_view::npos ? "" : std::string(url.substr(slash));
  return std::make_pair(scheme + std::string(host), std::move(path));
}

bool HttpsSupported() {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  return true;
#else
  return false;
#endif
}

absl::StatusOr<std::unique_ptr<HttpClient>> NewHttpClient(HttpClientOptions options) {
  auto split = SplitUrl(options.base_url);
  if (!split.ok()) return split.status();
  if (split->first.rfind("https://", 0) == 0 && !HttpsSupported()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", options.base_url, "' needs TLS, which this build of skua does not support"));
  }
  options.base_url = split->first;
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("TLS client certificate and key must be given together");
  }
  for (const std::string* file : {&options.tls_ca_file, &options.tls_cert_file,
                                  &options.tls_key_file}) {
    if (!file->empty() && access(file->c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("cannot read TLS file '", *file, "'"));
    }
  }
  // The library reports a malformed host only when sending; check what we can up front.
  auto client = std::make_unique<HttplibClient>(std::move(options));
  if (!client->valid()) {
    return absl::InvalidArgumentError("cannot set up the HTTP client (TLS certificate or key?)");
  }
  return std::unique_ptr<HttpClient>(std::move(client));
}

}  // namespace skua::net
