// A Thrift reader for hot decoding loops: compiled for one protocol, every method inline and
// returning only true (read) or false (anything else). It accepts exactly what thrift::Reader
// accepts and reads the same values, but says nothing about why it stopped: a caller that gets
// false decodes the same bytes again with Reader, which produces the error message (or, for input
// the caller's fast path merely chose not to handle, the result).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/convert/thrift/protocol.h"
#include "model/convert/thrift/reader.h"

// The hot methods are forced inline: the decoders built on FastReader keep it in a local, and a
// single out-of-line call would make the compiler keep its position in memory.
#define SKUA_THRIFT_INLINE [[gnu::always_inline]] inline

namespace skua::model::thrift {

// A field header. For a compact bool field the value travels in the header: `bool_value`.
struct FastField {
  Type type = Type::kStop;  // kStop: no more fields in this struct
  int16_t id = 0;
  bool bool_value = false;
};

// Reads values of protocol P from [p, end). Nesting is counted as Reader counts it (structs,
// lists, sets, maps), starting from `depth`; opening one more level than `max_depth` fails.
// Element counts are checked against the bytes left with Reader's minimum element sizes. Strings
// are views into the input. A FastReader is a small value: a hot loop works fastest on a local
// copy (`FastReader local = r; … r = local;`), whose state the compiler can keep in registers.
// Thread-safety: none.
template <Protocol P>
class FastReader {
 public:
  FastReader(const uint8_t* p, const uint8_t* end, uint32_t depth, uint32_t max_depth)
      : p_(p), end_(end), depth_(depth), max_depth_(max_depth) {}

