#include "storage/span_match.h"

#include "model/convert/jaeger.h"

namespace skua::storage {
namespace {

bool EventsEqual(std::span<const model::Event> a, std::span<const model::Event> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].time_unix_nano != b[i].time_unix_nano || a[i].name != b[i].name ||
        a[i].dropped_attributes_count != b[i].dropped_attributes_count ||
        !model::AttributesEqual(a[i].attributes, b[i].attributes)) {
      return false;
    }
  }
  return true;
}

bool LinksEqual(std::span<const model::Link> a, std::span<const model::Link> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].trace_id != b[i].trace_id || a[i].span_id != b[i].span_id ||
        a[i].trace_state != b[i].trace_state || a[i].flags != b[i].flags ||
        a[i].dropped_attributes_count != b[i].dropped_attributes_count ||
        !model::AttributesEqual(a[i].attributes, b[i].attributes)) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool SpanContentEquals(const model::Span& a, const model::Span& b) {
  if (a.trace_id != b.trace_id || a.span_id != b.span_id || a.parent_span_id != b.parent_span_id ||
      a.trace_state != b.trace_state || a.flags != b.flags || a.name != b.name ||
      a.kind != b.kind || a.start_time_unix_nano != b.start_time_unix_nano ||
      a.end_time_unix_nano != b.end_time_unix_nano ||
      a.dropped_attributes_count != b.dropped_attributes_count ||
      a.dropped_events_count != b.dropped_events_count ||
      a.dropped_links_count != b.dropped_links_count || a.status.code != b.status.code ||
      a.status.message != b.status.message) {
    return false;
  }
  if (!model::AttributesEqual(a.attributes, b.attributes) || !EventsEqual(a.events, b.events) ||
      !LinksEqual(a.links, b.links)) {
    return false;
  }
  if ((a.resource == nullptr) != (b.resource == nullptr)) return false;
  if (a.resource != nullptr && !model::ResourceEquals(*a.resource, *b.resource)) return false;
  if ((a.scope == nullptr) != (b.scope == nullptr)) return false;
  if (a.scope != nullptr && !model::ScopeEquals(*a.scope, *b.scope)) return false;
  return true;
}

bool SpanMatches(const model::Span& span, const TraceQuery& query) {
  if (!query.service_name.empty() && span.service_name() != query.service_name) return false;
  if (!query.operation_name.empty() && span.name != query.operation_name) return false;
  if (span.start_time_unix_nano < query.start_time_min ||
      span.start_time_unix_nano > query.start_time_max) {
    return false;
  }
  const uint64_t duration = span.duration_nanos();
  if (query.duration_min != 0 && duration < query.duration_min) return false;
  if (query.duration_max != 0 && duration > query.duration_max) return false;
  for (const auto& [key, value] : query.tags) {
    // Span, resource, scope and event attributes and the derived tags (otel.scope.*, span.kind,
    // error, …); link attributes are not searched.
    if (!model::jaeger::SpanHasTag(span, key, value)) return false;
  }
  return true;
}

void AppendOperationKinds(std::string_view name, uint8_t kinds,
                          const std::optional<std::string>& span_kind, std::vector<Operation>& out) {
  for (unsigned k = 0; k <= static_cast<unsigned>(model::SpanKind::kConsumer); ++k) {
    if ((kinds & (1u << k)) == 0) continue;
    std::string_view kind = model::SpanKindName(static_cast<model::SpanKind>(k));
    if (span_kind.has_value() && *span_kind != kind) continue;
    out.push_back(Operation{std::string(name), std::string(kind)});
  }
}

}  // namespace skua::storage
