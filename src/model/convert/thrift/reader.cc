// Thrift wire decoding after the Apache Thrift protocol specifications:
//  - TBinaryProtocol: big-endian fixed-width integers and doubles, i32 length-prefixed strings,
//    field header = type byte + i16 id, list/set header = element type byte + i32 count, map
//    header = key type + value type + i32 count; messages start with the version word 0x8001_00tt
//    (strict) or, in the old form, with the name's length.
//  - TCompactProtocol: zigzag varints for i16/i32/i64, little-endian doubles, varint
//    length-prefixed strings, field headers as a 4-bit id delta + 4-bit type (bool values folded
//    into the type), list headers as a 4-bit count + 4-bit element type, messages start with the
//    protocol id 0x82.
#include "model/convert/thrift/reader.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace skua::model::thrift {

std::string_view ProtocolName(Protocol protocol) {
  return protocol == Protocol::kBinary ? "binary" : "compact";
}

std::string_view TypeName(Type type) {
  switch (type) {
    case Type::kStop:
      return "stop";
    case Type::kBool:
      return "bool";
    case Type::kByte:
      return "byte";
    case Type::kDouble:
      return "double";
    case Type::kI16:
      return "i16";
    case Type::kI32:
      return "i32";
    case Type::kI64:
      return "i64";
    case Type::kString:
      return "string";
    case Type::kStruct:
      return "struct";
    case Type::kMap:
      return "map";
    case Type::kSet:
      return "set";
    case Type::kList:
      return "list";
    case Type::kUuid:
      return "uuid";
  }
  return "unknown";
}

size_t MinEncodedSize(Type type, Protocol protocol) {
  const bool binary = protocol == Protocol::kBinary;
  switch (type) {
    case Type::kStop:
      return 0;
    case Type::kBool:
    case Type::kByte:
      return 1;
    case Type::kDouble:
      return 8;
    case Type::kI16:
      return binary ? 2 : 1;
    case Type::kI32:
      return binary ? 4 : 1;
    case Type::kI64:
      return binary ? 8 : 1;
    case Type::kString:
      return binary ? 4 : 1;
    case Type::kStruct:
      return 1;  // the stop byte
    case Type::kMap:
      return binary ? 6 : 1;
    case Type::kSet:
    case Type::kList:
      return binary ? 5 : 1;
    case Type::kUuid:
      return 16;
  }
  return 1;
}

namespace {

// Compact protocol type nibbles.
constexpr uint8_t kCompactStop = 0;
constexpr uint8_t kCompactBoolTrue = 1;
constexpr uint8_t kCompactBoolFalse = 2;
constexpr uint8_t kCompactByte = 3;
constexpr uint8_t kCompactI16 = 4;
constexpr uint8_t kCompactI32 = 5;
constexpr uint8_t kCompactI64 = 6;
constexpr uint8_t kCompactDouble = 7;
constexpr uint8_t kCompactBinary = 8;
constexpr uint8_t kCompactList = 9;
constexpr uint8_t kCompactSet = 10;
constexpr uint8_t kCompactMap = 11;
constexpr uint8_t kCompactStruct = 12;
constexpr uint8_t kCompactUuid = 13;

constexpr uint8_t kCompactVersion = 1;
constexpr uint32_t kBinaryVersionMask = 0xffff0000u;
constexpr uint32_t kBinaryVersion1 = 0x80010000u;

uint16_t LoadBig16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
uint32_t LoadBig32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
uint64_t LoadBig64(const uint8_t* p) { return (uint64_t{LoadBig32(p)} << 32) | LoadBig32(p + 4); }
uint64_t LoadLittle64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

int64_t ZigzagDecode(uint64_t n) {
  return static_cast<int64_t>(n >> 1) ^ -static_cast<int64_t>(n & 1);
}

bool ValidMessageType(uint32_t t) { return t >= 1 && t <= 4; }

}  // namespace

Reader::Reader(std::string_view input, Protocol protocol, const ReaderOptions& options)
    : begin_(reinterpret_cast<const uint8_t*>(input.data())),
      p_(begin_),
      end_(begin_ + input.size()),
      protocol_(protocol),
      max_depth_(options.max_depth) {}

