#include "model/ids.h"

#include <array>
#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace skua::model {
namespace {

TEST(TraceIdTest, ToHexIs32LowerCaseDigits) {
  TraceId id{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(id.ToHex(), "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(TraceId{}.ToHex(), std::string(32, '0'));
}

// jaeger-compat §2.4: Jaeger renders a trace ID whose high half is zero with 16 digits.
TEST(TraceIdTest, JaegerHexShortensWhenHighIsZero) {
  EXPECT_EQ((TraceId{0, 0xabcULL}).ToJaegerHex(), "0000000000000abc");
  EXPECT_EQ((TraceId{1, 2}).ToJaegerHex(), "00000000000000010000000000000002");
  EXPECT_EQ(TraceId{}.ToJaegerHex(), "0000000000000000");
}

TEST(TraceIdTest, HexRoundTrip) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    TraceId id{rng(), rng()};
    if (i % 3 == 0) id.high = 0;
    auto parsed = TraceId::FromHex(id.ToHex());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, id);
    auto parsed_jaeger = TraceId::FromHex(id.ToJaegerHex());
    ASSERT_TRUE(parsed_jaeger.has_value());
    EXPECT_EQ(*parsed_jaeger, id);
  }
}

TEST(TraceIdTest, FromHexIsRightAligned) {
  EXPECT_EQ(TraceId::FromHex("1"), (TraceId{0, 1}));
  EXPECT_EQ(TraceId::FromHex("abc"), (TraceId{0, 0xabc}));
  EXPECT_EQ(TraceId::FromHex("ffffffffffffffff"), (TraceId{0, ~0ULL}));
  // 17 digits: the first digit lands in the high half.
  EXPECT_EQ(TraceId::FromHex("10000000000000000"), (TraceId{1, 0}));
  EXPECT_EQ(TraceId::FromHex("ABCDEF0000000000000000000000000F"),
            (TraceId{0xabcdef0000000000ULL, 0xf}));
}

TEST(TraceIdTest, FromHexRejectsBadInput) {
  EXPECT_FALSE(TraceId::FromHex("").has_value());
  EXPECT_FALSE(TraceId::FromHex(std::string(33, '1')).has_value());
  EXPECT_FALSE(TraceId::FromHex("12345g").has_value());
  EXPECT_FALSE(TraceId::FromHex("0x1234").has_value());
  EXPECT_FALSE(TraceId::FromHex(" 1234").has_value());
  EXPECT_FALSE(TraceId::FromHex("-1").has_value());
  // A bad digit in the high half is caught too.
  EXPECT_FALSE(TraceId::FromHex("z0000000000000000000000000000001").has_value());
  EXPECT_FALSE(TraceId::FromHex(std::string_view("12\0"
                                                 "4",
                                                 4))
                   .has_value());
  EXPECT_TRUE(TraceId::FromHex(std::string(32, 'f')).has_value());
}

TEST(TraceIdTest, BytesAreBigEndian) {
  std::array<uint8_t, 16> bytes;
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<uint8_t>(i + 1);
  TraceId id = TraceId::FromBytes(bytes.data());
  EXPECT_EQ(id.high, 0x0102030405060708ULL);
  EXPECT_EQ(id.low, 0x090a0b0c0d0e0f10ULL);
  EXPECT_EQ(id.ToHex(), "0102030405060708090a0b0c0d0e0f10");
  std::array<uint8_t, 16> out{};
  id.ToBytes(out.data());
  EXPECT_EQ(out, bytes);
}

TEST(TraceIdTest, OrderingAndZero) {
  EXPECT_TRUE(TraceId{}.IsZero());
  EXPECT_FALSE((TraceId{0, 1}).IsZero());
  EXPECT_FALSE((TraceId{1, 0}).IsZero());
  EXPECT_LT((TraceId{0, ~0ULL}), (TraceId{1, 0}));
}

TEST(SpanIdTest, HexRoundTrip) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 1000; ++i) {
    SpanId id{rng()};
    std::string hex = id.ToHex();
    ASSERT_EQ(hex.size(), 16u);
    auto parsed = SpanId::FromHex(hex);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, id);
  }
  EXPECT_EQ((SpanId{0xabcdef}).ToHex(), "0000000000abcdef");
}

TEST(SpanIdTest, FromHexRejectsBadInput) {
  EXPECT_FALSE(SpanId::FromHex("").has_value());
  EXPECT_FALSE(SpanId::FromHex(std::string(17, '1')).has_value());
  EXPECT_FALSE(SpanId::FromHex("xyz").has_value());
  EXPECT_EQ(SpanId::FromHex("A"), (SpanId{10}));
}

TEST(SpanIdTest, BytesAreBigEndian) {
  std::array<uint8_t, 8> bytes = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1};
  SpanId id = SpanId::FromBytes(bytes.data());
  EXPECT_EQ(id.value, 0xdeadbeef00000001ULL);
  std::array<uint8_t, 8> out{};
  id.ToBytes(out.data());
  EXPECT_EQ(out, bytes);
}

TEST(WriteHex64Test, WritesSixteenDigits) {
  char buf[17] = {};
  WriteHex64(0x1f, buf);
  EXPECT_STREQ(buf, "000000000000001f");
}

}  // namespace
}  // namespace skua::model
