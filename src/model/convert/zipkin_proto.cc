// Zipkin v2 protobuf decoding (jaeger-compat §1.7). Field numbers follow proto/zipkin/zipkin.proto;
// the wire primitives are protowire.h's.
// Each span is read into a reused ZipkinSpan whose strings are views into the input, then handed
// to ZipkinConverter, which copies what it keeps into the result's arena.
// Also the encoder (EncodeZipkinProto, declared in zipkin_json.h beside the JSON encoder whose
// model → Zipkin choices it shares).
#include "model/convert/zipkin_proto.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "model/convert/protowire.h"
#include "model/convert/zipkin.h"
#include "model/convert/zipkin_json.h"

namespace skua::model::convert {
namespace {

using protowire::kFixed64;
using protowire::kLen;
using protowire::kVarint;
using protowire::Tag;

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

class ProtoDecoder : public protowire::WireReader {
 public:
  ProtoDecoder(SpanSet& out, const ZipkinProtoOptions& options)
      : converter_(out), options_(options) {}

  // Decodes a ListOfSpans.
  bool Decode(std::string_view bytes) {
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    const uint8_t* end = p + bytes.size();
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        in_span_ = true;
        if (!DecodeSpan(p, sub_end)) return false;
        in_span_ = false;
        ++span_index_;
        p = sub_end;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  std::string ErrorMessage() const {
    std::string out = "invalid Zipkin protobuf: ";
    if (in_span_) absl::StrAppend(&out, "span[", span_index_, "]: ");
    if (!status_message_.empty()) {
      out += status_message_;
    } else {
      out += error().what != nullptr ? error().what : "malformed input";
    }
    return out;
  }

 private:
  bool DecodeSpan(const uint8_t* p, const uint8_t* end) {
    ZipkinSpan& z = span_;
    z.Clear();
    tag_index_.clear();
    z.debug = options_.debug;
    while (p < end) {
      const uint8_t* field_start = p;
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen): {  // trace_id
          std::string_view b;
          if (!ReadBytes(p, end, b)) return false;
          const auto* d = reinterpret_cast<const uint8_t*>(b.data());
          if (b.size() == 16) {
            z.trace_id = TraceId{LoadBigEndian64(d), LoadBigEndian64(d + 8)};
          } else if (b.size() == 8) {
            z.trace_id = TraceId{0, LoadBigEndian64(d)};
          } else if (!b.empty()) {
            return Fail("trace_id must be 8 or 16 bytes", field_start);
          }
          break;
        }
        case Tag(2, kLen):    // parent_id
        case Tag(3, kLen): {  // id
          std::string_view b;
          if (!ReadBytes(p, end, b)) return false;
          SpanId id;
          if (b.size() == 8) {
            id.value = LoadBigEndian64(reinterpret_cast<const uint8_t*>(b.data()));
          } else if (!b.empty()) {
            return Fail(tag == Tag(2, kLen) ? "parent_id must be 8 bytes" : "id must be 8 bytes",
                        field_start);
          }
          (tag == Tag(2, kLen) ? z.parent_id : z.id) = id;
          break;
        }
        case Tag(4, kVarint): {  // kind; unknown values are treated as unspecified
          uint64_t kind;
          if (!ReadVarintField(p, end, kind)) return false;
          z.kind =
              kind >= 1 && kind <= 4 ? static_cast<ZipkinKind>(kind) : ZipkinKind::kUnspecified;
          break;
        }
        case Tag(5, kLen):
          if (!ReadBytes(p, end, z.name)) return false;
          break;
        case Tag(6, kFixed64):
          if (!ReadFixed64(p, end, z.timestamp_us)) return false;
          break;
        case Tag(7, kVarint):
          if (!ReadVarintField(p, end, z.duration_us)) return false;
          break;
        case Tag(8, kLen):
        case Tag(9, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeEndpoint(p, sub_end,
                              tag == Tag(8, kLen) ? z.local_endpoint : z.remote_endpoint)) {
            return false;
          }
          p = sub_end;
          break;
        }
        case Tag(10, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeAnnotation(p, sub_end, z.annotations.emplace_back())) return false;
          p = sub_end;
          break;
        }
        case Tag(11, kLen): {
          const uint8_t* sub_end;
          if (!ReadLength(p, end, sub_end)) return false;
          if (!DecodeTag(p, sub_end, z.tags)) return false;
          p = sub_end;
          break;
        }
        case Tag(12, kVarint):
        case Tag(13, kVarint): {
          uint64_t b;
          if (!ReadVarintField(p, end, b)) return false;
          if (tag == Tag(12, kVarint)) {
            z.debug = z.debug || b != 0;
          } else {
            z.shared = b != 0;
          }
          break;
        }
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    absl::Status s = converter_.Append(z);
    if (!s.ok()) {
      status_message_ = std::string(s.message());
      return false;
    }
    return true;
  }

