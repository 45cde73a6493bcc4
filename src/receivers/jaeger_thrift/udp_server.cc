#include "receivers/jaeger_thrift/udp_server.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/logging.h"
#include "net/http_server.h"

namespace skua::receivers::jaeger_thrift {
namespace {

MetricLabels Labels(std::string_view receiver, const std::string& listener,
                    std::string_view reason = {}) {
  MetricLabels labels{{"receiver", std::string(receiver)}, {"listener", listener}};
  if (!reason.empty()) labels.emplace_back("reason", std::string(reason));
  return labels;
}

constexpr std::string_view kPacketsHelp = "UDP datagrams read by the Jaeger agent listeners.";
constexpr std::string_view kDroppedHelp =
    "UDP datagrams dropped before decoding: queue_full (workers behind) or too_large.";

}  // namespace

UdpServer::UdpServer(UdpServerOptions options, UdpHandler handler, Metrics& metrics,
                     std::string_view receiver)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      packets_(metrics.GetCounter("skua_receiver_udp_packets_total", kPacketsHelp,
                                  Labels(receiver, options_.name))),
      dropped_queue_full_(metrics.GetCounter("skua_receiver_udp_packets_dropped_total",
                                             kDroppedHelp,
                                             Labels(receiver, options_.name, "queue_full"))),
      dropped_too_large_(metrics.GetCounter("skua_receiver_udp_packets_dropped_total", kDroppedHelp,
                                            Labels(receiver, options_.name, "too_large"))) {}

UdpServer::~UdpServer() { Stop(); }

absl::Status UdpServer::Start() {
  auto host_port = net::ParseHostPort(options_.host_port);
  if (!host_port.ok()) return host_port.status();
  if (options_.max_packet_bytes == 0 || options_.queue_size == 0 || options_.workers <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "udp ", options_.name, ": max packet size, queue size and workers must be positive"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string port_string = std::to_string(host_port->second);
  int rc = getaddrinfo(host_port->first.c_str(), port_string.c_str(), &hints, &results);
  if (rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat("udp ", options_.name, ": cannot resolve '",
                                                   options_.host_port, "': ", gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* ai = results; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    if (options_.socket_buffer_bytes > 0) {
      int size = options_.socket_buffer_bytes;
      if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) != 0) {
        SKUA_LOG(WARNING) << "udp " << options_.name << ": cannot set SO_RCVBUF to " << size << ": "
                          << std::strerror(errno);
      }
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = std::strerror(errno);
      close(fd);
      continue;
    }
    fd_ = fd;
    break;
  }
  freeaddrinfo(results);
  if (fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("udp ", options_.name, ": cannot bind ",
                                               options_.host_port, ": ", last_error));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    close(fd_);
    fd_ = -1;
    return absl::UnavailableError(absl::StrCat("udp ", options_.name, ": eventfd failed"));
  }
  {
    absl::MutexLock lock(&mu_);
    queue_.resize(options_.queue_size);
  }
  started_ = true;
  reader_ = std::thread([this] { ReadLoop(); });
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  return absl::OkStatus();
}

void UdpServer::ReadLoop() {
  // One byte more than the limit, so that MSG_TRUNC's real length tells an oversize datagram.
  std::vector<char> buffer(options_.max_packet_bytes + 1);
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  while (true) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      SKUA_LOG(ERROR) << "udp " << options_.name << ": poll failed: " << std::strerror(errno);
      return;
    }
    if (fds[1].revents != 0) return;  // Stop
    // Drain everything that is ready before polling again.
    while (true) {
      ssize_t n = recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          SKUA_LOG(WARNING) << "udp " << options_.name << ": recv: " << std::strerror(errno);
        }
        break;
      }
      packets_.Add();
      if (static_cast<size_t>(n) > options_.max_packet_bytes) {
        dropped_too_large_.Add();
        continue;
      }
      absl::MutexLock lock(&mu_);
      if (count_ == queue_.size()) {
        dropped_queue_full_.Add();
        continue;
      }
      queue_[(head_ + count_) % queue_.size()].assign(buffer.data(), static_cast<size_t>(n));
      ++count_;
    }
  }
}

void UdpServer::WorkerLoop() {
  std::string datagram;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](UdpServer* s)
               ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) { return s->count_ > 0 || s->stopping_; },
          this));
      if (count_ == 0) return;  // stopping and drained
      // Swap rather than copy: the slot keeps this worker's old buffer (and its capacity).
      datagram.swap(queue_[head_]);
      head_ = (head_ + 1) % queue_.size();
      --count_;
    }
    handler_(datagram);
  }
}

void UdpServer::Stop() {
  if (stopped_.exchange(true) || !started_) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    SKUA_LOG(WARNING) << "udp " << options_.name << ": cannot wake the reader";
  }
  if (reader_.joinable()) reader_.join();
  for (std::thread& t : workers_) t.join();
  close(fd_);
  close(wake_fd_);
  fd_ = wake_fd_ = -1;
}

}  // namespace skua::receivers::jaeger_thrift