  const uint8_t* position() const { return p_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  uint32_t depth() const { return depth_; }

  // A struct: StructBegin, FieldBegin until it yields kStop (each field's value read or skipped),
  // StructEnd. `last_id` is the struct's compact field-id state: a local the caller starts at 0.
  SKUA_THRIFT_INLINE bool StructBegin() { return Enter(); }
  void StructEnd() { --depth_; }
  SKUA_THRIFT_INLINE bool FieldBegin(int16_t& last_id, FastField& out) {
    if (p_ >= end_) return false;
    const uint8_t b = *p_;
    if constexpr (P == Protocol::kBinary) {
      if (b == 0) {
        ++p_;
        out.type = Type::kStop;
        return true;
      }
      if (b >= 32 || !((reader_internal::kBinaryTypeMask >> b) & 1) || end_ - p_ < 3) {
        return false;
      }
      out.type = static_cast<Type>(b);
      out.id = static_cast<int16_t>(reader_internal::LoadBig16(p_ + 1));
      p_ += 3;
      return true;
    } else {
      ++p_;
      const uint8_t nibble = b & 0x0f;
      if (nibble == 0) {  // stop; its high nibble is ignored, as Thrift does
        out.type = Type::kStop;
        return true;
      }
      const Type type = reader_internal::kCompactFieldTypes[nibble];
      if (type == Type::kStop) return false;  // type nibble 14 or 15
      if ((b >> 4) != 0) {
        out.id = static_cast<int16_t>(last_id + (b >> 4));
      } else {  // long form: the id follows as a zigzag varint
        uint64_t raw;
        if (!Varint(raw) || raw > UINT16_MAX) return false;
        out.id = static_cast<int16_t>(reader_internal::ZigzagDecode(raw));
      }
      last_id = out.id;
      out.type = type;
      out.bool_value = nibble == 1;
      return true;
    }
  }

  // Reads the header of field `id` of type `type` (not kBool) and returns true if it is the next
  // thing in the input, written the way Thrift writers write it when the previous field of the
  // struct was `last_id` (compact: the one-byte delta form). Otherwise returns false and consumes
  // nothing; FieldBegin reads any header. For decoders that expect one field order and check
  // each header with a compare or two.
  SKUA_THRIFT_INLINE bool NextFieldIs(int16_t& last_id, Type type, int16_t id) {
    if constexpr (P == Protocol::kBinary) {
      if (end_ - p_ < 3 || p_[0] != static_cast<uint8_t>(type) ||
          reader_internal::LoadBig16(p_ + 1) != static_cast<uint16_t>(id)) {
        return false;
      }
      p_ += 3;
    } else {
      const int delta = id - last_id;
      if (delta < 1 || delta > 15 || p_ >= end_ || *p_ != ((delta << 4) | CompactNibble(type))) {
        return false;
      }
      ++p_;
    }
    last_id = id;
    return true;
  }
  // NextFieldIs for a kBool field, which reads its value too (compact: it is in the header).
  SKUA_THRIFT_INLINE bool NextBoolFieldIs(int16_t& last_id, int16_t id, bool& value) {
    if constexpr (P == Protocol::kBinary) {
      if (end_ - p_ < 4 || p_[0] != static_cast<uint8_t>(Type::kBool) ||
          reader_internal::LoadBig16(p_ + 1) != static_cast<uint16_t>(id)) {
        return false;
      }
      value = p_[3] != 0;
      p_ += 4;
    } else {
      const int delta = id - last_id;
      if (delta < 1 || delta > 15 || p_ >= end_ || (*p_ >> 4) != delta ||
          ((*p_ & 0x0f) != 1 && (*p_ & 0x0f) != 2)) {
        return false;
      }
      value = (*p_ & 0x0f) == 1;
      ++p_;
    }
    last_id = id;
    return true;
  }
  // True, consuming it, if the next byte is the stop that ends the current struct.
  SKUA_THRIFT_INLINE bool NextIsStop() {
    if (p_ >= end_) return false;
    if constexpr (P == Protocol::kBinary) {
      if (*p_ != 0) return false;
    } else {
      if ((*p_ & 0x0f) != 0) return false;  // a stop's high nibble is ignored, as Thrift does
    }
    ++p_;
    return true;
  }

  // The value of a kBool field whose header `field` was just read.
  SKUA_THRIFT_INLINE bool BoolField(const FastField& field, bool& out) {
    if constexpr (P == Protocol::kBinary) {
      if (p_ >= end_) return false;
      out = *p_++ != 0;
      return true;
    } else {
      out = field.bool_value;
      return true;
    }
  }

  SKUA_THRIFT_INLINE bool I32(int32_t& out) {
    if constexpr (P == Protocol::kBinary) {
      if (end_ - p_ < 4) return false;
      out = static_cast<int32_t>(reader_internal::LoadBig32(p_));
      p_ += 4;
      return true;
    } else {
      uint64_t raw;
      if (!Varint(raw) || raw > UINT32_MAX) return false;
      out = static_cast<int32_t>(reader_internal::ZigzagDecode(raw));
      return true;
    }
  }

  SKUA_THRIFT_INLINE bool I64(int64_t& out) {
    if constexpr (P == Protocol::kBinary) {
      if (end_ - p_ < 8) return false;
      out = static_cast<int64_t>(reader_internal::LoadBig64(p_));
      p_ += 8;
      return true;
    } else {
      uint64_t raw;
      if (!Varint(raw)) return false;
      out = reader_internal::ZigzagDecode(raw);
      return true;
    }
  }

  SKUA_THRIFT_INLINE bool Double(double& out) {
    if (end_ - p_ < 8) return false;
    out = std::bit_cast<double>(P == Protocol::kBinary ? reader_internal::LoadBig64(p_)
                                                       : reader_internal::LoadLittle64(p_));
    p_ += 8;
    return true;
  }

  SKUA_THRIFT_INLINE bool String(std::string_view& out) {
    size_t n;
    if constexpr (P == Protocol::kBinary) {
      if (end_ - p_ < 4) return false;
      const uint32_t n32 = reader_internal::LoadBig32(p_);
      p_ += 4;
      if (n32 > INT32_MAX) return false;  // negative
      n = n32;
    } else {
      if (p_ < end_ && *p_ < 0x80) {
        n = *p_++;
      } else {
        uint64_t raw;
        if (!Varint(raw)) return false;
        if (raw > static_cast<size_t>(end_ - p_)) return false;
        n = static_cast<size_t>(raw);
      }
    }
    if (n > static_cast<size_t>(end_ - p_)) return false;
    out = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

  // A list or set header (the two share one encoding); pair with ContainerEnd.
  SKUA_THRIFT_INLINE bool ListBegin(Type& element_type, uint32_t& size) {
    uint64_t count;
    if constexpr (P == Protocol::kBinary) {
      if (end_ - p_ < 5) return false;
      if (!BinaryElementType(p_[0], element_type)) return false;
      const uint32_t n = reader_internal::LoadBig32(p_ + 1);
      p_ += 5;
      if (n > INT32_MAX) return false;  // negative
      count = n;
    } else {
      if (p_ >= end_) return false;
      const uint8_t b = *p_++;
      if (!CompactElementType(b & 0x0f, element_type)) return false;
      count = b >> 4;
      if (count == 15 && !Varint(count)) return false;
    }
    if (count > remaining() / MinSize(element_type)) return false;
    size = static_cast<uint32_t>(count);
    return Enter();
  }
  void ContainerEnd() { --depth_; }

  // Reads and discards the value of the field whose header `field` was just read.
  bool SkipField(const FastField& field) {
    if (field.type == Type::kBool) {
      bool ignored;
      return BoolField(field, ignored);
    }
    return SkipElement(field.type);
  }
  // Reads and discards one list, set or map element of type `type`.
  bool SkipElement(Type type) {
    // Through a copy: the recursive skip takes its reader's address, and a caller that keeps its
    // reader in a local (so that the position can live in a register) must not see it escape.
    FastReader copy = *this;
    const bool ok = copy.SkipValue(type);
    *this = copy;
    return ok;
  }

 private:
  SKUA_THRIFT_INLINE bool Enter() {
    if (depth_ >= max_depth_) return false;
    ++depth_;
    return true;
  }

  SKUA_THRIFT_INLINE bool Varint(uint64_t& out) {
    if (end_ - p_ >= 10) [[likely]] {
      return reader_internal::DecodeVarint10(p_, out);
    }
    return VarintNearEnd(out);
  }
  // A varint in the last 10 bytes of the input, byte by byte (as Reader::ReadVarint).
  [[gnu::noinline]] bool VarintNearEnd(uint64_t& out) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return false;
      const uint8_t b = *p_++;
      result |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) {
        out = result;
        return true;
      }
    }
    return false;
  }

