// A small Thrift writer for TBinaryProtocol and TCompactProtocol: produces the payloads that
// tests, fuzz seed corpora and the load generator send to skua's Thrift receivers. It trusts its
// caller (counts must match the elements written); it is not used on the ingest path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/convert/thrift/protocol.h"

namespace skua::model::thrift {

// Appends the encoding of Thrift values to a string. Call sequence mirrors the reader:
// WriteStructBegin, then per field WriteFieldBegin + the value, then WriteStructEnd (which writes
// the stop byte). Thread-safety: none.
class Writer {
 public:
  Writer(Protocol protocol, std::string& out) : protocol_(protocol), out_(out) {}

  Protocol protocol() const { return protocol_; }

  // A strict binary header (version word) or a compact header.
  void WriteMessageBegin(std::string_view name, MessageType type, int32_t seqid);

  void WriteStructBegin();
  // Writes the stop byte and leaves the struct.
  void WriteStructEnd();
  // For a kBool field in the compact protocol the header is written by the following WriteBool,
  // which folds the value into it.
  void WriteFieldBegin(Type type, int16_t id);

  void WriteBool(bool v);
  void WriteByte(int8_t v);
  void WriteI16(int16_t v);
  void WriteI32(int32_t v);
  void WriteI64(int64_t v);
  void WriteDouble(double v);
  void WriteString(std::string_view v);
  void WriteUuid(const uint8_t (&bytes)[16]);

  void WriteListBegin(Type element_type, uint32_t size);
  void WriteSetBegin(Type element_type, uint32_t size);
  void WriteMapBegin(Type key_type, Type value_type, uint32_t size);

  // Appends bytes as they are (e.g. a value encoded separately in the same protocol).
  void WriteRaw(std::string_view bytes) { out_.append(bytes); }

  // Encoding helpers, exposed for tests that build malformed input by hand.
  static void AppendVarint(uint64_t v, std::string& out);
  static uint64_t Zigzag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  // The compact protocol's type nibble for `type` (bool → the "true" nibble).
  static uint8_t CompactTypeNibble(Type type);

 private:
  void WriteFieldHeader(uint8_t compact_type, int16_t id);
  void WriteBig32(uint32_t v);
  void WriteBig64(uint64_t v);

  Protocol protocol_;
  std::string& out_;
  int16_t last_field_id_ = 0;
  std::vector<int16_t> field_id_stack_;
  bool pending_bool_field_ = false;
  int16_t pending_bool_id_ = 0;
};

}  // namespace skua::model::thrift
