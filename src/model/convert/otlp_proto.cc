// Hand-written protobuf wire codec for OTLP traces (ExportTraceServiceRequest / TracesData).
//
// Decoding walks the wire bytes once, straight into a SpanSet: strings are copied into the set's
// arena, and repeated fields (attributes, array values, events, links) are gathered on reusable
// scratch stacks and copied into one contiguous arena array when their enclosing message ends, so
// decoding does no per-field heap allocation. Every length is checked against the bytes that are
// actually left; nothing read from the input is trusted.
//
// Field numbers follow proto/opentelemetry/proto/{common,resource,trace}/v1/*.proto.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/convert/otlp.h"
#include "model/convert/protowire.h"

namespace skua::model::convert {
namespace {

using protowire::DecodeError;
using protowire::EmitBytesIfNotEmpty;
using protowire::EmitVarintIfNotZero;
using protowire::Encode;
using protowire::ForEachLengthDelimited;
using protowire::kFixed32;
using protowire::kFixed64;
using protowire::kLen;
using protowire::kVarint;
using protowire::Tag;

// ---------------------------------------------------------------------------------------------

class ProtoDecoder : public protowire::WireReader {
 public:
  ProtoDecoder(SpanSet& out, const OtlpDecodeOptions& options)
      : out_(out), arena_(out.arena()), options_(options) {
    kv_stack_.reserve(64);
    value_stack_.reserve(16);
    event_stack_.reserve(4);
    link_stack_.reserve(4);
  }

  bool DecodeRequest(const uint8_t* p, const uint8_t* end) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (!DecodeResourceSpans(p, sub_end)) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

 private:
  bool ReadString(const uint8_t*& p, const uint8_t* end, std::string_view& out) {
    if (!ReadBytes(p, end, out)) return false;
    out = arena_.CopyString(out);
    return true;
  }

  // Copies the scratch entries from `base` up into the arena and pops them.
  template <typename T>
  std::span<const T> TakeFrom(std::vector<T>& stack, size_t base) {
    size_t n = stack.size() - base;
    if (n == 0) return {};
    std::span<const T> out = arena_.CopyArray(std::span<const T>(stack.data() + base, n));
    stack.resize(base);
    return out;
  }

  // --- common.v1 ---

  bool DecodeAnyValue(const uint8_t* p, const uint8_t* end, AnyValue& value, uint32_t depth) {
    value = AnyValue();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen): {  // string_value
          std::string_view s;
          if (!ReadString(p, end, s)) return false;
          value = AnyValue::String(s);
          break;
        }
        case Tag(2, kVarint): {  // bool_value
          uint64_t v;
          if (!ReadVarintField(p, end, v)) return false;
          value = AnyValue::Bool(v != 0);
          break;
        }
        case Tag(3, kVarint): {  // int_value
          uint64_t v;
          if (!ReadVarintField(p, end, v)) return false;
          value = AnyValue::Int(static_cast<int64_t>(v));
          break;
        }
        case Tag(4, kFixed64): {  // double_value
          uint64_t bits;
          if (!ReadFixed64(p, end, bits)) return false;
          value = AnyValue::Double(std::bit_cast<double>(bits));
          break;
        }
        case Tag(5, kLen): {  // array_value
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (depth >= options_.max_value_depth)
            return Fail("attribute values nested too deeply", p);
          if (!DecodeArrayValue(p, sub_end, value, depth + 1)) return false;
          p = sub_end;
          break;
        }
        case Tag(6, kLen): {  // kvlist_value
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (depth >= options_.max_value_depth)
            return Fail("attribute values nested too deeply", p);
          if (!DecodeKeyValueList(p, sub_end, value, depth + 1)) return false;
          p = sub_end;
          break;
        }
        case Tag(7, kLen): {  // bytes_value
          std::string_view s;
          if (!ReadString(p, end, s)) return false;
          value = AnyValue::Bytes(s);
          break;
        }
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    return true;
  }

