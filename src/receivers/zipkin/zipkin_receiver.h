// The Zipkin receiver (jaeger-compat §1.7): POST /api/v1/spans (v1 JSON, or v1 Thrift with
// Content-Type application/x-thrift) and POST /api/v2/spans (v2 JSON, or v2 protobuf with
// application/x-protobuf) on :9411, gzip/deflate bodies accepted. Unlike Jaeger, where Zipkin is
// opt-in, skua listens on :9411 by default. Batches go to a SpanConsumer; the client is answered
// 202 once the batch is stored, or refused with a retryable status.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/metrics.h"
#include "net/http_server.h"
#include "pipeline/consumer.h"
#include "receivers/receiver.h"
#include "tenancy/tenancy.h"

namespace skua::receivers::zipkin {

struct ZipkinReceiverOptions {
  // Listen address (--collector.zipkin.host-port, env COLLECTOR_ZIPKIN_HOST_PORT); "" disables
  // the receiver. Default ":9411". Restart required.
  std::string host_port = ":9411";
  // Largest request body accepted, after decompression; larger → 413. Default 4 MiB. Restart
  // required.
  size_t max_body_bytes = 4 << 20;
  // HTTP worker threads. Default 16. Restart required.
  int http_threads = 16;
  // Multi-tenancy (--multi-tenancy.*; jaeger-compat §7.4). Jaeger leaves its Zipkin receiver
  // unguarded, which with tenancy on would write into the default tenant; skua guards it like
  // every other HTTP receiver: the tenant header is required (401 "missing tenant header" / "extra
  // tenant header" / "unknown tenant", text/plain, before the body is decoded) and spans are
  // stored under that tenant. Default: disabled. Restart required.
  tenancy::TenancyOptions tenancy;
};

// Handles the two span endpoints; exposed for tests (the receiver serves it on host_port).
//   202, empty body: stored.
//   401 text/plain: refused by multi-tenancy (see ZipkinReceiverOptions::tenancy).
//   400 text/plain: the body does not decode (the message says why) or the store refused it as
//       invalid.
//   404 other paths; 405 methods other than POST.
//   429 / 503 text/plain with Retry-After: the pipeline is full or unavailable; retry later.
//   500 text/plain: any other failure.
// The media type of Content-Type picks the decoder: application/x-thrift on the v1 path and
// application/x-protobuf on the v2 path; anything else (application/json, none, …) is JSON, as in
// the OpenTelemetry Zipkin receiver Jaeger embeds. X-B3-Flags: 1 marks protobuf spans debug.
net::HttpHandler NewZipkinHttpHandler(pipeline::SpanConsumer& consumer, Metrics& metrics,
                                      tenancy::TenancyOptions tenancy_options = {});

// A receiver serving NewZipkinHttpHandler on options.host_port (which must not be empty).
std::unique_ptr<Receiver> NewZipkinReceiver(ZipkinReceiverOptions options,
                                            pipeline::SpanConsumer& consumer, Metrics& metrics);

}  // namespace skua::receivers::zipkin
