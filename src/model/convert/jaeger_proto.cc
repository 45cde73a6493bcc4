// Hand-written protobuf wire codec for Jaeger api_v2 PostSpansRequest (jaeger-compat §1.4).
//
// Decoding walks the wire bytes into one reusable jaeger::Span / jaeger::Process whose strings are
// views into the input and whose vectors keep their capacity from span to span; from_jaeger.h then
// copies what it keeps into the SpanSet's arena. So steady-state decoding does no per-field heap
// allocation. Every length is checked against the bytes that are actually left.
//
// Field numbers follow proto/jaeger/api_v2/{model,collector}.proto.

#include "model/convert/jaeger_proto.h"

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/convert/from_jaeger.h"
#include "model/convert/protowire.h"

namespace skua::model::convert {
namespace {

using protowire::EmitBytesIfNotEmpty;
using protowire::EmitVarintIfNotZero;
using protowire::Encode;
using protowire::kFixed64;
using protowire::kLen;
using protowire::kVarint;
using protowire::Tag;

// api_v2 ValueType / SpanRefType enum values.
constexpr uint64_t kValueString = 0;
constexpr uint64_t kValueBool = 1;
constexpr uint64_t kValueInt64 = 2;
constexpr uint64_t kValueFloat64 = 3;
constexpr uint64_t kValueBinary = 4;
constexpr uint64_t kRefFollowsFrom = 1;

constexpr uint64_t kMicrosPerSecond = 1'000'000;

// google.protobuf.Timestamp / Duration {int64 seconds = 1; int32 nanos = 2;} → µs since the epoch
// (or µs long). Negative values, which no tracer sends, become 0; huge ones saturate.
uint64_t ToMicros(int64_t seconds, int32_t nanos) {
  if (seconds < 0) return 0;
  const uint64_t s = static_cast<uint64_t>(seconds);
  if (s > UINT64_MAX / kMicrosPerSecond - 1) return UINT64_MAX;
  const uint64_t sub = nanos > 0 ? static_cast<uint64_t>(nanos) / 1000 : 0;
  return s * kMicrosPerSecond + sub;
}

// DecodeSimpleRequest's stand-in for the batch resource until the batch process is known.
const Resource kPendingResource{};

class JaegerProtoDecoder : public protowire::WireReader {
 public:
  explicit JaegerProtoDecoder(SpanSet& out) : out_(out) {
    span_.tags.reserve(16);
    span_.references.reserve(2);
  }

  // The common request in a single pass: every span uses the batch process, which (as Go writes
  // it) may come after the spans. Spans are appended with a placeholder resource that is replaced
  // once the whole request is read, so the input is walked once instead of twice (the extra walk
  // costs a cache miss per span on large requests). Returns false, leaving `out` to be discarded,
  // when the request is malformed or a span carries its own process: DecodeRequest, run on a
  // fresh SpanSet, then gives the exact result and error.
  bool DecodeSimpleRequest(const uint8_t* const begin, const uint8_t* const end) {
    simple_ = true;
    for (const uint8_t* p = begin; p < end;) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (!DecodeSimpleBatch(p, sub_end)) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    if (out_.spans().empty()) return true;
    // What ResourceForSpan would have chosen for a span without a process of its own.
    const Resource* resource = nullptr;
    if (has_batch_process_) {
      resource = BatchResource();
    } else {
      resource = no_process_resource_ = MakeResource(out_.arena(), {});
    }
    for (Span& span : out_.spans()) span.resource = resource;
    return true;
  }