absl::Status Reader::Error(std::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat("thrift ", ToAbsl(ProtocolName(protocol_)), ": ",
                                                 ToAbsl(what), " at byte ", position()));
}

absl::Status Reader::Truncated(std::string_view what) const {
  return Error(absl::StrCat("input truncated reading ", ToAbsl(what)));
}

absl::Status Reader::Enter() {
  if (depth_ >= max_depth_) {
    return Error(absl::StrCat("nesting deeper than ", max_depth_, " levels"));
  }
  ++depth_;
  return absl::OkStatus();
}

absl::Status Reader::ReadVarint(uint64_t& out, std::string_view what) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ >= end_) return Truncated(what);
    uint8_t b = *p_++;
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      out = result;
      return absl::OkStatus();
    }
  }
  return Error(absl::StrCat("varint longer than 10 bytes reading ", ToAbsl(what)));
}

absl::Status Reader::CheckCount(uint64_t count, size_t min_element_bytes, std::string_view what) {
  // Every element takes at least one byte (min_element_bytes is never 0 for a valid element
  // type), so a count the remaining input cannot hold is rejected before any work or allocation.
  if (min_element_bytes == 0) min_element_bytes = 1;
  if (count > remaining() / min_element_bytes) {
    return Error(absl::StrCat(ToAbsl(what), " of ", count, " elements exceeds the ", remaining(),
                              " bytes left"));
  }
  return absl::OkStatus();
}

absl::Status Reader::CompactType(uint8_t nibble, Type& out, bool allow_stop) const {
  switch (nibble) {
    case kCompactStop:
      if (!allow_stop) break;
      out = Type::kStop;
      return absl::OkStatus();
    case kCompactBoolTrue:
    case kCompactBoolFalse:
      out = Type::kBool;
      return absl::OkStatus();
    case kCompactByte:
      out = Type::kByte;
      return absl::OkStatus();
    case kCompactI16:
      out = Type::kI16;
      return absl::OkStatus();
    case kCompactI32:
      out = Type::kI32;
      return absl::OkStatus();
    case kCompactI64:
      out = Type::kI64;
      return absl::OkStatus();
    case kCompactDouble:
      out = Type::kDouble;
      return absl::OkStatus();
    case kCompactBinary:
      out = Type::kString;
      return absl::OkStatus();
    case kCompactList:
      out = Type::kList;
      return absl::OkStatus();
    case kCompactSet:
      out = Type::kSet;
      return absl::OkStatus();
    case kCompactMap:
      out = Type::kMap;
      return absl::OkStatus();
    case kCompactStruct:
      out = Type::kStruct;
      return absl::OkStatus();
    case kCompactUuid:
      out = Type::kUuid;
      return absl::OkStatus();
    default:
      break;
  }
  return Error(absl::StrCat("invalid type id ", nibble));
}

absl::Status Reader::BinaryType(uint8_t id, Type& out, bool allow_stop) const {
  switch (id) {
    case 0:
      if (!allow_stop) break;
      out = Type::kStop;
      return absl::OkStatus();
    case 2:
    case 3:
    case 4:
    case 6:
    case 8:
    case 10:
    case 11:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
      out = static_cast<Type>(id);
      return absl::OkStatus();
    default:
      break;
  }
  return Error(absl::StrCat("invalid type id ", id));
}

