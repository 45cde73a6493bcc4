// Zipkin v2 protobuf (zipkin.proto3.ListOfSpans, the body of POST /api/v2/spans with Content-Type
// application/x-protobuf; jaeger-compat §1.7) → the span model. Hand-written wire decoder in the
// style of otlp_proto.cc: one pass, no generated code, every length checked against the input.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "model/span_set.h"

namespace skua::model::convert {

struct ZipkinProtoOptions {
  // Marks every span debug (the request's X-B3-Flags header was 1).
  bool debug = false;
};

// Decodes a ListOfSpans. Unknown fields are skipped. InvalidArgument, naming the span and the
// problem, for truncated or invalid wire data, a trace ID that is not 8 or 16 bytes, a span or
// parent ID that is not 8 bytes, or a missing or zero trace or span ID. An endpoint address of the
// wrong length is ignored. See zipkin.h for how spans are translated.
absl::StatusOr<SpanSet> DecodeZipkinProto(std::string_view bytes,
                                          const ZipkinProtoOptions& options = {});

}  // namespace skua::model::convert
