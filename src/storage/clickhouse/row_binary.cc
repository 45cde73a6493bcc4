#include "storage/clickhouse/row_binary.h"

#include "absl/strings/str_cat.h"

namespace skua::storage::clickhouse {

void RowBinaryWriter::VarUInt(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void RowBinaryWriter::String(std::string_view s) {
  VarUInt(s.size());
  out_.append(s.data(), s.size());
}

void RowBinaryWriter::Fixed(uint64_t v, int bytes) {
  char buf[8];
  for (int i = 0; i < bytes; ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out_.append(buf, static_cast<size_t>(bytes));
}

absl::Status RowBinaryReader::Truncated(std::string_view what) const {
  return absl::InternalError(absl::StrCat("malformed ClickHouse result: ", std::string(what),
                                          " at byte ", pos_, " of ", data_.size()));
}

namespace {
template <typename T>
absl::StatusOr<T> ReadFixed(std::string_view data, size_t& pos) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(data[pos + i])) << (8 * i);
  }
  pos += sizeof(T);
  return static_cast<T>(v);
}
}  // namespace

absl::StatusOr<uint8_t> RowBinaryReader::UInt8() {
  if (remaining() < 1) return Truncated("truncated UInt8");
  return ReadFixed<uint8_t>(data_, pos_);
}
absl::StatusOr<uint16_t> RowBinaryReader::UInt16() {
  if (remaining() < 2) return Truncated("truncated UInt16");
  return ReadFixed<uint16_t>(data_, pos_);
}
absl::StatusOr<uint32_t> RowBinaryReader::UInt32() {
  if (remaining() < 4) return Truncated("truncated UInt32");
  return ReadFixed<uint32_t>(data_, pos_);
}
absl::StatusOr<uint64_t> RowBinaryReader::UInt64() {
  if (remaining() < 8) return Truncated("truncated UInt64");
  return ReadFixed<uint64_t>(data_, pos_);
}

absl::StatusOr<uint64_t> RowBinaryReader::VarUInt() {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) return Truncated("truncated length");
    auto byte = static_cast<unsigned char>(data_[pos_++]);
    if (i == 9 && byte > 1) return Truncated("length over 64 bits");
    v |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) return v;
  }
  return Truncated("length over 10 bytes");
}

absl::StatusOr<std::string_view> RowBinaryReader::String() {
  absl::StatusOr<uint64_t> n = VarUInt();
  if (!n.ok()) return n.status();
  if (*n > remaining()) return Truncated(absl::StrCat("string of ", *n, " bytes past the end"));
  std::string_view s = data_.substr(pos_, static_cast<size_t>(*n));
  pos_ += s.size();
  return s;
}

absl::StatusOr<std::string_view> RowBinaryReader::FixedString(size_t n) {
  if (n > remaining()) return Truncated(absl::StrCat("truncated FixedString(", n, ")"));
  std::string_view s = data_.substr(pos_, n);
  pos_ += n;
  return s;
}

absl::StatusOr<uint64_t> RowBinaryReader::ArraySize(size_t min_element_bytes) {
  absl::StatusOr<uint64_t> n = VarUInt();
  if (!n.ok()) return n.status();
  if (min_element_bytes == 0) min_element_bytes = 1;
  if (*n > remaining() / min_element_bytes) {
    return Truncated(absl::StrCat("array of ", *n, " elements past the end"));
  }
  return *n;
}

}  // namespace skua::storage::clickhouse
