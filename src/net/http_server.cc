// HttpServer over cpp-httplib 0.11. httplib parses request lines and headers, frames bodies
// (Content-Length / chunked) and writes responses; everything that decides what a request may cost
// is done here instead:
//  - Each connection is served by our own loop over our own httplib::Stream (ConnectionStream),
//    so reads are bounded (header bytes, raw body bytes), idle keep-alive waits end at once on
//    Stop(), and idle connections yield to queued ones.
//  - setup_request (called by httplib after the headers are parsed, before routing) checks the
//    body framing and Content-Length against max_body_bytes, so an oversize request is answered
//    413 before any of its body is read. It also takes Content-Encoding, Accept-Encoding, Range
//    and Content-Type away from httplib: httplib would inflate request bodies without an output
//    bound, compress responses regardless of size, slice bodies for Range requests and parse
//    multipart bodies itself.
//  - GET/HEAD/OPTIONS (and any other body-less method) are answered from the pre-routing hook;
//    POST/PUT/PATCH/DELETE go through one content-reader handler that counts bytes as they arrive.
#include "net/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/logging.h"
#include "net/compression.h"

namespace skua::net {
namespace {

// Debian's abseil is built with its own absl::string_view, so its string helpers do not accept
// std::string_view; these few are all this file needs.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits on `sep`; empty pieces are dropped when `skip_empty`.
std::vector<std::string_view> Split(std::string_view s, char sep, bool skip_empty) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t pos = s.find(sep);
    std::string_view piece = s.substr(0, pos);
    if (!skip_empty || !Trim(piece).empty()) out.push_back(piece);
    if (pos == std::string_view::npos) break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string_view> HttpRequest::QueryParam(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> HttpRequest::QueryParams(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : query) {
    if (k == key) out.push_back(v);
  }
  return out;
}

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(std::string_view host_port) {
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError("invalid host:port \"" + std::string(host_port) +
                                      "\": " + std::string(why));
  };
  size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return bad("missing ':port'");
  std::string_view host = host_port.substr(0, colon);
  std::string_view port_str = host_port.substr(colon + 1);
  if (!host.empty() && host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return bad("unbalanced '[' in host");
    host = host.substr(1, host.size() - 2);
  } else if (host.find_first_of(":[]") != std::string_view::npos) {
    return bad("an IPv6 host must be written in brackets");
  }
  if (port_str.size() > 5 || !IsDigits(port_str)) {
    return bad("port must be a number 0..65535");
  }
  int port = 0;
  for (char c : port_str) port = port * 10 + (c - '0');
  if (port > 65535) return bad("port must be a number 0..65535");
  return std::make_pair(host.empty() ? std::string("0.0.0.0") : std::string(host), port);
}

namespace {

// Request line plus headers; beyond this the connection is dropped (httplib itself would buffer a
// header line of any length).
constexpr size_t kMaxHeaderBytes = 64 * 1024;
// Chunk-size lines and trailers cost bytes beyond the payload; a chunked body may use this much
// framing on top of max_body_bytes.
constexpr size_t kChunkFramingAllowance = 64 * 1024;
// Responses at most this large are not worth compressing.
constexpr size_t kGzipMinBytes = 1024;
// Idle waits poll in slices this long to notice queued connections.
constexpr int kIdleSliceMs = 100;
// After rejecting a request whose body was not read, the rest of the body is read and discarded
// for at most this long / this many bytes before closing, so the client sees the response rather
// than a reset caused by unread data.
constexpr int kLingerMs = 2000;
constexpr size_t kLingerMaxBytes = 64 << 20;
constexpr size_t kReadBufferBytes = 16 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class WaitResult { kReady, kTimeout, kStopped, kError };

// Waits for `events` on `fd`, or for `stop_fd` (an eventfd, -1 for none) to become readable.
WaitResult WaitFd(int fd, short events, int timeout_ms, int stop_fd) {
  const int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    pollfd fds[2] = {{fd, events, 0}, {stop_fd, POLLIN, 0}};
    int nfds = stop_fd >= 0 ? 2 : 1;
    int remaining = static_cast<int>(std::max<int64_t>(0, deadline - NowMs()));
    int rc = ::poll(fds, nfds, remaining);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return WaitResult::kError;
    }
    if (rc == 0) return WaitResult::kTimeout;
    if (nfds == 2 && fds[1].revents != 0) return WaitResult::kStopped;
    // POLLHUP/POLLERR count as ready: the following read or write reports what happened.
    if (fds[0].revents != 0) return WaitResult::kReady;
  }
}

