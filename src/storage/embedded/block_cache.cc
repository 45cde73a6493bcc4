#include "storage/embedded/block_cache.h"

#include <utility>

namespace skua::storage::embedded {

std::shared_ptr<BlockCache> BlockCache::Create(size_t capacity_bytes) {
  return std::make_shared<BlockCacheImpl>(capacity_bytes);
}

size_t BlockCacheImpl::used_bytes() const {
  absl::MutexLock lock(&mu_);
  return used_;
}

uint64_t BlockCacheImpl::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

uint64_t BlockCacheImpl::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

size_t BlockCacheImpl::entry_count() const {
  absl::MutexLock lock(&mu_);
  return map_.size();
}

uint64_t BlockCacheImpl::NewOwner() {
  absl::MutexLock lock(&mu_);
  return next_owner_++;
}

std::shared_ptr<const void> BlockCacheImpl::Lookup(const BlockCacheKey& key) {
  absl::MutexLock lock(&mu_);
  auto it = map_.find(key);
  if (it == map_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void BlockCacheImpl::Insert(const BlockCacheKey& key, std::shared_ptr<const void> value,
                            size_t charge) {
  if (charge > capacity_) return;  // used once by the caller, never kept
  // The old value (if any) is released outside the lock.
  std::shared_ptr<const void> old;
  List evicted;
  absl::MutexLock lock(&mu_);
  auto it = map_.find(key);
  if (it != map_.end()) {
    used_ -= it->second->charge;
    old = std::move(it->second->value);
    lru_.erase(it->second);
    map_.erase(it);
  }
  lru_.push_front(Entry{key, std::move(value), charge});
  map_[key] = lru_.begin();
  used_ += charge;
  EvictLocked(evicted);
}

void BlockCacheImpl::EvictLocked(List& evicted) {
  while (used_ > capacity_ && !lru_.empty()) {
    auto last = std::prev(lru_.end());
    used_ -= last->charge;
    map_.erase(last->key);
    evicted.splice(evicted.end(), lru_, last);
  }
}

void BlockCacheImpl::EraseOwner(uint64_t owner) {
  List dropped;
  absl::MutexLock lock(&mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->key.owner == owner) {
      used_ -= it->charge;
      map_.erase(it->key);
      dropped.splice(dropped.end(), lru_, it);
    }
    it = next;
  }
}

}  // namespace skua::storage::embedded
