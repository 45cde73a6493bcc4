// Jaeger-model spans (from Jaeger Thrift, Jaeger protobuf api_v2 and Zipkin, which all decode into
// Jaeger's shape first) → the OTLP-native model: the inverse of jaeger-compat §1.9, so that a span
// sent with a Jaeger SDK reads back through the Jaeger query API as it was sent.
//
// Decoders fill a reusable jaeger::Span / jaeger::Process (whose vectors keep their capacity across
// spans, so steady-state decoding does not allocate) with string views into their input, then call
// these functions, which copy everything they keep into the SpanSet's arena.
#pragma once

#include "model/convert/jaeger.h"
#include "model/span.h"
#include "model/span_set.h"

namespace skua::model::convert {

// The resource for a Jaeger process: attribute service.name = process.service_name, followed by
// the process tags as attributes. Copied into `out`'s arena.
const Resource* ResourceFromJaegerProcess(const jaeger::Process& process, SpanSet& out);

// Appends the model span for `span`, produced by `resource`:
// - tags become attributes, except: `span.kind` → kind; `otel.status_code` ("OK"/"ERROR") and
//   `otel.status_description` → status; `error` (bool true or string "true") → status ERROR when no
//   otel.status_code says otherwise (the `error` tag is then not kept: §1.9 re-derives it on the
//   way out; next to otel.status_code=OK it stays an attribute);
//   `w3c.tracestate` → trace_state; `otel.scope.name`/`otel.scope.version` (and the older
//   `otel.library.name`/`version`) → the scope;
// - the parent (first CHILD_OF reference in the same trace, else first FOLLOWS_FROM in the same
//   trace) → parent_span_id; every other reference → a link with attribute
//   `opentracing.ref_type` = "child_of" / "follows_from" (a FOLLOWS_FROM parent is also kept as a
//   follows_from link, so its type survives the round trip);
// - a special tag is folded into a field only when ToJaegerTrace derives it back unchanged (first
//   occurrence, recognised value, non-empty); anything else stays an attribute;
// - logs → events: a string field `event` becomes the event name, the other fields its attributes;
// - µs times → ns; flags copied; warnings dropped.
void AppendFromJaegerSpan(const jaeger::Span& span, const Resource* resource, SpanSet& out);

}  // namespace skua::model::convert
