// Jaeger Thrift codec. Field ids and types follow IDL thrift/jaeger.thrift and thrift/agent.thrift
// (quoted in jaeger-compat §1.5 and §1.6); the Thrift → model rules follow J1
// model/converter/thrift/jaeger/to_domain.go, then from_jaeger.h maps the Jaeger model onto spans.
//
// Decoding streams: each Span struct is read into a reusable jaeger::Span (string views into the
// input, vectors that keep their capacity) and converted at once, so a batch costs one pass and
// no per-span heap allocation once the scratch vectors have grown.
//
// Two decoders read the Batch struct. FastBatchDecoder, compiled per protocol on
// thrift::FastReader (bool results, state in registers, headers of the usual field order checked
// with a compare or two), takes well-formed input; at anything it does not take (every error, and
// a spans list before the process) it gives up, the output is discarded and BatchDecoder, on the
// general thrift::Reader, decodes the same bytes. BatchDecoder alone defines results and error
// messages; the fast path only ever reproduces its successes (jaeger_thrift_test.cc and the fuzz
// targets compare the two on every input they make).
#include "model/convert/jaeger_thrift.h"

#include <algorithm>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/convert/from_jaeger.h"
#include "model/convert/thrift/fast_reader.h"
#include "model/convert/thrift/reader.h"
#include "model/convert/thrift/writer.h"

namespace skua::model::convert {
namespace {

using thrift::FastField;
using thrift::FastReader;
using thrift::FieldHeader;
using thrift::ListHeader;
using thrift::MessageType;
using thrift::Protocol;
using thrift::Reader;
using thrift::Type;
using thrift::Writer;

// Thrift TagType / SpanRefType enum values.
constexpr int32_t kTagString = 0;
constexpr int32_t kTagDouble = 1;
constexpr int32_t kTagBool = 2;
constexpr int32_t kTagLong = 3;
constexpr int32_t kTagBinary = 4;
constexpr int32_t kRefChildOf = 0;
constexpr int32_t kRefFollowsFrom = 1;

constexpr std::string_view kEmitBatch = "emitBatch";
constexpr std::string_view kEmitZipkinBatch = "emitZipkinBatch";

#define SKUA_THRIFT_TRY(expr)                        \
  do {                                               \
    absl::Status skua_thrift_s_ = (expr);            \
    if (!skua_thrift_s_.ok()) return skua_thrift_s_; \
  } while (0)

absl::Status Missing(std::string_view what, std::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("jaeger thrift: required field ", ToAbsl(what),
                                                 ".", ToAbsl(field), " is not set"));
}

// Scratch kept per thread so that steady-state decoding does not allocate.
struct Scratch {
  jaeger::Span span;
  jaeger::Process process;
  std::vector<jaeger::Log> spare_logs;  // Log objects (with their field capacity) not in use

  void ResetSpan() {
    span.references.clear();
    span.tags.clear();
    while (!span.logs.empty()) {
      spare_logs.push_back(std::move(span.logs.back()));
      span.logs.pop_back();
    }
  }
  // Releases scratch memory after an unusually large batch, so that one huge request does not
  // pin its high-water mark on this thread forever.
  void Trim() {
    constexpr size_t kKeep = 4096;
    if (span.tags.capacity() > kKeep) std::vector<jaeger::Tag>().swap(span.tags);
    if (span.references.capacity() > kKeep) std::vector<jaeger::Reference>().swap(span.references);
    if (process.tags.capacity() > kKeep) std::vector<jaeger::Tag>().swap(process.tags);
    ResetSpan();
    size_t fields = 0;
    for (const jaeger::Log& log : spare_logs) fields += log.fields.capacity();
    if (spare_logs.size() > kKeep / 16 || fields > kKeep)
      std::vector<jaeger::Log>().swap(spare_logs);
    if (span.logs.capacity() > kKeep / 16) std::vector<jaeger::Log>().swap(span.logs);
  }
  jaeger::Log& NewLog() {
    if (spare_logs.empty()) {
      span.logs.emplace_back();
    } else {
      span.logs.push_back(std::move(spare_logs.back()));
      spare_logs.pop_back();
    }
    jaeger::Log& log = span.logs.back();
    log.fields.clear();
    log.timestamp_us = 0;
    return log;
  }
};

// model.MaybeAddParentSpanID: a parent not already referenced becomes the first reference.
void AddParentReference(jaeger::Span& s, SpanId parent_id) {
  bool referenced =
      std::any_of(s.references.begin(), s.references.end(), [&](const jaeger::Reference& ref) {
        return ref.span_id == parent_id && ref.trace_id == s.trace_id;
      });
  if (!referenced) {
    s.references.insert(s.references.begin(),
                        jaeger::Reference{jaeger::RefType::kChildOf, s.trace_id, parent_id});
  }
}

class BatchDecoder {
 public:
  BatchDecoder(Scratch& scratch, SpanSet& out, const JaegerThriftDecodeOptions& options)
      : scratch_(scratch), out_(out), options_(options) {}

  // Reads one Batch struct and appends its spans to `out`.
  absl::Status ReadBatch(Reader& r) {
    SKUA_THRIFT_TRY(r.ReadStructBegin());
    bool have_process = false, have_spans = false;
    std::string_view deferred_spans;  // a spans list that came before the process
    while (true) {
      FieldHeader f;
      SKUA_THRIFT_TRY(r.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kStruct) {
        SKUA_THRIFT_TRY(ReadProcess(r, scratch_.process));
        resource_ = ResourceFromJaegerProcess(scratch_.process, out_);
        have_process = true;
      } else if (f.id == 2 && f.type == Type::kList) {
        have_spans = true;
        if (have_process) {
          SKUA_THRIFT_TRY(ReadSpans(r));
        } else {
          // Thrift writers emit fields in id order, but nothing requires it: keep the list's
          // bytes and convert them once the process is known.
          size_t start = r.position();
          SKUA_THRIFT_TRY(r.Skip(Type::kList));
          deferred_spans = r.Consumed(start);
        }
      } else {
        SKUA_THRIFT_TRY(r.Skip(f.type));  // seqNo, stats, unknown fields
      }
    }
    SKUA_THRIFT_TRY(r.ReadStructEnd());
    if (!have_process) return Missing("Batch", "process");
    if (!have_spans) return Missing("Batch", "spans");
    if (!deferred_spans.empty()) {
      thrift::ReaderOptions ro;
      ro.max_depth = options_.max_depth;
      Reader sub(deferred_spans, r.protocol(), ro);
      SKUA_THRIFT_TRY(ReadSpans(sub));
    }
    return absl::OkStatus();
  }

