#include "storage/embedded/block_cache.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace skua::storage::embedded {
namespace {

std::shared_ptr<const void> Value(int v) { return std::make_shared<const int>(v); }
int Get(const std::shared_ptr<const void>& p) { return *static_cast<const int*>(p.get()); }

TEST(BlockCacheImplTest, EvictsLeastRecentlyUsedFirst) {
  BlockCacheImpl cache(300);
  const uint64_t owner = cache.NewOwner();
  cache.Insert({owner, 1, 0}, Value(0), 100);
  cache.Insert({owner, 1, 1}, Value(1), 100);
  cache.Insert({owner, 1, 2}, Value(2), 100);
  EXPECT_EQ(cache.used_bytes(), 300u);
  ASSERT_NE(cache.Lookup({owner, 1, 0}), nullptr);  // 0 is now the most recent
  cache.Insert({owner, 1, 3}, Value(3), 100);       // evicts 1
  EXPECT_EQ(cache.Lookup({owner, 1, 1}), nullptr);
  EXPECT_EQ(Get(cache.Lookup({owner, 1, 0})), 0);
  EXPECT_EQ(Get(cache.Lookup({owner, 1, 2})), 2);
  EXPECT_EQ(Get(cache.Lookup({owner, 1, 3})), 3);
  EXPECT_EQ(cache.used_bytes(), 300u);
  EXPECT_EQ(cache.hits(), 4u);
  EXPECT_EQ(cache.misses(), 1u);
}

TEST(BlockCacheImplTest, OversizedEntriesAreNotKeptAndReplacementsRecharge) {
  BlockCacheImpl cache(100);
  const uint64_t owner = cache.NewOwner();
  cache.Insert({owner, 1, 0}, Value(0), 101);
  EXPECT_EQ(cache.Lookup({owner, 1, 0}), nullptr);
  EXPECT_EQ(cache.used_bytes(), 0u);
  cache.Insert({owner, 1, 0}, Value(1), 60);
  cache.Insert({owner, 1, 0}, Value(2), 40);
  EXPECT_EQ(cache.used_bytes(), 40u);
  EXPECT_EQ(Get(cache.Lookup({owner, 1, 0})), 2);
  EXPECT_EQ(cache.entry_count(), 1u);
}

TEST(BlockCacheImplTest, EraseOwnerDropsOnlyThatOwnersEntries) {
  BlockCacheImpl cache(1000);
  const uint64_t a = cache.NewOwner(), b = cache.NewOwner();
  EXPECT_NE(a, b);
  cache.Insert({a, 1, 0}, Value(0), 10);
  cache.Insert({b, 1, 0}, Value(1), 20);
  cache.Insert({a, 2, 5}, Value(2), 30);
  cache.EraseOwner(a);
  EXPECT_EQ(cache.used_bytes(), 20u);
  EXPECT_EQ(cache.Lookup({a, 1, 0}), nullptr);
  EXPECT_EQ(Get(cache.Lookup({b, 1, 0})), 1);
}

TEST(BlockCacheImplTest, EvictedValuesStayValidForTheirHolders) {
  BlockCacheImpl cache(10);
  const uint64_t owner = cache.NewOwner();
  cache.Insert({owner, 1, 0}, Value(7), 10);
  std::shared_ptr<const void> held = cache.Lookup({owner, 1, 0});
  cache.Insert({owner, 1, 1}, Value(8), 10);  // evicts the held entry
  EXPECT_EQ(cache.Lookup({owner, 1, 0}), nullptr);
  EXPECT_EQ(Get(held), 7);
}

TEST(BlockCacheImplTest, CreateReturnsAnEmptyCacheOfTheCapacity) {
  std::shared_ptr<BlockCache> cache = BlockCache::Create(12345);
  EXPECT_EQ(cache->capacity_bytes(), 12345u);
  EXPECT_EQ(cache->used_bytes(), 0u);
  EXPECT_EQ(cache->hits(), 0u);
  EXPECT_EQ(cache->misses(), 0u);
}

}  // namespace
}  // namespace skua::storage::embedded
