// Jaeger model → span model: the inverse of jaeger-compat §1.9 (see from_jaeger.h).
//
// The rule that keeps the round trip exact: a tag is folded into a model field only when
// ToJaegerTrace would derive the same tag back from that field. Anything else (an unknown
// span.kind, an empty w3c.tracestate, a second `event` field, …) stays an attribute, so it is
// still there when the span is read back through the Jaeger API.
#include "model/convert/from_jaeger.h"


#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include "model/attribute_keys.h"

namespace skua::model::convert {
namespace {
using keys::kServiceNameKey;
using keys::kSpanKindKey;
using keys::kStatusCodeKey;
using keys::kStatusDescriptionKey;
using keys::kErrorKey;
using keys::kTraceStateKey;
using keys::kScopeNameKey;
using keys::kScopeVersionKey;
using keys::kLibraryNameKey;
using keys::kLibraryVersionKey;
using keys::kEventKey;
using keys::kRefTypeKey;


// Microseconds → nanoseconds, saturating instead of wrapping on absurd input.
uint64_t MicrosToNanos(uint64_t us) { return us > UINT64_MAX / 1000 ? UINT64_MAX : us * 1000; }
uint64_t SaturatingAdd(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Copies strings into an arena: into one block sized up front when the caller knows how many
// bytes it will copy (one arena allocation per span instead of one per string), and one by one
// once that block is used up. Like Arena::CopyString, an empty string takes no memory.
class StringCopier {
 public:
  // memcpy for n ≥ 1, with the short lengths most keys and values have done inline (two
  // overlapping loads and stores each) instead of by a call.
  [[gnu::always_inline]] static void CopyBytes(char* dst, const char* src, size_t n) {
    if (n >= 8 && n <= 16) {
      uint64_t head, tail;
      std::memcpy(&head, src, 8);
      std::memcpy(&tail, src + n - 8, 8);
      std::memcpy(dst, &head, 8);
      std::memcpy(dst + n - 8, &tail, 8);
    } else if (n >= 4 && n < 8) {
      uint32_t head, tail;
      std::memcpy(&head, src, 4);
      std::memcpy(&tail, src + n - 4, 4);
      std::memcpy(dst, &head, 4);
      std::memcpy(dst + n - 4, &tail, 4);
    } else {
      std::memcpy(dst, src, n);
    }
  }

  explicit StringCopier(Arena& arena, size_t bytes = 0) : arena_(arena) {
    if (bytes > 0) {
      cursor_ = static_cast<char*>(arena.Allocate(bytes, 1));
      limit_ = cursor_ + bytes;
    }
  }

  Arena& arena() { return arena_; }

  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > static_cast<size_t>(limit_ - cursor_)) return arena_.CopyString(s);
    char* out = cursor_;
    CopyBytes(out, s.data(), s.size());
    cursor_ += s.size();
    return {out, s.size()};
  }

 private:
  Arena& arena_;
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
};

bool HasStringValue(const jaeger::Tag& tag) {
  return tag.type == jaeger::TagType::kString || tag.type == jaeger::TagType::kBinary;
}

// Bytes CopyTag copies for `tag`.
size_t TagBytes(const jaeger::Tag& tag) {
  return tag.key.size() + (HasStringValue(tag) ? tag.str.size() : 0);
}

[[gnu::always_inline]] inline AnyValue CopyTagValue(const jaeger::Tag& tag, StringCopier& strings) {
  switch (tag.type) {
    case jaeger::TagType::kString:
      return AnyValue::String(strings.Copy(tag.str));
    case jaeger::TagType::kBool:
      return AnyValue::Bool(tag.bool_value);
    case jaeger::TagType::kInt64:
      return AnyValue::Int(tag.int_value);
    case jaeger::TagType::kFloat64:
      return AnyValue::Double(tag.float_value);
    case jaeger::TagType::kBinary:
      return AnyValue::Bytes(strings.Copy(tag.str));
  }
  return AnyValue::String(strings.Copy(tag.str));
}

[[gnu::always_inline]] inline void CopyTag(const jaeger::Tag& tag, StringCopier& strings,
                                           KeyValue& out) {
  out.key = strings.Copy(tag.key);
  out.value = CopyTagValue(tag, strings);
}

bool IsNonEmptyString(const jaeger::Tag& tag) {
  return tag.type == jaeger::TagType::kString && !tag.str.empty();
}

// The tags of a span that become model fields rather than attributes. Each special key is looked
// at only in its first occurrence; later duplicates stay attributes.
struct SpecialTags {
  static constexpr size_t kNone = SIZE_MAX;

  // Indices into span.tags of the consumed tags (kNone when not consumed).
  size_t kind = kNone;
  size_t status_code = kNone;
  size_t status_description = kNone;
  size_t error = kNone;
  size_t trace_state = kNone;
  size_t scope_name = kNone;
  size_t scope_version = kNone;

