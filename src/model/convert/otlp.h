// OTLP trace wire formats <-> the span model: protobuf (ExportTraceServiceRequest / TracesData,
// which share field numbers) and OTLP/JSON (jaeger-compat §1.3). The decoders are hand-written and
// allocation-light: every string and list lands in the returned SpanSet's arena.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/span.h"
#include "model/span_set.h"

namespace skua::model::convert {

struct OtlpDecodeOptions {
  // Deepest nesting of array/map attribute values accepted. Deeper → InvalidArgument.
  uint32_t max_value_depth = 32;
};

// Decodes a protobuf ExportTraceServiceRequest (equivalently TracesData). Unknown fields are
// skipped. InvalidArgument (with a message naming the problem) for malformed input: truncated or
// invalid wire data, a trace ID that is not 16 bytes or a span ID that is not 8 bytes, an all-zero
// trace or span ID, nesting deeper than max_value_depth.
absl::StatusOr<SpanSet> DecodeOtlpProto(std::string_view bytes, const OtlpDecodeOptions& options = {});

// Decodes OTLP/JSON ({"resourceSpans":[…]}). IDs are hex; 64-bit integers and *UnixNano times may be
// strings or numbers; enums are integers (names accepted too); unknown fields are ignored.
// InvalidArgument for malformed JSON or values of the wrong type, with the same ID rules as above.
absl::StatusOr<SpanSet> DecodeOtlpJson(std::string_view json, const OtlpDecodeOptions& options = {});

// Encodes spans as a protobuf ExportTraceServiceRequest, grouping consecutive spans that share a
// resource and scope (by pointer or equal content) into one ResourceSpans / ScopeSpans.
std::string EncodeOtlpProto(std::span<const Span> spans);
// Same as OTLP/JSON (hex IDs, 64-bit integers and times as strings, enums as integers).
std::string EncodeOtlpJson(std::span<const Span> spans);

// google.rpc.Status {code, message} for OTLP HTTP error bodies, in protobuf and JSON form.
std::string EncodeRpcStatusProto(int code, std::string_view message);
std::string EncodeRpcStatusJson(int code, std::string_view message);

}  // namespace skua::model::convert