bool IsBodyMethod(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// httplib adds these pseudo-headers to every request.
bool IsPseudoHeader(std::string_view name) {
  return EqualsIgnoreCase(name, "REMOTE_ADDR") || EqualsIgnoreCase(name, "REMOTE_PORT") ||
         EqualsIgnoreCase(name, "LOCAL_ADDR") || EqualsIgnoreCase(name, "LOCAL_PORT");
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding; a '%' not followed by two hex digits is kept as is.
std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && c == '+') ? ' ' : c;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view qs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view part : Split(qs, '&', /*skip_empty=*/true)) {
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(PercentDecode(part, true), "");
    } else {
      out.emplace_back(PercentDecode(part.substr(0, eq), true),
                       PercentDecode(part.substr(eq + 1), true));
    }
  }
  return out;
}

// Accept-Encoding per RFC 9110 §12.5.3: gzip is acceptable when listed (or covered by "*") with a
// non-zero q-value.
bool AcceptsGzip(const std::vector<std::string>& values) {
  double gzip_q = -1;
  double star_q = -1;
  for (const std::string& value : values) {
    for (std::string_view item : Split(value, ',', /*skip_empty=*/true)) {
      std::vector<std::string_view> parts = Split(item, ';', /*skip_empty=*/false);
      std::string_view coding = Trim(parts[0]);
      double q = 1;
      for (size_t i = 1; i < parts.size(); ++i) {
        std::string_view p = Trim(parts[i]);
        if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
          // RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ).
          std::string v(p.substr(2));
          char* end = nullptr;
          q = std::strtod(v.c_str(), &end);
          if (v.empty() || end != v.c_str() + v.size() || !(q >= 0 && q <= 1)) q = 0;
        }
      }
      if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) {
        gzip_q = std::max(gzip_q, q);
      } else if (coding == "*") {
        star_q = std::max(star_q, q);
      }
    }
  }
  double q = gzip_q >= 0 ? gzip_q : star_q;
  return q > 0;
}

std::vector<std::string> TakeHeader(httplib::Headers& headers, const char* name) {
  std::vector<std::string> values;
  auto range = headers.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) values.push_back(it->second);
  headers.erase(range.first, range.second);
  return values;
}

