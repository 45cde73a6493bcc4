#include "model/convert/otlp_test_util.h"

#include <bit>
#include <cstdint>

#include "absl/strings/str_cat.h"

namespace skua::model::convert::testing {
namespace {

bool ValuesSame(const AnyValue& a, const AnyValue& b, std::string& why);

bool AttributesSame(Attributes a, Attributes b, std::string& why) {
  if (a.size() != b.size()) {
    why = absl::StrCat("attribute count ", a.size(), " vs ", b.size());
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].key != b[i].key) {
      why = absl::StrCat("attribute ", i, " key '", std::string(a[i].key), "' vs '",
                         std::string(b[i].key), "'");
      return false;
    }
    if (!ValuesSame(a[i].value, b[i].value, why)) {
      why = absl::StrCat("attribute '", std::string(a[i].key), "': ", why);
      return false;
    }
  }
  return true;
}

bool ValuesSame(const AnyValue& a, const AnyValue& b, std::string& why) {
  if (a.type() != b.type()) {
    why =
        absl::StrCat("value type ", static_cast<int>(a.type()), " vs ", static_cast<int>(b.type()));
    return false;
  }
  bool same = true;
  switch (a.type()) {
    case ValueType::kEmpty:
      break;
    case ValueType::kString:
    case ValueType::kBytes:
      same = a.string_value() == b.string_value();
      break;
    case ValueType::kBool:
      same = a.bool_value() == b.bool_value();
      break;
    case ValueType::kInt:
      same = a.int_value() == b.int_value();
      break;
    case ValueType::kDouble:
      same = std::bit_cast<uint64_t>(a.double_value()) == std::bit_cast<uint64_t>(b.double_value());
      break;
    case ValueType::kArray: {
      auto x = a.array_value(), y = b.array_value();
      if (x.size() != y.size()) {
        why = absl::StrCat("array size ", x.size(), " vs ", y.size());
        return false;
      }
      for (size_t i = 0; i < x.size(); ++i) {
        if (!ValuesSame(x[i], y[i], why)) {
          why = absl::StrCat("array item ", i, ": ", why);
          return false;
        }
      }
      break;
    }
    case ValueType::kKvList:
      return AttributesSame(a.kvlist_value(), b.kvlist_value(), why);
  }
  if (!same) {
    why = absl::StrCat("value '", ValueToString(a), "' vs '", ValueToString(b), "'");
  }
  return same;
}

#define SKUA_SAME_FIELD(field)               \
  do {                                       \
    if (!(a.field == b.field)) {             \
      why = absl::StrCat(#field " differs"); \
      return false;                          \
    }                                        \
  } while (0)

bool ResourcesSame(const Resource* ap, const Resource* bp, std::string& why) {
  static const Resource kNone;
  const Resource& a = ap ? *ap : kNone;
  const Resource& b = bp ? *bp : kNone;
  SKUA_SAME_FIELD(dropped_attributes_count);
  SKUA_SAME_FIELD(schema_url);
  SKUA_SAME_FIELD(service_name);
  if (!AttributesSame(a.attributes, b.attributes, why)) {
    why = "resource " + why;
    return false;
  }
  return true;
}

bool ScopesSame(const Scope* ap, const Scope* bp, std::string& why) {
  static const Scope kNone;
  const Scope& a = ap ? *ap : kNone;
  const Scope& b = bp ? *bp : kNone;
  SKUA_SAME_FIELD(name);
  SKUA_SAME_FIELD(version);
  SKUA_SAME_FIELD(dropped_attributes_count);
  SKUA_SAME_FIELD(schema_url);
  if (!AttributesSame(a.attributes, b.attributes, why)) {
    why = "scope " + why;
    return false;
  }
  return true;
}

bool SpanSame(const Span& a, const Span& b, std::string& why) {
  SKUA_SAME_FIELD(trace_id);
  SKUA_SAME_FIELD(span_id);
  SKUA_SAME_FIELD(parent_span_id);
  SKUA_SAME_FIELD(trace_state);
  SKUA_SAME_FIELD(flags);
  SKUA_SAME_FIELD(name);
  SKUA_SAME_FIELD(kind);
  SKUA_SAME_FIELD(start_time_unix_nano);
  SKUA_SAME_FIELD(end_time_unix_nano);
  SKUA_SAME_FIELD(dropped_attributes_count);
  SKUA_SAME_FIELD(dropped_events_count);
  SKUA_SAME_FIELD(dropped_links_count);
  SKUA_SAME_FIELD(status.code);
  SKUA_SAME_FIELD(status.message);
  SKUA_SAME_FIELD(events.size());
  SKUA_SAME_FIELD(links.size());
  if (!AttributesSame(a.attributes, b.attributes, why)) return false;
  for (size_t i = 0; i < a.events.size(); ++i) {
    const Event& x = a.events[i];
    const Event& y = b.events[i];
    if (x.time_unix_nano != y.time_unix_nano || x.name != y.name ||
        x.dropped_attributes_count != y.dropped_attributes_count ||
        !AttributesSame(x.attributes, y.attributes, why)) {
      why = absl::StrCat("event ", i, " differs ", why);
      return false;
    }
  }
  for (size_t i = 0; i < a.links.size(); ++i) {
    const Link& x = a.links[i];
    const Link& y = b.links[i];
    if (x.trace_id != y.trace_id || x.span_id != y.span_id || x.trace_state != y.trace_state ||
        x.dropped_attributes_count != y.dropped_attributes_count || x.flags != y.flags ||
        !AttributesSame(x.attributes, y.attributes, why)) {
      why = absl::StrCat("link ", i, " differs ", why);
      return false;
    }
  }
  return ResourcesSame(a.resource, b.resource, why) && ScopesSame(a.scope, b.scope, why);
}

#undef SKUA_SAME_FIELD

}  // namespace

bool SpansEquivalent(std::span<const Span> a, std::span<const Span> b, std::string* why) {
  std::string reason;
  bool same = a.size() == b.size();
  if (!same) reason = absl::StrCat("span count ", a.size(), " vs ", b.size());
  for (size_t i = 0; same && i < a.size(); ++i) {
    if (!SpanSame(a[i], b[i], reason)) {
      reason = absl::StrCat("span ", i, ": ", reason);
      same = false;
    }
  }
  if (!same && why != nullptr) *why = reason;
  return same;
}

}  // namespace skua::model::convert::testing
