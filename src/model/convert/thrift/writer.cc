// Thrift encoding; the wire layouts are summarised at the top of reader.cc.
#include "model/convert/thrift/writer.h"

#include <bit>

namespace skua::model::thrift {

void Writer::AppendVarint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint8_t Writer::CompactTypeNibble(Type type) {
  switch (type) {
    case Type::kStop:
      return 0;
    case Type::kBool:
      return 1;
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
  }
  return 0;
}

void Writer::WriteBig32(uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<char>(v >> shift));
}

void Writer::WriteBig64(uint64_t v) {
  WriteBig32(static_cast<uint32_t>(v >> 32));
  WriteBig32(static_cast<uint32_t>(v));
}

void Writer::WriteMessageBegin(std::string_view name, MessageType type, int32_t seqid) {
  if (protocol_ == Protocol::kBinary) {
    WriteBig32(0x80010000u | static_cast<uint32_t>(type));
    WriteString(name);
    WriteI32(seqid);
    return;
  }
  out_.push_back(static_cast<char>(kCompactProtocolId));
  out_.push_back(static_cast<char>((static_cast<uint8_t>(type) << 5) | 1));
  AppendVarint(static_cast<uint32_t>(seqid), out_);
  WriteString(name);
}

void Writer::WriteStructBegin() {
  field_id_stack_.push_back(last_field_id_);
  last_field_id_ = 0;
}

void Writer::WriteStructEnd() {
  out_.push_back(0);
  if (!field_id_stack_.empty()) {
    last_field_id_ = field_id_stack_.back();
    field_id_stack_.pop_back();
  }
}

void Writer::WriteFieldHeader(uint8_t compact_type, int16_t id) {
  int delta = id - last_field_id_;
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>((delta << 4) | compact_type));
  } else {
    out_.push_back(static_cast<char>(compact_type));
    AppendVarint(Zigzag(id), out_);
  }
  last_field_id_ = id;
}

void Writer::WriteFieldBegin(Type type, int16_t id) {
  if (protocol_ == Protocol::kBinary) {
    out_.push_back(static_cast<char>(type));
    out_.push_back(static_cast<char>(static_cast<uint16_t>(id) >> 8));
    out_.push_back(static_cast<char>(id));
    return;
  }
  if (type == Type::kBool) {
    pending_bool_field_ = true;
    pending_bool_id_ = id;
    return;
  }
  WriteFieldHeader(CompactTypeNibble(type), id);
}

void Writer::WriteBool(bool v) {
  if (protocol_ == Protocol::kCompact) {
    if (pending_bool_field_) {
      pending_bool_field_ = false;
      WriteFieldHeader(v ? 1 : 2, pending_bool_id_);
      return;
    }
    out_.push_back(static_cast<char>(v ? 1 : 2));
    return;
  }
  out_.push_back(static_cast<char>(v ? 1 : 0));
}

void Writer::WriteByte(int8_t v) { out_.push_back(static_cast<char>(v)); }

void Writer::WriteI16(int16_t v) {
  if (protocol_ == Protocol::kBinary) {
    out_.push_back(static_cast<char>(static_cast<uint16_t>(v) >> 8));
    out_.push_back(static_cast<char>(v));
    return;
  }
  AppendVarint(Zigzag(v), out_);
}

void Writer::WriteI32(int32_t v) {
  if (protocol_ == Protocol::kBinary) {
    WriteBig32(static_cast<uint32_t>(v));
    return;
  }
  AppendVarint(Zigzag(v), out_);
}

void Writer::WriteI64(int64_t v) {
  if (protocol_ == Protocol::kBinary) {
    WriteBig64(static_cast<uint64_t>(v));
    return;
  }
  AppendVarint(Zigzag(v), out_);
}

void Writer::WriteDouble(double v) {
  uint64_t bits = std::bit_cast<uint64_t>(v);
  if (protocol_ == Protocol::kBinary) {
    WriteBig64(bits);
    return;
  }
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(bits >> (8 * i)));
}

void Writer::WriteString(std::string_view v) {
  if (protocol_ == Protocol::kBinary) {
    WriteBig32(static_cast<uint32_t>(v.size()));
  } else {
    AppendVarint(v.size(), out_);
  }
  out_.append(v);
}

void Writer::WriteUuid(const uint8_t (&bytes)[16]) {
  out_.append(reinterpret_cast<const char*>(bytes), 16);
}

void Writer::WriteListBegin(Type element_type, uint32_t size) {
  if (protocol_ == Protocol::kBinary) {
    out_.push_back(static_cast<char>(element_type));
    WriteBig32(size);
    return;
  }
  uint8_t nibble = CompactTypeNibble(element_type);
  if (size < 15) {
    out_.push_back(static_cast<char>((size << 4) | nibble));
  } else {
    out_.push_back(static_cast<char>(0xf0 | nibble));
    AppendVarint(size, out_);
  }
}

void Writer::WriteSetBegin(Type element_type, uint32_t size) { WriteListBegin(element_type, size); }

void Writer::WriteMapBegin(Type key_type, Type value_type, uint32_t size) {
  if (protocol_ == Protocol::kBinary) {
    out_.push_back(static_cast<char>(key_type));
    out_.push_back(static_cast<char>(value_type));
    WriteBig32(size);
    return;
  }
  AppendVarint(size, out_);
  if (size > 0) {
    out_.push_back(
        static_cast<char>((CompactTypeNibble(key_type) << 4) | CompactTypeNibble(value_type)));
  }
}

}  // namespace skua::model::thrift
