// Tests for the bounded Thrift reader and the writer. Byte-level expectations are taken from the
// Thrift protocol specifications (not from the writer), so the writer is checked too; everything
// malformed must give InvalidArgument (jaeger-compat §1.5/§1.6 inputs come from the network).
#include "model/convert/thrift/reader.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "model/convert/thrift/writer.h"

namespace skua::model::thrift {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

class BothProtocols : public ::testing::TestWithParam<Protocol> {};

INSTANTIATE_TEST_SUITE_P(Thrift, BothProtocols,
                         ::testing::Values(Protocol::kBinary, Protocol::kCompact),
                         [](const auto& info) { return std::string(ProtocolName(info.param)); });

// --- Spec byte layouts ---------------------------------------------------------------------------

TEST(ThriftWireTest, CompactMessageHeaderMatchesSpec) {
  // Compact: protocol id 0x82, (type << 5) | version 1, varint seqid, varint-length name.
  std::string out;
  Writer w(Protocol::kCompact, out);
  w.WriteMessageBegin("emitBatch", MessageType::kOneway, 1);
  EXPECT_EQ(out, Bytes({0x82, 0x81, 0x01, 0x09}) + "emitBatch");

  const std::string r_input = Bytes({0x82, 0x21, 0x7f, 0x03}) + "abc";
  Reader r(r_input, Protocol::kCompact);
  MessageHeader h;
  ASSERT_TRUE(r.ReadMessageBegin(h).ok());
  EXPECT_EQ(h.name, "abc");
  EXPECT_EQ(h.type, MessageType::kCall);
  EXPECT_EQ(h.seqid, 127);
}

TEST(ThriftWireTest, BinaryMessageHeaderMatchesSpec) {
  // Strict binary: 0x80 0x01 0x00 type, i32 name length, name, i32 seqid.
  std::string out;
  Writer w(Protocol::kBinary, out);
  w.WriteMessageBegin("ab", MessageType::kCall, -2);
  EXPECT_EQ(out, Bytes({0x80, 0x01, 0x00, 0x01, 0, 0, 0, 2, 'a', 'b', 0xff, 0xff, 0xff, 0xfe}));

  // Old non-strict form: name length, name, type byte, seqid.
  const std::string r_input = Bytes({0, 0, 0, 1, 'x', 0x04, 0, 0, 0, 7});
  Reader r(r_input, Protocol::kBinary);
  MessageHeader h;
  ASSERT_TRUE(r.ReadMessageBegin(h).ok());
  EXPECT_EQ(h.name, "x");
  EXPECT_EQ(h.type, MessageType::kOneway);
  EXPECT_EQ(h.seqid, 7);
}

TEST(ThriftWireTest, CompactScalarsMatchSpec) {
  // Field 1 i32 = -1: header (delta 1, type 5), zigzag(-1) = 1. Field 2 i64 = 150: header 0x16,
  // zigzag 300 = 0xac 0x02. Field 20 string "hi": delta > 15 → type byte 0x08, zigzag(20) = 40.
  // Field 21 bool true: delta 1 with type 1. Double 1.0 little-endian. Then stop.
  std::string out;
  Writer w(Protocol::kCompact, out);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI32, 1);
  w.WriteI32(-1);
  w.WriteFieldBegin(Type::kI64, 2);
  w.WriteI64(150);
  w.WriteFieldBegin(Type::kString, 20);
  w.WriteString("hi");
  w.WriteFieldBegin(Type::kBool, 21);
  w.WriteBool(true);
  w.WriteFieldBegin(Type::kDouble, 22);
  w.WriteDouble(1.0);
  w.WriteStructEnd();
  EXPECT_EQ(out, Bytes({0x15, 0x01, 0x16, 0xac, 0x02, 0x08, 40, 0x02, 'h',  'i', 0x11,
                        0x17, 0,    0,    0,    0,    0,    0,  0xf0, 0x3f, 0x00}));
}