 private:
  thrift::ReaderOptions ReaderOpts() const {
    thrift::ReaderOptions ro;
    ro.max_depth = options_.max_depth;
    return ro;
  }

  absl::Status ReadSpans(Reader& r) {
    ListHeader list;
    SKUA_THRIFT_TRY(r.ReadListBegin(list));
    if (list.element_type != Type::kStruct) {
      return absl::InvalidArgumentError(
          absl::StrCat("jaeger thrift: Batch.spans must be a list of structs, not of ",
                       ToAbsl(thrift::TypeName(list.element_type))));
    }
    // No reserve(list.size): the count is only known to fit the remaining bytes, and a span's
    // model form is far larger than its smallest encoding; let the vector grow with real spans.
    for (uint32_t i = 0; i < list.size; ++i) {
      SKUA_THRIFT_TRY(ReadSpan(r, scratch_.span));
      AppendFromJaegerSpan(scratch_.span, resource_, out_);
    }
    r.ReadContainerEnd();
    return absl::OkStatus();
  }

  absl::Status ReadProcess(Reader& r, jaeger::Process& p) {
    p.service_name = {};
    p.tags.clear();
    SKUA_THRIFT_TRY(r.ReadStructBegin());
    bool have_service = false;
    while (true) {
      FieldHeader f;
      SKUA_THRIFT_TRY(r.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kString) {
        SKUA_THRIFT_TRY(r.ReadString(p.service_name));
        have_service = true;
      } else if (f.id == 2 && f.type == Type::kList) {
        SKUA_THRIFT_TRY(ReadTags(r, p.tags));
      } else {
        SKUA_THRIFT_TRY(r.Skip(f.type));
      }
    }
    SKUA_THRIFT_TRY(r.ReadStructEnd());
    if (!have_service) return Missing("Process", "serviceName");
    return absl::OkStatus();
  }

  // list<Tag>, appended to `tags`.
  ABSL_ATTRIBUTE_NOINLINE absl::Status ReadTags(Reader& r, std::vector<jaeger::Tag>& tags) {
    ListHeader list;
    SKUA_THRIFT_TRY(r.ReadListBegin(list));
    if (list.element_type != Type::kStruct) {
      // Not a list of Tag structs: skip it as Thrift's generated readers skip a mistyped field.
      for (uint32_t i = 0; i < list.size; ++i) SKUA_THRIFT_TRY(r.Skip(list.element_type));
      r.ReadContainerEnd();
      return absl::OkStatus();
    }
    for (uint32_t i = 0; i < list.size; ++i) {
      SKUA_THRIFT_TRY(ReadTag(r, tags.emplace_back()));
    }
    r.ReadContainerEnd();
    return absl::OkStatus();
  }

  // Inlined into ReadTags' loop: tags dominate a span's bytes, and a call per tag costs a frame
  // setup and spills that outweigh the tag's own work.
  ABSL_ATTRIBUTE_ALWAYS_INLINE absl::Status ReadTag(Reader& r, jaeger::Tag& t) {
    t = jaeger::Tag();
    SKUA_THRIFT_TRY(r.ReadStructBegin());
    bool have_key = false, have_type = false;
    int32_t vtype = 0;
    std::string_view vstr, vbinary;
    double vdouble = 0;
    bool vbool = false;
    int64_t vlong = 0;
    while (true) {
      FieldHeader f;
      SKUA_THRIFT_TRY(r.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kString) {
        SKUA_THRIFT_TRY(r.ReadString(t.key));
        have_key = true;
      } else if (f.id == 2 && f.type == Type::kI32) {
        SKUA_THRIFT_TRY(r.ReadI32(vtype));
        have_type = true;
      } else if (f.id == 3 && f.type == Type::kString) {
        SKUA_THRIFT_TRY(r.ReadString(vstr));
      } else if (f.id == 4 && f.type == Type::kDouble) {
        SKUA_THRIFT_TRY(r.ReadDouble(vdouble));
      } else if (f.id == 5 && f.type == Type::kBool) {
        SKUA_THRIFT_TRY(r.ReadBool(vbool));
      } else if (f.id == 6 && f.type == Type::kI64) {
        SKUA_THRIFT_TRY(r.ReadI64(vlong));
      } else if (f.id == 7 && f.type == Type::kString) {
        SKUA_THRIFT_TRY(r.ReadString(vbinary));
      } else {
        SKUA_THRIFT_TRY(r.Skip(f.type));
      }
    }
    SKUA_THRIFT_TRY(r.ReadStructEnd());
    if (!have_key) return Missing("Tag", "key");
    if (!have_type) return Missing("Tag", "vType");
    // The value is chosen by vType; an absent value field reads as its zero value (to_domain.go).
    switch (vtype) {
      case kTagString:
        t.type = jaeger::TagType::kString;
        t.str = vstr;
        break;
      case kTagDouble:
        t.type = jaeger::TagType::kFloat64;
        t.float_value = vdouble;
        break;
      case kTagBool:
        t.type = jaeger::TagType::kBool;
        t.bool_value = vbool;
        break;
      case kTagLong:
        t.type = jaeger::TagType::kInt64;
        t.int_value = vlong;
        break;
      case kTagBinary:
        t.type = jaeger::TagType::kBinary;
        t.str = vbinary;
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(
            "jaeger thrift: tag \"", ToAbsl(t.key.substr(0, 64)), "\" has unknown vType ", vtype));
    }
    return absl::OkStatus();
  }