// Reads and writes one accepted socket. Reads are served from a buffer and limited per phase
// (headers, body) so that no peer can make httplib buffer without bound.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int fd, int stop_fd, int read_timeout_ms, int write_timeout_ms)
      : fd_(fd),
        stop_fd_(stop_fd),
        read_timeout_ms_(read_timeout_ms),
        write_timeout_ms_(write_timeout_ms),
        buf_(new char[kReadBufferBytes]) {}

  // Starts a read phase that may consume at most `limit` bytes. While `abort_on_stop`, a pending
  // read returns an error as soon as the server stops.
  void SetReadLimit(size_t limit, bool abort_on_stop) {
    limit_ = limit;
    consumed_ = 0;
    limit_hit_ = false;
    abort_on_stop_ = abort_on_stop;
  }
  bool limit_hit() const { return limit_hit_; }
  bool has_buffered() const { return pos_ < len_; }

  bool is_readable() const override {
    return has_buffered() ||
           WaitFd(fd_, POLLIN, read_timeout_ms_, ReadStopFd()) == WaitResult::kReady;
  }
  bool is_writable() const override {
    return WaitFd(fd_, POLLOUT, write_timeout_ms_, -1) == WaitResult::kReady;
  }

  ssize_t read(char* ptr, size_t size) override {
    if (size == 0) return 0;
    if (consumed_ >= limit_) {
      limit_hit_ = true;
      return -1;
    }
    size = std::min(size, limit_ - consumed_);
    if (pos_ == len_) {
      if (WaitFd(fd_, POLLIN, read_timeout_ms_, ReadStopFd()) != WaitResult::kReady) return -1;
      ssize_t n;
      do {
        n = ::recv(fd_, buf_.get(), kReadBufferBytes, 0);
      } while (n < 0 && errno == EINTR);
      if (n <= 0) return n < 0 ? -1 : 0;
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, len_ - pos_);
    std::memcpy(ptr, buf_.get() + pos_, n);
    pos_ += n;
    consumed_ += n;
    return static_cast<ssize_t>(n);
  }

  // Writes everything or fails; MSG_NOSIGNAL because a peer that went away must not raise SIGPIPE.
  ssize_t write(const char* ptr, size_t size) override {
    size_t sent = 0;
    while (sent < size) {
      ssize_t n = ::send(fd_, ptr + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
            WaitFd(fd_, POLLOUT, write_timeout_ms_, -1) == WaitResult::kReady) {
          continue;
        }
        return -1;
      }
      sent += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      FormatAddr(addr, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      FormatAddr(addr, ip, port);
  }
  socket_t socket() const override { return fd_; }

 private:
  int ReadStopFd() const { return abort_on_stop_ ? stop_fd_ : -1; }

  static void FormatAddr(const sockaddr_storage& addr, std::string& ip, int& port) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
      port = ntohs(a->sin6_port);
    }
    ip = buf;
  }

  const int fd_;
  const int stop_fd_;
  const int read_timeout_ms_;
  const int write_timeout_ms_;
  std::unique_ptr<char[]> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  size_t limit_ = 0;
  size_t consumed_ = 0;
  bool limit_hit_ = false;
  bool abort_on_stop_ = true;
};

// What this server decided about the request being served on the current thread.
struct RequestState {
  httplib::Request* req = nullptr;  // httplib's request, mutable until routing
  ConnectionStream* stream = nullptr;
  std::string target;                                        // path and query as received
  std::vector<std::pair<std::string, std::string>> headers;  // lower-cased, as received
  bool compressed = false;                                   // Content-Encoding gzip or deflate
  bool accept_gzip = false;                                  // the client accepts gzip responses
  int reject_status = 0;  // non-zero: answer this status without reading the body
  std::string reject_message;
  bool dispatched = false;   // the request reached our code (not an httplib-generated error)
  bool close_after = false;  // the connection cannot carry another request
  bool linger = false;       // an unread request body may still be arriving
};

// Set by the connection loop for the handlers httplib calls on the same thread.
thread_local RequestState* t_state = nullptr;

// Makes httplib answer with "Connection: close"; the connection loop then closes the socket.
void MarkClose(RequestState& st) {
  st.close_after = true;
  if (st.req != nullptr) {
    st.req->headers.erase("Connection");
    st.req->set_header("Connection", "close");
  }
}

// A fixed-size worker pool that also counts connections waiting for a worker, so idle keep-alive
// connections can give their worker up.
class WorkerPool final : public httplib::TaskQueue {
 public:
  WorkerPool(int threads, std::atomic<int>* pending) : pending_(pending) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~WorkerPool() override = default;

  void enqueue(std::function<void()> fn) override {
    absl::MutexLock lock(&mu_);
    jobs_.push_back(std::move(fn));
    pending_->fetch_add(1);
  }