  // ArrayValue { repeated AnyValue values = 1; }
  bool DecodeArrayValue(const uint8_t* p, const uint8_t* end, AnyValue& value, uint32_t depth) {
    size_t base = value_stack_.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        AnyValue item;
        if (!DecodeAnyValue(p, sub_end, item, depth)) return false;
        value_stack_.push_back(item);
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    value = AnyValue::Array(TakeFrom(value_stack_, base));
    return true;
  }

  // KeyValueList { repeated KeyValue values = 1; }
  bool DecodeKeyValueList(const uint8_t* p, const uint8_t* end, AnyValue& value, uint32_t depth) {
    size_t base = kv_stack_.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        if (!PushKeyValue(p, end, depth)) return false;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    value = AnyValue::KvList(TakeFrom(kv_stack_, base));
    return true;
  }

  // Reads one length-delimited KeyValue {string key = 1; AnyValue value = 2;} at `p` and pushes it
  // onto kv_stack_. Nested lists inside its value are taken off the stack before the push, so the
  // entries of one list stay contiguous.
  bool PushKeyValue(const uint8_t*& p, const uint8_t* end, uint32_t depth) {
    const uint8_t* kv_end;
    if (!ReadLength(p, end, kv_end)) return false;
    KeyValue kv;
    while (p < kv_end) {
      uint32_t tag;
      if (!ReadTag(p, kv_end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        if (!ReadString(p, kv_end, kv.key)) return false;
      } else if (tag == Tag(2, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, kv_end, sub_end)) return false;
        if (!DecodeAnyValue(p, sub_end, kv.value, depth)) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, kv_end)) {
        return false;
      }
    }
    kv_stack_.push_back(kv);
    return true;
  }

