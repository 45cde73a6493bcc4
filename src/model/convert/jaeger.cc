#include "model/convert/jaeger.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "model/attribute_keys.h"

namespace skua::model::jaeger {
namespace {
using keys::kServiceNameKey;
using keys::kEventKey;
using keys::kRefTypeKey;
using keys::kSpanKindKey;
using keys::kStatusCodeKey;

constexpr std::string_view kNoServiceName = "OTLPResourceNoServiceName";
constexpr char kHexDigits[] = "0123456789abcdef";

// OTLP value → Jaeger tag (§1.9): maps and arrays become STRING tags holding JSON rendered into
// `arena`; an empty value becomes the empty string.
Tag ToTag(std::string_view key, const AnyValue& value, Arena& arena) {
  switch (value.type()) {
    case ValueType::kEmpty:
      return Tag::String(key, "");
    case ValueType::kString:
      return Tag::String(key, value.string_value());
    case ValueType::kBool:
      return Tag::Bool(key, value.bool_value());
    case ValueType::kInt:
      return Tag::Int(key, value.int_value());
    case ValueType::kDouble:
      return Tag::Float(key, value.double_value());
    case ValueType::kBytes:
      return Tag::Binary(key, value.string_value());
    case ValueType::kArray:
    case ValueType::kKvList: {
      std::string json;
      AppendValueJson(value, json);
      return Tag::String(key, arena.CopyString(json));
    }
  }
  return Tag::String(key, "");
}

void AppendTags(Attributes attributes, Arena& arena, std::vector<Tag>& out) {
  for (const KeyValue& kv : attributes) out.push_back(ToTag(kv.key, kv.value, arena));
}

// The event name becomes an `event` field unless the event carries an `event` attribute itself.
bool EventNameIsField(const Event& event) {
  return !event.name.empty() && FindAttribute(event.attributes, kEventKey) == nullptr;
}

RefType RefTypeFromLink(const Link& link) {
  const AnyValue* v = FindAttribute(link.attributes, kRefTypeKey);
  if (v != nullptr && v->type() == ValueType::kString && v->string_value() == "child_of") {
    return RefType::kChildOf;
  }
  return RefType::kFollowsFrom;
}

std::string_view ServiceNameOf(const Resource* resource) {
  if (resource == nullptr || resource->service_name.empty()) return kNoServiceName;
  return resource->service_name;
}

Process MakeProcess(const Resource* resource, Arena& arena) {
  Process p;
  p.service_name = ServiceNameOf(resource);
  if (resource != nullptr) {
    p.tags.reserve(resource->attributes.size());
    for (const KeyValue& kv : resource->attributes) {
      if (kv.key == kServiceNameKey) continue;
      p.tags.push_back(ToTag(kv.key, kv.value, arena));
    }
  }
  return p;
}

// Assigns process indices, sharing one entry among resources equal in content.
class ProcessTable {
 public:
  explicit ProcessTable(JaegerTrace& trace) : trace_(trace) {}

  size_t IndexFor(const Resource* resource) {
    auto it = by_resource_.find(resource);
    if (it != by_resource_.end()) return it->second;
    Process p = MakeProcess(resource, trace_.arena);
    size_t hash = ProcessHash(p);
    size_t index = trace_.processes.size();
    bool found = false;
    auto range = by_hash_.equal_range(hash);
    for (auto h = range.first; h != range.second; ++h) {
      if (ProcessEquals(trace_.processes[h->second], p)) {
        index = h->second;
        found = true;
        break;
      }
    }
    if (!found) {
      trace_.processes.push_back(std::move(p));
      by_hash_.emplace(hash, index);
    }
    by_resource_.emplace(resource, index);
    return index;
  }

