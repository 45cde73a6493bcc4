#include "base/arena.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace skua {
namespace {

bool IsAligned(const void* p, size_t align) { return reinterpret_cast<uintptr_t>(p) % align == 0; }

TEST(ArenaTest, AllocationsHonourAlignment) {
  Arena arena(64);
  for (size_t align : {1, 2, 4, 8, 16, 32, 64, 128, 4096}) {
    // An odd-sized allocation first, so the cursor is misaligned for the next request.
    arena.Allocate(3, 1);
    void* p = arena.Allocate(24, align);
    EXPECT_TRUE(IsAligned(p, align)) << "align " << align;
    std::memset(p, 0xab, 24);  // must be writable (ASan catches overruns)
  }
}

TEST(ArenaTest, TypedAllocationsAreAlignedForTheirType) {
  struct alignas(32) Wide {
    char bytes[32];
  };
  Arena arena(16);
  arena.Allocate(1, 1);
  Wide* w = arena.AllocateArray<Wide>(3);
  EXPECT_TRUE(IsAligned(w, alignof(Wide)));
  auto* d = arena.New<double>(2.5);
  EXPECT_TRUE(IsAligned(d, alignof(double)));
  EXPECT_EQ(*d, 2.5);
  EXPECT_EQ(arena.AllocateArray<int>(0), nullptr);
}

TEST(ArenaTest, AllocationsDoNotOverlap) {
  Arena arena(32);
  std::vector<std::pair<char*, size_t>> blocks;
  for (size_t i = 1; i <= 200; ++i) {
    size_t size = (i * 37) % 300 + 1;
    char* p = static_cast<char*>(arena.Allocate(size, 8));
    std::memset(p, static_cast<int>(i & 0xff), size);
    blocks.emplace_back(p, size);
  }
  // Every block still holds its own fill byte: nothing later overwrote it.
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto [p, size] = blocks[i];
    for (size_t j = 0; j < size; ++j) {
      ASSERT_EQ(static_cast<unsigned char>(p[j]), (i + 1) & 0xff) << "block " << i;
    }
  }
}

TEST(ArenaTest, LargeAllocationLargerThanAnyBlock) {
  Arena arena(64);
  const size_t big = Arena::kMaxBlockSize * 4 + 123;
  char* p = static_cast<char*>(arena.Allocate(big, 16));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(IsAligned(p, 16));
  std::memset(p, 0x5a, big);
  EXPECT_GE(arena.bytes_reserved(), big);
  // A small allocation after the large one still works and does not land inside it.
  char* q = static_cast<char*>(arena.Allocate(8, 8));
  EXPECT_TRUE(q + 8 <= p || q >= p + big);
  EXPECT_EQ(static_cast<unsigned char>(p[big - 1]), 0x5a);
}

TEST(ArenaTest, BlockGrowthIsCapped) {
  Arena arena(1024);
  // Many small allocations: reserved memory must stay within a small factor of what was asked.
  size_t asked = 0;
  for (int i = 0; i < 100000; ++i) {
    arena.Allocate(40, 8);
    asked += 40;
  }
  EXPECT_GE(arena.bytes_reserved(), asked);
  EXPECT_LE(arena.bytes_reserved(), asked + asked / 2 + 2 * Arena::kMaxBlockSize);
}

TEST(ArenaTest, CopyStringCopiesBytes) {
  Arena arena;
  std::string src = "hello, arena";
  std::string_view copy = arena.CopyString(src);
  EXPECT_EQ(copy, "hello, arena");
  EXPECT_NE(copy.data(), src.data());
  src.assign(src.size(), 'x');  // mutate the source: the copy is independent
  EXPECT_EQ(copy, "hello, arena");
}

TEST(ArenaTest, CopyStringEmptyUsesNoMemory) {
  Arena arena;
  std::string_view copy = arena.CopyString("");
  EXPECT_TRUE(copy.empty());
  EXPECT_EQ(arena.bytes_reserved(), 0u);
}

TEST(ArenaTest, CopyStringWithEmbeddedNul) {
  Arena arena;
  std::string src("a\0b", 3);
  std::string_view copy = arena.CopyString(src);
  ASSERT_EQ(copy.size(), 3u);
  EXPECT_EQ(copy[1], '\0');
  EXPECT_EQ(copy[2], 'b');
}

TEST(ArenaTest, CopyArrayCopiesElements) {
  struct Pair {
    int64_t a;
    double b;
  };
  Arena arena;
  std::vector<Pair> src = {{1, 1.5}, {2, 2.5}, {3, 3.5}};
  std::span<const Pair> copy = arena.CopyArray(std::span<const Pair>(src));
  ASSERT_EQ(copy.size(), 3u);
  EXPECT_NE(copy.data(), src.data());
  EXPECT_TRUE(IsAligned(copy.data(), alignof(Pair)));
  src.clear();
  src.shrink_to_fit();
  EXPECT_EQ(copy[0].a, 1);
  EXPECT_EQ(copy[2].b, 3.5);
  EXPECT_TRUE(arena.CopyArray(std::span<const Pair>()).empty());
}

TEST(ArenaTest, MoveKeepsPointersValid) {
  Arena a(64);
  std::vector<std::string_view> views;
  for (int i = 0; i < 100; ++i) views.push_back(a.CopyString("value-" + std::to_string(i)));
  size_t reserved = a.bytes_reserved();

  Arena b(std::move(a));
  EXPECT_EQ(b.bytes_reserved(), reserved);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(views[i], "value-" + std::to_string(i));

  Arena c;
  c = std::move(b);
  // Allocating in the destination after the move must not disturb earlier data.
  for (int i = 0; i < 1000; ++i) c.CopyString("filler-filler-filler");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(views[i], "value-" + std::to_string(i));
}

}  // namespace
}  // namespace skua
