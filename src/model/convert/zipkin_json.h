// Zipkin JSON span lists → the span model (jaeger-compat §1.7): v1 (the body of POST
// /api/v1/spans: spans with annotations and binaryAnnotations) and v2 (POST /api/v2/spans: spans
// with kind, localEndpoint, remoteEndpoint and tags). Both are JSON arrays of spans; unknown fields
// are ignored and null stands for an absent field. See zipkin.h for how spans are translated.
// Also the v2 encoders: JSON (what `skua tracegen --protocol=zipkin-json` sends) and protobuf.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "model/span.h"
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

// Encodes spans as a Zipkin v2 JSON array (the body of POST /api/v2/spans), the inverse of the
// v2 translation in zipkin.h, after the OpenTelemetry Collector's Zipkin exporter:
// - traceId as 16 hex digits when its high half is zero, else 32; id; parentId when non-zero;
//   "debug": true when the Jaeger debug flag (2) is set in `flags`;
// - kind CLIENT/SERVER/PRODUCER/CONSUMER (omitted for internal and unspecified spans);
// - timestamp = start in µs, duration = end µs − start µs (each truncated, so both times survive
//   a round trip at µs precision; omitted when zero);
// - localEndpoint.serviceName = the resource's service.name;
// - tags, every value rendered by AppendValueString: the resource's other attributes, the scope
//   as otel.scope.name / otel.scope.version, the span's attributes (a span attribute wins over a
//   resource attribute of the same key), w3c.tracestate, status OK as otel.status_code = "OK",
//   status ERROR as `error` = the status message, or "true" when it has none;
// - events → annotations {timestamp µs, value}: the value is the event's name, or for an event
//   with attributes OpenTelemetry's "name|{json attributes}|dropped count" form (the decoder
//   unpacks both).
// Links, dropped counts and attribute types (other than in event attributes) are not carried:
// Zipkin v2 has no place for them. Strings are escaped by AppendJsonString, so the output is valid
// JSON whatever bytes the spans hold. Thread-safe (no shared state).
std::string EncodeZipkinV2Json(std::span<const Span> spans);

// Encodes spans as a Zipkin v2 protobuf ListOfSpans (zipkin.proto3; the body of POST
// /api/v2/spans with Content-Type application/x-protobuf), with the same choices as
// EncodeZipkinV2Json, field for field: trace_id as 8 bytes when its high half is zero, else 16;
// id and parent_id (when non-zero) as 8 big-endian bytes; kind; name; timestamp and duration in
// µs (omitted when zero); debug; local_endpoint.service_name; annotations; and the same tags as
// map entries. DecodeZipkinProto of the result equals DecodeZipkinV2Json of the JSON encoding,
// except that strings travel as they are (the JSON encoder replaces ill-formed UTF-8). Implemented
// in zipkin_proto.cc. Thread-safe (no shared state).
std::string EncodeZipkinProto(std::span<const Span> spans);

}  // namespace skua::model::convert
