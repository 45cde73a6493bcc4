// ClickHouse's RowBinary format (the HTTP interface's compact binary rows): integers little-endian,
// strings LEB128-length-prefixed, FixedString(N) as N raw bytes, Array(T) as a LEB128 count and the
// elements. The writer builds INSERT bodies; the reader parses query results, which come from the
// network and are untrusted: every read is bounds-checked and fails with a status, never crashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace skua::storage::clickhouse {

// Appends values to a byte string in RowBinary encoding. Not thread-safe.
class RowBinaryWriter {
 public:
  explicit RowBinaryWriter(std::string& out) : out_(out) {}

  void UInt8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void UInt16(uint16_t v) { Fixed(v, 2); }  // also Date (days since 1970-01-01)
  void UInt32(uint32_t v) { Fixed(v, 4); }  // also DateTime (seconds)
  void UInt64(uint64_t v) { Fixed(v, 8); }
  // LEB128, as RowBinary prefixes lengths and counts.
  void VarUInt(uint64_t v);
  void String(std::string_view s);
  // FixedString(N): exactly N bytes. `s` must be N bytes long (the caller's schema decides N).
  void FixedString(std::string_view s) { out_.append(s.data(), s.size()); }
  // Array(...) header; the caller then writes `count` elements.
  void ArraySize(uint64_t count) { VarUInt(count); }

 private:
  void Fixed(uint64_t v, int bytes);
  std::string& out_;
};

// Reads RowBinary values from an untrusted buffer. Each read either succeeds or returns an error
// (Internal: "malformed ClickHouse result: …") and leaves the reader unusable. Views returned by
// String and FixedString point into the buffer, which must outlive them.
class RowBinaryReader {
 public:
  explicit RowBinaryReader(std::string_view data) : data_(data) {}

  bool AtEnd() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

  absl::StatusOr<uint8_t> UInt8();
  absl::StatusOr<uint16_t> UInt16();
  absl::StatusOr<uint32_t> UInt32();
  absl::StatusOr<uint64_t> UInt64();
  // LEB128 of at most 10 bytes whose value fits 64 bits.
  absl::StatusOr<uint64_t> VarUInt();
  // A length-prefixed string; the length must fit in what is left.
  absl::StatusOr<std::string_view> String();
  absl::StatusOr<std::string_view> FixedString(size_t n);
  // An array count, checked against what is left assuming each element takes at least
  // `min_element_bytes` (≥ 1), so a hostile count cannot make the caller allocate unboundedly.
  absl::StatusOr<uint64_t> ArraySize(size_t min_element_bytes);

 private:
  absl::Status Truncated(std::string_view what) const;
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace skua::storage::clickhouse