  bool DecodeEndpoint(const uint8_t* p, const uint8_t* end, ZipkinEndpoint& e) {
    e.Clear();  // a repeated message field merges in protobuf; here the last one wins
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      switch (tag) {
        case Tag(1, kLen):
          if (!ReadBytes(p, end, e.service_name)) return false;
          break;
        case Tag(2, kLen): {
          std::string_view b;
          if (!ReadBytes(p, end, b)) return false;
          if (b.size() == 4) {
            const auto* d = reinterpret_cast<const uint8_t*>(b.data());
            e.has_ipv4 = true;
            e.ipv4 = (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
          }
          break;
        }
        case Tag(3, kLen): {
          std::string_view b;
          if (!ReadBytes(p, end, b)) return false;
          if (b.size() == 16) {
            e.has_ipv6 = true;
            std::memcpy(e.ipv6.data(), b.data(), 16);
          }
          break;
        }
        case Tag(4, kVarint): {
          uint64_t port;
          if (!ReadVarintField(p, end, port)) return false;
          // int32 on the wire; only 1..65535 is a port.
          e.port = port >= 1 && port <= 65535 ? static_cast<uint16_t>(port) : 0;
          break;
        }
        default:
          if (!SkipField(tag, p, end)) return false;
      }
    }
    return true;
  }

  bool DecodeAnnotation(const uint8_t* p, const uint8_t* end, ZipkinAnnotation& a) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kFixed64)) {
        if (!ReadFixed64(p, end, a.timestamp_us)) return false;
      } else if (tag == Tag(2, kLen)) {
        if (!ReadBytes(p, end, a.value)) return false;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    return true;
  }

  // One map entry (key = 1, value = 2). A later entry with the same key replaces an earlier one,
  // as map semantics require.
  bool DecodeTag(const uint8_t* p, const uint8_t* end, std::vector<ZipkinTag>& tags) {
    std::string_view key, value;
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return false;
      if (tag == Tag(1, kLen)) {
        if (!ReadBytes(p, end, key)) return false;
      } else if (tag == Tag(2, kLen)) {
        if (!ReadBytes(p, end, value)) return false;
      } else if (!SkipField(tag, p, end)) {
        return false;
      }
    }
    auto [it, inserted] = tag_index_.try_emplace(key, tags.size());
    if (!inserted) {
      tags[it->second].value = AnyValue::String(value);
      return true;
    }
    ZipkinTag& t = tags.emplace_back();
    t.key = key;
    t.value = AnyValue::String(value);
    return true;
  }

  ZipkinConverter converter_;
  const ZipkinProtoOptions& options_;
  ZipkinSpan span_;
  absl::flat_hash_map<std::string_view, size_t> tag_index_;  // the current span's tags by key
  std::string status_message_;
  int64_t span_index_ = 0;
  bool in_span_ = false;
};

// ---- encoding ---------------------------------------------------------------------------------
//
// The same model → Zipkin v2 choices as EncodeZipkinV2Json (zipkin_json.h), field by field, in
// zipkin.proto3's wire form.

// Jaeger's debug flag bit (jaeger-compat §1.4), as ZipkinConverter sets it.
constexpr uint32_t kDebugFlagBit = 2;