  void shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      shutdown_ = true;
    }
    for (std::thread& t : threads_) t.join();
  }

 private:
  void Run() {
    for (;;) {
      std::function<void()> job;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &WorkerPool::HasWorkOrShutdown));
        if (jobs_.empty()) return;  // shutdown with nothing left to do
        job = std::move(jobs_.front());
        jobs_.pop_front();
        pending_->fetch_sub(1);
      }
      job();
    }
  }

  bool HasWorkOrShutdown() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !jobs_.empty() || shutdown_;
  }

  std::atomic<int>* const pending_;
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> jobs_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

class HttpServerImpl;

// httplib::Server with the per-connection loop replaced by HttpServerImpl::ServeConnection.
class HttplibServer final : public httplib::Server {
 public:
  explicit HttplibServer(HttpServerImpl* impl) : impl_(impl) {}

  bool ProcessRequest(httplib::Stream& strm, bool close_connection, bool& connection_closed,
                      const std::function<void(httplib::Request&)>& setup) {
    return process_request(strm, close_connection, connection_closed, setup);
  }

 protected:
  bool process_and_close_socket(socket_t sock) override;

 private:
  HttpServerImpl* const impl_;
};

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(HttpServerOptions options, HttpHandler handler)
      : options_(std::move(options)), handler_(std::move(handler)) {}
  ~HttpServerImpl() override { Stop(); }

  absl::Status Start() override;
  int port() const override { return port_.load(); }
  void Stop() override;

  void ServeConnection(HttplibServer& server, int fd);

 private:
  enum class State { kNew, kRunning, kStopped };

  absl::Status Validate() const;
  bool ListenerUp() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(listen_mu_) {
    return listen_started_ || listen_returned_;
  }
  void Configure(HttplibServer& server);
  bool WaitForNextRequest(ConnectionStream& strm, bool first);
  void SetupRequest(httplib::Request& req, ConnectionStream& strm, RequestState& st);
  void Reject(RequestState& st, int status, std::string message);
  void HandleBody(const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& reader);
  void Dispatch(const httplib::Request& req, std::string body, httplib::Response& res);
  void LingeringClose(int fd);

  const HttpServerOptions options_;
  const HttpHandler handler_;

  absl::Mutex mu_;  // serializes Start and Stop
  State state_ ABSL_GUARDED_BY(mu_) = State::kNew;
  std::unique_ptr<HttplibServer> server_ ABSL_GUARDED_BY(mu_);
  std::thread listen_thread_ ABSL_GUARDED_BY(mu_);

  // Set once the accept loop runs (httplib::Server::stop only works from then on) or has ended.
  absl::Mutex listen_mu_;
  bool listen_started_ ABSL_GUARDED_BY(listen_mu_) = false;
  bool listen_returned_ ABSL_GUARDED_BY(listen_mu_) = false;

  int stop_fd_ = -1;  // eventfd, readable once Stop() begins; valid while running
  std::atomic<bool> stopping_{false};
  std::atomic<int> pending_connections_{0};
  std::atomic<int> port_{0};
};

bool HttplibServer::process_and_close_socket(socket_t sock) {
  impl_->ServeConnection(*this, sock);
  return true;
}

absl::Status HttpServerImpl::Validate() const {
  if (options_.max_body_bytes == 0) return absl::InvalidArgumentError("max_body_bytes must be > 0");
  if (options_.worker_threads < 1) return absl::InvalidArgumentError("worker_threads must be >= 1");
  if (options_.keep_alive_timeout_seconds < 1 || options_.read_timeout_seconds < 1) {
    return absl::InvalidArgumentError("timeouts must be >= 1 second");
  }
  return absl::OkStatus();
}