  absl::Status ReadLog(Reader& r, jaeger::Log& log) {
    SKUA_THRIFT_TRY(r.ReadStructBegin());
    bool have_timestamp = false, have_fields = false;
    while (true) {
      FieldHeader f;
      SKUA_THRIFT_TRY(r.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kI64) {
        int64_t ts;
        SKUA_THRIFT_TRY(r.ReadI64(ts));
        log.timestamp_us = static_cast<uint64_t>(ts);
        have_timestamp = true;
      } else if (f.id == 2 && f.type == Type::kList) {
        SKUA_THRIFT_TRY(ReadTags(r, log.fields));
        have_fields = true;
      } else {
        SKUA_THRIFT_TRY(r.Skip(f.type));
      }
    }
    SKUA_THRIFT_TRY(r.ReadStructEnd());
    if (!have_timestamp) return Missing("Log", "timestamp");
    if (!have_fields) return Missing("Log", "fields");
    return absl::OkStatus();
  }

  absl::Status ReadRef(Reader& r, jaeger::Reference& ref) {
    SKUA_THRIFT_TRY(r.ReadStructBegin());
    uint32_t seen = 0;
    int32_t type = 0;
    int64_t low = 0, high = 0, span_id = 0;
    while (true) {
      FieldHeader f;
      SKUA_THRIFT_TRY(r.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kI32) {
        SKUA_THRIFT_TRY(r.ReadI32(type));
        seen |= 1;
      } else if (f.id == 2 && f.type == Type::kI64) {
        SKUA_THRIFT_TRY(r.ReadI64(low));
        seen |= 2;
      } else if (f.id == 3 && f.type == Type::kI64) {
        SKUA_THRIFT_TRY(r.ReadI64(high));
        seen |= 4;
      } else if (f.id == 4 && f.type == Type::kI64) {
        SKUA_THRIFT_TRY(r.ReadI64(span_id));
        seen |= 8;
      } else {
        SKUA_THRIFT_TRY(r.Skip(f.type));
      }
    }
    SKUA_THRIFT_TRY(r.ReadStructEnd());
    if (!(seen & 1)) return Missing("SpanRef", "refType");
    if (!(seen & 2)) return Missing("SpanRef", "traceIdLow");
    if (!(seen & 4)) return Missing("SpanRef", "traceIdHigh");
    if (!(seen & 8)) return Missing("SpanRef", "spanId");
    if (type != kRefChildOf && type != kRefFollowsFrom) {
      return absl::InvalidArgumentError(
          absl::StrCat("jaeger thrift: span reference has unknown refType ", type));
    }
    ref.type = type == kRefChildOf ? jaeger::RefType::kChildOf : jaeger::RefType::kFollowsFrom;
    ref.trace_id = TraceId{static_cast<uint64_t>(high), static_cast<uint64_t>(low)};
    ref.span_id = SpanId{static_cast<uint64_t>(span_id)};
    return absl::OkStatus();
  }

  absl::Status ReadSpan(Reader& r, jaeger::Span& s) {
    scratch_.ResetSpan();
    s.operation_name = {};
    s.flags = 0;
    s.start_time_us = 0;
    s.duration_us = 0;
    SKUA_THRIFT_TRY(r.ReadStructBegin());
    uint32_t seen = 0;
    int64_t low = 0, high = 0, span_id = 0, parent = 0;
    while (true) {
      FieldHeader f;
      SKUA_THRIFT_TRY(r.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      switch (f.id) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 8:
        case 9: {
          if (f.type != Type::kI64) break;
          int64_t v;
          SKUA_THRIFT_TRY(r.ReadI64(v));
          if (f.id == 1) low = v;
          if (f.id == 2) high = v;
          if (f.id == 3) span_id = v;
          if (f.id == 4) parent = v;
          if (f.id == 8) s.start_time_us = static_cast<uint64_t>(v);
          if (f.id == 9) s.duration_us = static_cast<uint64_t>(v);
          seen |= 1u << f.id;
          continue;
        }
        case 5:
          if (f.type != Type::kString) break;
          SKUA_THRIFT_TRY(r.ReadString(s.operation_name));
          seen |= 1u << 5;
          continue;
        case 6: {
          if (f.type != Type::kList) break;
          ListHeader list;
          SKUA_THRIFT_TRY(r.ReadListBegin(list));
          for (uint32_t i = 0; i < list.size; ++i) {
            if (list.element_type != Type::kStruct) {
              SKUA_THRIFT_TRY(r.Skip(list.element_type));
              continue;
            }
            SKUA_THRIFT_TRY(ReadRef(r, s.references.emplace_back()));
          }
          r.ReadContainerEnd();
          continue;
        }
        case 7: {
          if (f.type != Type::kI32) break;
          int32_t flags;
          SKUA_THRIFT_TRY(r.ReadI32(flags));
          s.flags = static_cast<uint32_t>(flags);
          seen |= 1u << 7;
          continue;
        }
        case 10:
          if (f.type != Type::kList) break;
          SKUA_THRIFT_TRY(ReadTags(r, s.tags));
          continue;
        case 11: {
          if (f.type != Type::kList) break;
          ListHeader list;
          SKUA_THRIFT_TRY(r.ReadListBegin(list));
          for (uint32_t i = 0; i < list.size; ++i) {
            if (list.element_type != Type::kStruct) {
              SKUA_THRIFT_TRY(r.Skip(list.element_type));
              continue;
            }
            SKUA_THRIFT_TRY(ReadLog(r, scratch_.NewLog()));
          }
          r.ReadContainerEnd();
          continue;
        }
        default:
          break;
      }
      SKUA_THRIFT_TRY(r.Skip(f.type));  // unknown field, or a known one with an unexpected type
    }
    SKUA_THRIFT_TRY(r.ReadStructEnd());
    static constexpr std::pair<int, std::string_view> kRequired[] = {
        {1, "traceIdLow"},    {2, "traceIdHigh"}, {3, "spanId"},    {4, "parentSpanId"},
        {5, "operationName"}, {7, "flags"},       {8, "startTime"}, {9, "duration"}};
    for (const auto& [id, name] : kRequired) {
      if (!(seen & (1u << id))) return Missing("Span", name);
    }
    s.trace_id = TraceId{static_cast<uint64_t>(high), static_cast<uint64_t>(low)};
    s.span_id = SpanId{static_cast<uint64_t>(span_id)};
    if (s.trace_id.IsZero()) {
      return absl::InvalidArgumentError("jaeger thrift: span has an all-zero trace ID");
    }
    if (s.span_id.IsZero()) {
      return absl::InvalidArgumentError("jaeger thrift: span has a zero span ID");
    }
    if (parent != 0) AddParentReference(s, SpanId{static_cast<uint64_t>(parent)});
    return absl::OkStatus();
  }