TEST(ThriftWireTest, BinaryScalarsMatchSpec) {
  std::string out;
  Writer w(Protocol::kBinary, out);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kI16, 3);
  w.WriteI16(-2);
  w.WriteFieldBegin(Type::kBool, 4);
  w.WriteBool(true);
  w.WriteFieldBegin(Type::kDouble, 5);
  w.WriteDouble(1.0);
  w.WriteStructEnd();
  EXPECT_EQ(out,
            Bytes({6, 0, 3, 0xff, 0xfe, 2, 0, 4, 1, 4, 0, 5, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(ThriftWireTest, CompactListHeaders) {
  // Short form: (size << 4) | type; long form: 0xf0 | type, varint size.
  std::string out;
  Writer w(Protocol::kCompact, out);
  w.WriteListBegin(Type::kI32, 3);
  EXPECT_EQ(out, Bytes({0x35}));
  out.clear();
  w.WriteListBegin(Type::kStruct, 300);
  EXPECT_EQ(out, Bytes({0xfc, 0xac, 0x02}));
}

// --- Round trips of every type ------------------------------------------------------------------

TEST_P(BothProtocols, EveryTypeRoundTrips) {
  const Protocol protocol = GetParam();
  std::string out;
  Writer w(protocol, out);
  const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kBool, 1);
  w.WriteBool(false);
  w.WriteFieldBegin(Type::kByte, 2);
  w.WriteByte(-128);
  w.WriteFieldBegin(Type::kI16, 3);
  w.WriteI16(std::numeric_limits<int16_t>::min());
  w.WriteFieldBegin(Type::kI32, 4);
  w.WriteI32(std::numeric_limits<int32_t>::max());
  w.WriteFieldBegin(Type::kI64, 5);
  w.WriteI64(std::numeric_limits<int64_t>::min());
  w.WriteFieldBegin(Type::kDouble, 6);
  w.WriteDouble(-0.125);
  w.WriteFieldBegin(Type::kString, 7);
  w.WriteString(std::string("a\0b", 3));
  w.WriteFieldBegin(Type::kList, 8);
  w.WriteListBegin(Type::kBool, 20);  // long-form list header in compact
  for (int i = 0; i < 20; ++i) w.WriteBool(i % 3 == 0);
  w.WriteFieldBegin(Type::kSet, 9);
  w.WriteSetBegin(Type::kString, 2);
  w.WriteString("x");
  w.WriteString("");
  w.WriteFieldBegin(Type::kMap, 10);
  w.WriteMapBegin(Type::kI32, Type::kStruct, 1);
  w.WriteI32(42);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kBool, 1);
  w.WriteBool(true);
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kMap, 11);
  w.WriteMapBegin(Type::kString, Type::kString, 0);
  w.WriteFieldBegin(Type::kUuid, 12);
  w.WriteUuid(uuid);
  w.WriteFieldBegin(Type::kI32, 300);  // a large jump in field id
  w.WriteI32(-300);
  w.WriteFieldBegin(Type::kI32, -5);  // negative ids are legal on the wire
  w.WriteI32(5);
  w.WriteStructEnd();

  Reader r(out, protocol);
  ASSERT_TRUE(r.ReadStructBegin().ok());
  FieldHeader f;
  auto next = [&](Type type, int16_t id) {
    ASSERT_TRUE(r.ReadFieldBegin(f).ok());
    EXPECT_EQ(f.type, type);
    EXPECT_EQ(f.id, id);
  };
  bool b = true;
  next(Type::kBool, 1);
  ASSERT_TRUE(r.ReadBool(b).ok());
  EXPECT_FALSE(b);
  int8_t i8;
  next(Type::kByte, 2);
  ASSERT_TRUE(r.ReadByte(i8).ok());
  EXPECT_EQ(i8, -128);
  int16_t i16;
  next(Type::kI16, 3);
  ASSERT_TRUE(r.ReadI16(i16).ok());
  EXPECT_EQ(i16, std::numeric_limits<int16_t>::min());
  int32_t i32;
  next(Type::kI32, 4);
  ASSERT_TRUE(r.ReadI32(i32).ok());
  EXPECT_EQ(i32, std::numeric_limits<int32_t>::max());
  int64_t i64;
  next(Type::kI64, 5);
  ASSERT_TRUE(r.ReadI64(i64).ok());
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::min());
  double d;
  next(Type::kDouble, 6);
  ASSERT_TRUE(r.ReadDouble(d).ok());
  EXPECT_EQ(d, -0.125);
  std::string_view s;
  next(Type::kString, 7);
  ASSERT_TRUE(r.ReadString(s).ok());
  EXPECT_EQ(s, std::string_view("a\0b", 3));
  ListHeader list;
  next(Type::kList, 8);
  ASSERT_TRUE(r.ReadListBegin(list).ok());
  EXPECT_EQ(list.element_type, Type::kBool);
  ASSERT_EQ(list.size, 20u);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(r.ReadBool(b).ok());
    EXPECT_EQ(b, i % 3 == 0) << i;
  }
  r.ReadContainerEnd();
  next(Type::kSet, 9);
  ASSERT_TRUE(r.ReadSetBegin(list).ok());
  EXPECT_EQ(list.element_type, Type::kString);
  ASSERT_EQ(list.size, 2u);
  ASSERT_TRUE(r.ReadString(s).ok());
  EXPECT_EQ(s, "x");
  ASSERT_TRUE(r.ReadString(s).ok());
  EXPECT_EQ(s, "");
  r.ReadContainerEnd();
  MapHeader map;
  next(Type::kMap, 10);
  ASSERT_TRUE(r.ReadMapBegin(map).ok());
  EXPECT_EQ(map.key_type, Type::kI32);
  EXPECT_EQ(map.value_type, Type::kStruct);
  ASSERT_EQ(map.size, 1u);
  ASSERT_TRUE(r.ReadI32(i32).ok());
  EXPECT_EQ(i32, 42);
  ASSERT_TRUE(r.ReadStructBegin().ok());
  next(Type::kBool, 1);
  ASSERT_TRUE(r.ReadBool(b).ok());
  EXPECT_TRUE(b);
  next(Type::kStop, 0);
  ASSERT_TRUE(r.ReadStructEnd().ok());
  r.ReadContainerEnd();
  next(Type::kMap, 11);
  ASSERT_TRUE(r.ReadMapBegin(map).ok());
  EXPECT_EQ(map.size, 0u);
  r.ReadContainerEnd();
  next(Type::kUuid, 12);
  ASSERT_TRUE(r.Skip(Type::kUuid).ok());
  next(Type::kI32, 300);
  ASSERT_TRUE(r.ReadI32(i32).ok());
  EXPECT_EQ(i32, -300);
  next(Type::kI32, -5);
  ASSERT_TRUE(r.ReadI32(i32).ok());
  EXPECT_EQ(i32, 5);
  next(Type::kStop, 0);
  ASSERT_TRUE(r.ReadStructEnd().ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST_P(BothProtocols, NanDoubleKeepsItsBits) {
  std::string out;
  Writer w(GetParam(), out);
  w.WriteDouble(std::numeric_limits<double>::quiet_NaN());
  Reader r(out, GetParam());
  double d = 0;
  ASSERT_TRUE(r.ReadDouble(d).ok());
  EXPECT_TRUE(std::isnan(d));
}

// A struct with one field of every type, nested, used by the skip and truncation tests.
std::string EveryTypeStruct(Protocol protocol) {
  std::string out;
  Writer w(protocol, out);
  const uint8_t uuid[16] = {};
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kBool, 1);
  w.WriteBool(true);
  w.WriteFieldBegin(Type::kByte, 2);
  w.WriteByte(7);
  w.WriteFieldBegin(Type::kI16, 3);
  w.WriteI16(-7);
  w.WriteFieldBegin(Type::kI32, 4);
  w.WriteI32(1 << 20);
  w.WriteFieldBegin(Type::kI64, 5);
  w.WriteI64(int64_t{1} << 40);
  w.WriteFieldBegin(Type::kDouble, 6);
  w.WriteDouble(3.5);
  w.WriteFieldBegin(Type::kString, 7);
  w.WriteString("unknown");
  w.WriteFieldBegin(Type::kStruct, 8);
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kBool, 3);
  w.WriteBool(false);
  w.WriteFieldBegin(Type::kList, 4);
  w.WriteListBegin(Type::kList, 2);
  w.WriteListBegin(Type::kI64, 1);
  w.WriteI64(-1);
  w.WriteListBegin(Type::kI64, 0);
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kMap, 9);
  w.WriteMapBegin(Type::kString, Type::kList, 1);
  w.WriteString("k");
  w.WriteListBegin(Type::kStruct, 1);
  w.WriteStructBegin();
  w.WriteStructEnd();
  w.WriteFieldBegin(Type::kSet, 10);
  w.WriteSetBegin(Type::kDouble, 1);
  w.WriteDouble(1);
  w.WriteFieldBegin(Type::kUuid, 11);
  w.WriteUuid(uuid);
  w.WriteStructEnd();
  return out;
}

