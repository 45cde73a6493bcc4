#include "storage/clickhouse/results.h"

#include <string>

#include "gtest/gtest.h"
#include "storage/clickhouse/row_binary.h"
#include "storage/clickhouse/sql.h"

namespace skua::storage::clickhouse {
namespace {

const model::TraceId kTrace{0x0102030405060708ull, 0x090a0b0c0d0e0f10ull};

TEST(ResultsTest, SearchRows) {
  std::string body;
  RowBinaryWriter w(body);
  w.FixedString(TraceIdBytes(kTrace));
  w.UInt64(77);
  w.FixedString(TraceIdBytes(model::TraceId{0, 1}));
  w.UInt64(5);
  auto rows = ParseSearchRows(body);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].trace_id, kTrace);
  EXPECT_EQ((*rows)[0].newest, 77u);
  EXPECT_EQ((*rows)[1].trace_id, (model::TraceId{0, 1}));
  // Any truncation of a valid body is an error, never a crash or a partial silent result.
  for (size_t cut = 1; cut < body.size(); ++cut) {
    if (cut == 24) continue;  // a whole first row is a valid (shorter) result
    EXPECT_FALSE(ParseSearchRows(body.substr(0, cut)).ok()) << cut;
  }
  EXPECT_TRUE(ParseSearchRows("")->empty());
}

TEST(ResultsTest, SpanAndStringRows) {
  std::string body;
  RowBinaryWriter w(body);
  w.FixedString(TraceIdBytes(kTrace));
  w.String(std::string("\x0a\x00", 2));
  auto spans = ParseSpanRows(body);
  ASSERT_TRUE(spans.ok());
  ASSERT_EQ(spans->size(), 1u);
  EXPECT_EQ((*spans)[0].span, std::string_view("\x0a\x00", 2));

  std::string strings;
  RowBinaryWriter s(strings);
  s.String("b");
  s.String("");
  s.String("a");
  auto rows = ParseStringRows(strings);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, (std::vector<std::string_view>{"b", "", "a"}));
  auto pairs = ParseStringPairRows(strings);  // an odd number of strings cannot be pairs
  EXPECT_FALSE(pairs.ok());
}

TEST(ResultsTest, EdgeRowsAndRefs) {
  std::vector<model::jaeger::Reference> refs = {
      {model::jaeger::RefType::kChildOf, {}, model::SpanId{7}},
      {model::jaeger::RefType::kFollowsFrom, {}, model::SpanId{~0ull}}};
  std::string encoded = EncodeEdgeRefs(refs);
  EXPECT_EQ(encoded.size(), 18u);
  auto decoded = DecodeEdgeRefs(encoded);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].type, model::jaeger::RefType::kChildOf);
  EXPECT_EQ((*decoded)[1].span_id, model::SpanId{~0ull});
  EXPECT_FALSE(DecodeEdgeRefs(encoded.substr(0, 10)).ok());
  std::string bad_type = encoded;
  bad_type[0] = 2;
  EXPECT_FALSE(DecodeEdgeRefs(bad_type).ok());

  std::string body;
  RowBinaryWriter w(body);
  w.FixedString(TraceIdBytes(kTrace));
  w.UInt64(3);
  w.UInt64(1000);
  w.String("svc");
  w.String("server");
  w.String(encoded);
  auto rows = ParseEdgeRows(body);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].span.span_id, model::SpanId{3});
  EXPECT_EQ((*rows)[0].start_ns, 1000u);
  EXPECT_EQ((*rows)[0].span.service, "svc");
  EXPECT_EQ((*rows)[0].span.references.size(), 2u);
}

TEST(ResultsTest, BoundsAndCounts) {
  std::string body;
  RowBinaryWriter w(body);
  w.FixedString(TraceIdBytes(kTrace));
  w.UInt64(1);
  w.UInt64(2);
  auto rows = ParseBoundsRows(body);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].end, 2u);
  EXPECT_FALSE(ParseUInt64Rows("1234").ok());
  EXPECT_EQ(ParseUInt64Rows(std::string(16, '\0'))->size(), 2u);
}

}  // namespace
}  // namespace skua::storage::clickhouse
