// A bounded pull reader for Thrift's TBinaryProtocol and TCompactProtocol, meant for untrusted
// network input: every length and element count is checked against the bytes actually left, so an
// absurd count fails before anything is allocated; nesting is limited; unknown fields of every type
// can be skipped. Strings are returned as views into the input, which must outlive their use.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "model/convert/thrift/protocol.h"

namespace skua::model::thrift {

struct MessageHeader {
  std::string_view name;
  MessageType type = MessageType::kCall;
  int32_t seqid = 0;
};

struct FieldHeader {
  Type type = Type::kStop;  // kStop: no more fields in this struct
  int16_t id = 0;
};

struct ListHeader {  // lists and sets
  Type element_type = Type::kStop;
  uint32_t size = 0;
};

struct MapHeader {
  Type key_type = Type::kStop;
  Type value_type = Type::kStop;
  uint32_t size = 0;
};

struct ReaderOptions {
  // Deepest nesting of structs, lists, sets and maps (a message's argument struct counts as 1).
  // Deeper input → InvalidArgument. Default 64.
  uint32_t max_depth = 64;
};

// Reads one protocol's encoding of Thrift values from a byte string. Every method returns OK or
// InvalidArgument with a message naming what was being read and the byte offset; after an error
// the reader's state is unspecified and it must not be used further. Nothing read from the input
// is trusted: no method crashes, loops without consuming input, or allocates more than the
// nesting depth on any input.
//
// Usage mirrors the Thrift protocol API: ReadStructBegin, then ReadFieldBegin until it yields
// kStop, reading or Skip()ping each field's value, then ReadStructEnd. A container's
// Read*Begin must be paired with ReadContainerEnd after its elements are read.
//
// Thread-safety: none (one reader per thread); cheap to construct.
class Reader {
 public:
  Reader(std::string_view input, Protocol protocol, const ReaderOptions& options = {});
  // The reader keeps a view of its input: a temporary string would dangle.
  Reader(std::string&& input, Protocol protocol, const ReaderOptions& options = {}) = delete;

  Protocol protocol() const { return protocol_; }
  // Bytes consumed so far / still unread.
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  // Structs and containers currently open (what ReaderOptions::max_depth limits).
  uint32_t depth() const { return depth_; }
  // Moves past `n` more bytes (at most remaining()) that the caller decoded by other means, such
  // as a FastReader over the same input that ended at the same nesting depth.
  void Advance(size_t n) { p_ += n <= remaining() ? n : remaining(); }
  // The bytes from `start` (a position()) to the current position.
  std::string_view Consumed(size_t start) const {
    return {reinterpret_cast<const char*>(begin_) + start, position() - start};
  }

  // A message header (strict or old-style binary; compact). Checks the protocol version.
  absl::Status ReadMessageBegin(MessageHeader& out);

  // The hot methods below are defined inline at the end of this header: each handles the common
  // well-formed case itself and leaves everything else (short input, compact varints longer than
  // the fast path takes, every error) to its out-of-line *Slow twin, so both give identical
  // results and messages.
  absl::Status ReadStructBegin();
  // Call after ReadFieldBegin returned kStop.
  absl::Status ReadStructEnd();
  absl::Status ReadFieldBegin(FieldHeader& out);

  absl::Status ReadBool(bool& out);
  absl::Status ReadByte(int8_t& out);
  absl::Status ReadI16(int16_t& out);
  absl::Status ReadI32(int32_t& out);
  absl::Status ReadI64(int64_t& out);
  absl::Status ReadDouble(double& out);
  // `string` and `binary` share one encoding.
  absl::Status ReadString(std::string_view& out);

  // Container headers. The element count is checked against the remaining bytes (each element
  // takes at least one byte, more for fixed-size types), and the container counts toward depth.
  absl::Status ReadListBegin(ListHeader& out);
  absl::Status ReadSetBegin(ListHeader& out);
  absl::Status ReadMapBegin(MapHeader& out);
  void ReadContainerEnd();

  // Reads and discards one value of `type` (recursively for structs and containers).
  absl::Status Skip(Type type);