 private:
  JaegerTrace& trace_;
  absl::flat_hash_map<const Resource*, size_t> by_resource_;
  std::unordered_multimap<size_t, size_t> by_hash_;
};

void ConvertSpan(const model::Span& s, ProcessTable& processes, Arena& arena, Span& js) {
  js.trace_id = s.trace_id;
  js.span_id = s.span_id;
  js.operation_name = s.name;
  // Only the W3C sampled bit and its neighbours in the low byte carry over; OTLP's higher flag bits
  // (has-is-remote, is-remote) have no Jaeger meaning.
  js.flags = s.flags & 0xFFu;
  js.start_time_us = s.start_time_unix_nano / 1000;
  js.duration_us = s.duration_nanos() / 1000;

  AppendReferences(s, js.references);

  // Tags in the order the OpenTelemetry → Jaeger translator emits them: scope name/version, the
  // span's attributes, then kind, status code, error, status description and trace state.
  const Scope* scope = s.scope;
  js.tags.reserve(s.attributes.size() + 7);
  if (scope != nullptr && !scope->name.empty()) {
    js.tags.push_back(Tag::String("otel.scope.name", scope->name));
  }
  if (scope != nullptr && !scope->version.empty()) {
    js.tags.push_back(Tag::String("otel.scope.version", scope->version));
  }
  AppendTags(s.attributes, arena, js.tags);
  if (s.kind != SpanKind::kUnspecified) {
    std::string_view kind = SpanKindName(s.kind);
    if (!kind.empty()) js.tags.push_back(Tag::String(kSpanKindKey, kind));
  }
  if (s.status.code == StatusCode::kOk) {
    js.tags.push_back(Tag::String(kStatusCodeKey, "OK"));
  } else if (s.status.code == StatusCode::kError) {
    js.tags.push_back(Tag::String(kStatusCodeKey, "ERROR"));
    js.tags.push_back(Tag::Bool("error", true));
  }
  if (!s.status.message.empty()) {
    js.tags.push_back(Tag::String("otel.status_description", s.status.message));
  }
  if (!s.trace_state.empty()) js.tags.push_back(Tag::String("w3c.tracestate", s.trace_state));

  js.logs.reserve(s.events.size());
  for (const Event& event : s.events) {
    Log& log = js.logs.emplace_back();
    log.timestamp_us = event.time_unix_nano / 1000;
    log.fields.reserve(event.attributes.size() + 1);
    if (EventNameIsField(event)) log.fields.push_back(Tag::String(kEventKey, event.name));
    AppendTags(event.attributes, arena, log.fields);
  }

  js.process_index = processes.IndexFor(s.resource);
}

// --- Tag matching without building tags (SpanHasTag) ---

// Go's strconv.FormatFloat(d, 'g', 10, 64), Jaeger's AsString for floats (§3.2), into `buf`.
std::string_view FormatFloatAsString(double d, char (&buf)[40]) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  int n = snprintf(buf, sizeof buf, "%.10g", d);
  return std::string_view(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

bool ValueMatches(const AnyValue& value, std::string_view want) {
  if (value.type() == ValueType::kString) return value.string_value() == want;  // the common case
  // Everything else is compared in its AsString rendering (one definition of that rendering),
  // built in a per-thread buffer so matching does not allocate once warm.
  thread_local std::string rendered;
  rendered.clear();
  AppendTagValueString(value, rendered);
  return rendered == want;
}

// --- SpanIDDeduper helpers ---

// Jaeger's Span.ReplaceParentID: rewrites the reference that currently names the parent, or adds
// `new_parent` as the first CHILD_OF reference when there is none.
void ReplaceParentId(Span& span, SpanId new_parent) {
  SpanId old_parent = span.ParentSpanId();
  for (Reference& ref : span.references) {
    if (ref.span_id == old_parent && ref.trace_id == span.trace_id) {
      ref.span_id = new_parent;
      return;
    }
  }
  if (new_parent.IsZero()) return;
  for (const Reference& ref : span.references) {
    if (ref.span_id == new_parent && ref.trace_id == span.trace_id) return;
  }
  span.references.insert(span.references.begin(),
                         Reference{RefType::kChildOf, span.trace_id, new_parent});
}

// True when some span.kind=server span shares its ID with a span.kind=client span.
bool HasSharedServerSpan(const JaegerTrace& trace) {
  absl::flat_hash_set<uint64_t> client_ids;
  bool any_server = false;
  for (const Span& s : trace.spans) {
    std::string_view kind = s.Kind();
    if (kind == "client") client_ids.insert(s.span_id.value);
    any_server = any_server || kind == "server";
  }
  if (client_ids.empty() || !any_server) return false;
  for (const Span& s : trace.spans) {
    if (s.Kind() == "server" && client_ids.contains(s.span_id.value)) return true;
  }
  return false;
}

void EmitEdges(const JaegerTrace& trace,
               const std::function<void(std::string_view, std::string_view)>& emit) {
  // Jaeger's findSpan returns the first span with the ID, so keep the first index per ID.
  absl::flat_hash_map<uint64_t, size_t> first_by_id;
  first_by_id.reserve(trace.spans.size());
  for (size_t i = 0; i < trace.spans.size(); ++i) {
    first_by_id.try_emplace(trace.spans[i].span_id.value, i);
  }
  auto service = [&trace](const Span& s) -> std::string_view {
    return s.process_index < trace.processes.size() ? trace.processes[s.process_index].service_name
                                                    : std::string_view();
  };
  for (const Span& s : trace.spans) {
    SpanId parent = s.ParentSpanId();
    // A zero parent means "root" (Jaeger would look for a span whose ID is zero; we never do).
    if (parent.IsZero()) continue;
    auto it = first_by_id.find(parent.value);
    if (it == first_by_id.end()) continue;
    std::string_view parent_service = service(trace.spans[it->second]);
    std::string_view child_service = service(s);
    if (parent_service == child_service) continue;  // v1 memory store skips same-service edges
    emit(parent_service, child_service);
  }
}

}  // namespace

std::string_view TagTypeName(TagType t) {
  switch (t) {
    case TagType::kString:
      return "string";
    case TagType::kBool:
      return "bool";
    case TagType::kInt64:
      return "int64";
    case TagType::kFloat64:
      return "float64";
    case TagType::kBinary:
      return "binary";
  }
  return "string";
}

std::string TagValueString(const Tag& tag) {
  switch (tag.type) {
    case TagType::kString:
      return std::string(tag.str);
    case TagType::kBool:
      return tag.bool_value ? "true" : "false";
    case TagType::kInt64:
      return std::to_string(tag.int_value);
    case TagType::kFloat64: {
      char buf[40];
      return std::string(FormatFloatAsString(tag.float_value, buf));
    }
    case TagType::kBinary: {
      std::string out;
      out.reserve(tag.str.size() * 2);
      for (unsigned char c : tag.str) {
        out += kHexDigits[c >> 4];
        out += kHexDigits[c & 15];
      }
      return out;
    }
  }
  return std::string();
}

std::string_view Span::Kind() const {
  for (const Tag& t : tags) {
    if (t.key == kSpanKindKey) return t.type == TagType::kString ? t.str : std::string_view();
  }
  return {};
}

SpanId Span::ParentSpanId() const {
  const Reference* follows_from = nullptr;
  for (const Reference& ref : references) {
    if (ref.trace_id != trace_id) continue;
    if (ref.type == RefType::kChildOf) return ref.span_id;
    if (follows_from == nullptr) follows_from = &ref;
  }
  return follows_from != nullptr ? follows_from->span_id : SpanId{};
}

bool TagEquals(const Tag& a, const Tag& b) {
  if (a.key != b.key || a.type != b.type) return false;
  switch (a.type) {
    case TagType::kString:
    case TagType::kBinary:
      return a.str == b.str;
    case TagType::kBool:
      return a.bool_value == b.bool_value;
    case TagType::kInt64:
      return a.int_value == b.int_value;
    case TagType::kFloat64:
      return std::bit_cast<uint64_t>(a.float_value) == std::bit_cast<uint64_t>(b.float_value);
  }
  return false;
}

bool ProcessEquals(const Process& a, const Process& b) {
  if (a.service_name != b.service_name || a.tags.size() != b.tags.size()) return false;
  for (size_t i = 0; i < a.tags.size(); ++i) {
    if (!TagEquals(a.tags[i], b.tags[i])) return false;
  }
  return true;
}

size_t ProcessHash(const Process& p) {
  size_t h = absl::HashOf(p.service_name, p.tags.size());
  for (const Tag& t : p.tags) {
    uint64_t v = 0;
    switch (t.type) {
      case TagType::kString:
      case TagType::kBinary:
        v = absl::HashOf(t.str);
        break;
      case TagType::kBool:
        v = t.bool_value;
        break;
      case TagType::kInt64:
        v = static_cast<uint64_t>(t.int_value);
        break;
      case TagType::kFloat64:
        v = std::bit_cast<uint64_t>(t.float_value);
        break;
    }
    h = absl::HashOf(h, t.key, static_cast<uint8_t>(t.type), v);
  }
  return h;
}

JaegerTrace ToJaegerTrace(const SpanSet& spans) {
  return ToJaegerTrace(std::span<const model::Span>(spans.spans()));
}

JaegerTrace ToJaegerTrace(std::span<const model::Span> spans) {
  JaegerTrace trace;
  trace.spans.resize(spans.size());
  ProcessTable processes(trace);
  for (size_t i = 0; i < spans.size(); ++i) {
    ConvertSpan(spans[i], processes, trace.arena, trace.spans[i]);
  }
  return trace;
}

void AppendTagValueString(const AnyValue& value, std::string& out) {
  switch (value.type()) {
    case ValueType::kEmpty:
      return;
    case ValueType::kString:
      out += value.string_value();
      return;
    case ValueType::kBool:
      out += value.bool_value() ? "true" : "false";
      return;
    case ValueType::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, value.int_value());
      out.append(buf, static_cast<size_t>(r.ptr - buf));
      return;
    }
    case ValueType::kDouble: {
      char buf[40];
      out += FormatFloatAsString(value.double_value(), buf);
      return;
    }
    case ValueType::kBytes:
      for (unsigned char c : value.string_value()) {
        out += kHexDigits[c >> 4];
        out += kHexDigits[c & 15];
      }
      return;
    case ValueType::kArray:
    case ValueType::kKvList:
      AppendValueJson(value, out);
      return;
  }
}

