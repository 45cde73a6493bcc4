#include "config/duration.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace skua::config {
namespace {

// Go's time.ParseDuration grammar (jaeger-compat §2.2 minDuration/maxDuration, §7.2 flags).
TEST(ParseGoDurationTest, Units) {
  EXPECT_EQ(*ParseGoDuration("1h15m"), (75LL * 60) * 1'000'000'000);
  EXPECT_EQ(*ParseGoDuration("1.2s"), 1'200'000'000);
  EXPECT_EQ(*ParseGoDuration("500us"), 500'000);
  EXPECT_EQ(*ParseGoDuration("500\xC2\xB5s"), 500'000);
  EXPECT_EQ(*ParseGoDuration("7ns"), 7);
  EXPECT_EQ(*ParseGoDuration("0"), 0);
  EXPECT_EQ(*ParseGoDuration("-2ms"), -2'000'000);
  EXPECT_FALSE(ParseGoDuration("").ok());
  EXPECT_FALSE(ParseGoDuration("10").ok());
  EXPECT_FALSE(ParseGoDuration("3d").ok());
  EXPECT_FALSE(ParseGoDuration("ms").ok());
}

TEST(ParseGoDurationTest, Accepts) {
  struct Case {
    const char* in;
    int64_t ns;
  } cases[] = {
      {"0", 0},
      {"-0", 0},
      {"1ns", 1},
      {"500us", 500'000},
      {"500\xC2\xB5s", 500'000},  // µs, U+00B5
      {"500\xCE\xBCs", 500'000},  // μs, U+03BC
      {"1.2s", 1'200'000'000},
      {".5s", 500'000'000},
      {"1.s", 1'000'000'000},
      {"1h15m", 4'500'000'000'000},
      {"1h15m30.918273645s", 4'530'918'273'645},
      {"+5ms", 5'000'000},
      {"-1.5h", -5'400'000'000'000},
      {"2h45m10s", 9'910'000'000'000},
      {"9223372036854775807ns", INT64_MAX},
      {"-9223372036854775808ns", INT64_MIN},
      {"0.000000001s", 1},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> d = ParseGoDuration(c.in);
    ASSERT_TRUE(d.ok()) << c.in << ": " << d.status();
    EXPECT_EQ(*d, c.ns) << c.in;
  }
}

// Go's messages, which the query API returns verbatim in its 400 responses (§2.2).
TEST(ParseGoDurationTest, RejectsWithGoMessages) {
  struct Case {
    const char* in;
    const char* msg;
  } cases[] = {
      {"", "time: invalid duration \"\""},
      {"-", "time: invalid duration \"-\""},
      {"s", "time: invalid duration \"s\""},
      {".s", "time: invalid duration \".s\""},
      {"1", "time: missing unit in duration \"1\""},
      {"1h5", "time: missing unit in duration \"1h5\""},
      {"3d", "time: unknown unit \"d\" in duration \"3d\""},
      {"1 s", "time: unknown unit \" s\" in duration \"1 s\""},
      {"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
      {"99999999999h", "time: invalid duration \"99999999999h\""},
      {"1\xFFs", "time: unknown unit \"\\xffs\" in duration \"1\\xffs\""},
  };
  for (const Case& c : cases) {
    absl::StatusOr<int64_t> d = ParseGoDuration(c.in);
    ASSERT_FALSE(d.ok()) << c.in;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(d.status().message()), c.msg);
  }
}

}  // namespace
}  // namespace skua::config