void HttpServerImpl::Configure(HttplibServer& server) {
  server.set_keep_alive_timeout(options_.keep_alive_timeout_seconds);
  server.set_read_timeout(options_.read_timeout_seconds, 0);
  server.set_write_timeout(options_.read_timeout_seconds, 0);
  // Only used in the Keep-Alive response header; our connection loop has no request cap.
  server.set_keep_alive_max_count(1000);
  server.set_payload_max_length(options_.max_body_bytes);
  server.set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which lets a second process bind the same port and
  // silently split the traffic; only SO_REUSEADDR (fast restarts) is wanted.
  server.set_socket_options([](socket_t fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server.new_task_queue = [this]() -> httplib::TaskQueue* {
    {
      absl::MutexLock lock(&listen_mu_);
      listen_started_ = true;
    }
    return new WorkerPool(options_.worker_threads, &pending_connections_);
  };

  server.set_expect_100_continue_handler([](const httplib::Request&, httplib::Response& res) {
    RequestState* st = t_state;
    if (st == nullptr || st->reject_status == 0) return 100;
    // Answer the final status instead of "100 Continue", so the client never sends the body.
    st->dispatched = true;
    res.status = st->reject_status;
    MarkClose(*st);
    return st->reject_status;
  });

  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    RequestState* st = t_state;
    if (st == nullptr) {
      res.status = 500;
      return httplib::Server::HandlerResponse::Handled;
    }
    st->dispatched = true;
    if (st->reject_status != 0) {
      res.status = st->reject_status;
      res.set_content(st->reject_message + "\n", "text/plain; charset=utf-8");
      MarkClose(*st);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (IsBodyMethod(req.method)) return httplib::Server::HandlerResponse::Unhandled;
    Dispatch(req, std::string(), res);
    return httplib::Server::HandlerResponse::Handled;
  });

  auto body_handler = [this](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) {
    HandleBody(req, res, reader);
  };
  // SetupRequest rewrites every path to "/", so this one pattern matches without running
  // std::regex over client-controlled text.
  server.Post("/", body_handler);
  server.Put("/", body_handler);
  server.Patch("/", body_handler);
  server.Delete("/", body_handler);
}

absl::Status HttpServerImpl::Start() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kNew) {
    return absl::FailedPreconditionError(absl::StrCat(options_.name, ": already started"));
  }
  absl::Status valid = Validate();
  if (!valid.ok()) return valid;
  absl::StatusOr<std::pair<std::string, int>> host_port = ParseHostPort(options_.host_port);
  if (!host_port.ok()) return host_port.status();

  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    return absl::InternalError(absl::StrCat(options_.name, ": eventfd: ", std::strerror(errno)));
  }
  auto server = std::make_unique<HttplibServer>(this);
  Configure(*server);
  const auto& [host, requested_port] = *host_port;
  int bound = requested_port == 0
                  ? server->bind_to_any_port(host)
                  : (server->bind_to_port(host, requested_port) ? requested_port : -1);
  if (bound <= 0) {
    ::close(stop_fd_);
    stop_fd_ = -1;
    return absl::UnavailableError(
        absl::StrCat(options_.name, ": cannot listen on ", options_.host_port));
  }
  port_.store(bound);
  server_ = std::move(server);
  HttplibServer* raw = server_.get();
  listen_thread_ = std::thread([this, raw] {
    raw->listen_after_bind();
    absl::MutexLock l(&listen_mu_);
    listen_returned_ = true;
  });
  bool started;
  {
    absl::MutexLock l(&listen_mu_);
    listen_mu_.Await(absl::Condition(this, &HttpServerImpl::ListenerUp));
    started = listen_started_;
  }
  if (!started) {
    listen_thread_.join();
    server_.reset();
    ::close(stop_fd_);
    stop_fd_ = -1;
    return absl::UnavailableError(absl::StrCat(options_.name, ": listener failed to start"));
  }
  state_ = State::kRunning;
  SKUA_LOG(INFO) << options_.name << ": listening on " << host << ":" << bound;
  return absl::OkStatus();
}

void HttpServerImpl::Stop() {
  absl::MutexLock lock(&mu_);
  if (state_ != State::kRunning) {
    state_ = State::kStopped;
    return;
  }
  stopping_.store(true);
  uint64_t one = 1;
  // Wakes every connection waiting for a request; the counter stays readable until closed.
  if (::write(stop_fd_, &one, sizeof one) < 0) {
    SKUA_LOG(WARNING) << options_.name << ": eventfd write: " << std::strerror(errno);
  }
  server_->stop();  // closes the listening socket; the accept loop then joins the workers
  listen_thread_.join();
  server_.reset();
  ::close(stop_fd_);
  stop_fd_ = -1;
  state_ = State::kStopped;
  SKUA_LOG(INFO) << options_.name << ": stopped";
}

