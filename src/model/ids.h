// Trace and span identifiers: fixed-size values with hex conversion (OTLP and Jaeger render IDs as
// lower-case hex; Jaeger's UI JSON shortens a trace ID whose high half is zero to 16 digits).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skua::model {

// 128-bit trace ID, big-endian on the wire: bytes 0..7 are `high`, bytes 8..15 are `low`.
struct TraceId {
  uint64_t high = 0;
  uint64_t low = 0;

  bool IsZero() const { return high == 0 && low == 0; }
  // Reads 16 big-endian bytes.
  static TraceId FromBytes(const uint8_t* bytes16);
  // Writes 16 big-endian bytes.
  void ToBytes(uint8_t* out16) const;
  // 32 lower-case hex digits.
  std::string ToHex() const;
  // Jaeger's form: 16 hex digits when high == 0, else 32 (jaeger-compat §2.4).
  std::string ToJaegerHex() const;
  // Parses 1..32 hex digits (either case), right-aligned; nullopt on anything else.
  static std::optional<TraceId> FromHex(std::string_view hex);

  auto operator<=>(const TraceId&) const = default;
};

// 64-bit span ID; zero means "no span" (e.g. no parent).
struct SpanId {
  uint64_t value = 0;

  bool IsZero() const { return value == 0; }
  static SpanId FromBytes(const uint8_t* bytes8);
  void ToBytes(uint8_t* out8) const;
  // 16 lower-case hex digits.
  std::string ToHex() const;
  // Parses 1..16 hex digits; nullopt on anything else.
  static std::optional<SpanId> FromHex(std::string_view hex);

  auto operator<=>(const SpanId&) const = default;
};

struct TraceIdHash {
  size_t operator()(const TraceId& id) const {
    return static_cast<size_t>(id.low ^ (id.high * 0x9E3779B97F4A7C15ull));
  }
};

// Writes `n` lower-case hex digits of `v` (most significant first) to `out`.
void WriteHex64(uint64_t v, char* out16);

}  // namespace skua::model