  // InstrumentationScope {name = 1; version = 2; attributes = 3; dropped_attributes_count = 4;}
  bool DecodeScope(const uint8_t* p, const uint8_t* end, Scope& scope) {
    size_t base = kv_stack_.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen):
          if (!ReadString(p, end, scope.name)) return false;
          break;
        case Tag(2, kLen):
          if (!ReadString(p, end, scope.version)) return false;
          break;
        case Tag(3, kLen):
          if (!PushKeyValue(p, end, 0)) return false;
          break;
        case Tag(4, kVarint):
          if (!ReadUint32(p, end, scope.dropped_attributes_count)) return false;
          break;
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    scope.attributes = TakeFrom(kv_stack_, base);
    return true;
  }

  // --- resource.v1 ---

  // Resource {attributes = 1; dropped_attributes_count = 2;}
  bool DecodeResource(const uint8_t* p, const uint8_t* end, Resource& resource) {
    size_t base = kv_stack_.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        if (!PushKeyValue(p, end, 0)) return false;
      } else if (tag == Tag(2, kVarint)) {
        if (!ReadUint32(p, end, resource.dropped_attributes_count)) return false;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    resource.attributes = TakeFrom(kv_stack_, base);
    return true;
  }

  // --- trace.v1 ---

  // ResourceSpans {resource = 1; scope_spans = 2; schema_url = 3;}
  bool DecodeResourceSpans(const uint8_t* p, const uint8_t* end) {
    Resource* resource = arena_.New<Resource>();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeResource(p, sub_end, *resource)) return false;
          p = sub_end;
          break;
        }
        case Tag(2, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeScopeSpans(p, sub_end, resource)) return false;
          p = sub_end;
          break;
        }
        case Tag(3, kLen):
          if (!ReadString(p, end, resource->schema_url)) return false;
          break;
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    const AnyValue* service = FindAttribute(resource->attributes, "service.name");
    if (service != nullptr && service->type() == ValueType::kString) {
      resource->service_name = service->string_value();
    }
    return true;
  }

  // ScopeSpans {scope = 1; spans = 2; schema_url = 3;}
  bool DecodeScopeSpans(const uint8_t* p, const uint8_t* end, const Resource* resource) {
    Scope* scope = arena_.New<Scope>();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeScope(p, sub_end, *scope)) return false;
          p = sub_end;
          break;
        }
        case Tag(2, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          Span& span = out_.spans().emplace_back();
          span.resource = resource;
          span.scope = scope;
          if (!DecodeSpan(p, sub_end, span)) return false;
          p = sub_end;
          break;
        }
        case Tag(3, kLen):
          if (!ReadString(p, end, scope->schema_url)) return false;
          break;
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    return true;
  }

  bool ReadTraceId(const uint8_t*& p, const uint8_t* end, TraceId& id, bool allow_empty) {
    std::string_view b;
    const uint8_t* start = p;
    if (!ReadBytes(p, end, b)) return false;
    if (b.size() == 16) {
      id = TraceId::FromBytes(reinterpret_cast<const uint8_t*>(b.data()));
    } else if (b.empty() && allow_empty) {
      id = TraceId();
    } else {
      return Fail("trace_id must be 16 bytes", start);
    }
    return true;
  }

  bool ReadSpanId(const uint8_t*& p, const uint8_t* end, SpanId& id, bool allow_empty) {
    std::string_view b;
    const uint8_t* start = p;
    if (!ReadBytes(p, end, b)) return false;
    if (b.size() == 8) {
      id = SpanId::FromBytes(reinterpret_cast<const uint8_t*>(b.data()));
    } else if (b.empty() && allow_empty) {
      id = SpanId();
    } else {
      return Fail("span_id must be 8 bytes", start);
    }
    return true;
  }

  bool DecodeSpan(const uint8_t* p, const uint8_t* const end, Span& span) {
    const uint8_t* const begin = p;
    const size_t kv_base = kv_stack_.size();
    const size_t event_base = event_stack_.size();
    const size_t link_base = link_stack_.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen):
          if (!ReadTraceId(p, end, span.trace_id, /*allow_empty=*/false)) return false;
          break;
        case Tag(2, kLen):
          if (!ReadSpanId(p, end, span.span_id, /*allow_empty=*/false)) return false;
          break;
        case Tag(3, kLen):
          if (!ReadString(p, end, span.trace_state)) return false;
          break;
        case Tag(4, kLen): {
          const uint8_t* start = p;
          std::string_view b;
          if (!ReadBytes(p, end, b)) return false;
          if (b.size() == 8) {
            span.parent_span_id = SpanId::FromBytes(reinterpret_cast<const uint8_t*>(b.data()));
          } else if (b.empty()) {
            span.parent_span_id = SpanId();
          } else {
            return Fail("parent_span_id must be empty or 8 bytes", start);
          }
          break;
        }
        case Tag(5, kLen):
          if (!ReadString(p, end, span.name)) return false;
          break;
        case Tag(6, kVarint): {
          uint64_t v;
          if (!ReadVarintField(p, end, v)) return false;
          span.kind = v <= 5 ? static_cast<SpanKind>(v) : SpanKind::kUnspecified;
          break;
        }
        case Tag(7, kFixed64):
          if (!ReadFixed64(p, end, span.start_time_unix_nano)) return false;
          break;
        case Tag(8, kFixed64):
          if (!ReadFixed64(p, end, span.end_time_unix_nano)) return false;
          break;
        case Tag(9, kLen):
          if (!PushKeyValue(p, end, 0)) return false;
          break;
        case Tag(10, kVarint):
          if (!ReadUint32(p, end, span.dropped_attributes_count)) return false;
          break;
        case Tag(11, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          Event event;
          if (!DecodeEvent(p, sub_end, event)) return false;
          event_stack_.push_back(event);
          p = sub_end;
          break;
        }
        case Tag(12, kVarint):
          if (!ReadUint32(p, end, span.dropped_events_count)) return false;
          break;
        case Tag(13, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          Link link;
          if (!DecodeLink(p, sub_end, link)) return false;
          link_stack_.push_back(link);
          p = sub_end;
          break;
        }
        case Tag(14, kVarint):
          if (!ReadUint32(p, end, span.dropped_links_count)) return false;
          break;
        case Tag(15, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeStatus(p, sub_end, span.status)) return false;
          p = sub_end;
          break;
        }
        case Tag(16, kFixed32):
          if (!ReadFixed32(p, end, span.flags)) return false;
          break;
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    if (span.trace_id.IsZero()) return Fail("span has a missing or all-zero trace_id", begin);
    if (span.span_id.IsZero()) return Fail("span has a missing or all-zero span_id", begin);
    span.attributes = TakeFrom(kv_stack_, kv_base);
    span.events = TakeFrom(event_stack_, event_base);
    span.links = TakeFrom(link_stack_, link_base);
    return true;
  }

  // Event {time_unix_nano = 1; name = 2; attributes = 3; dropped_attributes_count = 4;}
  bool DecodeEvent(const uint8_t* p, const uint8_t* end, Event& event) {
    size_t base = kv_stack_.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kFixed64):
          if (!ReadFixed64(p, end, event.time_unix_nano)) return false;
          break;
        case Tag(2, kLen):
          if (!ReadString(p, end, event.name)) return false;
          break;
        case Tag(3, kLen):
          if (!PushKeyValue(p, end, 0)) return false;
          break;
        case Tag(4, kVarint):
          if (!ReadUint32(p, end, event.dropped_attributes_count)) return false;
          break;
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    event.attributes = TakeFrom(kv_stack_, base);
    return true;
  }

  // Link {trace_id = 1; span_id = 2; trace_state = 3; attributes = 4;
  //       dropped_attributes_count = 5; fixed32 flags = 6;}
  // Empty IDs are accepted (as zero) because a link carries no identity of its own.
  bool DecodeLink(const uint8_t* p, const uint8_t* end, Link& link) {
    size_t base = kv_stack_.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen):
          if (!ReadTraceId(p, end, link.trace_id, /*allow_empty=*/true)) return false;
          break;
        case Tag(2, kLen):
          if (!ReadSpanId(p, end, link.span_id, /*allow_empty=*/true)) return false;
          break;
        case Tag(3, kLen):
          if (!ReadString(p, end, link.trace_state)) return false;
          break;
        case Tag(4, kLen):
          if (!PushKeyValue(p, end, 0)) return false;
          break;
        case Tag(5, kVarint):
          if (!ReadUint32(p, end, link.dropped_attributes_count)) return false;
          break;
        case Tag(6, kFixed32):
          if (!ReadFixed32(p, end, link.flags)) return false;
          break;
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    link.attributes = TakeFrom(kv_stack_, base);
    return true;
  }

  // Status {reserved 1; message = 2; code = 3;}
  bool DecodeStatus(const uint8_t* p, const uint8_t* end, Status& status) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(2, kLen)) {
        if (!ReadString(p, end, status.message)) return false;
      } else if (tag == Tag(3, kVarint)) {
        uint64_t v;
        if (!ReadVarintField(p, end, v)) return false;
        status.code = v <= 2 ? static_cast<StatusCode>(v) : StatusCode::kUnset;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  SpanSet& out_;
  Arena& arena_;
  const OtlpDecodeOptions& options_;
  // Scratch stacks for repeated fields; see the file comment.
  std::vector<KeyValue> kv_stack_;
  std::vector<AnyValue> value_stack_;
  std::vector<Event> event_stack_;
  std::vector<Link> link_stack_;
};

