// Receiver: one ingest endpoint group (OTLP, Jaeger, Zipkin, …) with its own listeners. The server
// starts every enabled receiver after storage and the pipeline, and stops them first on shutdown.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace skua::receivers {

// Thread-safe: Start and Stop may be called from any thread; Stop is idempotent.
class Receiver {
 public:
  virtual ~Receiver() = default;
  // Binds every listener. Unavailable if an address is taken; nothing is left listening on error.
  virtual absl::Status Start() = 0;
  // Stops accepting, waits (bounded) for in-flight requests to be answered.
  virtual void Stop() = 0;
  // Human-readable list of endpoints for the startup log, e.g. "OTLP gRPC :4317, OTLP HTTP :4318".
  virtual std::string Describe() const = 0;
};

}  // namespace skua::receivers
