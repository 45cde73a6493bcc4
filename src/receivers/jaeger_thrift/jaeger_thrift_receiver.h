// The Jaeger Thrift receivers: the agent's UDP ports (6831 compact, 6832 binary; `Agent.emitBatch`
// one message per datagram, jaeger-compat §1.6) and the collector's Thrift-over-HTTP endpoint
// (POST /api/traces on 14268, §1.5). Decoded batches go to a SpanConsumer. HTTP clients get 202
// once the batch is stored, or a retryable 429/503; UDP has no answer, so refused spans are
// counted.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "base/metrics.h"
#include "net/http_server.h"
#include "pipeline/consumer.h"
#include "receivers/receiver.h"
#include "tenancy/tenancy.h"

namespace skua::receivers::jaeger_thrift {

struct JaegerThriftReceiverOptions {
  // Collector Thrift-over-HTTP address (--collector.http-server.host-port); "" disables.
  std::string http_host_port = ":14268";
  // Largest HTTP body accepted (after decompression); larger → 413. Default 4 MiB. Restart
  // required.
  size_t http_max_body_bytes = 4 << 20;
  // HTTP worker threads. Default 8.
  int http_threads = 8;
  // Serves every request on the HTTP port other than /api/traces (Jaeger's collector also answers
  // GET /api/sampling there, §1.5). Unset: 404.
  net::HttpHandler http_fallback;

  // Agent UDP addresses (--processor.jaeger-compact.server-host-port /
  // --processor.jaeger-binary.server-host-port); "" disables that listener. Either port accepts
  // either protocol: the first byte of each datagram tells them apart (clients.md §3).
  std::string compact_host_port = ":6831";
  std::string binary_host_port = ":6832";
  // Largest datagram accepted per listener (--processor.jaeger-*.server-max-packet-size). Default
  // 65,000 bytes, as Jaeger. Restart required.
  size_t compact_max_packet_bytes = 65'000;
  size_t binary_max_packet_bytes = 65'000;
  // SO_RCVBUF per listener (--processor.jaeger-*.server-socket-buffer-size); 0 = OS default.
  int compact_socket_buffer_bytes = 0;
  int binary_socket_buffer_bytes = 0;
  // Datagrams queued per listener before dropping (--processor.jaeger-*.server-queue-size).
  // Default 1,000, as Jaeger.
  size_t udp_queue_size = 1'000;
  // Decoding threads per listener (--processor.jaeger-*.workers). Default 2 (Jaeger: 10; decoding
  // is cheap and hand-off to the pipeline never blocks).
  int udp_workers = 2;

  // Multi-tenancy (--multi-tenancy.*; jaeger-compat §7.4). Jaeger guards neither endpoint; skua,
  // so that no port writes into the default tenant while tenancy is on:
  //   POST /api/traces needs the tenant header like every HTTP receiver (401 "missing tenant
  //   header" / "extra tenant header" / "unknown tenant", text/plain, before the body is decoded)
  //   and stores under that tenant; the fallback routes (e.g. GET /api/sampling) are not guarded.
  //   Agent UDP cannot carry a header: its listeners still open, but every datagram is refused
  //   undecoded and counted (skua_receiver_requests_rejected_total{transport="udp",
  //   reason="tenant"}), with one log line at start and one at each listener's first refusal.
  // Default: disabled. Restart required.
  tenancy::TenancyOptions tenancy;

  // InvalidArgument for a malformed address or a non-positive size/count.
  absl::Status Validate() const;
};

// Handles POST /api/traces (jaeger-compat §1.5); other paths go to `fallback`, or 404 without one.
// Exposed for tests; the receiver serves it on http_host_port.
net::HttpHandler NewJaegerThriftHttpHandler(pipeline::SpanConsumer& consumer, Metrics& metrics,
                                            net::HttpHandler fallback = nullptr,
                                            tenancy::TenancyOptions tenancy_options = {});

// Metrics, besides the pipeline's own counters:
//   skua_receiver_requests_rejected_total{receiver="jaeger_thrift",transport,reason}: requests or
//     datagrams not decoded (reason malformed | unsupported | tenant);
//   skua_receiver_spans_dropped_total{receiver="jaeger_thrift",transport="udp",reason}: decoded
//     UDP spans the pipeline refused (queue_full | unavailable);
//   skua_receiver_udp_packets_total / _dropped_total{listener=compact|binary}: see udp_server.h.
// The receiver NewJaegerThriftReceiver returns; named so that callers can ask for bound ports.
class JaegerThriftReceiver : public Receiver {
 public:
  JaegerThriftReceiver(JaegerThriftReceiverOptions options, pipeline::SpanConsumer& consumer,
                       Metrics& metrics);
  ~JaegerThriftReceiver() override;

  absl::Status Start() override;
  void Stop() override;
  std::string Describe() const override;

  // Bound ports after Start (useful with port 0); 0 for a disabled listener.
  int http_port() const;
  int compact_port() const;
  int binary_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<Receiver> NewJaegerThriftReceiver(JaegerThriftReceiverOptions options,
                                                  pipeline::SpanConsumer& consumer,
                                                  Metrics& metrics);

}  // namespace skua::receivers::jaeger_thrift
