// A UDP datagram server for the Jaeger agent ports (jaeger-compat §1.6): one reader thread drains
// the socket into a bounded queue, a small pool of workers hands each datagram to a handler. UDP
// has no back-pressure, so a full queue drops datagrams (counted), as Jaeger's agent does.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "base/metrics.h"

namespace skua::receivers::jaeger_thrift {

struct UdpServerOptions {
  // "host:port"; ":port" = all interfaces; port 0 picks a free port. Required.
  std::string host_port;
  // Largest datagram accepted; larger ones are dropped and counted. Default 65,000 (Jaeger's
  // --processor.*.server-max-packet-size). Restart required.
  size_t max_packet_bytes = 65'000;
  // SO_RCVBUF for the socket; 0 keeps the OS default. Restart required.
  int socket_buffer_bytes = 0;
  // Datagrams waiting for a worker; more are dropped. Default 1,000 (Jaeger's server-queue-size).
  size_t queue_size = 1'000;
  // Worker threads. Default 2.
  int workers = 2;
  // Label value for metrics and logs, e.g. "compact".
  std::string name = "udp";
};

// Called from worker threads, concurrently; the view is valid only during the call.
using UdpHandler = std::function<void(std::string_view datagram)>;

// Metrics (labels {receiver, listener=name}): skua_receiver_udp_packets_total (every datagram
// read), skua_receiver_udp_packets_dropped_total{reason=queue_full|too_large}.
//
// Thread-safety: Start/Stop from any thread; Stop is idempotent and waits for the workers to finish
// the datagrams already queued.
class UdpServer {
 public:
  UdpServer(UdpServerOptions options, UdpHandler handler, Metrics& metrics,
            std::string_view receiver);
  ~UdpServer();

  // Binds the socket and starts the threads. InvalidArgument for a malformed address,
  // Unavailable if it cannot be bound.
  absl::Status Start();
  // The bound port (useful with port 0). Valid after Start.
  int port() const { return port_; }
  void Stop();

 private:
  void ReadLoop();
  void WorkerLoop();

  const UdpServerOptions options_;
  const UdpHandler handler_;
  Counter& packets_;
  Counter& dropped_queue_full_;
  Counter& dropped_too_large_;

  int fd_ = -1;
  int wake_fd_ = -1;  // eventfd that wakes the reader on Stop
  int port_ = 0;
  std::thread reader_;
  std::vector<std::thread> workers_;

  absl::Mutex mu_;
  std::vector<std::string> queue_ ABSL_GUARDED_BY(mu_);  // FIFO ring of size queue_size
  size_t head_ ABSL_GUARDED_BY(mu_) = 0;
  size_t count_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;
  std::atomic<bool> stopped_{false};
};

}  // namespace skua::receivers::jaeger_thrift
