// Internal to model/convert: protobuf wire-format primitives shared by the hand-written decoders
// and encoders (OTLP, Jaeger api_v2, Zipkin proto3). Readers check every length against the bytes
// actually left and report failures as static strings, so the hot path never builds messages;
// writers run one traversal twice (sizes, then bytes) to fill an exactly sized buffer.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace skua::model::convert::protowire {

// Protobuf wire types.
inline constexpr uint32_t kVarint = 0;
inline constexpr uint32_t kFixed64 = 1;
inline constexpr uint32_t kLen = 2;
inline constexpr uint32_t kStartGroup = 3;
inline constexpr uint32_t kEndGroup = 4;
inline constexpr uint32_t kFixed32 = 5;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return (field << 3) | wire_type; }

// ---------------------------------------------------------------------------------------------
// Wire primitives. Each advances `p` on success and leaves it unspecified on failure.

[[gnu::noinline]] inline bool ReadVarintSlow(const uint8_t*& p, const uint8_t* end, uint64_t& out) {
  uint64_t result = 0;
  for (int i = 0; i < 10; ++i) {
    if (p >= end) return false;
    uint8_t b = *p++;
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      out = result;
      return true;
    }
  }
  return false;  // more than 10 bytes: not a valid varint
}

inline bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t& out) {
  if (p < end && *p < 0x80) [[likely]] {
    out = *p++;
    return true;
  }
  return ReadVarintSlow(p, end, out);
}

inline uint64_t LoadLittleEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline uint32_t LoadLittleEndian32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

// Why a decode failed; a static string so the hot path never builds messages.
struct DecodeError {
  const char* what = nullptr;
  const uint8_t* at = nullptr;
};

// Field-level reading with error reporting, for decoders to derive from. Not thread-safe; one
// reader per decode.
class WireReader {
 public:
  const DecodeError& error() const { return error_; }

 protected:
  bool Fail(const char* what, const uint8_t* at) {
    error_.what = what;
    error_.at = at;
    return false;
  }

  bool ReadTag(const uint8_t*& p, const uint8_t* end, uint32_t& tag) {
    const uint8_t* start = p;
    uint64_t v;
    if (!ReadVarint(p, end, v)) return Fail("truncated or overlong varint in field tag", start);
    if (v > UINT32_MAX || (v >> 3) == 0) return Fail("invalid field tag", start);
    tag = static_cast<uint32_t>(v);
    return true;
  }

  bool ReadVarintField(const uint8_t*& p, const uint8_t* end, uint64_t& v) {
    const uint8_t* start = p;
    if (!ReadVarint(p, end, v)) return Fail("truncated or overlong varint", start);
    return true;
  }

  // Proto's uint32 semantics: keep the low 32 bits of the varint.
  bool ReadUint32(const uint8_t*& p, const uint8_t* end, uint32_t& out) {
    uint64_t v;
    if (!ReadVarintField(p, end, v)) return false;
    out = static_cast<uint32_t>(v);
    return true;
  }

  // Reads a length prefix and sets `sub_end` to the end of the payload that follows it.
  bool ReadLength(const uint8_t*& p, const uint8_t* end, const uint8_t*& sub_end) {
    const uint8_t* start = p;
    uint64_t len;
    if (!ReadVarint(p, end, len)) return Fail("truncated or overlong length varint", start);
    if (len > static_cast<uint64_t>(end - p))
      return Fail("length exceeds the enclosing message", start);
    sub_end = p + len;
    return true;
  }

  // A view of a length-delimited payload (into the input; not copied).
  bool ReadBytes(const uint8_t*& p, const uint8_t* end, std::string_view& out) {
    const uint8_t* sub_end;
    if (!ReadLength(p, end, sub_end)) return false;
    out = std::string_view(reinterpret_cast<const char*>(p), static_cast<size_t>(sub_end - p));
    p = sub_end;
    return true;
  }

  bool ReadFixed64(const uint8_t*& p, const uint8_t* end, uint64_t& out) {
    if (end - p < 8) return Fail("truncated fixed64", p);
    out = LoadLittleEndian64(p);
    p += 8;
    return true;
  }

  bool ReadFixed32(const uint8_t*& p, const uint8_t* end, uint32_t& out) {
    if (end - p < 4) return Fail("truncated fixed32", p);
    out = LoadLittleEndian32(p);
    p += 4;
    return true;
  }

  // Skips one field whose tag has been read. A known field number with an unexpected wire type is
  // skipped like an unknown field, as libprotobuf does. Groups (deprecated since proto2, absent
  // from the formats skua reads) are rejected rather than matched up.
  bool SkipField(uint32_t tag, const uint8_t*& p, const uint8_t* end) {
    switch (tag & 7) {
      case kVarint: {
        uint64_t ignored;
        return ReadVarintField(p, end, ignored);
      }
      case kFixed64:
        if (end - p < 8) return Fail("truncated fixed64", p);
        p += 8;
        return true;
      case kLen: {
        const uint8_t* sub_end;
        if (!ReadLength(p, end, sub_end)) return false;
        p = sub_end;
        return true;
      }
      case kFixed32:
        if (end - p < 4) return Fail("truncated fixed32", p);
        p += 4;
        return true;
      case kStartGroup:
      case kEndGroup:
        return Fail("groups (wire types 3 and 4) are not supported", p);
      default:
        return Fail("invalid wire type", p);
    }
  }