absl::Status Reader::ReadMessageBegin(MessageHeader& out) {
  if (protocol_ == Protocol::kCompact) {
    if (remaining() < 2) return Truncated("message header");
    if (p_[0] != kCompactProtocolId) {
      return Error(absl::StrCat("not a compact protocol message (first byte 0x",
                                absl::Hex(p_[0], absl::kZeroPad2), ")"));
    }
    uint8_t version_and_type = p_[1];
    if ((version_and_type & 0x1f) != kCompactVersion) {
      return Error(absl::StrCat("unsupported compact protocol version ", version_and_type & 0x1f));
    }
    uint32_t type = version_and_type >> 5;
    if (!ValidMessageType(type)) return Error(absl::StrCat("invalid message type ", type));
    p_ += 2;
    uint64_t seqid;
    if (absl::Status s = ReadVarint(seqid, "message sequence id"); !s.ok()) return s;
    if (seqid > UINT32_MAX) return Error("message sequence id out of range");
    if (absl::Status s = ReadString(out.name); !s.ok()) return s;
    out.type = static_cast<MessageType>(type);
    out.seqid = static_cast<int32_t>(static_cast<uint32_t>(seqid));
    return absl::OkStatus();
  }
  if (remaining() < 4) return Truncated("message header");
  uint32_t first = LoadBig32(p_);
  if (first & 0x80000000u) {  // strict: version word, name, seqid
    if ((first & kBinaryVersionMask) != kBinaryVersion1) {
      return Error(absl::StrCat("unsupported binary protocol version 0x",
                                absl::Hex(first & kBinaryVersionMask, absl::kZeroPad8)));
    }
    uint32_t type = first & 0xff;
    if (!ValidMessageType(type)) return Error(absl::StrCat("invalid message type ", type));
    p_ += 4;
    if (absl::Status s = ReadString(out.name); !s.ok()) return s;
    if (absl::Status s = ReadI32(out.seqid); !s.ok()) return s;
    out.type = static_cast<MessageType>(type);
    return absl::OkStatus();
  }
  // Old (non-strict) form: name, type byte, seqid.
  if (absl::Status s = ReadString(out.name); !s.ok()) return s;
  int8_t type = 0;
  if (absl::Status s = ReadByte(type); !s.ok()) return s;
  if (!ValidMessageType(static_cast<uint8_t>(type))) {
    return Error(absl::StrCat("invalid message type ", type));
  }
  out.type = static_cast<MessageType>(type);
  return ReadI32(out.seqid);
}