bool HttpServerImpl::WaitForNextRequest(ConnectionStream& strm, bool first) {
  if (stopping_.load()) return false;
  if (strm.has_buffered()) return true;  // a pipelined request is already here
  const int64_t deadline = NowMs() + int64_t{options_.keep_alive_timeout_seconds} * 1000;
  for (;;) {
    int64_t remaining = deadline - NowMs();
    if (remaining <= 0) return false;
    int slice = static_cast<int>(std::min<int64_t>(remaining, kIdleSliceMs));
    switch (WaitFd(strm.socket(), POLLIN, slice, stop_fd_)) {
      case WaitResult::kReady:
        return true;
      case WaitResult::kTimeout:
        break;
      case WaitResult::kStopped:
      case WaitResult::kError:
        return false;
    }
    // An idle keep-alive connection gives its worker to a connection waiting in the queue.
    if (!first && pending_connections_.load() > 0) return false;
  }
}

void HttpServerImpl::ServeConnection(HttplibServer& server, int fd) {
  // httplib writes a response's headers and body separately; without this Nagle's algorithm can
  // hold the body back until the client's delayed ACK.
  int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  {
    ConnectionStream strm(fd, stop_fd_, options_.read_timeout_seconds * 1000,
                          options_.read_timeout_seconds * 1000);
    bool linger = false;
    bool first = true;
    while (WaitForNextRequest(strm, first)) {
      first = false;
      RequestState st;
      st.stream = &strm;
      t_state = &st;
      strm.SetReadLimit(kMaxHeaderBytes, /*abort_on_stop=*/true);
      bool connection_closed = false;
      bool ok = server.ProcessRequest(
          strm, /*close_connection=*/stopping_.load(), connection_closed,
          [this, &strm, &st](httplib::Request& req) { SetupRequest(req, strm, st); });
      t_state = nullptr;
      linger = st.linger;
      // Requests httplib answered itself (malformed, too long) leave the stream in an unknown
      // position, as does any read that hit its limit: the connection is not reused.
      if (!ok || connection_closed || !st.dispatched || st.close_after || strm.limit_hit() ||
          stopping_.load()) {
        break;
      }
    }
    if (linger) LingeringClose(fd);
  }
  ::shutdown(fd, SHUT_RDWR);
  ::close(fd);
}

void HttpServerImpl::LingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);  // the response is complete; the client sees EOF after it
  const int64_t deadline = NowMs() + kLingerMs;
  char buf[4096];
  size_t drained = 0;
  while (drained < kLingerMaxBytes) {
    int64_t remaining = deadline - NowMs();
    if (remaining <= 0) break;
    if (WaitFd(fd, POLLIN, static_cast<int>(remaining), stop_fd_) != WaitResult::kReady) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
}

void HttpServerImpl::Reject(RequestState& st, int status, std::string message) {
  st.reject_status = status;
  st.reject_message = std::move(message);
  st.close_after = true;
  st.linger = true;
}

