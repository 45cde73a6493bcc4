// A bounded pull reader for Thrift's TBinaryProtocol and TCompactProtocol, meant for untrusted
// network input: every length and element count is checked against the bytes actually left, so an
// absurd count fails before anything is allocated; nesting is limited; unknown fields of every type
// can be skipped. Strings are returned as views into the input, which must outlive their use.
#pragma once

#include <cstddef>
#include <cstdint>
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
  // The bytes from `start` (a position()) to the current position.
  std::string_view Consumed(size_t start) const {
    return {reinterpret_cast<const char*>(begin_) + start, position() - start};
  }

  // A message header (strict or old-style binary; compact). Checks the protocol version.
  absl::Status ReadMessageBegin(MessageHeader& out);

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

}  // namespace skua::model::thrift