// Counts the spans of a request without decoding them, so the span vector is allocated once.
// Malformed input just ends the count early; the real decode reports the error.
size_t CountSpans(const uint8_t* p, const uint8_t* end) {
  size_t count = 0;
  ForEachLengthDelimited(p, end, [&](uint64_t field, const uint8_t* rs, const uint8_t* rs_end) {
    if (field != 1) return;
    ForEachLengthDelimited(rs, rs_end, [&](uint64_t field, const uint8_t* ss, const uint8_t* e) {
      if (field != 2) return;
      ForEachLengthDelimited(ss, e, [&](uint64_t field, const uint8_t*, const uint8_t*) {
        if (field == 2) ++count;
      });
    });
  });
  return count;
}

// ---------------------------------------------------------------------------------------------
// Encoding, with protowire's two-pass sinks.

template <typename Sink>
void EmitKeyValues(Sink& sink, uint32_t field, Attributes attributes);

template <typename Sink>
void EmitAnyValueBody(Sink& sink, const AnyValue& value) {
  // Oneof members are written even when they hold the default, so the type survives.
  switch (value.type()) {
    case ValueType::kEmpty:
      break;
    case ValueType::kString:
      sink.Bytes(1, value.string_value());
      break;
    case ValueType::kBool:
      sink.Varint(2, value.bool_value() ? 1 : 0);
      break;
    case ValueType::kInt:
      sink.Varint(3, static_cast<uint64_t>(value.int_value()));
      break;
    case ValueType::kDouble:
      sink.Fixed64(4, std::bit_cast<uint64_t>(value.double_value()));
      break;
    case ValueType::kArray:
      sink.Message(5, [&] {
        for (const AnyValue& item : value.array_value()) {
          sink.Message(1, [&] { EmitAnyValueBody(sink, item); });
        }
      });
      break;
    case ValueType::kKvList:
      sink.Message(6, [&] { EmitKeyValues(sink, 1, value.kvlist_value()); });
      break;
    case ValueType::kBytes:
      sink.Bytes(7, value.string_value());
      break;
  }
}

