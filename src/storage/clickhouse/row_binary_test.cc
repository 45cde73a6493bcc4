#include "storage/clickhouse/row_binary.h"

#include <string>

#include "gtest/gtest.h"
#include "storage/clickhouse/sql.h"

namespace skua::storage::clickhouse {
namespace {

// The byte layout ClickHouse documents for RowBinary, spelled out by hand.
TEST(RowBinaryWriterTest, Layout) {
  std::string out;
  RowBinaryWriter w(out);
  w.UInt8(0xAB);
  w.UInt16(0x0102);
  w.UInt32(0x01020304);
  w.UInt64(0x0102030405060708ull);
  w.String("hi");
  w.FixedString("xyz");
  w.ArraySize(2);
  w.String("");
  w.String(std::string(200, 'a'));
  std::string want = "\xAB\x02\x01\x04\x03\x02\x01\x08\x07\x06\x05\x04\x03\x02\x01";
  want += std::string("\x02hi", 3);
  want += "xyz";
  want += std::string("\x02\x00", 2);
  want += "\xC8\x01" + std::string(200, 'a');  // 200 = 0b1'1001000 → C8 01
  EXPECT_EQ(out, want);
}

TEST(RowBinaryWriterTest, VarUIntEdges) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, ~0ull}) {
    std::string out;
    RowBinaryWriter(out).VarUInt(v);
    RowBinaryReader r(out);
    auto got = r.VarUInt();
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, v);
    EXPECT_TRUE(r.AtEnd());
  }
  std::string max;
  RowBinaryWriter(max).VarUInt(~0ull);
  EXPECT_EQ(max.size(), 10u);
}

TEST(RowBinaryReaderTest, RoundTrip) {
  std::string out;
  RowBinaryWriter w(out);
  w.UInt16(65535);
  w.UInt64(42);
  w.String(std::string("a\0b", 3));
  w.FixedString("0123456789abcdef");
  w.ArraySize(3);
  for (const char* e : {"x", "y", "z"}) w.String(e);
  RowBinaryReader r(out);
  EXPECT_EQ(*r.UInt16(), 65535);
  EXPECT_EQ(*r.UInt64(), 42u);
  EXPECT_EQ(*r.String(), std::string_view("a\0b", 3));
  EXPECT_EQ(*r.FixedString(16), "0123456789abcdef");
  EXPECT_EQ(*r.ArraySize(2), 3u);  // each element: a 1-byte length and a byte
  for (const char* e : {"x", "y", "z"}) EXPECT_EQ(*r.String(), e);
  EXPECT_TRUE(r.AtEnd());
}

// Untrusted input: every read past the end or oversized length fails cleanly.
TEST(RowBinaryReaderTest, RejectsTruncatedAndHostileInput) {
  EXPECT_FALSE(RowBinaryReader("").UInt8().ok());
  EXPECT_FALSE(RowBinaryReader("\x01").UInt16().ok());
  EXPECT_FALSE(RowBinaryReader("\x01\x02\x03").UInt32().ok());
  EXPECT_FALSE(RowBinaryReader("1234567").UInt64().ok());
  EXPECT_FALSE(RowBinaryReader("\x05" "abc").String().ok());  // 5 bytes announced, 3 there
  EXPECT_FALSE(RowBinaryReader("\x80").VarUInt().ok());       // continuation without a next byte
  EXPECT_FALSE(RowBinaryReader(std::string(11, '\xFF')).VarUInt().ok());  // over 10 bytes
  EXPECT_FALSE(RowBinaryReader("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x02").VarUInt().ok());
  EXPECT_FALSE(RowBinaryReader("ab").FixedString(16).ok());
  // A count of 2^63 elements in a 10-byte buffer cannot pass ArraySize.
  std::string huge;
  RowBinaryWriter(huge).VarUInt(1ull << 63);
  EXPECT_FALSE(RowBinaryReader(huge).ArraySize(1).ok());
  auto err = RowBinaryReader("\x05" "abc").String().status();
  EXPECT_EQ(err.code(), absl::StatusCode::kInternal);
  EXPECT_NE(err.message().find("malformed ClickHouse result"), absl::string_view::npos);
}

TEST(SqlTest, StringLiterals) {
  EXPECT_EQ(SqlString("plain"), "'plain'");
  EXPECT_EQ(SqlString("it's"), "'it\\'s'");
  EXPECT_EQ(SqlString("back\\slash"), "'back\\\\slash'");
  EXPECT_EQ(SqlString(std::string("nul\0x", 5)), "'nul\\x00x'");
  EXPECT_EQ(SqlString("line\nfeed\t\x7f"), "'line\\x0Afeed\\x09\\x7F'");
  EXPECT_EQ(SqlString("\xC3\xA9"), "'\xC3\xA9'");  // UTF-8 passes through
  // Nothing unescaped can close the literal: the only quotes inside are escaped ones.
  std::string hostile = "x' OR 1=1 -- \\' ; DROP TABLE t";
  std::string lit = SqlString(hostile);
  for (size_t i = 1; i + 1 < lit.size(); ++i) {
    if (lit[i] == '\'') {
      EXPECT_EQ(lit[i - 1], '\\') << lit;
    }
  }
}

TEST(SqlTest, TagElements) {
  EXPECT_EQ(TagElement("http.method", "GET"), std::string("http.method\0GET", 15));
  // Keys with NUL or 0x01 stay unambiguous: ("a\0b", "c") differs from ("a", "b\0c").
  EXPECT_NE(TagElement(std::string("a\0b", 3), "c"), TagElement("a", std::string("b\0c", 3)));
  EXPECT_EQ(TagElement(std::string("a\0b\x01", 4), "v"), std::string("a\x01\0b\x01\x01\0v", 8));
  EXPECT_EQ(TagElement("", ""), std::string("\0", 1));
}

}  // namespace
}  // namespace skua::storage::clickhouse
