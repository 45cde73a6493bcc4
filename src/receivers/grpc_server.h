// A gRPC server for unary methods whose request and response bodies skua encodes and decodes itself
// (hand-written decoders instead of generated message classes). Built on gRPC's callback generic
// service: gRPC handles HTTP/2, compressed messages (grpc-encoding: gzip) and size limits; handlers
// get the raw request bytes and answer asynchronously.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tenancy/tenancy.h"

namespace grpc {
class Server;
class CallbackGenericService;
}  // namespace grpc

namespace skua::receivers {

// Answers a call: OK with the serialized response, or an error status (gRPC code = absl code).
using GrpcRespond = std::function<void(absl::Status status, std::string response)>;
// Handles one call. May call `respond` inline or later from any thread, exactly once.
using GrpcUnaryHandler = std::function<void(std::string request, GrpcRespond respond)>;

// The metadata (request headers) a client sent with one call.
class GrpcCallMetadata {
 public:
  virtual ~GrpcCallMetadata() = default;
  // Every value of `key` (lower-case, as metadata keys are on the wire), in the order received.
  // The views are valid while the handler that was given this object runs.
  virtual std::vector<std::string_view> Values(std::string_view key) const = 0;
};
// The tenant of a call by the multi-tenancy rule (tenancy::ResolveTenant) applied to the values of
// the tenant header in its metadata: PERMISSION_DENIED "missing tenant header" / "extra tenant
// header" / "unknown tenant" (Jaeger's collector answers), storage::kDefaultTenant when disabled.
absl::StatusOr<std::string> TenantFromMetadata(const tenancy::TenancyOptions& options,
                                               const GrpcCallMetadata& metadata);

// A GrpcUnaryHandler that also reads the call's metadata; `metadata` is valid only until the
// handler returns (copy what `respond` needs later).
using GrpcUnaryMetadataHandler = std::function<void(const GrpcCallMetadata& metadata,
                                                    std::string request, GrpcRespond respond)>;

struct GrpcServerOptions {
  // "host:port"; ":port" listens on all interfaces; port 0 picks a free port.
  std::string host_port;
  // Largest accepted request message (after decompression); larger → RESOURCE_EXHAUSTED. 4 MiB.
  int max_receive_message_bytes = 4 << 20;
  // Services reported SERVING by the standard grpc.health.v1.Health service.
  std::vector<std::string> health_services;
};

// Thread-safe after Start.
class GrpcUnaryServer {
 public:
  explicit GrpcUnaryServer(GrpcServerOptions options);
  ~GrpcUnaryServer();

  // Registers a handler for a full method name, e.g.
  // "/opentelemetry.proto.collector.trace.v1.TraceService/Export". Before Start only.
  void Register(std::string full_method, GrpcUnaryHandler handler);
  // The same for a handler that reads the call's metadata (e.g. the tenant header).
  void RegisterWithMetadata(std::string full_method, GrpcUnaryMetadataHandler handler);

  absl::Status Start();
  int port() const { return port_; }
  // Stops accepting calls and waits up to `grace_seconds` for in-flight calls. Idempotent.
  void Stop(int grace_seconds = 5);

 private:
  class Service;
  GrpcServerOptions options_;
  std::map<std::string, GrpcUnaryMetadataHandler, std::less<>> handlers_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace skua::receivers
