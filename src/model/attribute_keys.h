// Attribute and tag keys that carry meaning in the OTLP ↔ Jaeger ↔ Zipkin mappings
// (jaeger-compat §1.9): one definition for every converter.
#pragma once

#include <string_view>

namespace skua::model::keys {

inline constexpr std::string_view kServiceNameKey = "service.name";
inline constexpr std::string_view kSpanKindKey = "span.kind";
inline constexpr std::string_view kStatusCodeKey = "otel.status_code";
inline constexpr std::string_view kStatusDescriptionKey = "otel.status_description";
inline constexpr std::string_view kErrorKey = "error";
inline constexpr std::string_view kTraceStateKey = "w3c.tracestate";
inline constexpr std::string_view kScopeNameKey = "otel.scope.name";
inline constexpr std::string_view kScopeVersionKey = "otel.scope.version";
inline constexpr std::string_view kLibraryNameKey = "otel.library.name";
inline constexpr std::string_view kLibraryVersionKey = "otel.library.version";
inline constexpr std::string_view kEventKey = "event";
inline constexpr std::string_view kRefTypeKey = "opentracing.ref_type";

}  // namespace skua::model::keys