  Scratch& scratch_;
  SpanSet& out_;
  const JaegerThriftDecodeOptions& options_;
  const Resource* resource_ = nullptr;
};

// The same decoding as BatchDecoder, compiled for one protocol on FastReader, for well-formed
// input: every method returns false where BatchDecoder would fail, and also for a spans list that
// comes before the process (which BatchDecoder decodes from a second reader). After false the
// caller discards the output and decodes the same bytes with BatchDecoder, so results and error
// messages are BatchDecoder's alone; on true the output is what BatchDecoder would have produced
// (the jaeger::Span handed to AppendFromJaegerSpan is filled the same way).
template <Protocol P>
class FastBatchDecoder {
 public:
  FastBatchDecoder(Scratch& scratch, SpanSet& out) : scratch_(scratch), out_(out) {}

  bool ReadBatch(FastReader<P>& r) {
    if (!r.StructBegin()) return false;
    int16_t last_id = 0;
    bool have_process = false, have_spans = false;
    while (true) {
      FastField f;
      if (!r.FieldBegin(last_id, f)) return false;
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kStruct) {
        if (!ReadProcess(r, scratch_.process)) return false;
        resource_ = ResourceFromJaegerProcess(scratch_.process, out_);
        have_process = true;
      } else if (f.id == 2 && f.type == Type::kList) {
        if (!have_process) return false;  // left to BatchDecoder, which defers it
        have_spans = true;
        if (!ReadSpans(r)) return false;
      } else if (!r.SkipField(f)) {
        return false;
      }
    }
    r.StructEnd();
    return have_process && have_spans;
  }

 private:
  // Smallest encoding of a Span struct with every required field (6 i64s, a string, an i32, the
  // stop byte): bounds how many spans the remaining bytes can hold.
  static constexpr size_t kMinSpanBytes = P == Protocol::kBinary ? 81 : 17;
  // Spans reserved ahead at most, so that a list that only claims many spans cannot make the
  // output vector large before any of them is read.
  static constexpr size_t kMaxReserve = 4096;

  bool ReadSpans(FastReader<P>& r) {
    Type element_type;
    uint32_t size;
    if (!r.ListBegin(element_type, size) || element_type != Type::kStruct) return false;
    std::vector<Span>& spans = out_.spans();
    spans.reserve(spans.size() +
                  std::min<size_t>({size, r.remaining() / kMinSpanBytes, kMaxReserve}));
    for (uint32_t i = 0; i < size; ++i) {
      if (!ReadSpan(r, scratch_.span)) return false;
      AppendFromJaegerSpan(scratch_.span, resource_, out_);
    }
    r.ContainerEnd();
    return true;
  }

  bool ReadProcess(FastReader<P>& r, jaeger::Process& p) {
    p.service_name = {};
    p.tags.clear();
    if (!r.StructBegin()) return false;
    int16_t last_id = 0;
    bool have_service = false;
    while (true) {
      FastField f;
      if (!r.FieldBegin(last_id, f)) return false;
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kString) {
        if (!r.String(p.service_name)) return false;
        have_service = true;
      } else if (f.id == 2 && f.type == Type::kList) {
        if (!ReadTags(r, p.tags)) return false;
      } else if (!r.SkipField(f)) {
        return false;
      }
    }
    r.StructEnd();
    return have_service;
  }

  ABSL_ATTRIBUTE_NOINLINE bool ReadTags(FastReader<P>& reader, std::vector<jaeger::Tag>& tags) {
    FastReader<P> r = reader;  // kept in registers across the loop
    Type element_type;
    uint32_t size;
    if (!r.ListBegin(element_type, size)) return false;
    if (element_type != Type::kStruct) {
      for (uint32_t i = 0; i < size; ++i) {
        if (!r.SkipElement(element_type)) return false;
      }
    } else {
      for (uint32_t i = 0; i < size; ++i) {
        if (!ReadTag(r, tags.emplace_back())) return false;
      }
    }
    r.ContainerEnd();
    reader = r;
    return true;
  }

  // `t` is a value-initialized Tag.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadTag(FastReader<P>& r, jaeger::Tag& t) {
    if (!r.StructBegin()) return false;
    if (ReadCanonicalTag(r, t)) {
      r.StructEnd();
      return true;
    }
    // Out of line, on a copy, so that `r` can stay in registers.
    FastReader<P> copy = r;
    const bool ok = ReadTagFields(copy, t);
    r = copy;
    return ok;
  }

  // The fields of a Tag as Jaeger's clients write them: key, vType, the value field that vType
  // names, stop. False, having consumed nothing and left `t` as it
  // was, for anything else: ReadTagFields reads every other layout.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadCanonicalTag(FastReader<P>& r, jaeger::Tag& t) {
    const FastReader<P> start = r;
    int16_t last_id = 0;
    int32_t vtype;
    std::string_view key;
    if (!r.NextFieldIs(last_id, Type::kString, 1) || !r.String(key) ||
        !r.NextFieldIs(last_id, Type::kI32, 2) || !r.I32(vtype)) {
      r = start;
      return false;
    }
    bool ok;
    switch (vtype) {
      case kTagString:
        ok = r.NextFieldIs(last_id, Type::kString, 3) && r.String(t.str);
        break;
      case kTagDouble:
        ok = r.NextFieldIs(last_id, Type::kDouble, 4) && r.Double(t.float_value);
        t.type = jaeger::TagType::kFloat64;
        break;
      case kTagBool:
        ok = r.NextBoolFieldIs(last_id, 5, t.bool_value);
        t.type = jaeger::TagType::kBool;
        break;
      case kTagLong:
        ok = r.NextFieldIs(last_id, Type::kI64, 6) && r.I64(t.int_value);
        t.type = jaeger::TagType::kInt64;
        break;
      case kTagBinary:
        ok = r.NextFieldIs(last_id, Type::kString, 7) && r.String(t.str);
        t.type = jaeger::TagType::kBinary;
        break;
      default:
        ok = false;
        break;
    }
    if (!ok || !r.NextIsStop()) {
      r = start;
      t = jaeger::Tag();
      return false;
    }
    t.key = key;
    return true;
  }

  // A Tag's fields in any order, after StructBegin; `t` is a value-initialized Tag.
  ABSL_ATTRIBUTE_NOINLINE bool ReadTagFields(FastReader<P>& r, jaeger::Tag& t) {
    int16_t last_id = 0;
    bool have_key = false, have_type = false;
    int32_t vtype = 0;
    std::string_view vstr, vbinary;
    double vdouble = 0;
    bool vbool = false;
    int64_t vlong = 0;
    while (true) {
      FastField f;
      if (!r.FieldBegin(last_id, f)) return false;
      if (f.type == Type::kStop) break;
      bool ok;
      if (f.id == 1 && f.type == Type::kString) {
        ok = r.String(t.key);
        have_key = true;
      } else if (f.id == 2 && f.type == Type::kI32) {
        ok = r.I32(vtype);
        have_type = true;
      } else if (f.id == 3 && f.type == Type::kString) {
        ok = r.String(vstr);
      } else if (f.id == 4 && f.type == Type::kDouble) {
        ok = r.Double(vdouble);
      } else if (f.id == 5 && f.type == Type::kBool) {
        ok = r.BoolField(f, vbool);
      } else if (f.id == 6 && f.type == Type::kI64) {
        ok = r.I64(vlong);
      } else if (f.id == 7 && f.type == Type::kString) {
        ok = r.String(vbinary);
      } else {
        ok = r.SkipField(f);
      }
      if (!ok) return false;
    }
    r.StructEnd();
    if (!have_key || !have_type) return false;
    switch (vtype) {
      case kTagString:
        t.type = jaeger::TagType::kString;
        t.str = vstr;
        return true;
      case kTagDouble:
        t.type = jaeger::TagType::kFloat64;
        t.float_value = vdouble;
        return true;
      case kTagBool:
        t.type = jaeger::TagType::kBool;
        t.bool_value = vbool;
        return true;
      case kTagLong:
        t.type = jaeger::TagType::kInt64;
        t.int_value = vlong;
        return true;
      case kTagBinary:
        t.type = jaeger::TagType::kBinary;
        t.str = vbinary;
        return true;
      default:
        return false;
    }
  }

  bool ReadLog(FastReader<P>& r, jaeger::Log& log) {
    if (!r.StructBegin()) return false;
    int16_t last_id = 0;
    bool have_timestamp = false, have_fields = false;
    while (true) {
      FastField f;
      if (!r.FieldBegin(last_id, f)) return false;
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kI64) {
        int64_t ts;
        if (!r.I64(ts)) return false;
        log.timestamp_us = static_cast<uint64_t>(ts);
        have_timestamp = true;
      } else if (f.id == 2 && f.type == Type::kList) {
        if (!ReadTags(r, log.fields)) return false;
        have_fields = true;
      } else if (!r.SkipField(f)) {
        return false;
      }
    }
    r.StructEnd();
    return have_timestamp && have_fields;
  }

  bool ReadRef(FastReader<P>& r, jaeger::Reference& ref) {
    if (!r.StructBegin()) return false;
    int16_t last_id = 0;
    uint32_t seen = 0;
    int32_t type = 0;
    int64_t low = 0, high = 0, span_id = 0;
    // Fields 1-4 in order, as Jaeger's clients write them; the loop reads whatever follows.
    if (r.NextFieldIs(last_id, Type::kI32, 1)) {
      if (!r.I32(type)) return false;
      seen |= 1;
      if (r.NextFieldIs(last_id, Type::kI64, 2)) {
        if (!r.I64(low)) return false;
        seen |= 2;
        if (r.NextFieldIs(last_id, Type::kI64, 3)) {
          if (!r.I64(high)) return false;
          seen |= 4;
          if (r.NextFieldIs(last_id, Type::kI64, 4)) {
            if (!r.I64(span_id)) return false;
            seen |= 8;
          }
        }
      }
    }
    while (true) {
      FastField f;
      if (!r.FieldBegin(last_id, f)) return false;
      if (f.type == Type::kStop) break;
      bool ok;
      if (f.id == 1 && f.type == Type::kI32) {
        ok = r.I32(type);
        seen |= 1;
      } else if (f.id == 2 && f.type == Type::kI64) {
        ok = r.I64(low);
        seen |= 2;
      } else if (f.id == 3 && f.type == Type::kI64) {
        ok = r.I64(high);
        seen |= 4;
      } else if (f.id == 4 && f.type == Type::kI64) {
        ok = r.I64(span_id);
        seen |= 8;
      } else {
        ok = r.SkipField(f);
      }
      if (!ok) return false;
    }
    r.StructEnd();
    if (seen != 15 || (type != kRefChildOf && type != kRefFollowsFrom)) return false;
    ref.type = type == kRefChildOf ? jaeger::RefType::kChildOf : jaeger::RefType::kFollowsFrom;
    ref.trace_id = TraceId{static_cast<uint64_t>(high), static_cast<uint64_t>(low)};
    ref.span_id = SpanId{static_cast<uint64_t>(span_id)};
    return true;
  }

  // A list whose struct elements are read by `read_one` and whose other elements are skipped.
  template <typename ReadOne>
  bool ReadStructList(FastReader<P>& r, ReadOne read_one) {
    Type element_type;
    uint32_t size;
    if (!r.ListBegin(element_type, size)) return false;
    for (uint32_t i = 0; i < size; ++i) {
      if (!(element_type == Type::kStruct ? read_one() : r.SkipElement(element_type))) {
        return false;
      }
    }
    r.ContainerEnd();
    return true;
  }

  // The fields a Span starts with as Jaeger's clients write them (1-5, references if any, 7-9),
  // each header checked with a compare or two. Stops at the first field that differs, for the
  // general loop in ReadSpan to go on from there; false only for malformed input.
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool ReadSpanHead(FastReader<P>& r, jaeger::Span& s,
                                                 int16_t& last_id, uint32_t& seen, int64_t& low,
                                                 int64_t& high, int64_t& span_id, int64_t& parent) {
    bool in_order = true;
    auto i64 = [&](int16_t id, int64_t& v) ABSL_ATTRIBUTE_ALWAYS_INLINE {
      if (!in_order || !r.NextFieldIs(last_id, Type::kI64, id)) {
        in_order = false;
        return true;
      }
      seen |= 1u << id;
      return r.I64(v);
    };
    if (!i64(1, low) || !i64(2, high) || !i64(3, span_id) || !i64(4, parent)) return false;
    if (!in_order) return true;
    if (!r.NextFieldIs(last_id, Type::kString, 5)) return true;
    seen |= 1u << 5;
    if (!r.String(s.operation_name)) return false;
    if (r.NextFieldIs(last_id, Type::kList, 6) &&
        !ReadStructList(r, [&] { return ReadRef(r, s.references.emplace_back()); })) {
      return false;
    }
    if (!r.NextFieldIs(last_id, Type::kI32, 7)) return true;
    seen |= 1u << 7;
    int32_t flags;
    if (!r.I32(flags)) return false;
    s.flags = static_cast<uint32_t>(flags);
    int64_t start = 0, duration = 0;
    if (!i64(8, start) || !i64(9, duration)) return false;
    s.start_time_us = static_cast<uint64_t>(start);
    s.duration_us = static_cast<uint64_t>(duration);
    return true;
  }

  bool ReadSpan(FastReader<P>& r, jaeger::Span& s) {
    scratch_.ResetSpan();
    s.operation_name = {};
    s.flags = 0;
    s.start_time_us = 0;
    s.duration_us = 0;
    if (!r.StructBegin()) return false;
    int16_t last_id = 0;
    uint32_t seen = 0;
    int64_t low = 0, high = 0, span_id = 0, parent = 0;
    if (!ReadSpanHead(r, s, last_id, seen, low, high, span_id, parent)) return false;
    while (true) {
      FastField f;
      if (!r.FieldBegin(last_id, f)) return false;
      if (f.type == Type::kStop) break;
      bool ok;
      switch (f.id) {
        case 1:
        case 2:
        case 3:
        case 4:
        case 8:
        case 9: {
          if (f.type != Type::kI64) {
            ok = r.SkipField(f);
            break;
          }
          int64_t v = 0;
          ok = r.I64(v);
          if (f.id == 1) low = v;
          if (f.id == 2) high = v;
          if (f.id == 3) span_id = v;
          if (f.id == 4) parent = v;
          if (f.id == 8) s.start_time_us = static_cast<uint64_t>(v);
          if (f.id == 9) s.duration_us = static_cast<uint64_t>(v);
          seen |= 1u << f.id;
          break;
        }
        case 5:
          if (f.type != Type::kString) {
            ok = r.SkipField(f);
            break;
          }
          ok = r.String(s.operation_name);
          seen |= 1u << 5;
          break;
        case 6:
          ok = f.type == Type::kList
                   ? ReadStructList(r, [&] { return ReadRef(r, s.references.emplace_back()); })
                   : r.SkipField(f);
          break;
        case 7: {
          if (f.type != Type::kI32) {
            ok = r.SkipField(f);
            break;
          }
          int32_t flags = 0;
          ok = r.I32(flags);
          s.flags = static_cast<uint32_t>(flags);
          seen |= 1u << 7;
          break;
        }
        case 10:
          ok = f.type == Type::kList ? ReadTags(r, s.tags) : r.SkipField(f);
          break;
        case 11:
          ok = f.type == Type::kList
                   ? ReadStructList(r, [&] { return ReadLog(r, scratch_.NewLog()); })
                   : r.SkipField(f);
          break;
        default:
          ok = r.SkipField(f);
          break;
      }
      if (!ok) return false;
    }
    r.StructEnd();
    constexpr uint32_t kRequired = (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) |
                                   (1u << 7) | (1u << 8) | (1u << 9);
    if ((seen & kRequired) != kRequired) return false;
    s.trace_id = TraceId{static_cast<uint64_t>(high), static_cast<uint64_t>(low)};
    s.span_id = SpanId{static_cast<uint64_t>(span_id)};
    if (s.trace_id.IsZero() || s.span_id.IsZero()) return false;
    if (parent != 0) AddParentReference(s, SpanId{static_cast<uint64_t>(parent)});
    return true;
  }

  Scratch& scratch_;
  SpanSet& out_;
  const Resource* resource_ = nullptr;
};

