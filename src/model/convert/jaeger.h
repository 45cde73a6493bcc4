// The Jaeger view of a trace (jaeger-compat §1.4 model, §1.9 mapping): what the Jaeger query API,
// its adjusters (§2.5) and the UI JSON (§2.4) work on. Built from OTLP-native model spans.
//
// Strings are views into the source SpanSet (which must outlive the JaegerTrace) or into the
// JaegerTrace's own arena (derived strings such as JSON-rendered array attributes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "base/arena.h"
#include "model/ids.h"
#include "model/span.h"
#include "model/span_set.h"

namespace skua::model::jaeger {

enum class TagType : uint8_t { kString, kBool, kInt64, kFloat64, kBinary };
// "string", "bool", "int64", "float64", "binary" (UI JSON `type`).
std::string_view TagTypeName(TagType t);

struct Tag {
  std::string_view key;
  TagType type = TagType::kString;
  std::string_view str;  // kString, kBinary (raw bytes)
  bool bool_value = false;
  int64_t int_value = 0;
  double float_value = 0;

  static Tag String(std::string_view k, std::string_view v) { Tag t; t.key = k; t.str = v; return t; }
  static Tag Bool(std::string_view k, bool v) { Tag t; t.key = k; t.type = TagType::kBool; t.bool_value = v; return t; }
  static Tag Int(std::string_view k, int64_t v) { Tag t; t.key = k; t.type = TagType::kInt64; t.int_value = v; return t; }
  static Tag Float(std::string_view k, double v) { Tag t; t.key = k; t.type = TagType::kFloat64; t.float_value = v; return t; }
  static Tag Binary(std::string_view k, std::string_view v) { Tag t; t.key = k; t.type = TagType::kBinary; t.str = v; return t; }
};

// Jaeger's AsString(): bool "true"/"false", int decimal, float %.10g, binary lower-case hex.
std::string TagValueString(const Tag& tag);

struct Log {
  uint64_t timestamp_us = 0;
  std::vector<Tag> fields;
};

enum class RefType : uint8_t { kChildOf, kFollowsFrom };

struct Reference {
  RefType type = RefType::kChildOf;
  TraceId trace_id;
  SpanId span_id;
};

struct Process {
  std::string_view service_name;
  std::vector<Tag> tags;
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  std::string_view operation_name;
  std::vector<Reference> references;
  uint32_t flags = 0;
  uint64_t start_time_us = 0;
  uint64_t duration_us = 0;
  std::vector<Tag> tags;
  std::vector<Log> logs;
  size_t process_index = 0;  // into JaegerTrace::processes
  std::vector<std::string> warnings;

