#include "base/json.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace skua {
namespace {

std::string StringJson(std::string_view s) {
  std::string out;
  AppendJsonString(s, out);
  return out;
}

std::string Base64(std::string_view s) {
  std::string out;
  AppendBase64(s, out);
  return out;
}

// jaeger-compat §2.4 (the UI JSON is written by Go's encoding/json). Strings: quotes, backslashes
// and control characters escaped; <, > and & escaped like Go's encoding/json; invalid UTF-8 bytes
// each become \ufffd; valid multi-byte UTF-8 passes through; U+2028/U+2029 escaped.
TEST(AppendJsonStringTest, StringEscapes) {
  EXPECT_EQ(StringJson("plain"), R"("plain")");
  EXPECT_EQ(StringJson(""), R"("")");
  EXPECT_EQ(StringJson("a\"b\\c\n\r\t\b\f"), R"("a\"b\\c\n\r\t\b\f")");
  EXPECT_EQ(StringJson(std::string_view("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(StringJson("<a href=x>&</a>"), R"("\u003ca href=x\u003e\u0026\u003c/a\u003e")");
  EXPECT_EQ(StringJson("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
            "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  EXPECT_EQ(StringJson("x\xffy"), R"("x\ufffdy")");
  EXPECT_EQ(StringJson("ab\xe2\x82"), R"("ab\ufffd\ufffd")");                  // truncated sequence
  EXPECT_EQ(StringJson("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong
  EXPECT_EQ(StringJson("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate
  EXPECT_EQ(StringJson("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(StringJson("\xe2\x80\xa8|\xe2\x80\xa9"), R"("\u2028|\u2029")");
  EXPECT_EQ(StringJson("\x7f"), "\"\x7f\"");
  // Long runs (the 16-byte fast path) with specials at every offset.
  std::string base = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (size_t pos = 0; pos < base.size(); ++pos) {
    std::string in = base;
    in[pos] = '"';
    std::string want = "\"" + base.substr(0, pos) + "\\\"" + base.substr(pos + 1) + "\"";
    EXPECT_EQ(StringJson(in), want) << pos;
    in[pos] = '\xff';
    want = "\"" + base.substr(0, pos) + "\\ufffd" + base.substr(pos + 1) + "\"";
    EXPECT_EQ(StringJson(in), want) << pos;
  }
}

TEST(AppendJsonStringTest, AppendsToExistingOutput) {
  std::string out = "[";
  AppendJsonString("a", out);
  out += ',';
  AppendJsonString("b&", out);
  EXPECT_EQ(out, R"(["a","b\u0026")");
}

// RFC 4648 §10 test vectors (standard alphabet, '=' padding), the encoding §2.4 uses for binary
// tags.
TEST(AppendBase64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

// The two characters beyond the alphanumerics are '+' and '/' (not the URL-safe '-' and '_').
TEST(AppendBase64Test, StandardAlphabetAndAppends) {
  EXPECT_EQ(Base64(std::string_view("\xfb\xff\xbf", 3)), "+/+/");
  EXPECT_EQ(Base64(std::string_view("\x00\x00\x00", 3)), "AAAA");
  std::string out = "x";
  AppendBase64("\x01\x02\x03", out);
  EXPECT_EQ(out, "xAQID");
}

}  // namespace
}  // namespace skua

namespace skua {
namespace {

TEST(DecodeBase64Test, StandardUrlSafePaddedAndUnpadded) {
  Arena arena;
  std::string_view out;
  ASSERT_TRUE(DecodeBase64("Zm9vYmFy", arena, out));  // RFC 4648 test vector
  EXPECT_EQ(out, "foobar");
  ASSERT_TRUE(DecodeBase64("Zm9vYg==", arena, out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(DecodeBase64("Zm9vYg", arena, out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(DecodeBase64("-_8", arena, out));  // URL-safe alphabet: 0xfb 0xff
  EXPECT_EQ(out, "\xfb\xff");
  ASSERT_TRUE(DecodeBase64("", arena, out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(DecodeBase64("Zm9v!", arena, out));
  EXPECT_FALSE(DecodeBase64("Z", arena, out));
}

}  // namespace
}  // namespace skua