// Decodes the Batch struct at `r`'s position with FastBatchDecoder. True: the spans were
// appended to `out` and `r` has moved past the struct. False: `r` has not moved and `out` holds
// whatever was appended before the fast path gave up.
template <Protocol P>
bool TryFastBatch(Reader& r, std::string_view input, uint32_t max_depth, Scratch& scratch,
                  SpanSet& out) {
  const auto* begin = reinterpret_cast<const uint8_t*>(input.data());
  const uint8_t* start = begin + r.position();
  FastReader<P> fast(start, begin + input.size(), r.depth(), max_depth);
  FastBatchDecoder<P> decoder(scratch, out);
  if (!decoder.ReadBatch(fast)) return false;
  r.Advance(static_cast<size_t>(fast.position() - start));
  return true;
}

bool TryFastBatch(Reader& r, std::string_view input, uint32_t max_depth, Scratch& scratch,
                  SpanSet& out) {
  return r.protocol() == Protocol::kBinary
             ? TryFastBatch<Protocol::kBinary>(r, input, max_depth, scratch, out)
             : TryFastBatch<Protocol::kCompact>(r, input, max_depth, scratch, out);
}

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

size_t ArenaSizeFor(std::string_view bytes) {
  // Decoded spans take roughly as much arena as their encoding; start there to avoid regrowth.
  return std::clamp<size_t>(bytes.size() + bytes.size() / 2, 4096, 1 << 20);
}