bool ForEachSearchableTag(const model::Span& span,
                          absl::FunctionRef<bool(std::string_view key, const AnyValue& value)> fn) {
  for (const KeyValue& kv : span.attributes) {
    if (!fn(kv.key, kv.value)) return false;
  }
  // Derived tags, as ConvertSpan adds them (only when set).
  if (span.scope != nullptr && !span.scope->name.empty() &&
      !fn(keys::kScopeNameKey, AnyValue::String(span.scope->name))) {
    return false;
  }
  if (span.scope != nullptr && !span.scope->version.empty() &&
      !fn(keys::kScopeVersionKey, AnyValue::String(span.scope->version))) {
    return false;
  }
  if (std::string_view kind = SpanKindName(span.kind);
      !kind.empty() && !fn(kSpanKindKey, AnyValue::String(kind))) {
    return false;
  }
  if (span.status.code == StatusCode::kOk && !fn(kStatusCodeKey, AnyValue::String("OK"))) {
    return false;
  }
  if (span.status.code == StatusCode::kError &&
      (!fn(kStatusCodeKey, AnyValue::String("ERROR")) ||
       !fn(keys::kErrorKey, AnyValue::Bool(true)))) {
    return false;
  }
  if (!span.status.message.empty() &&
      !fn(keys::kStatusDescriptionKey, AnyValue::String(span.status.message))) {
    return false;
  }
  if (!span.trace_state.empty() && !fn(keys::kTraceStateKey, AnyValue::String(span.trace_state))) {
    return false;
  }
  if (span.scope != nullptr) {
    for (const KeyValue& kv : span.scope->attributes) {
      if (!fn(kv.key, kv.value)) return false;
    }
  }
  if (span.resource != nullptr) {
    for (const KeyValue& kv : span.resource->attributes) {
      if (kv.key == kServiceNameKey) continue;  // the process's service name, not a tag
      if (!fn(kv.key, kv.value)) return false;
    }
  }
  for (const Event& event : span.events) {
    if (EventNameIsField(event) && !fn(kEventKey, AnyValue::String(event.name))) return false;
    for (const KeyValue& kv : event.attributes) {
      if (!fn(kv.key, kv.value)) return false;
    }
  }
  return true;
}