template <typename Sink>
void EmitKeyValues(Sink& sink, uint32_t field, Attributes attributes) {
  for (const KeyValue& kv : attributes) {
    sink.Message(field, [&] {
      if (!kv.key.empty()) sink.Bytes(1, kv.key);
      sink.Message(2, [&] { EmitAnyValueBody(sink, kv.value); });
    });
  }
}

template <typename Sink>
void EmitTraceId(Sink& sink, uint32_t field, const TraceId& id) {
  uint8_t b[16];
  id.ToBytes(b);
  sink.Bytes(field, std::string_view(reinterpret_cast<const char*>(b), 16));
}

template <typename Sink>
void EmitSpanId(Sink& sink, uint32_t field, const SpanId& id) {
  uint8_t b[8];
  id.ToBytes(b);
  sink.Bytes(field, std::string_view(reinterpret_cast<const char*>(b), 8));
}

template <typename Sink>
void EmitSpanBody(Sink& sink, const Span& span) {
  EmitTraceId(sink, 1, span.trace_id);
  EmitSpanId(sink, 2, span.span_id);
  EmitBytesIfNotEmpty(sink, 3, span.trace_state);
  if (!span.parent_span_id.IsZero()) EmitSpanId(sink, 4, span.parent_span_id);
  EmitBytesIfNotEmpty(sink, 5, span.name);
  EmitVarintIfNotZero(sink, 6, static_cast<uint64_t>(span.kind));
  if (span.start_time_unix_nano != 0) sink.Fixed64(7, span.start_time_unix_nano);
  if (span.end_time_unix_nano != 0) sink.Fixed64(8, span.end_time_unix_nano);
  EmitKeyValues(sink, 9, span.attributes);
  EmitVarintIfNotZero(sink, 10, span.dropped_attributes_count);
  for (const Event& event : span.events) {
    sink.Message(11, [&] {
      if (event.time_unix_nano != 0) sink.Fixed64(1, event.time_unix_nano);
      EmitBytesIfNotEmpty(sink, 2, event.name);
      EmitKeyValues(sink, 3, event.attributes);
      EmitVarintIfNotZero(sink, 4, event.dropped_attributes_count);
    });
  }
  EmitVarintIfNotZero(sink, 12, span.dropped_events_count);
  for (const Link& link : span.links) {
    sink.Message(13, [&] {
      if (!link.trace_id.IsZero()) EmitTraceId(sink, 1, link.trace_id);
      if (!link.span_id.IsZero()) EmitSpanId(sink, 2, link.span_id);
      EmitBytesIfNotEmpty(sink, 3, link.trace_state);
      EmitKeyValues(sink, 4, link.attributes);
      EmitVarintIfNotZero(sink, 5, link.dropped_attributes_count);
      if (link.flags != 0) sink.Fixed32(6, link.flags);
    });
  }
  EmitVarintIfNotZero(sink, 14, span.dropped_links_count);
  if (span.status.code != StatusCode::kUnset || !span.status.message.empty()) {
    sink.Message(15, [&] {
      EmitBytesIfNotEmpty(sink, 2, span.status.message);
      EmitVarintIfNotZero(sink, 3, static_cast<uint64_t>(span.status.code));
    });
  }
  if (span.flags != 0) sink.Fixed32(16, span.flags);
}