void HttpServerImpl::SetupRequest(httplib::Request& req, ConnectionStream& strm, RequestState& st) {
  st.req = &req;
  st.target = req.target;
  for (const auto& [name, value] : req.headers) {
    if (!IsPseudoHeader(name)) st.headers.emplace_back(absl::AsciiStrToLower(name), value);
  }

  // This server does not serve byte ranges; httplib would slice any response body.
  req.ranges.clear();
  req.headers.erase("Range");
  // Response compression is decided in Dispatch.
  st.accept_gzip = AcceptsGzip(TakeHeader(req.headers, "Accept-Encoding"));
  // Handlers receive raw bytes; httplib would parse a multipart body on its own.
  req.headers.erase("Content-Type");

  // Request body encodings (RFC 9110 §8.4). Decompression happens in HandleBody with a bound.
  int codings = 0;
  bool unsupported = false;
  for (const std::string& value : TakeHeader(req.headers, "Content-Encoding")) {
    for (std::string_view c : Split(value, ',', /*skip_empty=*/true)) {
      c = Trim(c);
      if (EqualsIgnoreCase(c, "identity")) continue;
      if (EqualsIgnoreCase(c, "gzip") || EqualsIgnoreCase(c, "x-gzip") ||
          EqualsIgnoreCase(c, "deflate")) {
        ++codings;
      } else {
        unsupported = true;
      }
    }
  }
  const bool body_method = IsBodyMethod(req.method);
  size_t body_budget = 0;

  // Body framing (RFC 9112 §6.3).
  std::vector<std::string> te = TakeHeader(req.headers, "Transfer-Encoding");
  std::vector<std::string> cl;
  auto cl_range = req.headers.equal_range("Content-Length");
  for (auto it = cl_range.first; it != cl_range.second; ++it) cl.push_back(it->second);
  bool chunked = false;
  uint64_t content_length = 0;
  if (!te.empty()) {
    if (te.size() != 1 || !EqualsIgnoreCase(Trim(te[0]), "chunked")) {
      Reject(st, 400, "unsupported Transfer-Encoding (only \"chunked\" is accepted)");
    } else {
      chunked = true;
      req.set_header("Transfer-Encoding", "chunked");
      if (!cl.empty()) {
        // Both framings: chunked wins, and the connection is not trusted for another request.
        req.headers.erase("Content-Length");
        st.close_after = true;
      }
      body_budget = 2 * options_.max_body_bytes + kChunkFramingAllowance;
      if (req.method == "DELETE") {
        // httplib reads no body for a DELETE without Content-Length; the framing is lost.
        st.close_after = true;
        st.linger = true;
      }
    }
  } else if (!cl.empty()) {
    bool valid = true;
    for (size_t i = 0; i < cl.size() && valid; ++i) {
      std::string_view v = Trim(cl[i]);
      uint64_t n = 0;
      valid = v.size() <= 19 && IsDigits(v);
      for (char c : v) n = n * 10 + static_cast<uint64_t>(c - '0');
      valid = valid && (i == 0 || n == content_length);
      content_length = n;
    }
    if (!valid) {
      Reject(st, 400, "invalid Content-Length");
    } else if (content_length > options_.max_body_bytes) {
      Reject(st, 413,
             absl::StrCat("request body too large: ", content_length, " bytes (limit ",
                          options_.max_body_bytes, ")"));
    } else {
      body_budget = content_length;
    }
  } else if (body_method) {
    // No framing means no body; httplib would otherwise read until the peer closes.
    req.set_header("Content-Length", "0");
  }
  if (st.reject_status == 0 && unsupported) {
    Reject(st, 415, "unsupported Content-Encoding (accepted: gzip, deflate, identity)");
  } else if (st.reject_status == 0 && codings > 1) {
    Reject(st, 415, "stacked Content-Encodings are not supported");
  }
  st.compressed = codings == 1;
  if (!body_method && (chunked || content_length > 0)) {
    // httplib reads no body for these methods: the unread bytes would be parsed as a request.
    st.close_after = true;
    st.linger = true;
  }
  // Without framing headers nothing follows the headers, so there is nothing to wait for.
  if (te.empty() && cl.empty()) st.linger = false;
  strm.SetReadLimit(st.reject_status != 0 ? 0 : body_budget, /*abort_on_stop=*/false);
  req.path = "/";
}

