// A bump allocator for values that live and die together (one ingest batch, one stored trace, one
// query result). Memory is released only when the arena is destroyed. Objects placed in an arena
// must be trivially destructible: the arena never runs destructors.
//
// Thread-safety: none; an arena is owned by one thread at a time. Moving an arena keeps every
// pointer into it valid (blocks are heap-allocated and never move).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace skua {

class Arena {
 public:
  // `first_block_size` is the size of the first block; later blocks double up to kMaxBlockSize.
  explicit Arena(size_t first_block_size = 1024) : next_block_size_(first_block_size) {}
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `size` bytes aligned to `align`. Never returns nullptr (aborts on out-of-memory, like new).
  void* Allocate(size_t size, size_t align = alignof(std::max_align_t)) {
    uintptr_t p = (reinterpret_cast<uintptr_t>(cursor_) + align - 1) & ~(uintptr_t{align} - 1);
    if (cursor_ == nullptr || p + size > reinterpret_cast<uintptr_t>(limit_)) {
      NewBlock(size + align);
      p = (reinterpret_cast<uintptr_t>(cursor_) + align - 1) & ~(uintptr_t{align} - 1);
    }
    cursor_ = reinterpret_cast<char*>(p + size);
    return reinterpret_cast<void*>(p);
  }

  // Allocates an uninitialized array of `n` T.
  template <typename T>
  T* AllocateArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>);
    if (n == 0) return nullptr;
    return static_cast<T*>(Allocate(sizeof(T) * n, alignof(T)));
  }

  // Copies `items` into the arena and returns a view of the copy.
  template <typename T>
  std::span<const T> CopyArray(std::span<const T> items) {
    if (items.empty()) return {};
    T* out = AllocateArray<T>(items.size());
    std::memcpy(static_cast<void*>(out), items.data(), sizeof(T) * items.size());
    return {out, items.size()};
  }

  // Copies `s` into the arena and returns a view of the copy. Empty strings use no memory.
  std::string_view CopyString(std::string_view s) {
    if (s.empty()) return {};
    char* out = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(out, s.data(), s.size());
    return {out, s.size()};
  }

  // Constructs one T in the arena.
  template <typename T, typename... Args>
  T* New(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>);
    return new (Allocate(sizeof(T), alignof(T))) T(std::forward<Args>(args)...);
  }

  // Bytes obtained from the system (the memory this arena accounts for).
  size_t bytes_reserved() const { return bytes_reserved_; }

  static constexpr size_t kMaxBlockSize = 256 * 1024;

 private:
  void NewBlock(size_t min_size) {
    size_t size = next_block_size_ > min_size ? next_block_size_ : min_size;
    blocks_.push_back(std::make_unique_for_overwrite<char[]>(size));
    cursor_ = blocks_.back().get();
    limit_ = cursor_ + size;
    bytes_reserved_ += size;
    if (next_block_size_ < kMaxBlockSize) next_block_size_ *= 2;
  }

  std::vector<std::unique_ptr<char[]>> blocks_;
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
  size_t next_block_size_;
  size_t bytes_reserved_ = 0;
};

}  // namespace skua
