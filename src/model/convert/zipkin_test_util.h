// Test-only helpers for the Zipkin codec tests: attribute lookups that read well in assertions.
#pragma once

#include <string>
#include <string_view>

#include "model/span.h"
#include "model/span_set.h"

namespace skua::model::convert::testing {

// The attribute's value rendered as Jaeger renders tags (ValueToString), prefixed with its type
// ("s:", "i:", "d:", "b:", "x:" for bytes), or "<absent>".
inline std::string Attr(Attributes attributes, std::string_view key) {
  const AnyValue* v = FindAttribute(attributes, key);
  if (v == nullptr) return "<absent>";
  std::string prefix;
  switch (v->type()) {
    case ValueType::kString:
      prefix = "s:";
      break;
    case ValueType::kInt:
      prefix = "i:";
      break;
    case ValueType::kDouble:
      prefix = "d:";
      break;
    case ValueType::kBool:
      prefix = "b:";
      break;
    case ValueType::kBytes:
      prefix = "x:";
      break;
    default:
      prefix = "?:";
      break;
  }
  return prefix + ValueToString(*v);
}

// The first span of `set` with this kind, or nullptr.
inline const Span* FindSpan(const SpanSet& set, SpanKind kind) {
  for (const Span& s : set.spans()) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

}  // namespace skua::model::convert::testing