  DecodeError error_;
};

// Calls fn(field_number, begin, end) for each length-delimited field of one message, skipping the
// others. Returns false on malformed input (callers that only pre-count can ignore it).
template <typename Fn>
bool ForEachLengthDelimited(const uint8_t* p, const uint8_t* end, Fn&& fn) {
  while (p < end) {
    uint64_t tag, v;
    if (!ReadVarint(p, end, tag)) return false;
    switch (tag & 7) {
      case kVarint:
        if (!ReadVarint(p, end, v)) return false;
        break;
      case kFixed64:
        if (end - p < 8) return false;
        p += 8;
        break;
      case kFixed32:
        if (end - p < 4) return false;
        p += 4;
        break;
      case kLen:
        if (!ReadVarint(p, end, v) || v > static_cast<uint64_t>(end - p)) return false;
        fn(tag >> 3, p, p + v);
        p += v;
        break;
      default:
        return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Encoding. One traversal (Emit*) is run twice: first with a SizeSink that records the length of
// every nested message in pre-order, then with a WriteSink that consumes those lengths while
// writing into a buffer of the exact final size.

inline size_t VarintSize(uint64_t v) { return static_cast<size_t>(std::bit_width(v | 1) + 6) / 7; }

class SizeSink {
 public:
  void Varint(uint32_t field, uint64_t v) { total_ += VarintSize(Tag(field, 0)) + VarintSize(v); }
  void Fixed64(uint32_t field, uint64_t) { total_ += VarintSize(Tag(field, 0)) + 8; }
  void Fixed32(uint32_t field, uint32_t) { total_ += VarintSize(Tag(field, 0)) + 4; }
  void Bytes(uint32_t field, std::string_view s) {
    total_ += VarintSize(Tag(field, 0)) + VarintSize(s.size()) + s.size();
  }
  template <typename Fn>
  void Message(uint32_t field, Fn&& body) {
    size_t slot = sizes_.size();
    sizes_.push_back(0);
    size_t outer = total_;
    total_ = 0;
    body();
    sizes_[slot] = total_;
    total_ = outer + VarintSize(Tag(field, 0)) + VarintSize(sizes_[slot]) + sizes_[slot];
  }

  size_t total() const { return total_; }
  std::vector<size_t>& sizes() { return sizes_; }

 private:
  size_t total_ = 0;
  std::vector<size_t> sizes_;
};

class WriteSink {
 public:
  WriteSink(char* out, const std::vector<size_t>& sizes) : p_(out), sizes_(sizes) {}

  void Varint(uint32_t field, uint64_t v) {
    PutVarint(Tag(field, kVarint));
    PutVarint(v);
  }
  void Fixed64(uint32_t field, uint64_t v) {
    PutVarint(Tag(field, kFixed64));
    for (int i = 0; i < 8; ++i) *p_++ = static_cast<char>(v >> (8 * i));
  }
  void Fixed32(uint32_t field, uint32_t v) {
    PutVarint(Tag(field, kFixed32));
    for (int i = 0; i < 4; ++i) *p_++ = static_cast<char>(v >> (8 * i));
  }
  void Bytes(uint32_t field, std::string_view s) {
    PutVarint(Tag(field, kLen));
    PutVarint(s.size());
    if (!s.empty()) std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  template <typename Fn>
  void Message(uint32_t field, Fn&& body) {
    PutVarint(Tag(field, kLen));
    PutVarint(sizes_[next_++]);
    body();
  }

  char* position() const { return p_; }

 private:
  void PutVarint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }

  char* p_;
  const std::vector<size_t>& sizes_;
  size_t next_ = 0;
};

// Runs `emit(sink)` with a SizeSink, then with a WriteSink into a string of the exact size.
template <typename EmitFn>
std::string Encode(EmitFn&& emit) {
  SizeSink sizer;
  emit(sizer);
  std::string out(sizer.total(), '\0');
  WriteSink writer(out.data(), sizer.sizes());
  emit(writer);
  return out;
}

template <typename Sink>
void EmitBytesIfNotEmpty(Sink& sink, uint32_t field, std::string_view s) {
  if (!s.empty()) sink.Bytes(field, s);
}

template <typename Sink>
void EmitVarintIfNotZero(Sink& sink, uint32_t field, uint64_t v) {
  if (v != 0) sink.Varint(field, v);
}

}  // namespace skua::model::convert::protowire
