// The Jaeger agent's UDP transport: one emitBatch message per datagram, no answer. A datagram the
// kernel accepted counts as delivered; losses after that are invisible to the sender.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tracegen/sender.h"

namespace skua::tracegen {
namespace {

class UdpSender : public Sender {
 public:
  UdpSender(int fd, std::string endpoint) : fd_(fd), endpoint_(std::move(endpoint)) {}
  ~UdpSender() override { close(fd_); }

  SendResult Send(const Payload& payload) override {
    SendResult result;
    ssize_t n = send(fd_, payload.bytes.data(), payload.bytes.size(), 0);
    if (n == static_cast<ssize_t>(payload.bytes.size())) return result;
    int err = n < 0 ? errno : EMSGSIZE;
    std::string message = absl::StrCat("UDP send of ", payload.bytes.size(), " bytes to ",
                                       endpoint_, ": ", std::strerror(err));
    // A datagram too large never fits; anything else (an ICMP port-unreachable reported on this
    // socket, a full buffer) may pass on another try.
    result.status =
        err == EMSGSIZE ? absl::InvalidArgumentError(message) : absl::UnavailableError(message);
    return result;
  }

 private:
  int fd_;
  std::string endpoint_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Sender>> NewUdpSender(Protocol protocol,
                                                     const SenderOptions& options) {
  std::string endpoint =
      options.endpoint.empty() ? std::string(Info(protocol).default_endpoint) : options.endpoint;
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == endpoint.size()) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(Info(protocol).name), ": endpoint '",
                                                   endpoint, "' is not host:port"));
  }
  std::string host = endpoint.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string port = endpoint.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* addrs = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &addrs); rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(Info(protocol).name), ": cannot resolve '", endpoint, "': ", gai_strerror(rc)));
  }
  int fd = -1;
  for (addrinfo* a = addrs; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(addrs);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat(std::string(Info(protocol).name), ": cannot open a UDP socket to ", endpoint));
  }
  // Room for bursts of large datagrams.
  int buffer = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  return std::unique_ptr<Sender>(new UdpSender(fd, endpoint));
}

}  // namespace skua::tracegen