  // PostSpansRequest {Batch batch = 1;}. Repeated occurrences of `batch` merge, as protobuf merges
  // message fields: their spans concatenate and their processes merge into one batch process.
  bool DecodeRequest(const uint8_t* const begin, const uint8_t* const end) {
    // Pass 1: the batch process, which spans may precede on the wire (Go writes spans first).
    for (const uint8_t* p = begin; p < end;) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (!ScanBatchForProcess(p, sub_end)) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    // Pass 1 counted the spans: size the span vector once.
    out_.spans().reserve(out_.spans().size() + span_count_);
    // Pass 2: the spans. The structure was validated above, so only tags need reading here.
    for (const uint8_t* p = begin; p < end;) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (!DecodeBatchSpans(p, sub_end)) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

 private:
  // Batch {repeated Span spans = 1; Process process = 2;}: the process part, and the number of
  // spans (counted here rather than in a pass of its own, which would touch every span once more).
  bool ScanBatchForProcess(const uint8_t* p, const uint8_t* end) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) ++span_count_;
      if (tag == Tag(2, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (!DecodeProcess(p, sub_end, batch_process_)) return false;
        has_batch_process_ = true;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  // Batch {repeated Span spans = 1; Process process = 2;}, both parts, for DecodeSimpleRequest.
  bool DecodeSimpleBatch(const uint8_t* p, const uint8_t* end) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen) || tag == Tag(2, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (tag == Tag(1, kLen)) {
          if (!DecodeSpan(p, sub_end)) return false;
        } else {
          if (!DecodeProcess(p, sub_end, batch_process_)) return false;
          has_batch_process_ = true;
        }
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  // Batch: the spans part.
  bool DecodeBatchSpans(const uint8_t* p, const uint8_t* end) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (!DecodeSpan(p, sub_end)) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  // Process {string service_name = 1; repeated KeyValue tags = 2;}. Decoding into a process that
  // already holds fields merges, as protobuf does for a repeated occurrence of a message field.
  bool DecodeProcess(const uint8_t* p, const uint8_t* end, jaeger::Process& process) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        if (!ReadBytes(p, end, process.service_name)) return false;
      } else if (tag == Tag(2, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        if (!DecodeKeyValue(p, sub_end, process.tags.emplace_back())) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  // KeyValue {key = 1; ValueType v_type = 2; v_str = 3; v_bool = 4; v_int64 = 5;
  //           double v_float64 = 6; bytes v_binary = 7;}. v_type selects the value; an unknown
  // v_type is read as STRING, the enum's default.
  bool DecodeKeyValue(const uint8_t* p, const uint8_t* end, jaeger::Tag& out) {
    std::string_view key, str, binary;
    uint64_t type = kValueString, bool_value = 0, int_value = 0, float_bits = 0;
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      bool ok = true;
      switch (tag) {
        case Tag(1, kLen):
          ok = ReadBytes(p, end, key);
          break;
        case Tag(2, kVarint):
          ok = ReadVarintField(p, end, type);
          break;
        case Tag(3, kLen):
          ok = ReadBytes(p, end, str);
          break;
        case Tag(4, kVarint):
          ok = ReadVarintField(p, end, bool_value);
          break;
        case Tag(5, kVarint):
          ok = ReadVarintField(p, end, int_value);
          break;
        case Tag(6, kFixed64):
          ok = ReadFixed64(p, end, float_bits);
          break;
        case Tag(7, kLen):
          ok = ReadBytes(p, end, binary);
          break;
        default:
          ok = SkipField(tag, p, end);
      }
      if (!ok) return false;
    }
    // Field by field rather than `out = jaeger::Tag::X(...)`: assigning a whole temporary made
    // GCC build it on the stack with narrow stores and reload it with wide ones, a store-forwarding
    // stall that cost more than the rest of this function.
    out.key = key;
    out.str = {};
    out.bool_value = false;
    out.int_value = 0;
    out.float_value = 0;
    switch (type) {
      case kValueBool:
        out.type = jaeger::TagType::kBool;
        out.bool_value = bool_value != 0;
        break;
      case kValueInt64:
        out.type = jaeger::TagType::kInt64;
        out.int_value = static_cast<int64_t>(int_value);
        break;
      case kValueFloat64:
        out.type = jaeger::TagType::kFloat64;
        out.float_value = std::bit_cast<double>(float_bits);
        break;
      case kValueBinary:
        out.type = jaeger::TagType::kBinary;
        out.str = binary;
        break;
      default:
        out.type = jaeger::TagType::kString;
        out.str = str;
    }
    return true;
  }

  // google.protobuf.Timestamp / Duration {int64 seconds = 1; int32 nanos = 2;}.
  bool DecodeTime(const uint8_t* p, const uint8_t* end, uint64_t& micros) {
    uint64_t seconds = 0, nanos = 0;
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kVarint)) {
        if (!ReadVarintField(p, end, seconds)) return false;
      } else if (tag == Tag(2, kVarint)) {
        if (!ReadVarintField(p, end, nanos)) return false;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    // int32 keeps the low 32 bits of its (sign-extended) varint.
    micros =
        ToMicros(static_cast<int64_t>(seconds), static_cast<int32_t>(static_cast<uint32_t>(nanos)));
    return true;
  }

  // Reads a bytes field that must hold `size` bytes, or be empty when `allow_empty`.
  bool ReadId(const uint8_t*& p, const uint8_t* end, size_t size, bool allow_empty,
              const char* error, std::string_view& out) {
    const uint8_t* start = p;
    if (!ReadBytes(p, end, out)) return false;
    if (out.size() != size && !(allow_empty && out.empty())) return Fail(error, start);
    return true;
  }

  // SpanRef {bytes trace_id = 1; bytes span_id = 2; SpanRefType ref_type = 3;}
  bool DecodeReference(const uint8_t* p, const uint8_t* end, jaeger::Reference& ref) {
    ref = jaeger::Reference();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      std::string_view id;
      if (tag == Tag(1, kLen)) {
        if (!ReadId(p, end, 16, true, "reference trace_id must be empty or 16 bytes", id))
          return false;
        ref.trace_id = id.empty() ? TraceId() : TraceId::FromBytes(Bytes(id));
      } else if (tag == Tag(2, kLen)) {
        if (!ReadId(p, end, 8, true, "reference span_id must be empty or 8 bytes", id))
          return false;
        ref.span_id = id.empty() ? SpanId() : SpanId::FromBytes(Bytes(id));
      } else if (tag == Tag(3, kVarint)) {
        uint64_t type;
        if (!ReadVarintField(p, end, type)) return false;
        ref.type =
            type == kRefFollowsFrom ? jaeger::RefType::kFollowsFrom : jaeger::RefType::kChildOf;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  // Log {google.protobuf.Timestamp timestamp = 1; repeated KeyValue fields = 2;}
  bool DecodeLog(const uint8_t* p, const uint8_t* end, jaeger::Log& log) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen) || tag == Tag(2, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        bool ok = tag == Tag(1, kLen) ? DecodeTime(p, sub_end, log.timestamp_us)
                                      : DecodeKeyValue(p, sub_end, log.fields.emplace_back());
        if (!ok) return false;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  // A cleared Log for the next log of the current span, reusing an earlier one's capacity.
  jaeger::Log& NextLog() {
    if (logs_used_ == span_.logs.size()) {
      if (spare_logs_.empty()) {
        span_.logs.emplace_back();
      } else {
        span_.logs.push_back(std::move(spare_logs_.back()));
        spare_logs_.pop_back();
      }
    }
    jaeger::Log& log = span_.logs[logs_used_++];
    log.timestamp_us = 0;
    log.fields.clear();
    return log;
  }

  void ResetSpan() {
    span_.trace_id = TraceId();
    span_.span_id = SpanId();
    span_.operation_name = {};
    span_.references.clear();
    span_.flags = 0;
    span_.start_time_us = 0;
    span_.duration_us = 0;
    span_.tags.clear();
    logs_used_ = 0;
    span_process_.service_name = {};
    span_process_.tags.clear();
    has_span_process_ = false;
  }

  // Span {trace_id = 1; span_id = 2; operation_name = 3; references = 4; flags = 5;
  //       start_time = 6; duration = 7; tags = 8; logs = 9; process = 10; process_id = 11;
  //       warnings = 12;}. process_id (only meaningful in a Trace's process map) and warnings are
  // ignored.
  bool DecodeSpan(const uint8_t* p, const uint8_t* const end) {
    const uint8_t* const begin = p;
    ResetSpan();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      std::string_view bytes;
      switch (tag) {
        case Tag(1, kLen):
          if (!ReadId(p, end, 16, false, "trace_id must be 16 bytes", bytes)) return false;
          span_.trace_id = TraceId::FromBytes(Bytes(bytes));
          break;
        case Tag(2, kLen):
          if (!ReadId(p, end, 8, false, "span_id must be 8 bytes", bytes)) return false;
          span_.span_id = SpanId::FromBytes(Bytes(bytes));
          break;
        case Tag(3, kLen):
          if (!ReadBytes(p, end, span_.operation_name)) return false;
          break;
        case Tag(5, kVarint):
          if (!ReadUint32(p, end, span_.flags)) return false;
          break;
        case Tag(4, kLen):
        case Tag(6, kLen):
        case Tag(7, kLen):
        case Tag(8, kLen):
        case Tag(9, kLen):
        case Tag(10, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeSpanMessageField(tag >> 3, p, sub_end)) return false;
          p = sub_end;
          break;
        }
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    // Logs beyond this span's count go back to the spare pool, keeping their capacity.
    while (span_.logs.size() > logs_used_) {
      spare_logs_.push_back(std::move(span_.logs.back()));
      span_.logs.pop_back();
    }
    if (span_.trace_id.IsZero()) return Fail("span has a missing or all-zero trace_id", begin);
    if (span_.span_id.IsZero()) return Fail("span has a missing or all-zero span_id", begin);
    if (simple_) {
      // A span process would need the batch process to choose its resource: not simple.
      if (has_span_process_) return false;
      // Every span of a simple request gets the same resource, so one placeholder (never
      // dereferenced) makes AppendFromJaegerSpan share scopes exactly as the real one would.
      AppendFromJaegerSpan(span_, &kPendingResource, out_);
    } else {
      AppendFromJaegerSpan(span_, ResourceForSpan(), out_);
    }
    return true;
  }

  bool DecodeSpanMessageField(uint32_t field, const uint8_t* p, const uint8_t* end) {
    switch (field) {
      case 4:
        return DecodeReference(p, end, span_.references.emplace_back());
      case 6:
        return DecodeTime(p, end, span_.start_time_us);
      case 7:
        return DecodeTime(p, end, span_.duration_us);
      case 8:
        return DecodeKeyValue(p, end, span_.tags.emplace_back());
      case 9:
        return DecodeLog(p, end, NextLog());
      case 10:
        has_span_process_ = true;
        return DecodeProcess(p, end, span_process_);
    }
    return true;
  }

  // The span's own process if it has one, else the batch's (§1.4). Resources are shared: one for
  // the batch process, and a span process equal to the previous span's (or the batch's) reuses it.
  const Resource* ResourceForSpan() {
    if (has_span_process_) {
      if (last_span_resource_ != nullptr &&
          jaeger::ProcessEquals(span_process_, last_span_process_)) {
        return last_span_resource_;
      }
      if (has_batch_process_ && jaeger::ProcessEquals(span_process_, batch_process_)) {
        return BatchResource();
      }
      last_span_resource_ = ResourceFromJaegerProcess(span_process_, out_);
      std::swap(last_span_process_, span_process_);  // span_process_ is reset before reuse
      return last_span_resource_;
    }
    if (has_batch_process_) return BatchResource();
    if (no_process_resource_ == nullptr) no_process_resource_ = MakeResource(out_.arena(), {});
    return no_process_resource_;
  }

  const Resource* BatchResource() {
    if (batch_resource_ == nullptr)
      batch_resource_ = ResourceFromJaegerProcess(batch_process_, out_);
    return batch_resource_;
  }

  static const uint8_t* Bytes(std::string_view s) {
    return reinterpret_cast<const uint8_t*>(s.data());
  }

  SpanSet& out_;
  bool simple_ = false;    // decoding with DecodeSimpleRequest
  size_t span_count_ = 0;  // spans seen by pass 1
  jaeger::Span span_;  // reused for every span; strings are views into the input
  size_t logs_used_ = 0;
  std::vector<jaeger::Log> spare_logs_;

  jaeger::Process batch_process_;
  bool has_batch_process_ = false;
  const Resource* batch_resource_ = nullptr;

  jaeger::Process span_process_;
  bool has_span_process_ = false;
  jaeger::Process last_span_process_;
  const Resource* last_span_resource_ = nullptr;
  const Resource* no_process_resource_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Encoding, with protowire's two-pass sinks. Fields are written in field-number order and
// proto3 defaults are left out, as libprotobuf does.

template <typename Sink>
void EmitKeyValue(Sink& sink, uint32_t field, const jaeger::Tag& tag) {
  sink.Message(field, [&] {
    EmitBytesIfNotEmpty(sink, 1, tag.key);
    switch (tag.type) {
      case jaeger::TagType::kString:
        EmitBytesIfNotEmpty(sink, 3, tag.str);
        break;
      case jaeger::TagType::kBool:
        sink.Varint(2, kValueBool);
        EmitVarintIfNotZero(sink, 4, tag.bool_value ? 1 : 0);
        break;
      case jaeger::TagType::kInt64:
        sink.Varint(2, kValueInt64);
        EmitVarintIfNotZero(sink, 5, static_cast<uint64_t>(tag.int_value));
        break;
      case jaeger::TagType::kFloat64: {
        sink.Varint(2, kValueFloat64);
        uint64_t bits = std::bit_cast<uint64_t>(tag.float_value);
        if (bits != 0) sink.Fixed64(6, bits);
        break;
      }
      case jaeger::TagType::kBinary:
        sink.Varint(2, kValueBinary);
        EmitBytesIfNotEmpty(sink, 7, tag.str);
        break;
    }
  });
}

template <typename Sink>
void EmitTime(Sink& sink, uint32_t field, uint64_t micros) {
  sink.Message(field, [&] {
    EmitVarintIfNotZero(sink, 1, micros / kMicrosPerSecond);
    EmitVarintIfNotZero(sink, 2, (micros % kMicrosPerSecond) * 1000);
  });
}

template <typename Sink>
void EmitProcess(Sink& sink, uint32_t field, const jaeger::Process& process) {
  sink.Message(field, [&] {
    EmitBytesIfNotEmpty(sink, 1, process.service_name);
    for (const jaeger::Tag& t : process.tags) EmitKeyValue(sink, 2, t);
  });
}

template <typename Sink>
void EmitSpan(Sink& sink, const jaeger::Span& span, const jaeger::Process* process) {
  uint8_t trace_id[16], span_id[8];
  auto bytes = [](const uint8_t* b, size_t n) {
    return std::string_view(reinterpret_cast<const char*>(b), n);
  };
  span.trace_id.ToBytes(trace_id);
  span.span_id.ToBytes(span_id);
  sink.Bytes(1, bytes(trace_id, 16));
  sink.Bytes(2, bytes(span_id, 8));
  EmitBytesIfNotEmpty(sink, 3, span.operation_name);
  for (const jaeger::Reference& ref : span.references) {
    sink.Message(4, [&] {
      uint8_t ref_trace[16], ref_span[8];
      ref.trace_id.ToBytes(ref_trace);
      ref.span_id.ToBytes(ref_span);
      sink.Bytes(1, bytes(ref_trace, 16));
      sink.Bytes(2, bytes(ref_span, 8));
      if (ref.type == jaeger::RefType::kFollowsFrom) sink.Varint(3, kRefFollowsFrom);
    });
  }
  EmitVarintIfNotZero(sink, 5, span.flags);
  EmitTime(sink, 6, span.start_time_us);
  EmitTime(sink, 7, span.duration_us);
  for (const jaeger::Tag& t : span.tags) EmitKeyValue(sink, 8, t);
  for (const jaeger::Log& log : span.logs) {
    sink.Message(9, [&] {
      EmitTime(sink, 1, log.timestamp_us);
      for (const jaeger::Tag& t : log.fields) EmitKeyValue(sink, 2, t);
    });
  }
  if (process != nullptr) EmitProcess(sink, 10, *process);
}

template <typename Sink>
void EmitRequest(Sink& sink, const jaeger::JaegerTrace& trace) {
  const bool shared = trace.processes.size() == 1;
  sink.Message(1, [&] {  // Batch
    for (const jaeger::Span& span : trace.spans) {
      const jaeger::Process* own = nullptr;
      if (!shared && span.process_index < trace.processes.size()) {
        own = &trace.processes[span.process_index];
      }
      sink.Message(1, [&] { EmitSpan(sink, span, own); });
    }
    if (shared) EmitProcess(sink, 2, trace.processes[0]);
  });
}

}  // namespace

absl::StatusOr<SpanSet> DecodeJaegerPostSpansRequest(std::string_view bytes) {
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = begin + bytes.size();
  // The arena holds every string once plus attribute arrays: start with one block that usually
  // holds everything.
  {
    SpanSet out(bytes.size() * 2 + 4096);
    JaegerProtoDecoder decoder(out);
    if (decoder.DecodeSimpleRequest(begin, end)) return out;
  }
  SpanSet out(bytes.size() * 2 + 4096);
  JaegerProtoDecoder decoder(out);
  if (!decoder.DecodeRequest(begin, end)) {
    const protowire::DecodeError& e = decoder.error();
    return absl::InvalidArgumentError(absl::StrCat("invalid Jaeger api_v2 protobuf: ", e.what,
                                                   " (at byte ", e.at - begin, " of ", bytes.size(),
                                                   ")"));
  }
  return out;
}

std::string EncodeJaegerProtoBatch(const jaeger::JaegerTrace& trace) {
  return Encode([&](auto& sink) { EmitRequest(sink, trace); });
}

std::string EncodeJaegerProtoBatch(std::span<const Span> spans) {
  return EncodeJaegerProtoBatch(jaeger::ToJaegerTrace(spans));
}

}  // namespace skua::model::convert