// ---------------------------------------------------------------------------------------------
// Encoding.

void WriteTag(Writer& w, const jaeger::Tag& t) {
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString(t.key);
  w.WriteFieldBegin(Type::kI32, 2);
  switch (t.type) {
    case jaeger::TagType::kString:
      w.WriteI32(kTagString);
      w.WriteFieldBegin(Type::kString, 3);
      w.WriteString(t.str);
      break;
    case jaeger::TagType::kFloat64:
      w.WriteI32(kTagDouble);
      w.WriteFieldBegin(Type::kDouble, 4);
      w.WriteDouble(t.float_value);
      break;
    case jaeger::TagType::kBool:
      w.WriteI32(kTagBool);
      w.WriteFieldBegin(Type::kBool, 5);
      w.WriteBool(t.bool_value);
      break;
    case jaeger::TagType::kInt64:
      w.WriteI32(kTagLong);
      w.WriteFieldBegin(Type::kI64, 6);
      w.WriteI64(t.int_value);
      break;
    case jaeger::TagType::kBinary:
      w.WriteI32(kTagBinary);
      w.WriteFieldBegin(Type::kString, 7);
      w.WriteString(t.str);
      break;
  }
  w.WriteStructEnd();
}

void WriteTagList(Writer& w, int16_t id, const std::vector<jaeger::Tag>& tags) {
  w.WriteFieldBegin(Type::kList, id);
  w.WriteListBegin(Type::kStruct, static_cast<uint32_t>(tags.size()));
  for (const jaeger::Tag& t : tags) WriteTag(w, t);
}