  SpanKind kind_value = SpanKind::kUnspecified;
  StatusCode code = StatusCode::kUnset;

  // Bit i: tag i is consumed, for i < 64 (later indices take the slow comparison).
  uint64_t consumed_mask = 0;

  bool Consumed(size_t i) const {
    if (i < 64) return (consumed_mask >> i) & 1;
    return i == kind || i == status_code || i == status_description || i == error ||
           i == trace_state || i == scope_name || i == scope_version;
  }
  // Tags consumed (the indices above are distinct tags).
  size_t consumed_count = 0;
  // Bytes CopyTag copies for the tags that are not consumed (kept as attributes).
  size_t kept_bytes = 0;

  // Sets consumed_mask and consumed_count, and subtracts the consumed tags from kept_bytes
  // (which holds the bytes of every tag when called).
  void Finish(const std::vector<jaeger::Tag>& tags) {
    for (size_t i :
         {kind, status_code, status_description, error, trace_state, scope_name, scope_version}) {
      if (i == kNone) continue;
      if (i < 64) consumed_mask |= uint64_t{1} << i;
      ++consumed_count;
      kept_bytes -= TagBytes(tags[i]);
    }
  }
};

SpecialTags FindSpecialTags(const std::vector<jaeger::Tag>& tags) {
  SpecialTags s;
  bool seen_kind = false, seen_code = false, seen_description = false, seen_error = false,
       seen_trace_state = false;
  size_t scope_name = SpecialTags::kNone, library_name = SpecialTags::kNone;
  size_t scope_version = SpecialTags::kNone, library_version = SpecialTags::kNone;
  bool seen_scope_name = false, seen_library_name = false, seen_scope_version = false,
       seen_library_version = false;
  size_t error = SpecialTags::kNone;
  StatusCode code = StatusCode::kUnset;

  // Marks the first occurrence of a key; returns true only for that occurrence.
  auto first = [](bool& seen) {
    if (seen) return false;
    seen = true;
    return true;
  };

  // Every special key has its own length, so one length switch and a single comparison classify
  // a tag (most tags are ordinary and leave at the switch). Duplicate lengths would not compile.
  enum class Key { kOther, kKind, kCode, kDescription, kError, kTraceState, kScopeName,
                   kScopeVersion, kLibraryName, kLibraryVersion };
  auto classify = [](std::string_view key) {
    auto is = [&](std::string_view special, Key k) { return key == special ? k : Key::kOther; };
    switch (key.size()) {
      case kSpanKindKey.size():
        return is(kSpanKindKey, Key::kKind);
      case kStatusCodeKey.size():
        return is(kStatusCodeKey, Key::kCode);
      case kStatusDescriptionKey.size():
        return is(kStatusDescriptionKey, Key::kDescription);
      case kErrorKey.size():
        return is(kErrorKey, Key::kError);
      case kTraceStateKey.size():
        return is(kTraceStateKey, Key::kTraceState);
      case kScopeNameKey.size():
        return is(kScopeNameKey, Key::kScopeName);
      case kScopeVersionKey.size():
        return is(kScopeVersionKey, Key::kScopeVersion);
      case kLibraryNameKey.size():
        return is(kLibraryNameKey, Key::kLibraryName);
      case kLibraryVersionKey.size():
        return is(kLibraryVersionKey, Key::kLibraryVersion);
      default:
        return Key::kOther;
    }
  };

  size_t bytes = 0;
  for (size_t i = 0; i < tags.size(); ++i) {
    const jaeger::Tag& t = tags[i];
    bytes += TagBytes(t);
    const Key key = classify(t.key);
    if (key == Key::kOther) continue;
    if (key == Key::kKind) {
      if (!first(seen_kind) || t.type != jaeger::TagType::kString) continue;
      SpanKind kind = SpanKindFromName(t.str);
      if (kind != SpanKind::kUnspecified) {
        s.kind = i;
        s.kind_value = kind;
      }
    } else if (key == Key::kCode) {
      if (!first(seen_code) || t.type != jaeger::TagType::kString) continue;
      if (t.str == "OK") code = StatusCode::kOk;
      if (t.str == "ERROR") code = StatusCode::kError;
      if (code != StatusCode::kUnset) s.status_code = i;
    } else if (key == Key::kDescription) {
      if (first(seen_description) && IsNonEmptyString(t)) s.status_description = i;
    } else if (key == Key::kError) {
      if (!first(seen_error)) continue;
      bool is_true = (t.type == jaeger::TagType::kBool && t.bool_value) ||
                     (t.type == jaeger::TagType::kString && t.str == "true");
      if (is_true) error = i;
    } else if (key == Key::kTraceState) {
      if (first(seen_trace_state) && IsNonEmptyString(t)) s.trace_state = i;
    } else if (key == Key::kScopeName) {
      if (first(seen_scope_name) && IsNonEmptyString(t)) scope_name = i;
    } else if (key == Key::kScopeVersion) {
      if (first(seen_scope_version) && IsNonEmptyString(t)) scope_version = i;
    } else if (key == Key::kLibraryName) {
      if (first(seen_library_name) && IsNonEmptyString(t)) library_name = i;
    } else if (key == Key::kLibraryVersion) {
      if (first(seen_library_version) && IsNonEmptyString(t)) library_version = i;
    }
  }

  s.scope_name = scope_name != SpecialTags::kNone ? scope_name : library_name;
  s.scope_version = scope_version != SpecialTags::kNone ? scope_version : library_version;

  // otel.status_code decides when present; `error=true` alone means ERROR. The error tag is
  // dropped only when the status it implies is ERROR, because ToJaegerTrace then re-derives it;
  // next to otel.status_code=OK it is kept as an attribute so nothing the client sent is lost.
  s.code = code;
  if (error != SpecialTags::kNone && code != StatusCode::kOk) {
    s.code = StatusCode::kError;
    s.error = error;
  }
  s.kept_bytes = bytes;
  s.Finish(tags);
  return s;
}

// Finds the reference Jaeger treats as the parent (jaeger-compat §1.4): the first CHILD_OF in the
// same trace, else the first FOLLOWS_FROM in the same trace. A zero span ID names no parent.
std::optional<size_t> ParentReferenceIndex(const jaeger::Span& span) {
  std::optional<size_t> follows_from;
  for (size_t i = 0; i < span.references.size(); ++i) {
    const jaeger::Reference& ref = span.references[i];
    if (ref.trace_id != span.trace_id) continue;
    if (ref.type == jaeger::RefType::kChildOf) {
      if (ref.span_id.IsZero()) return std::nullopt;
      return i;
    }
    if (!follows_from) follows_from = i;
  }
  if (follows_from && span.references[*follows_from].span_id.IsZero()) return std::nullopt;
  return follows_from;
}

// Link attribute lists are constant, so every link points at one of these two static arrays.
Attributes RefTypeAttributes(jaeger::RefType type) {
  static const KeyValue kChildOf[] = {{kRefTypeKey, AnyValue::String("child_of")}};
  static const KeyValue kFollowsFrom[] = {{kRefTypeKey, AnyValue::String("follows_from")}};
  return type == jaeger::RefType::kChildOf ? Attributes(kChildOf) : Attributes(kFollowsFrom);
}

void ConvertReferences(const jaeger::Span& span, Arena& arena, Span& out) {
  if (span.references.empty()) return;
  const std::optional<size_t> parent = ParentReferenceIndex(span);
  if (parent) out.parent_span_id = span.references[*parent].span_id;
  const bool parent_is_child_of =
      parent && span.references[*parent].type == jaeger::RefType::kChildOf;

  // A CHILD_OF parent is parent_span_id alone; a FOLLOWS_FROM parent is also kept as a
  // follows_from link so that its type survives (ToJaegerTrace lets a link equal to the parent set
  // the parent reference's type, §1.9). Further references to the parent span add nothing and
  // would change that type on the way back, so they are dropped.
  auto becomes_link = [&](size_t i) {
    const jaeger::Reference& ref = span.references[i];
    const bool names_parent =
        parent && ref.trace_id == out.trace_id && ref.span_id == out.parent_span_id;
    return !(names_parent && (parent_is_child_of || i != *parent));
  };
  size_t count = 0;
  for (size_t i = 0; i < span.references.size(); ++i) count += becomes_link(i);
  if (count == 0) return;  // the usual case: the one reference is the parent
  Link* links = arena.AllocateArray<Link>(count);
  size_t n = 0;
  for (size_t i = 0; i < span.references.size(); ++i) {
    if (!becomes_link(i)) continue;
    const jaeger::Reference& ref = span.references[i];
    Link& link = links[n++];
    link = Link();
    link.trace_id = ref.trace_id;
    link.span_id = ref.span_id;
    link.attributes = RefTypeAttributes(ref.type);
  }
  out.links = std::span<const Link>(links, n);
}

// A log's name is its `event` field when there is exactly one such field and it is a non-empty
// string; otherwise every field (any `event` included) stays an attribute and the name is empty.
void ConvertLog(const jaeger::Log& log, StringCopier& strings, Event& out) {
  Arena& arena = strings.arena();
  out = Event();
  out.time_unix_nano = MicrosToNanos(log.timestamp_us);
  size_t event_fields = 0;
  size_t name_index = SIZE_MAX;
  for (size_t i = 0; i < log.fields.size(); ++i) {
    if (log.fields[i].key != kEventKey) continue;
    ++event_fields;
    name_index = i;
  }
  if (event_fields != 1 || !IsNonEmptyString(log.fields[name_index])) name_index = SIZE_MAX;
  if (name_index != SIZE_MAX) out.name = strings.Copy(log.fields[name_index].str);

  const size_t count = log.fields.size() - (name_index != SIZE_MAX ? 1 : 0);
  if (count == 0) return;
  KeyValue* attributes = arena.AllocateArray<KeyValue>(count);
  size_t n = 0;
  for (size_t i = 0; i < log.fields.size(); ++i) {
    if (i != name_index) CopyTag(log.fields[i], strings, attributes[n++]);
  }
  out.attributes = Attributes(attributes, n);
}

}  // namespace

