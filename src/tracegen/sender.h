// How `skua tracegen` delivers spans: the ingest protocols it speaks, the payload each protocol
// carries (what --write-corpus stores and --replay sends), and the Sender interface one worker
// thread uses to deliver payloads. A new protocol adds a row to Protocols(), a case to
// EncodePayloads and a Sender implementation.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/span.h"

namespace skua::tracegen {

enum class Protocol {
  kOtlpGrpc,            // OTLP TraceService/Export over gRPC (:4317)
  kOtlpHttpProto,       // OTLP POST /v1/traces, application/x-protobuf (:4318)
  kOtlpHttpJson,        // OTLP POST /v1/traces, application/json (:4318)
  kJaegerGrpc,          // Jaeger api_v2 CollectorService/PostSpans (:14250)
  kJaegerThriftHttp,    // Jaeger POST /api/traces, Thrift binary (:14268)
  kJaegerAgentCompact,  // agent UDP, Thrift compact emitBatch (:6831)
  kJaegerAgentBinary,   // agent UDP, Thrift binary emitBatch (:6832)
  kZipkinJson,          // Zipkin POST /api/v2/spans, JSON v2 (:9411)
};

struct ProtocolInfo {
  Protocol protocol;
  std::string_view name;            // the --protocol value
  std::string_view payload_format;  // what a payload holds; equal formats replay over either
  std::string_view file_extension;  // of corpus files
  std::string_view default_endpoint;
  bool supported;  // false: its encoder or sender is not built yet
  std::string_view description;
};

// Every protocol, supported or not, in --help order.
std::span<const ProtocolInfo> Protocols();
const ProtocolInfo& Info(Protocol protocol);
// InvalidArgument naming the valid choices for an unknown name; Unimplemented for a protocol
// that exists but is not supported yet.
absl::StatusOr<Protocol> ParseProtocol(std::string_view name);

// One unit a sender delivers: a request body, gRPC message or datagram, and the spans it holds.
struct Payload {
  std::string bytes;
  uint32_t spans = 0;
};

// Encodes spans into the protocol's payloads: one for all of them for OTLP and Zipkin (whose
// requests carry several services), one per run of spans sharing a resource for Jaeger's batch
// protocols (so one for a W1Generator request); the agent's datagram protocols cut runs further so
// each datagram stays within kMaxAgentDatagramBytes.
absl::StatusOr<std::vector<Payload>> EncodePayloads(Protocol protocol,
                                                    std::span<const model::Span> spans);

// The server's answer to one payload.
struct SendResult {
  // OK: the payload was accepted. ResourceExhausted / Unavailable: refused for now (HTTP 429,
  // 502, 503, 504; gRPC RESOURCE_EXHAUSTED, UNAVAILABLE); worth retrying. Anything else: failed.
  absl::Status status;
  // Spans the server accepted the request but reported rejecting (OTLP partial success).
  int64_t rejected_spans = 0;
  // The server's Retry-After hint, milliseconds; -1 when none.
  int64_t retry_after_ms = -1;
};

// Whether a payload refused with `status` may be sent again.
bool IsRetryable(const absl::Status& status);

struct SenderOptions {
  // Where to send: "host:port" for gRPC; a URL (path optional, defaulting to the protocol's) for
  // HTTP; "host:port" for UDP. Empty: the protocol's default endpoint.
  std::string endpoint;
  // Compress payloads with gzip (gRPC message compression or Content-Encoding: gzip).
  bool gzip = false;
  // Deadline of one attempt, milliseconds. Default 30 s.
  int timeout_ms = 30'000;
  // Extra request headers (HTTP) or metadata (gRPC; keys lower-cased), e.g. the tenant header of
  // a multi-tenant skua or Jaeger (jaeger-compat §7.4). Ignored over UDP.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Delivers payloads to one endpoint. Not thread-safe: each worker thread owns one Sender (and its
// connection). Send blocks until the server answers or the attempt fails.
class Sender {
 public:
  virtual ~Sender() = default;
  virtual SendResult Send(const Payload& payload) = 0;
};

// InvalidArgument for a malformed endpoint; Unimplemented for an unsupported protocol.
absl::StatusOr<std::unique_ptr<Sender>> NewSender(Protocol protocol, const SenderOptions& options);

// Implementations, one per transport (sender_grpc.cc, sender_http.cc, sender_udp.cc).
absl::StatusOr<std::unique_ptr<Sender>> NewGrpcSender(Protocol protocol,
                                                      const SenderOptions& options);
absl::StatusOr<std::unique_ptr<Sender>> NewHttpSender(Protocol protocol,
                                                      const SenderOptions& options);
// A datagram the kernel accepts counts as delivered (UDP has no answer).
absl::StatusOr<std::unique_ptr<Sender>> NewUdpSender(Protocol protocol,
                                                     const SenderOptions& options);

// Largest agent datagram, as the Jaeger agent's default --processor.*.server-max-packet-size.
inline constexpr size_t kMaxAgentDatagramBytes = 65'000;

// Parses an OTLP ExportTraceServiceResponse (protobuf) for partial_success.rejected_spans; 0 when
// absent or unreadable (the export itself succeeded either way).
int64_t RejectedSpansFromOtlpProto(std::string_view response);
// The same for the OTLP/JSON form ({"partialSuccess":{"rejectedSpans":"3",…}}).
int64_t RejectedSpansFromOtlpJson(std::string_view response);

}  // namespace skua::tracegen