void WriteProcess(Writer& w, const jaeger::Process& p) {
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kString, 1);
  w.WriteString(p.service_name);
  if (!p.tags.empty()) WriteTagList(w, 2, p.tags);
  w.WriteStructEnd();
}

void WriteSpan(Writer& w, const jaeger::Span& s) {
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI64, 1);
  w.WriteI64(static_cast<int64_t>(s.trace_id.low));
  w.WriteFieldBegin(Type::kI64, 2);
  w.WriteI64(static_cast<int64_t>(s.trace_id.high));
  w.WriteFieldBegin(Type::kI64, 3);
  w.WriteI64(static_cast<int64_t>(s.span_id.value));
  w.WriteFieldBegin(Type::kI64, 4);
  w.WriteI64(static_cast<int64_t>(s.ParentSpanId().value));
  w.WriteFieldBegin(Type::kString, 5);
  w.WriteString(s.operation_name);
  if (!s.references.empty()) {
    w.WriteFieldBegin(Type::kList, 6);
    w.WriteListBegin(Type::kStruct, static_cast<uint32_t>(s.references.size()));
    for (const jaeger::Reference& ref : s.references) {
      w.WriteStructBegin();
      w.WriteFieldBegin(Type::kI32, 1);
      w.WriteI32(ref.type == jaeger::RefType::kChildOf ? kRefChildOf : kRefFollowsFrom);
      w.WriteFieldBegin(Type::kI64, 2);
      w.WriteI64(static_cast<int64_t>(ref.trace_id.low));
      w.WriteFieldBegin(Type::kI64, 3);
      w.WriteI64(static_cast<int64_t>(ref.trace_id.high));
      w.WriteFieldBegin(Type::kI64, 4);
      w.WriteI64(static_cast<int64_t>(ref.span_id.value));
      w.WriteStructEnd();
    }
  }
  w.WriteFieldBegin(Type::kI32, 7);
  w.WriteI32(static_cast<int32_t>(s.flags));
  w.WriteFieldBegin(Type::kI64, 8);
  w.WriteI64(static_cast<int64_t>(s.start_time_us));
  w.WriteFieldBegin(Type::kI64, 9);
  w.WriteI64(static_cast<int64_t>(s.duration_us));
  if (!s.tags.empty()) WriteTagList(w, 10, s.tags);
  if (!s.logs.empty()) {
    w.WriteFieldBegin(Type::kList, 11);
    w.WriteListBegin(Type::kStruct, static_cast<uint32_t>(s.logs.size()));
    for (const jaeger::Log& log : s.logs) {
      w.WriteStructBegin();
      w.WriteFieldBegin(Type::kI64, 1);
      w.WriteI64(static_cast<int64_t>(log.timestamp_us));
      WriteTagList(w, 2, log.fields);
      w.WriteStructEnd();
    }
  }
  w.WriteStructEnd();
}

// Writes a Batch whose span structs are already encoded (concatenated in `encoded_spans`).
void WriteBatch(Writer& w, const jaeger::Process& process, uint32_t span_count,
                std::string_view encoded_spans) {
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  WriteProcess(w, process);
  w.WriteFieldBegin(Type::kList, 2);
  w.WriteListBegin(Type::kStruct, span_count);
  w.WriteRaw(encoded_spans);
  w.WriteStructEnd();
}

std::string EncodeSpans(std::span<const jaeger::Span> spans, Protocol protocol) {
  std::string out;
  Writer w(protocol, out);
  for (const jaeger::Span& s : spans) WriteSpan(w, s);
  return out;
}

// Spans of a JaegerTrace grouped by process, in order of first use.
std::vector<std::vector<jaeger::Span>> GroupByProcess(jaeger::JaegerTrace& trace) {
  std::vector<std::vector<jaeger::Span>> groups(trace.processes.size());
  for (jaeger::Span& s : trace.spans) groups[s.process_index].push_back(std::move(s));
  return groups;
}

}  // namespace