const Resource* ResourceFromJaegerProcess(const jaeger::Process& process, SpanSet& out) {
  Arena& arena = out.arena();
  KeyValue* attributes = arena.AllocateArray<KeyValue>(process.tags.size() + 1);
  attributes[0].key = kServiceNameKey;  // a literal: static storage, no copy needed
  StringCopier strings(arena);
  attributes[0].value = AnyValue::String(strings.Copy(process.service_name));
  for (size_t i = 0; i < process.tags.size(); ++i) {
    CopyTag(process.tags[i], strings, attributes[i + 1]);
  }
  return MakeResource(arena, Attributes(attributes, process.tags.size() + 1));
}

void AppendFromJaegerSpan(const jaeger::Span& span, const Resource* resource, SpanSet& out) {
  Arena& arena = out.arena();
  if (resource == nullptr) resource = MakeResource(arena, {});
  const Scope* previous_scope = nullptr;
  const Resource* previous_resource = nullptr;
  if (!out.spans().empty()) {
    previous_scope = out.spans().back().scope;
    previous_resource = out.spans().back().resource;
  }

  // Tags: fold the special ones into fields, copy the rest in their original order.
  const SpecialTags special = FindSpecialTags(span.tags);
  const std::vector<jaeger::Tag>& tags = span.tags;

  // Scope: spans of one batch usually share it, so reuse the previous span's when equal.
  std::string_view scope_name, scope_version;
  if (special.scope_name != SpecialTags::kNone) scope_name = tags[special.scope_name].str;
  if (special.scope_version != SpecialTags::kNone) scope_version = tags[special.scope_version].str;
  const bool reuse_scope = previous_scope != nullptr && previous_resource == resource &&
                           previous_scope->name == scope_name &&
                           previous_scope->version == scope_version &&
                           previous_scope->attributes.empty() && previous_scope->schema_url.empty();

  // Every string the span keeps, except its logs', goes into one arena block.
  const size_t attribute_count = tags.size() - special.consumed_count;
  size_t bytes = span.operation_name.size() + special.kept_bytes;
  if (special.status_description != SpecialTags::kNone) {
    bytes += tags[special.status_description].str.size();
  }
  if (special.trace_state != SpecialTags::kNone) bytes += tags[special.trace_state].str.size();
  if (!reuse_scope) bytes += scope_name.size() + scope_version.size();
  StringCopier strings(arena, bytes);

  Span& s = out.spans().emplace_back();
  s.trace_id = span.trace_id;
  s.span_id = span.span_id;
  s.name = strings.Copy(span.operation_name);
  s.flags = span.flags;
  s.start_time_unix_nano = MicrosToNanos(span.start_time_us);
  s.end_time_unix_nano = SaturatingAdd(s.start_time_unix_nano, MicrosToNanos(span.duration_us));
  s.resource = resource;
  s.kind = special.kind_value;
  s.status.code = special.code;
  if (special.status_description != SpecialTags::kNone) {
    s.status.message = strings.Copy(tags[special.status_description].str);
  }
  if (special.trace_state != SpecialTags::kNone) {
    s.trace_state = strings.Copy(tags[special.trace_state].str);
  }
  if (attribute_count > 0) {
    KeyValue* attributes = arena.AllocateArray<KeyValue>(attribute_count);
    size_t n = 0;
    for (size_t i = 0; i < tags.size(); ++i) {
      if (!special.Consumed(i)) CopyTag(tags[i], strings, attributes[n++]);
    }
    s.attributes = Attributes(attributes, n);
  }

  if (reuse_scope) {
    s.scope = previous_scope;
  } else {
    Scope* scope = arena.New<Scope>();
    scope->name = strings.Copy(scope_name);
    scope->version = strings.Copy(scope_version);
    s.scope = scope;
  }

  ConvertReferences(span, arena, s);

  if (!span.logs.empty()) {
    Event* events = arena.AllocateArray<Event>(span.logs.size());
    for (size_t i = 0; i < span.logs.size(); ++i) ConvertLog(span.logs[i], strings, events[i]);
    s.events = std::span<const Event>(events, span.logs.size());
  }
}

}  // namespace skua::model::convert
