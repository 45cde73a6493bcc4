// Jaeger Thrift (IDL thrift/jaeger.thrift, thrift/agent.thrift; jaeger-compat §1.5, §1.6) <-> the
// span model. Decoding reads a `Batch` struct (HTTP POST /api/traces body) or an agent UDP message
// (`Agent.emitBatch` / `emitZipkinBatch`, type ONEWAY or CALL) with the bounded Thrift reader and
// converts each span through from_jaeger.h; encoding is for tests and the load generator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "model/convert/jaeger.h"
#include "model/convert/thrift/protocol.h"
#include "model/span.h"
#include "model/span_set.h"

namespace skua::model::convert {

struct JaegerThriftDecodeOptions {
  // Deepest nesting accepted (a Batch inside an emitBatch message nests 8 levels down to a log
  // field). Deeper → InvalidArgument. Default 32.
  uint32_t max_depth = 32;
  // Well-formed input in the usual layout is decoded by a fast path compiled per protocol; the
  // general decoder takes everything else and produces every error. Both give identical results,
  // so this only changes speed: false sends all input through the general decoder (for the tests
  // and fuzz targets that check that the two agree). Default true.
  bool fast_path = true;
};

// Decodes one jaeger.thrift `Batch` struct in `protocol` (the HTTP collector endpoint uses
// kBinary). Follows Jaeger's Thrift → model conversion (J1 to_domain.go): times are µs, a non-zero
// parentSpanId becomes a CHILD_OF reference (first) unless a reference to it already exists, tags
// of every TagType, logs, references, flags. Unknown fields of any type are skipped; a known field
// with an unexpected type is skipped too (as Thrift's generated readers do), so a required field
// then counts as missing. InvalidArgument for malformed or truncated input, a missing required
// field, an all-zero trace or span ID, nesting deeper than options.max_depth, or trailing bytes.
absl::StatusOr<SpanSet> DecodeJaegerThriftBatch(std::string_view bytes, thrift::Protocol protocol,
                                                const JaegerThriftDecodeOptions& options = {});

// One decoded agent datagram.
struct AgentMessage {
  enum class Method : uint8_t { kEmitBatch, kEmitZipkinBatch };
  Method method = Method::kEmitBatch;
  // The protocol the datagram was written in (detected from its first byte).
  thrift::Protocol protocol = thrift::Protocol::kCompact;
  thrift::MessageType type = thrift::MessageType::kOneway;
  int32_t seqid = 0;
  // kEmitBatch: the batch's spans.
  SpanSet spans;
  // kEmitZipkinBatch: the encoded `list<zipkincore.Span>` argument (a view into the datagram), in
  // `protocol`, for the Zipkin Thrift decoder. Empty if the argument was absent.
  std::string_view zipkin_spans;
};

// Decodes one agent message: a Thrift message header named "emitBatch" or "emitZipkinBatch" of
// type ONEWAY (as Jaeger's clients send it) or CALL (jaeger-client-go), then the argument struct.
// The protocol is detected from the first byte (0x82 compact, 0x80 strict binary) because the Node
// jaeger-client sends binary to the compact port; anything else is read as `default_protocol`.
// InvalidArgument for malformed input, any other method name or message type, or trailing bytes.
absl::StatusOr<AgentMessage> DecodeAgentMessage(std::string_view datagram,
                                                thrift::Protocol default_protocol,
                                                const JaegerThriftDecodeOptions& options = {});

// Encodes a `Batch` of `spans` produced by `process` (parentSpanId = span.ParentSpanId(); every
// reference is written too, as Jaeger's from_domain does; warnings and process_index are ignored).
std::string EncodeJaegerThriftBatch(const jaeger::Process& process,
                                    std::span<const jaeger::Span> spans, thrift::Protocol protocol);

// The same batch wrapped as an agent `emitBatch` message (what a client puts in one datagram).
std::string EncodeAgentEmitBatch(const jaeger::Process& process,
                                 std::span<const jaeger::Span> spans, thrift::Protocol protocol,
                                 thrift::MessageType type = thrift::MessageType::kOneway,
                                 int32_t seqid = 0);

// Model spans → one encoded `Batch` per distinct process (resource), in order of first use,
// converted to the Jaeger view by jaeger::ToJaegerTrace (jaeger-compat §1.9).
std::vector<std::string> EncodeJaegerThriftBatches(std::span<const Span> spans,
                                                   thrift::Protocol protocol);

// Model spans → agent `emitBatch` datagrams of at most `max_datagram_bytes` each (one process per
// datagram, spans kept in order), as a client's UDP sender splits them. A span too large to fit
// any datagram on its own still gets a datagram of its own, which a receiver will reject.
std::vector<std::string> EncodeAgentEmitBatches(std::span<const Span> spans,
                                                thrift::Protocol protocol,
                                                size_t max_datagram_bytes = 65000);

}  // namespace skua::model::convert