void HttpServerImpl::HandleBody(const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader) {
  RequestState& st = *t_state;
  std::string raw;
  bool too_large = false;
  const size_t limit = options_.max_body_bytes;
  // The framing was validated before the body is read: size the buffer once instead of letting
  // it grow by doubling (measurable per span for large export requests).
  if (req.has_header("Content-Length")) {
    uint64_t declared = 0;
    if (absl::SimpleAtoi(req.get_header_value("Content-Length"), &declared) && declared <= limit) {
      raw.reserve(static_cast<size_t>(declared));
    }
  }
  bool ok = reader([&](const char* data, size_t n) {
    if (n > limit - raw.size()) {
      too_large = true;
      return false;
    }
    raw.append(data, n);
    return true;
  });
  auto fail = [&](int status, std::string message) {
    res.status = status;
    res.set_content(message + "\n", "text/plain; charset=utf-8");
    MarkClose(st);
    st.linger = true;
  };
  if (!ok) {
    if (too_large || st.stream->limit_hit()) {
      fail(413, absl::StrCat("request body too large (limit ", limit, " bytes)"));
    } else {
      fail(400, "malformed or incomplete request body");
    }
    return;
  }
  if (st.compressed && !raw.empty()) {
    absl::StatusOr<std::string> inflated = Inflate(raw, limit);
    if (!inflated.ok()) {
      bool exhausted = inflated.status().code() == absl::StatusCode::kResourceExhausted;
      res.status = exhausted ? 413 : 400;
      res.set_content(
          absl::StrCat("cannot decompress request body: ", inflated.status().message(), "\n"),
          "text/plain; charset=utf-8");
      // The body was read completely, so the connection stays usable.
      return;
    }
    raw = std::move(*inflated);
  }
  Dispatch(req, std::move(raw), res);
}

void HttpServerImpl::Dispatch(const httplib::Request& req, std::string body,
                              httplib::Response& res) {
  RequestState& st = *t_state;
  HttpRequest request;
  request.method = req.method;
  std::string_view target = st.target;
  size_t q = target.find('?');
  request.raw_path = std::string(target.substr(0, q));
  request.path = PercentDecode(request.raw_path, /*plus_is_space=*/false);
  if (q != std::string_view::npos) request.query = ParseQuery(target.substr(q + 1));
  request.headers.reserve(st.headers.size());
  for (auto& [name, value] : st.headers) {
    // The body handed over is already decoded.
    if (name == "content-encoding") continue;
    request.headers.emplace_back(std::move(name), std::move(value));
  }
  request.body = std::move(body);
  if (!req.remote_addr.empty()) {
    request.remote_address = req.remote_addr.find(':') != std::string::npos
                                 ? absl::StrCat("[", req.remote_addr, "]:", req.remote_port)
                                 : absl::StrCat(req.remote_addr, ":", req.remote_port);
  }

  HttpResponse response;
  handler_(request, response);

  res.status = response.status >= 100 && response.status <= 599 ? response.status : 500;
  bool handler_encoded = false;
  bool handler_vary = false;
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "Content-Type") || EqualsIgnoreCase(name, "Content-Length")) {
      continue;
    }
    if (EqualsIgnoreCase(name, "Content-Encoding")) handler_encoded = true;
    if (EqualsIgnoreCase(name, "Vary")) handler_vary = true;
    res.set_header(name, value);
  }
  if (options_.gzip_responses && !handler_encoded && response.body.size() > kGzipMinBytes) {
    if (!handler_vary) res.set_header("Vary", "Accept-Encoding");
    if (st.accept_gzip) {
      std::string gz = GzipCompress(response.body);
      if (!gz.empty() && gz.size() < response.body.size()) {
        response.body = std::move(gz);
        res.set_header("Content-Encoding", "gzip");
      }
    }
  }
  res.body = std::move(response.body);
  if (!response.content_type.empty()) res.set_header("Content-Type", response.content_type);
  if (st.close_after) MarkClose(st);
}

}  // namespace

std::unique_ptr<HttpServer> NewHttpServer(HttpServerOptions options, HttpHandler handler) {
  return std::make_unique<HttpServerImpl>(std::move(options), std::move(handler));
}

}  // namespace skua::net
