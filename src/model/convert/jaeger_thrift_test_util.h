// Test-only: a deep comparison of two decoded span sets, for the tests and fuzz targets that check
// that the Jaeger Thrift fast path and the general decoder agree (JaegerThriftDecodeOptions::
// fast_path). Header-only, so that every target that links the codec can use it.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/span.h"

namespace skua::model::convert::testing {

bool SameAttributes(Attributes a, Attributes b);

// Value equality with doubles compared bit for bit, so that a NaN equals the same NaN (model's
// ValueEquals uses ==).
inline bool SameValue(const AnyValue& a, const AnyValue& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case ValueType::kDouble:
      return std::bit_cast<uint64_t>(a.double_value()) ==
             std::bit_cast<uint64_t>(b.double_value());
    case ValueType::kArray: {
      auto x = a.array_value(), y = b.array_value();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!SameValue(x[i], y[i])) return false;
      }
      return true;
    }
    case ValueType::kKvList:
      return SameAttributes(a.kvlist_value(), b.kvlist_value());
    default:
      return ValueEquals(a, b);
  }
}

inline bool SameAttributes(Attributes a, Attributes b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key || !SameValue(a[i].value, b[i].value)) return false;
  }
  return true;
}

// True when `a` and `b` hold the same spans: every field, attribute values deeply (SameValue),
// events, links, status, and resource and scope by content. On a difference,
// sets `*why` (if not null) to the first one found.
inline bool SameSpans(std::span<const Span> a, std::span<const Span> b,
                      std::string* why = nullptr) {
  auto differ = [why](size_t i, std::string_view what) {
    if (why != nullptr) *why = absl::StrCat("span ", i, ": ", ToAbsl(what), " differs");
    return false;
  };
  if (a.size() != b.size()) {
    if (why != nullptr) *why = absl::StrCat("span count ", a.size(), " vs ", b.size());
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const Span& x = a[i];
    const Span& y = b[i];
    if (x.trace_id != y.trace_id) return differ(i, "trace_id");
    if (x.span_id != y.span_id) return differ(i, "span_id");
    if (x.parent_span_id != y.parent_span_id) return differ(i, "parent_span_id");
    if (x.trace_state != y.trace_state) return differ(i, "trace_state");
    if (x.flags != y.flags) return differ(i, "flags");
    if (x.name != y.name) return differ(i, "name");
    if (x.kind != y.kind) return differ(i, "kind");
    if (x.start_time_unix_nano != y.start_time_unix_nano) return differ(i, "start time");
    if (x.end_time_unix_nano != y.end_time_unix_nano) return differ(i, "end time");
    if (!SameAttributes(x.attributes, y.attributes)) return differ(i, "attributes");
    if (x.dropped_attributes_count != y.dropped_attributes_count ||
        x.dropped_events_count != y.dropped_events_count ||
        x.dropped_links_count != y.dropped_links_count) {
      return differ(i, "a dropped count");
    }
    if (x.status.code != y.status.code || x.status.message != y.status.message) {
      return differ(i, "status");
    }
    if (x.events.size() != y.events.size()) return differ(i, "event count");
    for (size_t e = 0; e < x.events.size(); ++e) {
      const Event& u = x.events[e];
      const Event& v = y.events[e];
      if (u.time_unix_nano != v.time_unix_nano || u.name != v.name ||
          !SameAttributes(u.attributes, v.attributes) ||
          u.dropped_attributes_count != v.dropped_attributes_count) {
        return differ(i, absl::StrCat("event ", e));
      }
    }
    if (x.links.size() != y.links.size()) return differ(i, "link count");
    for (size_t l = 0; l < x.links.size(); ++l) {
      const Link& u = x.links[l];
      const Link& v = y.links[l];
      if (u.trace_id != v.trace_id || u.span_id != v.span_id || u.trace_state != v.trace_state ||
          !SameAttributes(u.attributes, v.attributes) ||
          u.dropped_attributes_count != v.dropped_attributes_count || u.flags != v.flags) {
        return differ(i, absl::StrCat("link ", l));
      }
    }
    if ((x.resource == nullptr) != (y.resource == nullptr)) return differ(i, "resource");
    if (x.resource != nullptr &&
        (!SameAttributes(x.resource->attributes, y.resource->attributes) ||
         x.resource->dropped_attributes_count != y.resource->dropped_attributes_count ||
         x.resource->schema_url != y.resource->schema_url ||
         x.resource->service_name != y.resource->service_name)) {
      return differ(i, "resource");
    }
    if ((x.scope == nullptr) != (y.scope == nullptr)) return differ(i, "scope");
    if (x.scope != nullptr &&
        (x.scope->name != y.scope->name || x.scope->version != y.scope->version ||
         !SameAttributes(x.scope->attributes, y.scope->attributes) ||
         x.scope->dropped_attributes_count != y.scope->dropped_attributes_count ||
         x.scope->schema_url != y.scope->schema_url)) {
      return differ(i, "scope");
    }
  }
  return true;
}

}  // namespace skua::model::convert::testing