TEST_P(BothProtocols, SkipsEveryType) {
  std::string s = EveryTypeStruct(GetParam());
  s += "tail";
  Reader r(s, GetParam());
  ASSERT_TRUE(r.Skip(Type::kStruct).ok());
  EXPECT_EQ(r.remaining(), 4u);
}

TEST_P(BothProtocols, SkipsUnknownFieldsBetweenKnownOnes) {
  // A reader that knows only field 100 (a trailing i32) skips every other field, whatever its type,
  // and its compact field-id deltas stay right after the skipped nested structs.
  std::string out;
  Writer w(GetParam(), out);
  std::string inner = EveryTypeStruct(GetParam());
  w.WriteStructBegin();
  w.WriteFieldBegin(Type::kStruct, 99);
  w.WriteRaw(inner);
  w.WriteFieldBegin(Type::kI32, 100);
  w.WriteI32(12345);
  w.WriteStructEnd();

  Reader r(out, GetParam());
  ASSERT_TRUE(r.ReadStructBegin().ok());
  int32_t value = 0;
  while (true) {
    FieldHeader f;
    ASSERT_TRUE(r.ReadFieldBegin(f).ok());
    if (f.type == Type::kStop) break;
    if (f.id == 100 && f.type == Type::kI32) {
      ASSERT_TRUE(r.ReadI32(value).ok());
    } else {
      ASSERT_TRUE(r.Skip(f.type).ok());
    }
  }
  EXPECT_EQ(value, 12345);
  EXPECT_EQ(r.remaining(), 0u);
}

