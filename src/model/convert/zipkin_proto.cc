// Zipkin v2 protobuf decoding (jaeger-compat §1.7). Field numbers follow proto/zipkin/zipkin.proto.
// Each span is read into a reused ZipkinSpan whose strings are views into the input, then handed
// to ZipkinConverter, which copies what it keeps into the result's arena.
#include "model/convert/zipkin_proto.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "model/convert/zipkin.h"

namespace skua::model::convert {
namespace {

// Protobuf wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLen = 2;
constexpr uint32_t kFixed32 = 5;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return (field << 3) | wire_type; }

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

uint64_t LoadLittleEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A bounded cursor over one message's bytes. Methods return false on malformed input, after
// recording why in `error` (a static string, so the hot path builds no messages).
struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  const char** error;

  bool Fail(const char* what) {
    *error = what;
    return false;
  }

  bool Varint(uint64_t& out) {
    uint64_t result = 0;
    for (int i = 0; i < 10; ++i) {
      if (p >= end) return Fail("truncated varint");
      uint8_t b = *p++;
      result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
      if (b < 0x80) {
        out = result;
        return true;
      }
    }
    return Fail("varint longer than 10 bytes");
  }

  bool FieldTag(uint32_t& tag) {
    uint64_t v;
    if (!Varint(v)) return false;
    if (v > UINT32_MAX || (v >> 3) == 0) return Fail("invalid field tag");
    tag = static_cast<uint32_t>(v);
    return true;
  }

  // A length-delimited payload, as a sub-cursor.
  bool Bytes(Cursor& sub) {
    uint64_t len;
    if (!Varint(len)) return false;
    if (len > static_cast<uint64_t>(end - p)) return Fail("length exceeds the enclosing message");
    sub = Cursor{p, p + len, error};
    p += len;
    return true;
  }

  bool String(std::string_view& out) {
    Cursor sub;
    if (!Bytes(sub)) return false;
    out = sub.view();
    return true;
  }

  bool Fixed64(uint64_t& out) {
    if (end - p < 8) return Fail("truncated fixed64");
    out = LoadLittleEndian64(p);
    p += 8;
    return true;
  }

  // Skips a field whose tag has been read. A known field with an unexpected wire type is skipped
  // like an unknown one, as libprotobuf does; groups (absent from zipkin.proto) are rejected.
  bool Skip(uint32_t tag) {
    switch (tag & 7) {
      case kVarint: {
        uint64_t ignored;
        return Varint(ignored);
      }
      case kFixed64:
        if (end - p < 8) return Fail("truncated fixed64");
        p += 8;
        return true;
      case kLen: {
        Cursor ignored;
        return Bytes(ignored);
      }
      case kFixed32:
        if (end - p < 4) return Fail("truncated fixed32");
        p += 4;
        return true;
      default:
        return Fail("unsupported wire type (groups or invalid)");
    }
  }

  bool done() const { return p >= end; }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(end - p)};
  }
};

class ProtoDecoder {
 public:
  ProtoDecoder(SpanSet& out, const ZipkinProtoOptions& options)
      : converter_(out), options_(options) {}

  // Decodes a ListOfSpans.
  bool Decode(std::string_view bytes) {
    const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
    Cursor c{begin, begin + bytes.size(), &error_};
    while (!c.done()) {
      uint32_t tag;
      if (!c.FieldTag(tag)) return false;
      if (tag == Tag(1, kLen)) {
        Cursor span;
        if (!c.Bytes(span)) return false;
        in_span_ = true;
        if (!DecodeSpan(span)) return false;
        in_span_ = false;
        ++span_index_;
      } else if (!c.Skip(tag)) {
        return false;
      }
    }
    return true;
  }

  std::string ErrorMessage() const {
    std::string out = "invalid Zipkin protobuf: ";
    if (in_span_) absl::StrAppend(&out, "span[", span_index_, "]: ");
    out += status_message_.empty() ? std::string(error_ ? error_ : "malformed input")
                                   : status_message_;
    return out;
  }

