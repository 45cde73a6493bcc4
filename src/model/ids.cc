#include "model/ids.h"

namespace skua::model {
namespace {
constexpr char kHex[] = "0123456789abcdef";

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}
void StoreBigEndian64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// Parses up to 16 hex digits.
bool ParseHex64(std::string_view hex, uint64_t* out) {
  uint64_t v = 0;
  for (char c : hex) {
    int d = HexDigit(c);
    if (d < 0) return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}
}  // namespace

void WriteHex64(uint64_t v, char* out16) {
  for (int i = 15; i >= 0; --i) {
    out16[i] = kHex[v & 0xf];
    v >>= 4;
  }
}

TraceId TraceId::FromBytes(const uint8_t* bytes16) {
  return TraceId{LoadBigEndian64(bytes16), LoadBigEndian64(bytes16 + 8)};
}
void TraceId::ToBytes(uint8_t* out16) const {
  StoreBigEndian64(high, out16);
  StoreBigEndian64(low, out16 + 8);
}
std::string TraceId::ToHex() const {
  std::string s(32, '0');
  WriteHex64(high, s.data());
  WriteHex64(low, s.data() + 16);
  return s;
}
std::string TraceId::ToJaegerHex() const {
  if (high == 0) {
    std::string s(16, '0');
    WriteHex64(low, s.data());
    return s;
  }
  return ToHex();
}
std::optional<TraceId> TraceId::FromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 32) return std::nullopt;
  TraceId id;
  if (hex.size() > 16) {
    if (!ParseHex64(hex.substr(0, hex.size() - 16), &id.high)) return std::nullopt;
    hex = hex.substr(hex.size() - 16);
  }
  if (!ParseHex64(hex, &id.low)) return std::nullopt;
  return id;
}

SpanId SpanId::FromBytes(const uint8_t* bytes8) { return SpanId{LoadBigEndian64(bytes8)}; }
void SpanId::ToBytes(uint8_t* out8) const { StoreBigEndian64(value, out8); }
std::string SpanId::ToHex() const {
  std::string s(16, '0');
  WriteHex64(value, s.data());
  return s;
}
std::optional<SpanId> SpanId::FromHex(std::string_view hex) {
  if (hex.empty() || hex.size() > 16) return std::nullopt;
  SpanId id;
  if (!ParseHex64(hex, &id.value)) return std::nullopt;
  return id;
}

}  // namespace skua::model