  // Value of the `span.kind` tag, or "" (Jaeger decides kinds from this tag).
  std::string_view Kind() const;
  // Jaeger's ParentSpanID(): first CHILD_OF ref in the same trace, else first FOLLOWS_FROM ref in
  // the same trace, else zero.
  SpanId ParentSpanId() const;
};

struct JaegerTrace {
  std::vector<Span> spans;
  // Distinct processes (equal service name and tags share one entry), in order of first use.
  std::vector<Process> processes;
  std::vector<std::string> warnings;
  Arena arena{1024};  // owns derived strings
};

// Tag equality: key, type and value (floats compare by bit pattern, so a NaN equals itself).
bool TagEquals(const Tag& a, const Tag& b);
// Process equality as Jaeger's process table uses it (§2.4): same service name and element-wise
// equal tag lists (order matters).
bool ProcessEquals(const Process& a, const Process& b);
// A hash consistent with ProcessEquals.
size_t ProcessHash(const Process& p);

// Jaeger's SpanIDDeduper (§2.5 step 1): each span.kind=server span whose ID is also used by a
// span.kind=client span gets the smallest unused ID above the last one handed out (starting at 1),
// becomes CHILD_OF the shared ID, and the server span's children are re-pointed to its new ID. On
// exhaustion the span keeps its ID and gets the warning "cannot assign unique span ID, too many spans
// in the trace". query::DedupeSpanIds forwards here; ForEachDependencyEdge shares it.
void DedupeSharedSpanIds(JaegerTrace& trace);

// Converts per §1.9: service.name → process service (missing → "OTLPResourceNoServiceName"), other
// resource attributes → process tags; scope → otel.scope.name/version tags; attributes → tags
// (maps/arrays as JSON strings, bytes as binary); kind → span.kind; status → otel.status_code,
// otel.status_description, error=true; trace_state → w3c.tracestate; parent → first CHILD_OF
// reference; links → references (opentracing.ref_type attribute, default FOLLOWS_FROM); events →
// logs with an `event` field; times → µs. `spans` must outlive the result.
JaegerTrace ToJaegerTrace(const SpanSet& spans);
// Same for an arbitrary list of spans (e.g. one trace out of a larger set).
JaegerTrace ToJaegerTrace(std::span<const model::Span> spans);

// Jaeger's AsString() of an attribute value, appended to `out` (jaeger-compat §3.2): what tag
// search compares against. Strings as is, bool "true"/"false", int decimal, double as Go's
// FormatFloat(v, 'g', 10) ("NaN", "+Inf", "-Inf" for the non-finite), bytes lower-case hex, arrays
// and maps as JSON, an empty value as "". Equal to TagValueString of the tag ToJaegerTrace makes.
void AppendTagValueString(const AnyValue& value, std::string& out);

// Enumerates every searchable tag of one span, the one definition of what tag search looks at
// (jaeger-compat §3.2): span attributes and derived tags (otel.scope.name/version, span.kind,
// otel.status_code, error, otel.status_description, w3c.tracestate), resource (process) attributes
// except service.name (which is no tag), scope attributes, and event (log) attributes plus the
// `event` field carrying the event name. Link attributes are not searched. `fn(key, value)` sees
// each (key, value) once per place it occurs (duplicates possible) and returns false to stop;
// ForEachSearchableTag returns false iff `fn` stopped it. A tag `key=want` matches when some
// enumerated pair has that key and AppendTagValueString(value) == want. Derived tags are passed as
// values of the type their rendering implies (error as bool true). Allocation-free.
bool ForEachSearchableTag(const model::Span& span,
                          absl::FunctionRef<bool(std::string_view key, const AnyValue& value)> fn);

// True if one of the span's searchable tags (ForEachSearchableTag) has key `key` and AsString value
// `value`. Allocation-free except for array/map values, which are rendered as JSON to compare.
bool SpanHasTag(const model::Span& span, std::string_view key, std::string_view value);

// Service dependency edges of one trace (jaeger-compat §3.3, §5.2): after span-ID de-duplication,
// each span whose parent is in the trace and belongs to a different service yields parent→child.
// `emit` is called once per edge occurrence.
void ForEachDependencyEdge(const JaegerTrace& trace,
                           const std::function<void(std::string_view parent,
                                                    std::string_view child)>& emit);

// The references ToJaegerTrace gives `span`, appended to `out`: the parent first as CHILD_OF, then
// the links (type from their opentracing.ref_type attribute, default FOLLOWS_FROM; a link to the
// parent only sets the parent reference's type).
void AppendReferences(const model::Span& span, std::vector<Reference>& out);

// What dependency edges depend on in one span, so a store can keep it apart from the span and
// compute edges later without whole spans (ForEachDependencyEdge below gives exactly the edges the
// JaegerTrace overload gives for ToJaegerTrace of the same spans in the same order).
struct EdgeSpan {
  SpanId span_id;
  // The Jaeger process service ("OTLPResourceNoServiceName" when the resource has none).
  std::string service;
  // What JaegerSpan::Kind() gives for the converted span (a `span.kind` attribute wins).
  std::string kind;
  // AppendReferences, keeping only those in the span's own trace (the only ones that can name a
  // parent: ParentSpanId and the span-ID de-duplication ignore the others). trace_id left zero.
  std::vector<Reference> references;
};
EdgeSpan ToEdgeSpan(const model::Span& span);

// ForEachDependencyEdge for one trace given as its EdgeSpans (in the order their spans would have
// in the trace). One definition: this builds the JaegerTrace skeleton the other overload uses.
void ForEachDependencyEdge(std::span<const EdgeSpan> spans,
                           const std::function<void(std::string_view parent,
                                                    std::string_view child)>& emit);

}  // namespace skua::model::jaeger
