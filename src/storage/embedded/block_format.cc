#include "storage/embedded/block_format.h"

#include <atomic>

namespace skua::storage::embedded::block_format {
namespace {

constexpr uint64_t kK0 = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kK1 = 0xBF58476D1CE4E5B9ull;
constexpr uint64_t kK2 = 0x94D049BB133111EBull;

// 64×64→128 multiply folded to 64 bits.
inline uint64_t Mum(uint64_t a, uint64_t b) {
  unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// MurmurHash3's 64-bit finalizer.
inline uint64_t Fmix64(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// Odd constants of the split-block Bloom filter, one per word of a block.
constexpr uint32_t kSalt[8] = {0x47b6137bU, 0x44974d91U, 0x8824ad5bU, 0xa2b7289dU,
                               0x705495c7U, 0x2df1424bU, 0x9efc4947U, 0x5c6bfb31U};

std::atomic<bool> skip_checksums{false};

}  // namespace

uint64_t ByteReader::VarintSlow() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p_ >= end_) {
      Fail();
      return 0;
    }
    uint8_t b = static_cast<uint8_t>(*p_++);
    if (shift == 63 && b > 1) break;  // more than 64 bits
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (b < 0x80) return v;
  }
  Fail();
  return 0;
}

uint64_t Hash64(std::string_view data, uint64_t seed) {
  const char* p = data.data();
  size_t n = data.size();
  uint64_t h = seed ^ Mum(static_cast<uint64_t>(n) ^ kK0, kK1);
  while (n >= 8) {
    h = Mum(h ^ LoadFixed64(p) ^ kK2, kK1);
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  if (n > 0) std::memcpy(&tail, p, n);
  h = Mum(h ^ tail ^ kK0, kK2);
  return Fmix64(h);
}

uint64_t TraceIdHash(uint64_t high, uint64_t low) {
  char bytes[16];
  std::memcpy(bytes, &high, 8);
  std::memcpy(bytes + 8, &low, 8);
  return Hash64(std::string_view(bytes, 16), kTraceIdSeed);
}

size_t BloomBlocksFor(uint64_t n, uint32_t bits_per_entry) {
  uint64_t bits = n * bits_per_entry;
  uint64_t blocks = (bits + 255) / 256;
  return blocks == 0 ? 1 : static_cast<size_t>(blocks);
}

void BloomBlockInsert(char* block, uint64_t hash) {
  const uint32_t low = static_cast<uint32_t>(hash);
  for (int i = 0; i < 8; ++i) {
    uint32_t word = LoadFixed32(block + 4 * i);
    word |= uint32_t{1} << ((low * kSalt[i]) >> 27);
    std::memcpy(block + 4 * i, &word, 4);
  }
}

bool BloomBlockMayContain(const char* block, uint64_t hash) {
  const uint32_t low = static_cast<uint32_t>(hash);
  for (int i = 0; i < 8; ++i) {
    uint32_t word = LoadFixed32(block + 4 * i);
    if ((word & (uint32_t{1} << ((low * kSalt[i]) >> 27))) == 0) return false;
  }
  return true;
}

void BloomInsert(char* filter, size_t blocks, uint64_t hash) {
  BloomBlockInsert(filter + BloomBlockIndex(hash, blocks) * kBloomBlockBytes, hash);
}

bool BloomMayContain(const char* filter, size_t blocks, uint64_t hash) {
  if (blocks == 0) return true;
  return BloomBlockMayContain(filter + BloomBlockIndex(hash, blocks) * kBloomBlockBytes, hash);
}

void SetSkipChecksumsForTest(bool skip) { skip_checksums.store(skip); }
bool SkipChecksumsForTest() { return skip_checksums.load(std::memory_order_relaxed); }

}  // namespace skua::storage::embedded::block_format