bool SpanHasTag(const model::Span& span, std::string_view key, std::string_view value) {
  return !ForEachSearchableTag(span, [&](std::string_view k, const AnyValue& v) {
    return !(k == key && ValueMatches(v, value));
  });
}

void DedupeSharedSpanIds(JaegerTrace& trace) {
  if (!HasSharedServerSpan(trace)) return;
  // IDs in use, and those used by a client span.
  absl::flat_hash_set<uint64_t> used;
  absl::flat_hash_set<uint64_t> client_ids;
  used.reserve(trace.spans.size());
  for (const Span& s : trace.spans) {
    used.insert(s.span_id.value);
    if (s.Kind() == "client") client_ids.insert(s.span_id.value);
  }
  uint64_t max_assigned = 0;
  // Smallest unused ID above the last one handed out; IDs never reach UINT64_MAX (as in Jaeger).
  auto next_id = [&]() -> std::optional<uint64_t> {
    for (uint64_t id = max_assigned + 1; id != 0 && id < UINT64_MAX; ++id) {
      if (!used.contains(id)) {
        max_assigned = id;
        return id;
      }
    }
    return std::nullopt;
  };
  absl::flat_hash_map<uint64_t, uint64_t> old_to_new;
  for (Span& s : trace.spans) {
    if (s.Kind() != "server" || !client_ids.contains(s.span_id.value)) continue;
    std::optional<uint64_t> id = next_id();
    if (!id) {
      s.warnings.emplace_back("cannot assign unique span ID, too many spans in the trace");
      continue;
    }
    old_to_new[s.span_id.value] = *id;
    ReplaceParentId(s, s.span_id);  // the previously shared ID (the client span) is the new parent
    s.span_id = SpanId{*id};
  }
  // Children of the re-identified server spans follow them to their new IDs.
  for (Span& s : trace.spans) {
    auto it = old_to_new.find(s.ParentSpanId().value);
    if (it == old_to_new.end() || s.ParentSpanId().IsZero()) continue;
    if (s.span_id.value != it->second) ReplaceParentId(s, SpanId{it->second});
  }
}