  static bool BinaryElementType(uint8_t id, Type& out) {
    if (id >= 32 || !((reader_internal::kBinaryTypeMask >> id) & 1)) return false;
    out = static_cast<Type>(id);
    return true;
  }
  static bool CompactElementType(uint8_t nibble, Type& out) {
    out = reader_internal::kCompactFieldTypes[nibble];
    return out != Type::kStop;
  }
  static size_t MinSize(Type type) { return MinEncodedSize(type, P); }
  // The compact type nibble of a non-bool type.
  static constexpr int CompactNibble(Type type) {
    switch (type) {
      case Type::kByte:
        return 3;
      case Type::kI16:
        return 4;
      case Type::kI32:
        return 5;
      case Type::kI64:
        return 6;
      case Type::kDouble:
        return 7;
      case Type::kString:
        return 8;
      case Type::kList:
        return 9;
      case Type::kSet:
        return 10;
      case Type::kMap:
        return 11;
      case Type::kStruct:
        return 12;
      case Type::kUuid:
        return 13;
      default:
        return -1;  // kStop, kBool: never matches a header byte
    }
  }

  // A value that is not a field's (a list, set or map element, or a non-bool field's value): a
  // bool takes one byte here in both protocols.
  bool SkipValue(Type type) {
    switch (type) {
      case Type::kStop:
        return false;
      case Type::kBool:
      case Type::kByte:
        if (p_ >= end_) return false;
        ++p_;
        return true;
      case Type::kI16:
        if constexpr (P == Protocol::kBinary) {
          if (end_ - p_ < 2) return false;
          p_ += 2;
          return true;
        } else {
          uint64_t raw;
          return Varint(raw) && raw <= UINT16_MAX;
        }
      case Type::kI32: {
        int32_t v;
        return I32(v);
      }
      case Type::kI64: {
        int64_t v;
        return I64(v);
      }
      case Type::kDouble:
        if (end_ - p_ < 8) return false;
        p_ += 8;
        return true;
      case Type::kUuid:
        if (end_ - p_ < 16) return false;
        p_ += 16;
        return true;
      case Type::kString: {
        std::string_view v;
        return String(v);
      }
      case Type::kStruct: {
        if (!StructBegin()) return false;
        int16_t last_id = 0;
        while (true) {
          FastField field;
          if (!FieldBegin(last_id, field)) return false;
          if (field.type == Type::kStop) break;
          if (!SkipField(field)) return false;
        }
        StructEnd();
        return true;
      }
      case Type::kList:
      case Type::kSet: {
        Type element_type;
        uint32_t size;
        if (!ListBegin(element_type, size)) return false;
        for (uint32_t i = 0; i < size; ++i) {
          if (!SkipValue(element_type)) return false;
        }
        ContainerEnd();
        return true;
      }
      case Type::kMap:
        return SkipMap();
    }
    return false;
  }

  bool SkipMap() {
    uint64_t count;
    Type key_type, value_type;
    if constexpr (P == Protocol::kBinary) {
      if (end_ - p_ < 6) return false;
      if (!BinaryElementType(p_[0], key_type) || !BinaryElementType(p_[1], value_type)) {
        return false;
      }
      const uint32_t n = reader_internal::LoadBig32(p_ + 2);
      p_ += 6;
      if (n > INT32_MAX) return false;  // negative
      count = n;
    } else {
      if (!Varint(count)) return false;
      if (count == 0) return Enter() && (ContainerEnd(), true);  // no type byte
      if (p_ >= end_) return false;
      const uint8_t kv = *p_++;
      if (!CompactElementType(kv >> 4, key_type) || !CompactElementType(kv & 0x0f, value_type)) {
        return false;
      }
    }
    if (count > remaining() / (MinSize(key_type) + MinSize(value_type))) return false;
    if (!Enter()) return false;
    for (uint64_t i = 0; i < count; ++i) {
      if (!SkipValue(key_type) || !SkipValue(value_type)) return false;
    }
    ContainerEnd();
    return true;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  uint32_t depth_;
  uint32_t max_depth_;
};

}  // namespace skua::model::thrift

#undef SKUA_THRIFT_INLINE
