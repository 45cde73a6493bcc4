#include "net/compression.h"

#include <zlib.h>

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::net {
namespace {

using ::testing::HasSubstr;

// Compresses with zlib directly (not with the code under test). window_bits selects the format:
// 16+15 gzip, 15 zlib, -15 raw deflate.
std::string Deflate(std::string_view data, int window_bits, int level = 6) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Decompresses gzip with zlib directly, unbounded (test data is small).
std::string Gunzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 16 + 15), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[4096];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  EXPECT_EQ(rc, Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

std::string RandomText(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, ' ');
  for (char& c : s) c = "abcdefghij \n{}\"0123"[rng() % 20];
  return s;
}

// jaeger-compat §1.3: OTLP/HTTP bodies arrive with Content-Encoding gzip (or deflate/zlib).
TEST(InflateTest, DetectsGzipZlibAndRawDeflate) {
  const std::string text = RandomText(100000, 1);
  for (int bits : {16 + 15, 15, -15}) {
    absl::StatusOr<std::string> out = Inflate(Deflate(text, bits), 1 << 20);
    ASSERT_TRUE(out.ok()) << "window bits " << bits << ": " << out.status();
    EXPECT_EQ(*out, text) << "window bits " << bits;
  }
}

TEST(InflateTest, EmptyPayloadRoundTrips) {
  for (int bits : {16 + 15, 15, -15}) {
    absl::StatusOr<std::string> out = Inflate(Deflate("", bits), 100);
    ASSERT_TRUE(out.ok()) << bits << ": " << out.status();
    EXPECT_EQ(*out, "");
  }
}

TEST(InflateTest, OutputExactlyAtLimitIsAccepted) {
  const std::string text(5000, 'q');
  absl::StatusOr<std::string> out = Inflate(Deflate(text, 16 + 15), text.size());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->size(), text.size());
}

TEST(InflateTest, OutputOverLimitIsResourceExhausted) {
  const std::string text(5000, 'q');
  absl::StatusOr<std::string> out = Inflate(Deflate(text, 16 + 15), text.size() - 1);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(out.status().message(), HasSubstr("too large"));
}

TEST(InflateTest, BombIsStoppedAtTheBound) {
  // 64 MiB of zeros compresses to ~64 KiB; inflating with a 1 MiB bound must stop early.
  const std::string zeros(64 << 20, '\0');
  const std::string bomb = Deflate(zeros, 16 + 15, 9);
  ASSERT_LT(bomb.size(), 256u * 1024);
  absl::StatusOr<std::string> out = Inflate(bomb, 1 << 20);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(InflateTest, TruncatedInputIsInvalidArgument) {
  const std::string text = RandomText(20000, 2);
  for (int bits : {16 + 15, 15, -15}) {
    std::string compressed = Deflate(text, bits);
    for (size_t cut : {compressed.size() - 1, compressed.size() / 2, size_t{3}}) {
      absl::StatusOr<std::string> out = Inflate(compressed.substr(0, cut), 1 << 20);
      ASSERT_FALSE(out.ok()) << "bits " << bits << " cut " << cut;
      EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument)
          << "bits " << bits << " cut " << cut << ": " << out.status();
    }
  }
}

TEST(InflateTest, CorruptInputIsInvalidArgument) {
  const std::string text = RandomText(20000, 3);
  std::string gz = Deflate(text, 16 + 15);
  // Damage the compressed payload (past the 10-byte header); either the deflate decoder or the
  // CRC-32 in the trailer catches it.
  for (size_t pos : {size_t{12}, gz.size() / 2, gz.size() - 6}) {
    std::string bad = gz;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x5a);
    absl::StatusOr<std::string> out = Inflate(bad, 1 << 20);
    ASSERT_FALSE(out.ok()) << "pos " << pos;
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << out.status();
  }
}

TEST(InflateTest, GarbageAndEmptyInputAreInvalidArgument) {
  for (std::string_view bad : {std::string_view(""), std::string_view("hello world"),
                               std::string_view("\x1f\x8b"), std::string_view("\xff\xff\xff")}) {
    absl::StatusOr<std::string> out = Inflate(bad, 1 << 20);
    ASSERT_FALSE(out.ok()) << "input size " << bad.size();
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument) << out.status();
  }
}

TEST(InflateTest, ConcatenatedGzipMembersAreJoined) {
  // RFC 1952 §2.2: a gzip file is a sequence of members.
  std::string both = Deflate("first,", 16 + 15) + Deflate("second", 16 + 15);
  absl::StatusOr<std::string> out = Inflate(both, 100);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "first,second");
  // The bound covers all members together.
  out = Inflate(both, 8);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(InflateTest, TrailingGarbageIsInvalidArgument) {
  absl::StatusOr<std::string> out = Inflate(Deflate("payload", 15) + "junk", 100);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(GzipCompressTest, OutputIsStandardGzip) {
  const std::string text = RandomText(300000, 4);
  std::string gz = GzipCompress(text);
  ASSERT_GE(gz.size(), 18u);
  EXPECT_EQ(static_cast<uint8_t>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<uint8_t>(gz[1]), 0x8b);
  EXPECT_LT(gz.size(), text.size());
  EXPECT_EQ(Gunzip(gz), text);  // decoded by zlib directly, not by Inflate
}

TEST(GzipCompressTest, LevelsAndEmptyInput) {
  const std::string text = RandomText(50000, 5);
  for (int level : {0, 1, 9, -1, 42}) {
    EXPECT_EQ(Gunzip(GzipCompress(text, level)), text) << "level " << level;
  }
  std::string empty = GzipCompress("");
  EXPECT_EQ(Gunzip(empty), "");
  absl::StatusOr<std::string> back = Inflate(empty, 0);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "");
}

}  // namespace
}  // namespace skua::net