// --- Malformed input ----------------------------------------------------------------------------

TEST_P(BothProtocols, EveryTruncationIsAnError) {
  const std::string s = EveryTypeStruct(GetParam());
  for (size_t n = 0; n < s.size(); ++n) {
    Reader r(std::string_view(s).substr(0, n), GetParam());
    absl::Status status = r.Skip(Type::kStruct);
    ASSERT_FALSE(status.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ThriftMalformedTest, InvalidTypeIds) {
  // Binary: type id 7 does not exist; 1 (void) is not a value type.
  for (int bad : {1, 5, 7, 9, 17, 0xff}) {
    const std::string r_input = Bytes({bad, 0, 1, 0});
    Reader r(r_input, Protocol::kBinary);
    EXPECT_EQ(r.Skip(Type::kStruct).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  // Compact: nibble 14 and 15 do not exist.
  for (int bad : {0x1e, 0x1f}) {
    const std::string r_input = Bytes({bad, 0, 0});
    Reader r(r_input, Protocol::kCompact);
    absl::Status s = r.Skip(Type::kStruct);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("invalid type id"), std::string::npos) << s;
  }
  // A list whose element type is stop.
  const std::string r_input = Bytes({0x20, 0, 0});
  Reader r(r_input, Protocol::kCompact);
  ListHeader list;
  EXPECT_FALSE(r.ReadListBegin(list).ok());
}

TEST(ThriftMalformedTest, AbsurdCountsFailBeforeAllocating) {
  // Binary list of 2^31-1 i64 in a 10-byte input.
  {
    const std::string r_input = Bytes({10, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0});
    Reader r(r_input, Protocol::kBinary);
    ListHeader list;
    absl::Status s = r.ReadListBegin(list);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("2147483647 elements"), std::string::npos) << s;
  }
  // Negative binary list size, string length and map size.
  {
    const std::string r_input = Bytes({12, 0xff, 0xff, 0xff, 0xfe});
    Reader r(r_input, Protocol::kBinary);
    ListHeader list;
    EXPECT_FALSE(r.ReadListBegin(list).ok());
    const std::string r2_input = Bytes({0x80, 0, 0, 0});
    Reader r2(r2_input, Protocol::kBinary);
    std::string_view s;
    EXPECT_FALSE(r2.ReadString(s).ok());
    const std::string r3_input = Bytes({11, 11, 0xff, 0xff, 0xff, 0xff});
    Reader r3(r3_input, Protocol::kBinary);
    MapHeader m;
    EXPECT_FALSE(r3.ReadMapBegin(m).ok());
  }
  // Compact list of 2^40 structs; compact map of 2^33 pairs; a string longer than the input.
  {
    std::string in = Bytes({0xfc});
    Writer::AppendVarint(uint64_t{1} << 40, in);
    Reader r(in, Protocol::kCompact);
    ListHeader list;
    EXPECT_FALSE(r.ReadListBegin(list).ok());
    std::string m;
    Writer::AppendVarint(uint64_t{1} << 33, m);
    m += Bytes({0x88, 0, 0});
    Reader r2(m, Protocol::kCompact);
    MapHeader map;
    EXPECT_FALSE(r2.ReadMapBegin(map).ok());
    const std::string r3_input = Bytes({0x05, 'a', 'b'});
    Reader r3(r3_input, Protocol::kCompact);
    std::string_view s;
    EXPECT_FALSE(r3.ReadString(s).ok());
  }
  // A count that fits bytes-left only if elements were 1 byte: 4 doubles need 32 bytes, not 4.
  {
    const std::string r_input = Bytes({0x47, 0, 0, 0, 0});
    Reader r(r_input, Protocol::kCompact);
    ListHeader list;
    EXPECT_FALSE(r.ReadListBegin(list).ok());
  }
}

TEST(ThriftMalformedTest, OverlongVarintAndOutOfRangeValues) {
  const std::string r_input = std::string(11, '\xff');
  Reader r(r_input, Protocol::kCompact);
  int64_t v;
  EXPECT_FALSE(r.ReadI64(v).ok());
  // An i32 varint whose value does not fit 32 bits.
  std::string in;
  Writer::AppendVarint(uint64_t{1} << 33, in);
  Reader r2(in, Protocol::kCompact);
  int32_t i32;
  EXPECT_FALSE(r2.ReadI32(i32).ok());
}

// The reader's inline fast paths take over when enough input is left (10 bytes for a compact
// varint); the out-of-line paths handle the end of the input. Both must read the same values and
// reject the same malformed ones with the same message.
TEST_P(BothProtocols, FastAndSlowPathsAgree) {
  const Protocol protocol = GetParam();
  std::string exact;
  Writer w(protocol, exact);
  const int64_t i64s[] = {0, -1, 300, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()};
  const int32_t i32s[] = {0, -1, 70000, std::numeric_limits<int32_t>::min()};
  const std::string strings[] = {"", "x", std::string(127, 'a'), std::string(128, 'b')};
  for (int64_t v : i64s) w.WriteI64(v);
  for (int32_t v : i32s) w.WriteI32(v);
  for (const std::string& v : strings) w.WriteString(v);
  w.WriteDouble(2.5);
  const std::string padded = exact + std::string(16, '\0');
  for (const std::string* input : {static_cast<const std::string*>(&exact), &padded}) {
    SCOPED_TRACE(input == &exact ? "exact" : "padded");
    Reader r(*input, protocol);
    for (int64_t want : i64s) {
      int64_t v = 0;
      ASSERT_TRUE(r.ReadI64(v).ok());
      EXPECT_EQ(v, want);
    }
    for (int32_t want : i32s) {
      int32_t v = 0;
      ASSERT_TRUE(r.ReadI32(v).ok());
      EXPECT_EQ(v, want);
    }
    for (const std::string& want : strings) {
      std::string_view v;
      ASSERT_TRUE(r.ReadString(v).ok());
      EXPECT_EQ(v, want);
    }
    double d = 0;
    ASSERT_TRUE(r.ReadDouble(d).ok());
    EXPECT_EQ(d, 2.5);
    EXPECT_EQ(r.position(), exact.size());
  }
  if (protocol == Protocol::kCompact) {
    std::string big;
    Writer::AppendVarint(uint64_t{1} << 33, big);
    const std::string big_padded = big + std::string(16, '\0');
    Reader slow(big, protocol), fast(big_padded, protocol);
    int32_t v;
    absl::Status slow_status = slow.ReadI32(v), fast_status = fast.ReadI32(v);
    EXPECT_FALSE(fast_status.ok());
    EXPECT_EQ(fast_status.message(), slow_status.message());
  } else {
    const std::string negative = std::string("\xff\xff\xff\xfe") + std::string(16, '\0');
    Reader r(negative, protocol);
    std::string_view v;
    EXPECT_FALSE(r.ReadString(v).ok());
  }
}

// The compact fast paths (branch-free 8-byte varint decode, one- and two-byte string lengths,
// short list headers, little-endian doubles) against the byte-at-a-time slow paths: a value read
// from exactly its own encoding (fewer than 10 bytes left, so the slow path) and from the same
// bytes followed by padding (the fast path) must decode to the written value and consume the same
// bytes, and each malformed case must fail with the same message on both (jaeger-compat §1.5:
// agent UDP input is untrusted). Varint lengths 1 to 10 bytes are all covered.
TEST(ThriftCompactTest, FastAndSlowPathsAgree) {
  const Protocol kC = Protocol::kCompact;
  const std::string kPad(24, '\0');
  // Every varint length: zigzag(v) needs ceil(bits/7) bytes.
  std::vector<int64_t> i64s = {0, -1, 1, 63, -64, 64, std::numeric_limits<int64_t>::min(),
                               std::numeric_limits<int64_t>::max()};
  for (int shift = 6; shift < 63; shift += 7) {
    i64s.push_back(int64_t{1} << shift);
    i64s.push_back(-(int64_t{1} << shift) - 1);
    i64s.push_back((int64_t{1} << shift) - 1);
  }
  for (int64_t want : i64s) {
    SCOPED_TRACE(want);
    std::string enc;
    Writer(kC, enc).WriteI64(want);
    for (const std::string& in : {enc, enc + kPad}) {
      Reader r(in, kC);
      int64_t v = 0;
      ASSERT_TRUE(r.ReadI64(v).ok());
      EXPECT_EQ(v, want);
      EXPECT_EQ(r.position(), enc.size());
    }
  }
  for (int32_t want : {0, -1, 1, 1000, -70000, std::numeric_limits<int32_t>::min(),
                       std::numeric_limits<int32_t>::max()}) {
    SCOPED_TRACE(want);
    std::string enc;
    Writer(kC, enc).WriteI32(want);
    for (const std::string& in : {enc, enc + kPad}) {
      Reader r(in, kC);
      int32_t v = 0;
      ASSERT_TRUE(r.ReadI32(v).ok());
      EXPECT_EQ(v, want);
      EXPECT_EQ(r.position(), enc.size());
    }
  }
  for (int16_t want : {int16_t{0}, int16_t{-1}, int16_t{300}, std::numeric_limits<int16_t>::min(),
                       std::numeric_limits<int16_t>::max()}) {
    SCOPED_TRACE(want);
    std::string enc;
    Writer(kC, enc).WriteI16(want);
    for (const std::string& in : {enc, enc + kPad}) {
      Reader r(in, kC);
      int16_t v = 0;
      ASSERT_TRUE(r.ReadI16(v).ok());
      EXPECT_EQ(v, want);
      EXPECT_EQ(r.position(), enc.size());
    }
  }
  for (double want : {0.0, -2.5, 1e300, std::numeric_limits<double>::denorm_min()}) {
    std::string enc;
    Writer(kC, enc).WriteDouble(want);
    // Spec: a compact double is 8 bytes, little-endian.
    uint64_t bits = 0;
    for (int i = 7; i >= 0; --i) bits = (bits << 8) | static_cast<uint8_t>(enc[i]);
    EXPECT_EQ(bits, std::bit_cast<uint64_t>(want));
    for (const std::string& in : {enc, enc + kPad}) {
      Reader r(in, kC);
      double v = 0;
      ASSERT_TRUE(r.ReadDouble(v).ok());
      EXPECT_EQ(v, want);
      EXPECT_EQ(r.position(), 8u);
    }
  }
  // String lengths around the one-, two- and three-byte varint boundaries.
  for (size_t n : {size_t{0}, size_t{1}, size_t{127}, size_t{128}, size_t{16383}, size_t{16384}}) {
    SCOPED_TRACE(n);
    const std::string want(n, 'q');
    std::string enc;
    Writer(kC, enc).WriteString(want);
    for (const std::string& in : {enc, enc + kPad}) {
      Reader r(in, kC);
      std::string_view v;
      ASSERT_TRUE(r.ReadString(v).ok());
      EXPECT_EQ(v, want);
      EXPECT_EQ(r.position(), enc.size());
    }
  }
  // List headers: short (count in the header byte) and long (varint count) forms, several element
  // types, with their elements present.
  for (uint32_t n : {0u, 1u, 14u, 15u, 40u}) {
    for (Type elem : {Type::kI32, Type::kDouble, Type::kStruct, Type::kBool, Type::kString}) {
      SCOPED_TRACE(testing::Message() << n << " " << TypeName(elem));
      std::string enc;
      Writer w(kC, enc);
      w.WriteListBegin(elem, n);
      const size_t header = enc.size();
      enc.append(n * MinEncodedSize(elem, kC), '\0');
      Reader r(enc, kC);
      ListHeader list;
      ASSERT_TRUE(r.ReadListBegin(list).ok());
      EXPECT_EQ(list.element_type, elem);
      EXPECT_EQ(list.size, n);
      EXPECT_EQ(r.position(), header);
    }
  }
  // Field headers with short deltas, a long-form id and a bool folded into the type.
  {
    std::string enc;
    Writer w(kC, enc);
    w.WriteStructBegin();
    w.WriteFieldBegin(Type::kI32, 1);
    w.WriteI32(7);
    w.WriteFieldBegin(Type::kBool, 5);
    w.WriteBool(true);
    w.WriteFieldBegin(Type::kBool, 6);
    w.WriteBool(false);
    w.WriteFieldBegin(Type::kString, 300);  // delta too large: explicit zigzag id
    w.WriteString("s");
    w.WriteFieldBegin(Type::kI64, 301);
    w.WriteI64(-5);
    w.WriteStructEnd();
    for (const std::string& in : {enc, enc + kPad}) {
      Reader r(in, kC);
      ASSERT_TRUE(r.ReadStructBegin().ok());
      FieldHeader f;
      int32_t i32 = 0;
      int64_t i64 = 0;
      bool b1 = false, b2 = true;
      std::string_view str;
      ASSERT_TRUE(r.ReadFieldBegin(f).ok());
      EXPECT_EQ(f.type, Type::kI32);
      EXPECT_EQ(f.id, 1);
      ASSERT_TRUE(r.ReadI32(i32).ok());
      ASSERT_TRUE(r.ReadFieldBegin(f).ok());
      EXPECT_EQ(f.type, Type::kBool);
      EXPECT_EQ(f.id, 5);
      ASSERT_TRUE(r.ReadBool(b1).ok());
      ASSERT_TRUE(r.ReadFieldBegin(f).ok());
      EXPECT_EQ(f.id, 6);
      ASSERT_TRUE(r.ReadBool(b2).ok());
      ASSERT_TRUE(r.ReadFieldBegin(f).ok());
      EXPECT_EQ(f.type, Type::kString);
      EXPECT_EQ(f.id, 300);
      ASSERT_TRUE(r.ReadString(str).ok());
      ASSERT_TRUE(r.ReadFieldBegin(f).ok());
      EXPECT_EQ(f.type, Type::kI64);
      EXPECT_EQ(f.id, 301);
      ASSERT_TRUE(r.ReadI64(i64).ok());
      ASSERT_TRUE(r.ReadFieldBegin(f).ok());
      EXPECT_EQ(f.type, Type::kStop);
      ASSERT_TRUE(r.ReadStructEnd().ok());
      EXPECT_EQ(i32, 7);
      EXPECT_TRUE(b1);
      EXPECT_FALSE(b2);
      EXPECT_EQ(str, "s");
      EXPECT_EQ(i64, -5);
      EXPECT_EQ(r.position(), enc.size());
    }
  }
  // Malformed input: the same message whether or not padding lets the fast path look at it.
  auto same_error = [&](const std::string& bad, auto read) {
    SCOPED_TRACE(testing::PrintToString(bad));
    Reader slow(bad, kC);
    const std::string padded = bad + std::string(24, '\x80');
    Reader fast(padded, kC);
    absl::Status slow_status = read(slow), fast_status = read(fast);
    EXPECT_FALSE(slow_status.ok());
    EXPECT_EQ(fast_status.message(), slow_status.message());
  };
  const std::string eleven = std::string(10, '\x81') + '\x01';  // varint longer than 10 bytes
  same_error(eleven, [](Reader& r) {
    int64_t v;
    return r.ReadI64(v);
  });
  std::string big;
  Writer::AppendVarint(uint64_t{1} << 20, big);  // beyond i16
  same_error(big, [](Reader& r) {
    int16_t v;
    return r.ReadI16(v);
  });
  // Counts the input cannot hold, with enough bytes left (27) that the fast paths look at them:
  // rejected with the slow paths' messages, which name the bytes left.
  {
    const std::string in = Bytes({0xc8, 0x01}) + std::string(27, 'a');  // length 200
    Reader r(in, kC);
    std::string_view v;
    EXPECT_EQ(r.ReadString(v).message(),
              "thrift compact: string of 200 bytes exceeds the 27 bytes left at byte 2");
  }
  {
    const std::string in = Bytes({0xe7}) + std::string(27, '\0');  // 14 doubles: 112 bytes
    Reader r(in, kC);
    ListHeader l;
    EXPECT_EQ(r.ReadListBegin(l).message(),
              "thrift compact: list of 14 elements exceeds the 27 bytes left at byte 1");
  }
  same_error(Bytes({0x1e}), [](Reader& r) {  // invalid element type nibble 14
    ListHeader l;
    return r.ReadListBegin(l);
  });
  // Nesting limit reached at a short list header.
  {
    ReaderOptions opts;
    opts.max_depth = 1;
    const std::string in = Bytes({0x15, 0x00}) + kPad;
    Reader r(in, kC, opts);
    ASSERT_TRUE(r.ReadStructBegin().ok());
    ListHeader l;
    EXPECT_FALSE(r.ReadListBegin(l).ok());
  }
}

TEST(ThriftMalformedTest, BadMessageHeaders) {
  auto header_ok = [](const std::string& in, Protocol protocol) {
    Reader r(in, protocol);
    MessageHeader h;
    return r.ReadMessageBegin(h).ok();
  };
  // Wrong compact version, invalid message types, bad binary version, empty input.
  EXPECT_FALSE(header_ok(Bytes({0x82, 0x82, 0, 0}), Protocol::kCompact));
  EXPECT_FALSE(header_ok(Bytes({0x82, 0xa1, 0, 0}), Protocol::kCompact));
  EXPECT_FALSE(header_ok(Bytes({0x82, 0x01, 0, 0}), Protocol::kCompact));
  EXPECT_FALSE(header_ok(Bytes({0x81}), Protocol::kCompact));
  EXPECT_FALSE(header_ok(Bytes({0x80, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}), Protocol::kBinary));
  EXPECT_FALSE(header_ok(Bytes({0x80, 0x01, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0}), Protocol::kBinary));
  EXPECT_FALSE(header_ok("", Protocol::kBinary));
  // A valid header for contrast.
  EXPECT_TRUE(header_ok(Bytes({0x82, 0x81, 0, 0}), Protocol::kCompact));
}

TEST_P(BothProtocols, DeepNestingIsAnError) {
  // Lists nested 100 deep with the limit at 64: an error, not a stack overflow.
  std::string out;
  Writer w(GetParam(), out);
  for (int i = 0; i < 100; ++i) w.WriteListBegin(Type::kList, 1);
  w.WriteListBegin(Type::kI32, 0);
  Reader r(out, GetParam());
  absl::Status s = r.Skip(Type::kList);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nesting deeper than 64"), std::string::npos) << s;

  // Structs nested within the limit are fine.
  std::string ok;
  Writer w2(GetParam(), ok);
  for (int i = 0; i < 10; ++i) {
    w2.WriteStructBegin();
    w2.WriteFieldBegin(Type::kStruct, 1);
  }
  w2.WriteStructBegin();
  w2.WriteStructEnd();
  for (int i = 0; i < 10; ++i) w2.WriteStructEnd();
  ReaderOptions options;
  options.max_depth = 11;
  Reader r2(ok, GetParam(), options);
  EXPECT_TRUE(r2.Skip(Type::kStruct).ok());
  options.max_depth = 10;
  Reader r3(ok, GetParam(), options);
  EXPECT_FALSE(r3.Skip(Type::kStruct).ok());
}

TEST_P(BothProtocols, ArbitraryBytesNeverCrash) {
  // A deterministic pseudo-random sweep: every result is OK or InvalidArgument, and the reader
  // never claims to have consumed more than its input.
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int round = 0; round < 20000; ++round) {
    std::string in;
    size_t n = round % 64;
    for (size_t i = 0; i < n; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      in.push_back(static_cast<char>(state >> 56));
    }
    Reader r(in, GetParam());
    absl::Status s = r.Skip(Type::kStruct);
    ASSERT_TRUE(s.ok() || s.code() == absl::StatusCode::kInvalidArgument) << s;
    ASSERT_LE(r.position(), in.size());
  }
}

}  // namespace
}  // namespace skua::model::thrift