absl::Status Reader::ReadStructBeginSlow() {
  if (absl::Status s = Enter(); !s.ok()) return s;
  if (protocol_ == Protocol::kCompact) {
    field_id_stack_.push_back(last_field_id_);
    last_field_id_ = 0;
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadFieldBeginSlow(FieldHeader& out) {
  if (p_ >= end_) return Truncated("field header");
  uint8_t b = *p_++;
  if (protocol_ == Protocol::kBinary) {
    if (absl::Status s = BinaryType(b, out.type, /*allow_stop=*/true); !s.ok()) return s;
    if (out.type == Type::kStop) {
      out.id = 0;
      return absl::OkStatus();
    }
    if (remaining() < 2) return Truncated("field id");
    out.id = static_cast<int16_t>(LoadBig16(p_));
    p_ += 2;
    return absl::OkStatus();
  }
  uint8_t nibble = b & 0x0f;
  if (absl::Status s = CompactType(nibble, out.type, /*allow_stop=*/true); !s.ok()) return s;
  if (out.type == Type::kStop) {  // the high nibble of a stop byte is ignored, as Thrift does
    out.id = 0;
    return absl::OkStatus();
  }
  uint8_t delta = b >> 4;
  if (delta == 0) {
    uint64_t raw;
    if (absl::Status s = ReadVarint(raw, "field id"); !s.ok()) return s;
    if (raw > UINT16_MAX) return Error("field id out of range");
    out.id = static_cast<int16_t>(ZigzagDecode(raw));
  } else {
    out.id = static_cast<int16_t>(last_field_id_ + delta);
  }
  last_field_id_ = out.id;
  if (out.type == Type::kBool) {
    has_pending_bool_ = true;
    pending_bool_ = nibble == kCompactBoolTrue;
  }
  return absl::OkStatus();
}

absl::Status Reader::ReadBoolSlow(bool& out) {
  if (has_pending_bool_) {
    has_pending_bool_ = false;
    out = pending_bool_;
    return absl::OkStatus();
  }
  if (p_ >= end_) return Truncated("bool");
  uint8_t b = *p_++;
  // Binary: any non-zero byte is true. Compact (list elements): 1 is true; writers use 0 or 2
  // for false.
  out = protocol_ == Protocol::kBinary ? b != 0 : b == kCompactBoolTrue;
  return absl::OkStatus();
}

absl::Status Reader::ReadByte(int8_t& out) {
  if (p_ >= end_) return Truncated("byte");
  out = static_cast<int8_t>(*p_++);
  return absl::OkStatus();
}

absl::Status Reader::ReadI16Slow(int16_t& out) {
  if (protocol_ == Protocol::kBinary) {
    if (remaining() < 2) return Truncated("i16");
    out = static_cast<int16_t>(LoadBig16(p_));
    p_ += 2;
    return absl::OkStatus();
  }
  uint64_t raw;
  if (absl::Status s = ReadVarint(raw, "i16"); !s.ok()) return s;
  if (raw > UINT16_MAX) return Error("i16 varint out of range");
  out = static_cast<int16_t>(ZigzagDecode(raw));
  return absl::OkStatus();
}

absl::Status Reader::ReadI32Slow(int32_t& out) {
  if (protocol_ == Protocol::kBinary) {
    if (remaining() < 4) return Truncated("i32");
    out = static_cast<int32_t>(LoadBig32(p_));
    p_ += 4;
    return absl::OkStatus();
  }
  uint64_t raw;
  if (absl::Status s = ReadVarint(raw, "i32"); !s.ok()) return s;
  if (raw > UINT32_MAX) return Error("i32 varint out of range");
  out = static_cast<int32_t>(ZigzagDecode(raw));
  return absl::OkStatus();
}

absl::Status Reader::ReadI64Slow(int64_t& out) {
  if (protocol_ == Protocol::kBinary) {
    if (remaining() < 8) return Truncated("i64");
    out = static_cast<int64_t>(LoadBig64(p_));
    p_ += 8;
    return absl::OkStatus();
  }
  uint64_t raw;
  if (absl::Status s = ReadVarint(raw, "i64"); !s.ok()) return s;
  out = ZigzagDecode(raw);
  return absl::OkStatus();
}

absl::Status Reader::ReadDoubleSlow(double& out) {
  if (remaining() < 8) return Truncated("double");
  uint64_t bits = protocol_ == Protocol::kBinary ? LoadBig64(p_) : LoadLittle64(p_);
  p_ += 8;
  out = std::bit_cast<double>(bits);
  return absl::OkStatus();
}

absl::Status Reader::ReadStringSlow(std::string_view& out) {
  uint64_t size;
  if (protocol_ == Protocol::kBinary) {
    if (remaining() < 4) return Truncated("string length");
    int32_t n = static_cast<int32_t>(LoadBig32(p_));
    p_ += 4;
    if (n < 0) return Error(absl::StrCat("negative string length ", n));
    size = static_cast<uint64_t>(n);
  } else {
    if (absl::Status s = ReadVarint(size, "string length"); !s.ok()) return s;
  }
  if (size > remaining()) {
    return Error(
        absl::StrCat("string of ", size, " bytes exceeds the ", remaining(), " bytes left"));
  }
  out = std::string_view(reinterpret_cast<const char*>(p_), size);
  p_ += size;
  return absl::OkStatus();
}

absl::Status Reader::ReadListHeader(ListHeader& out, std::string_view what) {
  uint64_t size;
  if (protocol_ == Protocol::kBinary) {
    if (remaining() < 5) return Truncated(absl::StrCat(ToAbsl(what), " header"));
    uint8_t elem = *p_++;
    if (absl::Status s = BinaryType(elem, out.element_type, false); !s.ok()) return s;
    int32_t n = static_cast<int32_t>(LoadBig32(p_));
    p_ += 4;
    if (n < 0) return Error(absl::StrCat("negative ", ToAbsl(what), " size ", n));
    size = static_cast<uint64_t>(n);
  } else {
    if (p_ >= end_) return Truncated(absl::StrCat(ToAbsl(what), " header"));
    uint8_t b = *p_++;
    if (absl::Status s = CompactType(b & 0x0f, out.element_type, false); !s.ok()) return s;
    size = b >> 4;
    if (size == 15) {
      if (absl::Status s = ReadVarint(size, absl::StrCat(ToAbsl(what), " size")); !s.ok()) return s;
    }
  }
  if (absl::Status s = CheckCount(size, MinEncodedSize(out.element_type, protocol_), what);
      !s.ok()) {
    return s;
  }
  out.size = static_cast<uint32_t>(size);
  return Enter();
}

absl::Status Reader::ReadListBeginSlow(ListHeader& out) { return ReadListHeader(out, "list"); }
absl::Status Reader::ReadSetBegin(ListHeader& out) { return ReadListHeader(out, "set"); }

absl::Status Reader::ReadMapBegin(MapHeader& out) {
  uint64_t size;
  if (protocol_ == Protocol::kBinary) {
    if (remaining() < 6) return Truncated("map header");
    if (absl::Status s = BinaryType(p_[0], out.key_type, false); !s.ok()) return s;
    if (absl::Status s = BinaryType(p_[1], out.value_type, false); !s.ok()) return s;
    int32_t n = static_cast<int32_t>(LoadBig32(p_ + 2));
    p_ += 6;
    if (n < 0) return Error(absl::StrCat("negative map size ", n));
    size = static_cast<uint64_t>(n);
  } else {
    if (absl::Status s = ReadVarint(size, "map size"); !s.ok()) return s;
    if (size == 0) {
      // An empty map has no type byte.
      out.key_type = Type::kString;
      out.value_type = Type::kString;
      out.size = 0;
      return Enter();
    }
    if (p_ >= end_) return Truncated("map key/value types");
    uint8_t kv = *p_++;
    if (absl::Status s = CompactType(kv >> 4, out.key_type, false); !s.ok()) return s;
    if (absl::Status s = CompactType(kv & 0x0f, out.value_type, false); !s.ok()) return s;
  }
  size_t min_pair =
      MinEncodedSize(out.key_type, protocol_) + MinEncodedSize(out.value_type, protocol_);
  if (absl::Status s = CheckCount(size, min_pair, "map"); !s.ok()) return s;
  out.size = static_cast<uint32_t>(size);
  return Enter();
}

void Reader::ReadContainerEnd() {
  if (depth_ > 0) --depth_;
}

absl::Status Reader::Skip(Type type) {
  switch (type) {
    case Type::kStop:
      return Error("cannot skip a stop field");
    case Type::kBool: {
      bool v;
      return ReadBool(v);
    }
    case Type::kByte: {
      int8_t v;
      return ReadByte(v);
    }
    case Type::kI16: {
      int16_t v;
      return ReadI16(v);
    }
    case Type::kI32: {
      int32_t v;
      return ReadI32(v);
    }
    case Type::kI64: {
      int64_t v;
      return ReadI64(v);
    }
    case Type::kDouble:
      if (remaining() < 8) return Truncated("double");
      p_ += 8;
      return absl::OkStatus();
    case Type::kUuid:
      if (remaining() < 16) return Truncated("uuid");
      p_ += 16;
      return absl::OkStatus();
    case Type::kString: {
      std::string_view v;
      return ReadString(v);
    }
    case Type::kStruct: {
      if (absl::Status s = ReadStructBegin(); !s.ok()) return s;
      while (true) {
        FieldHeader field;
        if (absl::Status s = ReadFieldBegin(field); !s.ok()) return s;
        if (field.type == Type::kStop) break;
        if (absl::Status s = Skip(field.type); !s.ok()) return s;
      }
      return ReadStructEnd();
    }
    case Type::kList:
    case Type::kSet: {
      ListHeader list;
      if (absl::Status s = ReadListHeader(list, type == Type::kList ? "list" : "set"); !s.ok()) {
        return s;
      }
      for (uint32_t i = 0; i < list.size; ++i) {
        if (absl::Status s = Skip(list.element_type); !s.ok()) return s;
      }
      ReadContainerEnd();
      return absl::OkStatus();
    }
    case Type::kMap: {
      MapHeader map;
      if (absl::Status s = ReadMapBegin(map); !s.ok()) return s;
      for (uint32_t i = 0; i < map.size; ++i) {
        if (absl::Status s = Skip(map.key_type); !s.ok()) return s;
        if (absl::Status s = Skip(map.value_type); !s.ok()) return s;
      }
      ReadContainerEnd();
      return absl::OkStatus();
    }
  }
  return Error("invalid type");
}

}  // namespace skua::model::thrift
