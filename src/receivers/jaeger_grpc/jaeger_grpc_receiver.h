// The Jaeger gRPC collector receiver (jaeger-compat §1.4): jaeger.api_v2.CollectorService/PostSpans
// on :14250, as Jaeger SDKs, jaeger-agent and OpenTelemetry's Jaeger exporter send it. Decoded
// batches go to a SpanConsumer; the client is answered once the batch is stored, or refused with a
// retryable status.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "pipeline/consumer.h"
#include "receivers/receiver.h"
#include "tenancy/tenancy.h"

namespace skua::receivers::jaeger_grpc {

struct JaegerGrpcReceiverOptions {
  // Listen address (--collector.grpc-server.host-port, COLLECTOR_GRPC_HOST_PORT); "" disables.
  // ":port" listens on all interfaces. Default ":14250". Restart required.
  std::string host_port = ":14250";
  // Largest request message accepted, after decompression; larger → RESOURCE_EXHAUSTED
  // (--collector.grpc-server.max-message-size). Default 4 MiB. Restart required.
  size_t max_message_bytes = 4 << 20;
  // Multi-tenancy (--multi-tenancy.*; jaeger-compat §1.4, §7.4). When enabled, PostSpans must
  // carry the tenant header in its metadata, checked before the request is decoded; otherwise
  // PERMISSION_DENIED "missing tenant header" / "extra tenant header" / "unknown tenant", as
  // Jaeger's collector answers. Accepted spans are stored under that tenant. Default: disabled.
  // Restart required.
  tenancy::TenancyOptions tenancy;
};

// PostSpans answers: OK with an empty PostSpansResponse once stored; PERMISSION_DENIED when
// tenancy refuses the call (counted with reason="tenant"); INVALID_ARGUMENT for a malformed request
// (counted in skua_receiver_requests_rejected_total{receiver="jaeger", transport="grpc",
// reason="malformed"}); RESOURCE_EXHAUSTED / UNAVAILABLE when the pipeline
// refuses (queue full / shutting down), which clients retry. gRPC health reports
// jaeger.api_v2.CollectorService SERVING.
std::unique_ptr<Receiver> NewJaegerGrpcReceiver(JaegerGrpcReceiverOptions options,
                                                pipeline::SpanConsumer& consumer, Metrics& metrics);

}  // namespace skua::receivers::jaeger_grpc
