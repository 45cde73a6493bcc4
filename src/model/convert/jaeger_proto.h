// Jaeger api_v2 protobuf (jaeger-compat §1.4) <-> the span model: a hand-written decoder of the
// collector's PostSpansRequest{Batch{spans, process}} (what :14250 receives) and an encoder of the
// same message for tests and load generation. Field numbers follow proto/jaeger/api_v2/*.proto.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/convert/jaeger.h"
#include "model/span.h"
#include "model/span_set.h"

namespace skua::model::convert {

// Decodes a protobuf jaeger.api_v2.PostSpansRequest into model spans (via from_jaeger.h). A span
// without a process of its own inherits the batch's process (§1.4); a span with neither gets a
// resource without service.name (the sanitizer names it, §1.8). Timestamp/Duration messages become
// µs as in Jaeger's model (sub-µs digits are dropped). Unknown fields are skipped.
// InvalidArgument (naming the problem and its byte offset) for malformed input: truncated or
// invalid wire data, a span trace_id that is not 16 bytes or span_id that is not 8 bytes, an
// all-zero span trace or span ID, reference IDs that are neither empty nor 16/8 bytes.
// Allocation-light: strings are copied once into the result's arena; scratch lists are reused.
absl::StatusOr<SpanSet> DecodeJaegerPostSpansRequest(std::string_view bytes);

// Encodes a PostSpansRequest holding `trace`'s spans. When the trace has exactly one process it is
// written once as batch.process and the spans carry none (what Jaeger clients send); otherwise each
// span carries its own process.
std::string EncodeJaegerProtoBatch(const jaeger::JaegerTrace& trace);
// Same for model spans, converted to the Jaeger model first (§1.9).
std::string EncodeJaegerProtoBatch(std::span<const Span> spans);

}  // namespace skua::model::convert
