// The OTLP trace receivers (jaeger-compat §1.2, §1.3): gRPC TraceService/Export on :4317 and HTTP
// POST /v1/traces (protobuf or JSON, gzip bodies) on :4318. Decoded batches go to a SpanConsumer;
// the client is answered once the batch is stored, or refused with a retryable status.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "net/http_server.h"
#include "pipeline/consumer.h"
#include "receivers/receiver.h"
#include "tenancy/tenancy.h"

namespace skua::receivers::otlp {

struct OtlpReceiverOptions {
  // Listen addresses (COLLECTOR_OTLP_GRPC_HOST_PORT / COLLECTOR_OTLP_HTTP_HOST_PORT); "" disables.
  std::string grpc_host_port = ":4317";
  std::string http_host_port = ":4318";
  // Largest request accepted, after decompression (gRPC message or HTTP body). Default 4 MiB, as
  // Jaeger's --collector.otlp.grpc.max-message-size. Restart required.
  size_t max_message_bytes = 4 << 20;
  // HTTP worker threads. Default 16.
  int http_threads = 16;
  // Multi-tenancy (--multi-tenancy.*; jaeger-compat §7.4). When enabled, every export must name
  // its tenant in the tenant header (gRPC metadata or HTTP header), checked before the body is
  // decoded: gRPC answers PERMISSION_DENIED and HTTP 401 (text/plain) with "missing tenant
  // header", "extra tenant header" or "unknown tenant". Accepted spans are stored under that
  // tenant. Default: disabled (every span goes to the default tenant). Restart required.
  tenancy::TenancyOptions tenancy;
};

// Handles POST /v1/traces. Exposed for tests; the receiver serves it on http_host_port.
net::HttpHandler NewOtlpHttpHandler(pipeline::SpanConsumer& consumer, Metrics& metrics,
                                    tenancy::TenancyOptions tenancy_options = {});

std::unique_ptr<Receiver> NewOtlpReceiver(OtlpReceiverOptions options,
                                          pipeline::SpanConsumer& consumer, Metrics& metrics);

}  // namespace skua::receivers::otlp
