#include "storage/embedded/block_format.h"

#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace skua::storage::embedded::block_format {
namespace {

TEST(BlockFormatTest, VarintsRoundTripAtEveryLength) {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 16383, 16384, UINT32_MAX, UINT64_MAX};
  for (int shift = 0; shift < 64; ++shift) values.push_back(uint64_t{1} << shift);
  std::string buf;
  for (uint64_t v : values) PutVarint(buf, v);
  ByteReader in(buf);
  for (uint64_t v : values) EXPECT_EQ(in.Varint(), v);
  EXPECT_TRUE(in.ok());
  EXPECT_TRUE(in.empty());
}

TEST(BlockFormatTest, MalformedVarintsFailStickily) {
  // Truncated.
  ByteReader truncated(std::string_view("\x80\x80", 2));
  EXPECT_EQ(truncated.Varint(), 0u);
  EXPECT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.Byte(), 0u);  // sticky
  // Eleven bytes, or a tenth byte with more than the 64th bit.
  const std::string eleven = std::string(10, '\xff') + "\x01";
  ByteReader too_long(eleven);
  too_long.Varint();
  EXPECT_FALSE(too_long.ok());
  const std::string past_64 = std::string(9, '\xff') + "\x02";
  ByteReader overflow(past_64);
  overflow.Varint();
  EXPECT_FALSE(overflow.ok());
  const std::string largest = std::string(9, '\xff') + "\x01";
  ByteReader max(largest);
  EXPECT_EQ(max.Varint(), UINT64_MAX);
  EXPECT_TRUE(max.ok());
  // A 32-bit field holding more.
  std::string big;
  PutVarint(big, uint64_t{1} << 32);
  ByteReader narrow(big);
  narrow.Varint32();
  EXPECT_FALSE(narrow.ok());
}

TEST(BlockFormatTest, CountsCannotExceedTheBytesLeft) {
  std::string buf;
  PutVarint(buf, 5);
  buf += "abcd";  // 4 bytes: room for 4 one-byte items, 2 two-byte items
  ByteReader one(buf);
  EXPECT_EQ(one.Count(1), 0u);
  EXPECT_FALSE(one.ok());
  std::string fits;
  PutVarint(fits, 2);
  fits += "abcd";
  ByteReader two(fits);
  EXPECT_EQ(two.Count(2), 2u);
  EXPECT_TRUE(two.ok());
}

TEST(BlockFormatTest, ReaderNeverReadsPastTheEnd) {
  std::string buf = "abc";
  ByteReader in(buf);
  EXPECT_EQ(in.Bytes(4), "");
  EXPECT_FALSE(in.ok());
  ByteReader fixed(buf);
  EXPECT_EQ(fixed.Fixed32(), 0u);
  EXPECT_FALSE(fixed.ok());
  std::string s;
  PutString(s, "hello");
  s.pop_back();
  ByteReader str(s);
  EXPECT_EQ(str.String(), "");
  EXPECT_FALSE(str.ok());
}

TEST(BlockFormatTest, ZigZagCoversTheWholeRange) {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, INT64_MIN, INT64_MAX, int64_t{-12345}}) {
    EXPECT_EQ(UnZigZag(ZigZag(v)), v);
  }
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
}

// The hash is part of the file format: these values (also listed in
// docs/storage/embedded-blocks.md as test vectors) pin it, so a change that would make old filters
// answer wrongly fails here rather than in production.
constexpr uint64_t kPinnedEmpty = 0x9975129adeb81f33ull;
constexpr uint64_t kPinnedKey = 0xa020f69fa6321f6bull;

TEST(BlockFormatTest, HashIsStable) {
  EXPECT_NE(Hash64("a", 0), Hash64("b", 0));
  EXPECT_NE(Hash64("a", 0), Hash64("a", 1));
  EXPECT_NE(Hash64(std::string_view("\0", 1), 0), Hash64("", 0));
  EXPECT_NE(Hash64("12345678", 0), Hash64("123456789", 0));
  // Pinned values (computed once from the documented definition).
  EXPECT_EQ(Hash64("", 0), kPinnedEmpty);
  EXPECT_EQ(Hash64("service.name", kTagKeySeed), kPinnedKey);
}

TEST(BlockFormatTest, BloomFilterHasNoFalseNegatives) {
  std::mt19937_64 rng(1);
  const size_t n = 20'000;
  const size_t blocks = BloomBlocksFor(n, 10);
  std::string filter(blocks * kBloomBlockBytes, '\0');
  std::vector<uint64_t> keys;
  for (size_t i = 0; i < n; ++i) keys.push_back(rng());
  for (uint64_t k : keys) BloomInsert(filter.data(), blocks, k);
  for (uint64_t k : keys) EXPECT_TRUE(BloomMayContain(filter.data(), blocks, k));
  int fp = 0;
  for (size_t i = 0; i < 100'000; ++i) fp += BloomMayContain(filter.data(), blocks, rng());
  EXPECT_LT(fp, 3000);  // about 1 % expected at 10 bits per entry
  EXPECT_EQ(BloomBlocksFor(0, 10), 1u);
}

}  // namespace
}  // namespace skua::storage::embedded::block_format
