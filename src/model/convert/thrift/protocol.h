// Apache Thrift wire vocabulary shared by the bounded reader (reader.h) and the writer (writer.h):
// the two protocols skua speaks (TBinaryProtocol, TCompactProtocol), type ids and message types,
// as the Thrift protocol specifications define them.
#pragma once

#include <cstdint>
#include <string_view>

namespace skua::model::thrift {

enum class Protocol : uint8_t { kBinary, kCompact };
// "binary" / "compact".
std::string_view ProtocolName(Protocol protocol);

// Value types, numbered as TBinaryProtocol writes them. The compact protocol's own type nibbles
// are translated to these by the reader and back by the writer.
enum class Type : uint8_t {
  kStop = 0,
  kBool = 2,
  kByte = 3,
  kDouble = 4,
  kI16 = 6,
  kI32 = 8,
  kI64 = 10,
  kString = 11,  // also `binary`
  kStruct = 12,
  kMap = 13,
  kSet = 14,
  kList = 15,
  kUuid = 16,  // 16 raw bytes (Thrift 0.17+); only skipped, never produced by Jaeger clients
};
// "bool", "i64", … for error messages.
std::string_view TypeName(Type type);

enum class MessageType : uint8_t { kCall = 1, kReply = 2, kException = 3, kOneway = 4 };

// First byte of a message in each protocol: a strict TBinaryProtocol message starts with the
// version word 0x8001…, a TCompactProtocol message with its protocol id.
inline constexpr uint8_t kBinaryVersionByte = 0x80;
inline constexpr uint8_t kCompactProtocolId = 0x82;

}  // namespace skua::model::thrift