 private:
  bool DecodeSpan(Cursor c) {
    ZipkinSpan& z = span_;
    z.Clear();
    tag_index_.clear();
    z.debug = options_.debug;
    while (!c.done()) {
      uint32_t tag;
      if (!c.FieldTag(tag)) return false;
      switch (tag) {
        case Tag(1, kLen): {  // trace_id
          std::string_view b;
          if (!c.String(b)) return false;
          const auto* d = reinterpret_cast<const uint8_t*>(b.data());
          if (b.size() == 16) {
            z.trace_id = TraceId{LoadBigEndian64(d), LoadBigEndian64(d + 8)};
          } else if (b.size() == 8) {
            z.trace_id = TraceId{0, LoadBigEndian64(d)};
          } else if (!b.empty()) {
            return c.Fail("trace_id must be 8 or 16 bytes");
          }
          break;
        }
        case Tag(2, kLen):  // parent_id
        case Tag(3, kLen): {  // id
          std::string_view b;
          if (!c.String(b)) return false;
          SpanId id;
          if (b.size() == 8) {
            id.value = LoadBigEndian64(reinterpret_cast<const uint8_t*>(b.data()));
          } else if (!b.empty()) {
            return c.Fail(tag == Tag(2, kLen) ? "parent_id must be 8 bytes" : "id must be 8 bytes");
          }
          (tag == Tag(2, kLen) ? z.parent_id : z.id) = id;
          break;
        }
        case Tag(4, kVarint): {  // kind; unknown values are treated as unspecified
          uint64_t kind;
          if (!c.Varint(kind)) return false;
          z.kind = kind >= 1 && kind <= 4 ? static_cast<ZipkinKind>(kind) : ZipkinKind::kUnspecified;
          break;
        }
        case Tag(5, kLen):
          if (!c.String(z.name)) return false;
          break;
        case Tag(6, kFixed64):
          if (!c.Fixed64(z.timestamp_us)) return false;
          break;
        case Tag(7, kVarint):
          if (!c.Varint(z.duration_us)) return false;
          break;
        case Tag(8, kLen):
        case Tag(9, kLen): {
          Cursor sub;
          if (!c.Bytes(sub)) return false;
          if (!DecodeEndpoint(sub, tag == Tag(8, kLen) ? z.local_endpoint : z.remote_endpoint)) {
            return false;
          }
          break;
        }
        case Tag(10, kLen): {
          Cursor sub;
          if (!c.Bytes(sub)) return false;
          if (!DecodeAnnotation(sub, z.annotations.emplace_back())) return false;
          break;
        }
        case Tag(11, kLen): {
          Cursor sub;
          if (!c.Bytes(sub)) return false;
          if (!DecodeTag(sub, z.tags)) return false;
          break;
        }
        case Tag(12, kVarint):
        case Tag(13, kVarint): {
          uint64_t b;
          if (!c.Varint(b)) return false;
          if (tag == Tag(12, kVarint)) {
            z.debug = z.debug || b != 0;
          } else {
            z.shared = b != 0;
          }
          break;
        }
        default:
          if (!c.Skip(tag)) return false;
      }
    }
    absl::Status s = converter_.Append(z);
    if (!s.ok()) {
      status_message_ = std::string(s.message());
      return false;
    }
    return true;
  }

  bool DecodeEndpoint(Cursor c, ZipkinEndpoint& e) {
    e.Clear();  // a repeated message field merges in protobuf; the last one wins here
    while (!c.done()) {
      uint32_t tag;
      if (!c.FieldTag(tag)) return false;
      switch (tag) {
        case Tag(1, kLen):
          if (!c.String(e.service_name)) return false;
          break;
        case Tag(2, kLen): {
          std::string_view b;
          if (!c.String(b)) return false;
          if (b.size() == 4) {
            const auto* d = reinterpret_cast<const uint8_t*>(b.data());
            e.has_ipv4 = true;
            e.ipv4 = (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
          }
          break;
        }
        case Tag(3, kLen): {
          std::string_view b;
          if (!c.String(b)) return false;
          if (b.size() == 16) {
            e.has_ipv6 = true;
            std::memcpy(e.ipv6.data(), b.data(), 16);
          }
          break;
        }
        case Tag(4, kVarint): {
          uint64_t port;
          if (!c.Varint(port)) return false;
          // int32 on the wire; only 1..65535 is a port.
          e.port = port >= 1 && port <= 65535 ? static_cast<uint16_t>(port) : 0;
          break;
        }
        default:
          if (!c.Skip(tag)) return false;
      }
    }
    return true;
  }

  bool DecodeAnnotation(Cursor c, ZipkinAnnotation& a) {
    while (!c.done()) {
      uint32_t tag;
      if (!c.FieldTag(tag)) return false;
      if (tag == Tag(1, kFixed64)) {
        if (!c.Fixed64(a.timestamp_us)) return false;
      } else if (tag == Tag(2, kLen)) {
        if (!c.String(a.value)) return false;
      } else if (!c.Skip(tag)) {
        return false;
      }
    }
    return true;
  }

  // One map entry (key = 1, value = 2). A later entry with the same key replaces an earlier one,
  // as map semantics require.
  bool DecodeTag(Cursor c, std::vector<ZipkinTag>& tags) {
    std::string_view key, value;
    while (!c.done()) {
      uint32_t tag;
      if (!c.FieldTag(tag)) return false;
      if (tag == Tag(1, kLen)) {
        if (!c.String(key)) return false;
      } else if (tag == Tag(2, kLen)) {
        if (!c.String(value)) return false;
      } else if (!c.Skip(tag)) {
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
  const char* error_ = nullptr;
  std::string status_message_;
  int64_t span_index_ = 0;
  bool in_span_ = false;
};

}  // namespace

absl::StatusOr<SpanSet> DecodeZipkinProto(std::string_view bytes,
                                          const ZipkinProtoOptions& options) {
  SpanSet out(bytes.size() + 4096);
  ProtoDecoder decoder(out, options);
  if (!decoder.Decode(bytes)) return absl::InvalidArgumentError(decoder.ErrorMessage());
  return out;
}

}  // namespace skua::model::convert
