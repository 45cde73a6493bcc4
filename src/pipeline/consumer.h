// SpanConsumer: where receivers hand decoded batches. The pipeline implementation queues, batches
// and writes them to storage; the contract below is what receivers rely on to answer clients.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "absl/status/status.h"
#include "model/span_set.h"

namespace skua::pipeline {

// How a batch arrived; used for metrics labels (jaeger_collector-style `transport` and `format`).
enum class Transport : uint8_t { kGrpc, kHttp, kUdp, kUnknown };
enum class Format : uint8_t { kOtlp, kJaeger, kZipkin, kProto, kUnknown };
std::string_view TransportName(Transport t);  // "grpc", "http", "udp", "unknown"
std::string_view FormatName(Format f);        // "otlp", "jaeger", "zipkin", "proto", "unknown"

struct IngestContext {
  std::string_view tenant;  // storage::kDefaultTenant while tenancy is off
  Transport transport = Transport::kUnknown;
  Format format = Format::kUnknown;
};

// Called exactly once with the outcome of a Consume call, possibly on another thread.
using ConsumeDone = std::function<void(absl::Status)>;

// Thread-safe.
class SpanConsumer {
 public:
  virtual ~SpanConsumer() = default;

  // Takes ownership of `batch`. `done` is called once the batch is stored (OK) or has definitely
  // not been stored (error). An OK means the spans are acknowledged: they are never lost after that
  // (as far as the storage backend is durable). Errors:
  //   ResourceExhausted: the queue is full; nothing was stored; the client should retry later.
  //   Unavailable: shutting down or storage unavailable; nothing was stored; retryable.
  // `done` may run inline, before Consume returns.
  virtual void Consume(const IngestContext& context, model::SpanSet batch, ConsumeDone done) = 0;

  // Convenience: Consume and block until `done`.
  absl::Status ConsumeAndWait(const IngestContext& context, model::SpanSet batch);
};

}  // namespace skua::pipeline