// zipkin.proto3 Span.Kind; 0 (unspecified) for internal and unspecified spans.
uint64_t ZipkinKindNumber(SpanKind kind) {
  switch (kind) {
    case SpanKind::kClient:
      return static_cast<uint64_t>(ZipkinKind::kClient);
    case SpanKind::kServer:
      return static_cast<uint64_t>(ZipkinKind::kServer);
    case SpanKind::kProducer:
      return static_cast<uint64_t>(ZipkinKind::kProducer);
    case SpanKind::kConsumer:
      return static_cast<uint64_t>(ZipkinKind::kConsumer);
    default:
      return 0;
  }
}

void AppendBigEndian64(uint64_t v, std::string& out) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

class ProtoEncoder {
 public:
  // Writes one ListOfSpans.spans entry per span into `sink` (a protowire SizeSink or WriteSink;
  // both passes see the same calls).
  template <typename Sink>
  void Emit(Sink& sink, std::span<const Span> spans) {
    for (const Span& s : spans) {
      sink.Message(1, [&] { EmitSpan(sink, s); });
    }
  }

 private:
  template <typename Sink>
  void EmitSpan(Sink& sink, const Span& s) {
    // trace_id: 8 bytes when the high half is zero (a 64-bit ID), else 16; ids: 8 bytes.
    ids_.clear();
    if (s.trace_id.high != 0) AppendBigEndian64(s.trace_id.high, ids_);
    AppendBigEndian64(s.trace_id.low, ids_);
    sink.Bytes(1, ids_);
    if (!s.parent_span_id.IsZero()) {
      ids_.clear();
      AppendBigEndian64(s.parent_span_id.value, ids_);
      sink.Bytes(2, ids_);
    }
    ids_.clear();
    AppendBigEndian64(s.span_id.value, ids_);
    sink.Bytes(3, ids_);
    protowire::EmitVarintIfNotZero(sink, 4, ZipkinKindNumber(s.kind));
    protowire::EmitBytesIfNotEmpty(sink, 5, s.name);
    // Both ends truncated to µs, so that start and end each survive a round trip at µs precision.
    const uint64_t start_us = s.start_time_unix_nano / 1000;
    const uint64_t end_us = s.end_time_unix_nano / 1000;
    if (start_us > 0) {
      sink.Fixed64(6, start_us);
      if (end_us > start_us) sink.Varint(7, end_us - start_us);
    }
    const std::string_view service = s.service_name();
    if (!service.empty()) {
      sink.Message(8, [&] { sink.Bytes(1, service); });
    }
    for (const Event& e : s.events) {
      sink.Message(10, [&] {
        const uint64_t timestamp_us = e.time_unix_nano / 1000;
        if (timestamp_us != 0) sink.Fixed64(1, timestamp_us);
        ZipkinAnnotationValue(e, annotation_, value_);
        protowire::EmitBytesIfNotEmpty(sink, 2, annotation_);
      });
    }
    EmitTags(sink, s);
    if ((s.flags & kDebugFlagBit) != 0) sink.Varint(12, 1);
  }

  // The tags map (field 11), one entry per key, in EncodeZipkinV2Json's order.
  template <typename Sink>
  void EmitTags(Sink& sink, const Span& s) {
    ForEachZipkinTag(
        s,
        [&](std::string_view key, std::string_view value) {
          sink.Message(11, [&] {
            sink.Bytes(1, key);
            sink.Bytes(2, value);
          });
        },
        value_);
  }

  std::string ids_;
  std::string value_;
  std::string annotation_;
};

}  // namespace

std::string EncodeZipkinProto(std::span<const Span> spans) {
  ProtoEncoder encoder;
  return protowire::Encode([&](auto& sink) { encoder.Emit(sink, spans); });
}

absl::StatusOr<SpanSet> DecodeZipkinProto(std::string_view bytes,
                                          const ZipkinProtoOptions& options) {
  SpanSet out(bytes.size() + 4096);
  ProtoDecoder decoder(out, options);
  if (!decoder.Decode(bytes)) return absl::InvalidArgumentError(decoder.ErrorMessage());
  return out;
}

}  // namespace skua::model::convert