void ForEachDependencyEdge(
    const JaegerTrace& trace,
    const std::function<void(std::string_view parent, std::string_view child)>& emit) {
  if (!HasSharedServerSpan(trace)) {
    EmitEdges(trace, emit);  // the common case: nothing to de-duplicate, no copy
    return;
  }
  // Zipkin-style shared spans: de-duplicate a skeleton copy (IDs, references, kind, service).
  JaegerTrace skeleton;
  skeleton.processes.reserve(trace.processes.size());
  for (const Process& p : trace.processes) skeleton.processes.push_back({p.service_name, {}});
  skeleton.spans.resize(trace.spans.size());
  for (size_t i = 0; i < trace.spans.size(); ++i) {
    const Span& s = trace.spans[i];
    Span& c = skeleton.spans[i];
    c.trace_id = s.trace_id;
    c.span_id = s.span_id;
    c.references = s.references;
    c.process_index = s.process_index;
    std::string_view kind = s.Kind();
    if (!kind.empty()) c.tags.push_back(Tag::String(kSpanKindKey, kind));
  }
  DedupeSharedSpanIds(skeleton);
  EmitEdges(skeleton, emit);
}

void AppendReferences(const model::Span& s, std::vector<Reference>& out) {
  // The parent first as CHILD_OF; a link to the parent only overrides its type.
  const bool has_parent = !s.parent_span_id.IsZero();
  const size_t parent_index = out.size();
  out.reserve(out.size() + s.links.size() + (has_parent ? 1 : 0));
  if (has_parent) out.push_back({RefType::kChildOf, s.trace_id, s.parent_span_id});
  for (const Link& link : s.links) {
    RefType type = RefTypeFromLink(link);
    if (has_parent && link.trace_id == s.trace_id && link.span_id == s.parent_span_id) {
      out[parent_index].type = type;
      continue;
    }
    out.push_back({type, link.trace_id, link.span_id});
  }
}

EdgeSpan ToEdgeSpan(const model::Span& span) {
  EdgeSpan out;
  out.span_id = span.span_id;
  out.service = std::string(ServiceNameOf(span.resource));
  // JaegerSpan::Kind() reads the first span.kind tag: the scope tags never have that key, so it is
  // the first such attribute (converted as ConvertSpan does), else the derived kind tag.
  const KeyValue* attr = nullptr;
  for (const KeyValue& kv : span.attributes) {
    if (kv.key == kSpanKindKey) {
      attr = &kv;
      break;
    }
  }
  if (attr != nullptr) {
    Arena arena(256);
    Tag tag = ToTag(attr->key, attr->value, arena);
    if (tag.type == TagType::kString) out.kind = std::string(tag.str);
  } else {
    out.kind = std::string(SpanKindName(span.kind));
  }
  std::vector<Reference> refs;
  AppendReferences(span, refs);
  for (const Reference& ref : refs) {
    if (ref.trace_id == span.trace_id) out.references.push_back({ref.type, TraceId{}, ref.span_id});
  }
  return out;
}

void ForEachDependencyEdge(std::span<const EdgeSpan> spans,
                           const std::function<void(std::string_view parent,
                                                    std::string_view child)>& emit) {
  // The skeleton the JaegerTrace overload works on: one trace (all-zero ID, which every reference
  // shares), one process per service, and the span.kind tag.
  JaegerTrace skeleton;
  absl::flat_hash_map<std::string_view, size_t> process_of;
  skeleton.spans.resize(spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    const EdgeSpan& e = spans[i];
    Span& s = skeleton.spans[i];
    s.span_id = e.span_id;
    s.references = e.references;
    for (Reference& ref : s.references) ref.trace_id = TraceId{};
    auto [it, added] = process_of.try_emplace(e.service, skeleton.processes.size());
    if (added) skeleton.processes.push_back({e.service, {}});
    s.process_index = it->second;
    if (!e.kind.empty()) s.tags.push_back(Tag::String(kSpanKindKey, e.kind));
  }
  ForEachDependencyEdge(skeleton, emit);
}

}  // namespace skua::model::jaeger