bool SameResource(const Resource* a, const Resource* b) {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  return ResourceEquals(*a, *b);
}

bool SameScope(const Scope* a, const Scope* b) {
  if (a == b) return true;
  if (a == nullptr || b == nullptr) return false;
  return ScopeEquals(*a, *b);
}

template <typename Sink>
void EmitRequest(Sink& sink, std::span<const Span> spans) {
  static const Resource kNoResource;
  static const Scope kNoScope;
  size_t i = 0;
  while (i < spans.size()) {
    const Resource* resource = spans[i].resource;
    size_t resource_end = i + 1;
    while (resource_end < spans.size() && SameResource(resource, spans[resource_end].resource)) {
      ++resource_end;
    }
    const Resource& r = resource ? *resource : kNoResource;
    sink.Message(1, [&] {    // ResourceSpans
      sink.Message(1, [&] {  // Resource
        EmitKeyValues(sink, 1, r.attributes);
        EmitVarintIfNotZero(sink, 2, r.dropped_attributes_count);
      });
      size_t j = i;
      while (j < resource_end) {
        const Scope* scope = spans[j].scope;
        size_t scope_end = j + 1;
        while (scope_end < resource_end && SameScope(scope, spans[scope_end].scope)) ++scope_end;
        const Scope& s = scope ? *scope : kNoScope;
        sink.Message(2, [&] {    // ScopeSpans
          sink.Message(1, [&] {  // InstrumentationScope
            EmitBytesIfNotEmpty(sink, 1, s.name);
            EmitBytesIfNotEmpty(sink, 2, s.version);
            EmitKeyValues(sink, 3, s.attributes);
            EmitVarintIfNotZero(sink, 4, s.dropped_attributes_count);
          });
          for (size_t k = j; k < scope_end; ++k) {
            sink.Message(2, [&] { EmitSpanBody(sink, spans[k]); });
          }
          EmitBytesIfNotEmpty(sink, 3, s.schema_url);
        });
        j = scope_end;
      }
      EmitBytesIfNotEmpty(sink, 3, r.schema_url);
    });
    i = resource_end;
  }
}

}  // namespace

absl::StatusOr<SpanSet> DecodeOtlpProto(std::string_view bytes, const OtlpDecodeOptions& options) {
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = begin + bytes.size();
  // Strings plus attribute arrays take about 1.7x the wire size for typical spans: start with one
  // block that usually holds everything.
  SpanSet out(bytes.size() * 2 + 4096);
  out.spans().reserve(CountSpans(begin, end));
  ProtoDecoder decoder(out, options);
  if (!decoder.DecodeRequest(begin, end)) {
    const DecodeError& e = decoder.error();
    return absl::InvalidArgumentError(absl::StrCat("invalid OTLP protobuf: ", e.what, " (at byte ",
                                                   e.at - begin, " of ", bytes.size(), ")"));
  }
  return out;
}

std::string EncodeOtlpProto(std::span<const Span> spans) {
  return Encode([&](auto& sink) { EmitRequest(sink, spans); });
}

std::string EncodeRpcStatusProto(int code, std::string_view message) {
  return Encode([&](auto& sink) {
    // int32 fields sign-extend negative values to 64 bits on the wire.
    EmitVarintIfNotZero(sink, 1, static_cast<uint64_t>(static_cast<int64_t>(code)));
    EmitBytesIfNotEmpty(sink, 2, message);
  });
}

}  // namespace skua::model::convert
