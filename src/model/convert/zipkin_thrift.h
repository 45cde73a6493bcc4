// Zipkin v1 Thrift spans (zipkincore.thrift `Span`; jaeger-compat §1.6, §1.7) → the span model:
// the body of POST /api/v1/spans with Content-Type application/x-thrift (a TBinaryProtocol
// `list<Span>`) and the argument of the agent's emitZipkinBatch (the same list, in either
// protocol). Every span passes Jaeger's Zipkin sanitizers (SanitizeZipkinThriftSpan) before
// translation.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/convert/thrift/reader.h"
#include "model/span_set.h"

namespace skua::model::convert {

// Reads one `list<zipkincore.Span>` value at the reader's position and appends the spans to
// `out`. Unknown fields, and known fields of an unexpected type, are skipped as Thrift does.
// InvalidArgument, naming the span and the problem, for malformed input or a zero trace or span
// ID; `out` may then hold some of the spans. Usable by the agent's emitZipkinBatch handler with a
// compact or binary reader positioned at the argument's list.
absl::Status AppendZipkinThriftSpans(thrift::Reader& reader, SpanSet& out);

// Decodes a whole TBinaryProtocol `list<Span>` (the HTTP body). Bytes after the list are ignored.
absl::StatusOr<SpanSet> DecodeZipkinThrift(std::string_view bytes);

}  // namespace skua::model::convert
