// Zipkin JSON span lists → the span model (jaeger-compat §1.7): v1 (the body of POST
// /api/v1/spans: spans with annotations and binaryAnnotations) and v2 (POST /api/v2/spans: spans
// with kind, localEndpoint, remoteEndpoint and tags). Both are JSON arrays of spans; unknown fields
// are ignored and null stands for an absent field. See zipkin.h for how spans are translated.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "model/span_set.h"

namespace skua::model::convert {

// Decodes a Zipkin v2 JSON array. IDs are hex (trace IDs of up to 32 digits, span IDs of up to 16);
// times are integer microseconds; tag values should be strings (numbers and booleans are kept with
// their type). InvalidArgument, with a message naming the span and field, for malformed JSON, a
// body that is not an array, values of the wrong type, or a missing or zero trace or span ID.
absl::StatusOr<SpanSet> DecodeZipkinV2Json(std::string_view json);

// Decodes a Zipkin v1 JSON array. Binary annotation values follow their `type` (BOOL, BYTES as
// base64, I16/I32/I64, DOUBLE, STRING; numbers may also be given as strings); without a type the
// JSON value's own type is kept. Errors as for v2, plus an unknown binary annotation type.
absl::StatusOr<SpanSet> DecodeZipkinV1Json(std::string_view json);

}  // namespace skua::model::convert
