// The implementation behind block.h's BlockCache: a least-recently-used map from (reader, section
// kind, index) to an immutable decoded section, bounded by the decoded bytes it charges. Values are
// shared_ptrs, so an entry evicted while a reader still uses it lives until that reader lets go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "storage/embedded/block.h"

namespace skua::storage::embedded {

struct BlockCacheKey {
  uint64_t owner = 0;  // BlockCacheImpl::NewOwner() of the reader
  uint32_t kind = 0;   // which section type
  uint32_t index = 0;  // page number, chunk number, …
  bool operator==(const BlockCacheKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const BlockCacheKey& k) {
    return H::combine(std::move(h), k.owner, k.kind, k.index);
  }
};

// Thread-safe.
class BlockCacheImpl final : public BlockCache {
 public:
  explicit BlockCacheImpl(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  size_t capacity_bytes() const override { return capacity_; }
  size_t used_bytes() const override;
  uint64_t hits() const override;
  uint64_t misses() const override;

  // A new owner ID, unique for the cache's lifetime.
  uint64_t NewOwner();
  // The cached value, or nullptr (counting a hit or a miss).
  std::shared_ptr<const void> Lookup(const BlockCacheKey& key);
  // Caches `value`, charging `charge` bytes, evicting least recently used entries to make room.
  // A value larger than the capacity is not kept. Replaces an existing entry with the same key.
  void Insert(const BlockCacheKey& key, std::shared_ptr<const void> value, size_t charge);
  // Drops every entry of `owner` (a reader going away).
  void EraseOwner(uint64_t owner);
  size_t entry_count() const;

 private:
  struct Entry {
    BlockCacheKey key;
    std::shared_ptr<const void> value;
    size_t charge = 0;
  };
  using List = std::list<Entry>;

  // Moves entries past the capacity to `evicted` (destroyed by the caller after unlocking).
  void EvictLocked(List& evicted) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  mutable absl::Mutex mu_;
  List lru_ ABSL_GUARDED_BY(mu_);  // most recently used first
  absl::flat_hash_map<BlockCacheKey, List::iterator> map_ ABSL_GUARDED_BY(mu_);
  size_t used_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_owner_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace skua::storage::embedded
