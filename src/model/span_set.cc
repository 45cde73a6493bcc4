#include "model/span_set.h"

#include "model/attribute_keys.h"

#include <vector>

namespace skua::model {

AnyValue SpanSet::CopyValue(const AnyValue& value) {
  switch (value.type()) {
    case ValueType::kString: return AnyValue::String(arena_.CopyString(value.string_value()));
    case ValueType::kBytes: return AnyValue::Bytes(arena_.CopyString(value.string_value()));
    case ValueType::kArray: {
      auto items = value.array_value();
      AnyValue* out = arena_.AllocateArray<AnyValue>(items.size());
      for (size_t i = 0; i < items.size(); ++i) out[i] = CopyValue(items[i]);
      return AnyValue::Array({out, items.size()});
    }
    case ValueType::kKvList: return AnyValue::KvList(CopyAttributes(value.kvlist_value()));
    default: return value;
  }
}

Attributes SpanSet::CopyAttributes(Attributes attributes) {
  if (attributes.empty()) return {};
  KeyValue* out = arena_.AllocateArray<KeyValue>(attributes.size());
  for (size_t i = 0; i < attributes.size(); ++i) {
    out[i].key = arena_.CopyString(attributes[i].key);
    out[i].value = CopyValue(attributes[i].value);
  }
  return {out, attributes.size()};
}

const Resource* SpanSet::CopyResource(const Resource& resource) {
  for (const Resource* r : resources_) {
    if (r == &resource || ResourceEquals(*r, resource)) return r;
  }
  Resource* copy = arena_.New<Resource>();
  copy->attributes = CopyAttributes(resource.attributes);
  copy->dropped_attributes_count = resource.dropped_attributes_count;
  copy->schema_url = arena_.CopyString(resource.schema_url);
  const AnyValue* service = FindAttribute(copy->attributes, keys::kServiceNameKey);
  copy->service_name =
      service && service->type() == ValueType::kString ? service->string_value() : std::string_view();
  resources_.push_back(copy);
  return copy;
}

const Scope* SpanSet::CopyScope(const Scope& scope) {
  for (const Scope* s : scopes_) {
    if (s == &scope || ScopeEquals(*s, scope)) return s;
  }
  Scope* copy = arena_.New<Scope>();
  copy->name = arena_.CopyString(scope.name);
  copy->version = arena_.CopyString(scope.version);
  copy->attributes = CopyAttributes(scope.attributes);
  copy->dropped_attributes_count = scope.dropped_attributes_count;
  copy->schema_url = arena_.CopyString(scope.schema_url);
  scopes_.push_back(copy);
  return copy;
}

Span& SpanSet::CopySpan(const Span& span) {
  Span copy = span;
  copy.trace_state = arena_.CopyString(span.trace_state);
  copy.name = arena_.CopyString(span.name);
  copy.attributes = CopyAttributes(span.attributes);
  if (!span.events.empty()) {
    Event* events = arena_.AllocateArray<Event>(span.events.size());
    for (size_t i = 0; i < span.events.size(); ++i) {
      events[i] = span.events[i];
      events[i].name = arena_.CopyString(span.events[i].name);
      events[i].attributes = CopyAttributes(span.events[i].attributes);
    }
    copy.events = {events, span.events.size()};
  }
  if (!span.links.empty()) {
    Link* links = arena_.AllocateArray<Link>(span.links.size());
    for (size_t i = 0; i < span.links.size(); ++i) {
      links[i] = span.links[i];
      links[i].trace_state = arena_.CopyString(span.links[i].trace_state);
      links[i].attributes = CopyAttributes(span.links[i].attributes);
    }
    copy.links = {links, span.links.size()};
  }
  copy.status.message = arena_.CopyString(span.status.message);
  static const Resource kEmptyResource;
  static const Scope kEmptyScope;
  copy.resource = CopyResource(span.resource ? *span.resource : kEmptyResource);
  copy.scope = CopyScope(span.scope ? *span.scope : kEmptyScope);
  spans_.push_back(copy);
  return spans_.back();
}

void SpanSet::CopySpans(std::span<const Span> spans) {
  spans_.reserve(spans_.size() + spans.size());
  for (const Span& s : spans) CopySpan(s);
}

const Resource* MakeResource(Arena& arena, Attributes attributes) {
  Resource* r = arena.New<Resource>();
  r->attributes = attributes;
  const AnyValue* service = FindAttribute(attributes, keys::kServiceNameKey);
  r->service_name =
      service && service->type() == ValueType::kString ? service->string_value() : std::string_view();
  return r;
}

}  // namespace skua::model