absl::StatusOr<SpanSet> DecodeJaegerThriftBatch(std::string_view bytes, Protocol protocol,
                                                const JaegerThriftDecodeOptions& options) {
  SpanSet out(ArenaSizeFor(bytes));
  thrift::ReaderOptions ro;
  ro.max_depth = options.max_depth;
  Reader r(bytes, protocol, ro);
  Scratch& scratch = ThreadScratch();
  if (options.fast_path && TryFastBatch(r, bytes, options.max_depth, scratch, out)) {
    scratch.Trim();
    return out;
  }
  out = SpanSet(ArenaSizeFor(bytes));  // what the fast path left is discarded
  BatchDecoder decoder(scratch, out, options);
  absl::Status status = decoder.ReadBatch(r);
  scratch.Trim();
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<AgentMessage> DecodeAgentMessage(std::string_view datagram,
                                                Protocol default_protocol,
                                                const JaegerThriftDecodeOptions& options) {
  AgentMessage msg;
  msg.protocol = default_protocol;
  if (!datagram.empty()) {
    uint8_t first = static_cast<uint8_t>(datagram[0]);
    if (first == thrift::kCompactProtocolId) msg.protocol = Protocol::kCompact;
    if (first == thrift::kBinaryVersionByte) msg.protocol = Protocol::kBinary;
  }
  thrift::ReaderOptions ro;
  ro.max_depth = options.max_depth;
  Reader r(datagram, msg.protocol, ro);
  thrift::MessageHeader header;
  SKUA_THRIFT_TRY(r.ReadMessageBegin(header));
  if (header.type != MessageType::kOneway && header.type != MessageType::kCall) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jaeger agent: message type ", static_cast<int>(header.type), " is not CALL or ONEWAY"));
  }
  if (header.name == kEmitBatch) {
    msg.method = AgentMessage::Method::kEmitBatch;
  } else if (header.name == kEmitZipkinBatch) {
    msg.method = AgentMessage::Method::kEmitZipkinBatch;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("jaeger agent: unknown method \"",
                                                   ToAbsl(header.name.substr(0, 64)),
                                                   "\" (expected emitBatch or emitZipkinBatch)"));
  }
  msg.type = header.type;
  msg.seqid = header.seqid;
  msg.spans = SpanSet(ArenaSizeFor(datagram));

  // The argument struct: emitBatch_args {1: Batch batch} / emitZipkinBatch_args
  // {1: list<zipkincore.Span> spans}.
  bool have_argument = false;
  SKUA_THRIFT_TRY(r.ReadStructBegin());
  while (true) {
    FieldHeader f;
    SKUA_THRIFT_TRY(r.ReadFieldBegin(f));
    if (f.type == Type::kStop) break;
    if (f.id == 1 && msg.method == AgentMessage::Method::kEmitBatch && f.type == Type::kStruct) {
      if (have_argument) msg.spans.spans().clear();  // a repeated field: the last one wins
      Scratch& scratch = ThreadScratch();
      if (!options.fast_path || !TryFastBatch(r, datagram, options.max_depth, scratch, msg.spans)) {
        msg.spans = SpanSet(ArenaSizeFor(datagram));  // what the fast path left is discarded
        BatchDecoder decoder(scratch, msg.spans, options);
        absl::Status status = decoder.ReadBatch(r);
        if (!status.ok()) {
          scratch.Trim();
          return status;
        }
      }
      scratch.Trim();
      have_argument = true;
    } else if (f.id == 1 && msg.method == AgentMessage::Method::kEmitZipkinBatch &&
               f.type == Type::kList) {
      size_t start = r.position();
      SKUA_THRIFT_TRY(r.Skip(Type::kList));
      msg.zipkin_spans = r.Consumed(start);
      have_argument = true;
    } else {
      SKUA_THRIFT_TRY(r.Skip(f.type));
    }
  }
  SKUA_THRIFT_TRY(r.ReadStructEnd());
  if (!have_argument && msg.method == AgentMessage::Method::kEmitBatch) {
    return absl::InvalidArgumentError("jaeger agent: emitBatch message without a batch");
  }
  return msg;
}

std::string EncodeJaegerThriftBatch(const jaeger::Process& process,
                                    std::span<const jaeger::Span> spans, Protocol protocol) {
  std::string out;
  Writer w(protocol, out);
  WriteBatch(w, process, static_cast<uint32_t>(spans.size()), EncodeSpans(spans, protocol));
  return out;
}

std::string EncodeAgentEmitBatch(const jaeger::Process& process,
                                 std::span<const jaeger::Span> spans, Protocol protocol,
                                 MessageType type, int32_t seqid) {
  std::string out;
  Writer w(protocol, out);
  w.WriteMessageBegin(kEmitBatch, type, seqid);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 1);
  WriteBatch(w, process, static_cast<uint32_t>(spans.size()), EncodeSpans(spans, protocol));
  w.WriteStructEnd();
  return out;
}

std::vector<std::string> EncodeJaegerThriftBatches(std::span<const Span> spans, Protocol protocol) {
  jaeger::JaegerTrace trace = jaeger::ToJaegerTrace(spans);
  std::vector<std::vector<jaeger::Span>> groups = GroupByProcess(trace);
  std::vector<std::string> out;
  out.reserve(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    out.push_back(EncodeJaegerThriftBatch(trace.processes[i], groups[i], protocol));
  }
  return out;
}

std::vector<std::string> EncodeAgentEmitBatches(std::span<const Span> spans, Protocol protocol,
                                                size_t max_datagram_bytes) {
  jaeger::JaegerTrace trace = jaeger::ToJaegerTrace(spans);
  std::vector<std::vector<jaeger::Span>> groups = GroupByProcess(trace);
  std::vector<std::string> out;
  // Worst-case list header (compact: 1 byte + 5-byte varint count) and the two closing stops.
  constexpr size_t kListHeaderMax = 6;
  constexpr size_t kClosing = 2;
  for (size_t g = 0; g < groups.size(); ++g) {
    const jaeger::Process& process = trace.processes[g];
    // Everything before the spans list: message header, argument and Batch field headers, the
    // process. Measured by encoding an empty batch.
    const size_t overhead = EncodeAgentEmitBatch(process, {}, protocol).size() + kListHeaderMax;
    std::string pending;  // encoded spans of the datagram being filled
    uint32_t pending_count = 0;
    auto flush = [&] {
      if (pending_count == 0) return;
      std::string datagram;
      Writer w(protocol, datagram);
      w.WriteMessageBegin(kEmitBatch, MessageType::kOneway, 0);
      w.WriteStructBegin();
      w.WriteFieldBegin(Type::kStruct, 1);
      WriteBatch(w, process, pending_count, pending);
      w.WriteStructEnd();
      out.push_back(std::move(datagram));
      pending.clear();
      pending_count = 0;
    };
    for (const jaeger::Span& s : groups[g]) {
      std::string encoded = EncodeSpans(std::span<const jaeger::Span>(&s, 1), protocol);
      if (pending_count > 0 &&
          overhead + kClosing + pending.size() + encoded.size() > max_datagram_bytes) {
        flush();
      }
      pending += encoded;
      ++pending_count;
    }
    flush();
  }
  return out;
}

}  // namespace skua::model::convert