 private:
  absl::Status ReadStructBeginSlow();
  absl::Status ReadFieldBeginSlow(FieldHeader& out);
  absl::Status ReadBoolSlow(bool& out);
  absl::Status ReadI16Slow(int16_t& out);
  absl::Status ReadI32Slow(int32_t& out);
  absl::Status ReadI64Slow(int64_t& out);
  absl::Status ReadDoubleSlow(double& out);
  absl::Status ReadStringSlow(std::string_view& out);
  absl::Status ReadListBeginSlow(ListHeader& out);
  // Compact protocol: a varint that ends within the next 10 bytes (always, when that many bytes
  // are left). Returns false, consuming nothing, when fewer are left or it runs longer. Decodes
  // the first 8 bytes at once, without a branch per byte (varint lengths vary from value to
  // value, so a per-byte loop mispredicts).
  bool FastVarint(uint64_t& out);

  absl::Status Error(std::string_view what) const;
  absl::Status Truncated(std::string_view what) const;
  absl::Status Enter();
  absl::Status ReadVarint(uint64_t& out, std::string_view what);
  absl::Status CheckCount(uint64_t count, size_t min_element_bytes, std::string_view what);
  absl::Status CompactType(uint8_t nibble, Type& out, bool allow_stop) const;
  absl::Status BinaryType(uint8_t id, Type& out, bool allow_stop) const;
  absl::Status ReadListHeader(ListHeader& out, std::string_view what);

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  Protocol protocol_;
  uint32_t max_depth_;
  uint32_t depth_ = 0;
  // Compact protocol: field ids are deltas from the previous field of the same struct.
  int16_t last_field_id_ = 0;
  std::vector<int16_t> field_id_stack_;
  // Compact protocol: a bool field's value travels in its field header.
  bool has_pending_bool_ = false;
  bool pending_bool_ = false;
};

// Smallest encoding of one value of `type`, in bytes (used to bound element counts).
size_t MinEncodedSize(Type type, Protocol protocol);

// ---------------------------------------------------------------------------------------------
// Inline fast paths (see the comment above ReadStructBegin).

namespace reader_internal {
// Bit i set: binary type id i is a valid non-stop field/element type.
inline constexpr uint32_t kBinaryTypeMask = (1u << 2) | (1u << 3) | (1u << 4) | (1u << 6) |
                                            (1u << 8) | (1u << 10) | (1u << 11) | (1u << 12) |
                                            (1u << 13) | (1u << 14) | (1u << 15) | (1u << 16);
// Compact type nibble → Type; kStop marks the nibbles the fast path leaves to the slow one
// (stop itself and the invalid 14, 15).
inline constexpr Type kCompactFieldTypes[16] = {
    Type::kStop,   Type::kBool,   Type::kBool, Type::kByte, Type::kI16,  Type::kI32,
    Type::kI64,    Type::kDouble, Type::kString, Type::kList, Type::kSet, Type::kMap,
    Type::kStruct, Type::kUuid,   Type::kStop, Type::kStop};
inline uint16_t LoadBig16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t LoadBig32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint64_t LoadBig64(const uint8_t* p) {
  return (uint64_t{LoadBig32(p)} << 32) | LoadBig32(p + 4);
}
inline int64_t ZigzagDecode(uint64_t n) {
  return static_cast<int64_t>(n >> 1) ^ -static_cast<int64_t>(n & 1);
}
inline uint64_t LoadLittle64(const uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
  } else {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
}
// Packs the low 7 bits of each byte of `x` (byte 0 lowest) into 56 contiguous bits.
inline uint64_t Pack7BitGroups(uint64_t x) {
  x &= 0x7f7f7f7f7f7f7f7fULL;
  x = (x & 0x007f007f007f007fULL) | ((x & 0x7f007f007f007f00ULL) >> 1);
  x = (x & 0x00003fff00003fffULL) | ((x & 0x3fff00003fff0000ULL) >> 2);
  return (x & 0x000000000fffffffULL) | ((x & 0x0fffffff00000000ULL) >> 4);
}
// Compact type nibble → smallest encoding of one list element of that type (0: not a valid
// element type; the fast path leaves those to the slow one). Matches MinEncodedSize.
inline constexpr uint8_t kCompactElementMinSize[16] = {0, 1, 1, 1, 1, 1, 1, 8,
                                                       1, 1, 1, 1, 1, 16, 0, 0};
}  // namespace reader_internal

namespace reader_internal {
// A compact-protocol varint that ends within the next 10 bytes; needs at least 10 bytes left.
// Returns false, consuming nothing, when it runs longer. Decodes the first 8 bytes at once,
// without a branch per byte (varint lengths vary from value to value, so a per-byte loop
// mispredicts). As in Reader::ReadVarint, a 10th byte contributes only its lowest bit.
[[gnu::always_inline]] inline bool DecodeVarint10(const uint8_t*& p, uint64_t& out) {
  if (*p < 0x80) {  // small values (enums, counts, short lengths) take one byte
    out = *p++;
    return true;
  }
  const uint64_t word = LoadLittle64(p);
  const uint64_t ends = ~word & 0x8080808080808080ULL;  // bit 7 of each byte without a successor
  if (ends != 0) {
    const int bits = std::countr_zero(ends) + 1;  // 8, 16, …, 64: the bytes this varint takes
    p += bits / 8;
    out = Pack7BitGroups(word & (~uint64_t{0} >> (64 - bits)));
    return true;
  }
  // 9 or 10 bytes.
  const uint64_t low = Pack7BitGroups(word);
  const uint8_t b8 = p[8];
  if (b8 < 0x80) {
    p += 9;
    out = low | (uint64_t{b8} << 56);
    return true;
  }
  const uint8_t b9 = p[9];
  if (b9 < 0x80) {
    p += 10;
    out = low | (uint64_t{b8 & 0x7fu} << 56) | (uint64_t{b9} << 63);
    return true;
  }
  return false;
}
}  // namespace reader_internal

inline bool Reader::FastVarint(uint64_t& out) {
  if (end_ - p_ < 10) return false;
  return reader_internal::DecodeVarint10(p_, out);
}

inline absl::Status Reader::ReadStructBegin() {
  if (depth_ < max_depth_) {
    ++depth_;
    if (protocol_ == Protocol::kCompact) {
      field_id_stack_.push_back(last_field_id_);
      last_field_id_ = 0;
    }
    return absl::OkStatus();
  }
  return ReadStructBeginSlow();
}

inline absl::Status Reader::ReadStructEnd() {
  if (depth_ > 0) --depth_;
  if (protocol_ == Protocol::kCompact && !field_id_stack_.empty()) {
    last_field_id_ = field_id_stack_.back();
    field_id_stack_.pop_back();
  }
  return absl::OkStatus();
}

inline absl::Status Reader::ReadFieldBegin(FieldHeader& out) {
  if (p_ < end_) {
    const uint8_t b = *p_;
    if (protocol_ == Protocol::kBinary) {
      if (b < 32 && ((reader_internal::kBinaryTypeMask >> b) & 1) && end_ - p_ >= 3) {
        out.type = static_cast<Type>(b);
        out.id = static_cast<int16_t>(reader_internal::LoadBig16(p_ + 1));
        p_ += 3;
        return absl::OkStatus();
      }
      if (b == 0) {
        ++p_;
        out.type = Type::kStop;
        out.id = 0;
        return absl::OkStatus();
      }
    } else {
      const uint8_t nibble = b & 0x0f;
      if (nibble == 0) {  // stop; its high nibble is ignored, as Thrift does
        ++p_;
        out.type = Type::kStop;
        out.id = 0;
        return absl::OkStatus();
      }
      const Type type = reader_internal::kCompactFieldTypes[nibble];
      if (type != Type::kStop && (b >> 4) != 0) {
        ++p_;
        out.type = type;
        out.id = static_cast<int16_t>(last_field_id_ + (b >> 4));
        last_field_id_ = out.id;
        if (type == Type::kBool) {
          has_pending_bool_ = true;
          pending_bool_ = nibble == 1;
        }
        return absl::OkStatus();
      }
    }
  }
  return ReadFieldBeginSlow(out);
}

inline absl::Status Reader::ReadBool(bool& out) {
  if (has_pending_bool_) {
    has_pending_bool_ = false;
    out = pending_bool_;
    return absl::OkStatus();
  }
  return ReadBoolSlow(out);
}

inline absl::Status Reader::ReadI16(int16_t& out) {
  if (protocol_ == Protocol::kBinary) {
    if (end_ - p_ >= 2) {
      out = static_cast<int16_t>(reader_internal::LoadBig16(p_));
      p_ += 2;
      return absl::OkStatus();
    }
  } else {
    const uint8_t* const saved = p_;
    uint64_t raw;
    if (FastVarint(raw)) {
      if (raw <= UINT16_MAX) {
        out = static_cast<int16_t>(reader_internal::ZigzagDecode(raw));
        return absl::OkStatus();
      }
      p_ = saved;  // out of range: let the slow path report it
    }
  }
  return ReadI16Slow(out);
}

inline absl::Status Reader::ReadI32(int32_t& out) {
  if (protocol_ == Protocol::kBinary) {
    if (end_ - p_ >= 4) {
      out = static_cast<int32_t>(reader_internal::LoadBig32(p_));
      p_ += 4;
      return absl::OkStatus();
    }
  } else {
    const uint8_t* const saved = p_;
    uint64_t raw;
    if (FastVarint(raw)) {
      if (raw <= UINT32_MAX) {
        out = static_cast<int32_t>(reader_internal::ZigzagDecode(raw));
        return absl::OkStatus();
      }
      p_ = saved;  // out of range: let the slow path report it
    }
  }
  return ReadI32Slow(out);
}

inline absl::Status Reader::ReadI64(int64_t& out) {
  if (protocol_ == Protocol::kBinary) {
    if (end_ - p_ >= 8) {
      out = static_cast<int64_t>(reader_internal::LoadBig64(p_));
      p_ += 8;
      return absl::OkStatus();
    }
  } else {
    uint64_t raw;
    if (FastVarint(raw)) {
      out = reader_internal::ZigzagDecode(raw);
      return absl::OkStatus();
    }
  }
  return ReadI64Slow(out);
}

inline absl::Status Reader::ReadDouble(double& out) {
  if (end_ - p_ >= 8) {
    out = std::bit_cast<double>(protocol_ == Protocol::kBinary
                                    ? reader_internal::LoadBig64(p_)
                                    : reader_internal::LoadLittle64(p_));
    p_ += 8;
    return absl::OkStatus();
  }
  return ReadDoubleSlow(out);
}

inline absl::Status Reader::ReadListBegin(ListHeader& out) {
  // Compact: a count below 15 travels in the header byte's high nibble.
  if (protocol_ == Protocol::kCompact && p_ < end_ && depth_ < max_depth_) {
    const uint8_t b = *p_;
    const uint32_t size = b >> 4;
    const uint8_t min_size = reader_internal::kCompactElementMinSize[b & 0x0f];
    if (size != 15 && min_size != 0 &&
        size * size_t{min_size} <= static_cast<size_t>(end_ - p_) - 1) {
      ++p_;
      out.element_type = reader_internal::kCompactFieldTypes[b & 0x0f];
      out.size = size;
      ++depth_;
      return absl::OkStatus();
    }
  }
  return ReadListBeginSlow(out);
}

inline absl::Status Reader::ReadString(std::string_view& out) {
  if (protocol_ == Protocol::kBinary) {
    if (end_ - p_ >= 4) {
      const uint32_t n = reader_internal::LoadBig32(p_);
      if (n <= INT32_MAX && n <= static_cast<size_t>(end_ - p_) - 4) {
        out = std::string_view(reinterpret_cast<const char*>(p_ + 4), n);
        p_ += 4 + n;
        return absl::OkStatus();
      }
    }
  } else if (p_ < end_) {
    if (*p_ < 0x80) {
      if (*p_ <= static_cast<size_t>(end_ - p_) - 1) {
        const size_t n = *p_;
        out = std::string_view(reinterpret_cast<const char*>(p_ + 1), n);
        p_ += 1 + n;
        return absl::OkStatus();
      }
    } else if (end_ - p_ >= 2 && p_[1] < 0x80) {  // a two-byte length: 128 to 16383 bytes
      const size_t n = (p_[0] & 0x7fu) | (size_t{p_[1]} << 7);
      if (n <= static_cast<size_t>(end_ - p_) - 2) {
        out = std::string_view(reinterpret_cast<const char*>(p_ + 2), n);
        p_ += 2 + n;
        return absl::OkStatus();
      }
    }
  }
  // Through a local, so that the caller's string_view need not live in memory: a view stored
  // as two words and reloaded as one 16-byte value stalls store forwarding.
  std::string_view slow;
  absl::Status status = ReadStringSlow(slow);
  out = slow;
  return status;
}

}  // namespace skua::model::thrift
