// Low-level pieces of the block file format (docs/storage/embedded-blocks.md): format constants,
// varint and fixed-width encoding, a bounds-checked byte reader, the format's stable 64-bit hash
// and the split-block Bloom filter used for trace IDs and tag strings. Internal to the block code.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace skua::storage::embedded::block_format {

static_assert(std::endian::native == std::endian::little, "the block format code assumes LE");

// "SKUA-BLK": first 8 bytes of every block file and last 8 bytes of its trailer.
inline constexpr char kMagic[8] = {'S', 'K', 'U', 'A', '-', 'B', 'L', 'K'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr size_t kHeaderSize = 16;   // magic, u32 version, u32 reserved (0)
inline constexpr size_t kTrailerSize = 32;  // see docs: meta offset/length/crc, version, crc, magic

// Codecs of a stored part.
inline constexpr uint8_t kCodecNone = 0;
inline constexpr uint8_t kCodecZstd = 1;
// A part's decoded size may be at most this many times its stored size (the writer stores a part
// raw instead when zstd would exceed it), and never more than kMaxRawBytes. Together with "every
// decoded item consumes at least one raw byte" this bounds what a damaged file can make a reader
// allocate.
inline constexpr uint64_t kMaxExpansion = 64;
inline constexpr uint64_t kMaxRawBytes = uint64_t{1} << 30;

// Deepest nesting of array / kvlist values the format accepts (ingest accepts 32).
inline constexpr uint32_t kMaxValueDepth = 64;

// Tag filter chunk: 4096 bytes = 128 Bloom blocks, each chunk checksummed on its own so a probe
// reads and verifies 4 KiB, never the whole filter.
inline constexpr size_t kTagChunkBytes = 4096;
inline constexpr size_t kBloomBlockBytes = 32;
inline constexpr size_t kTagChunkBlocks = kTagChunkBytes / kBloomBlockBytes;

// Seeds of the hashes stored in the filters (part of the format).
inline constexpr uint64_t kTraceIdSeed = 0x736b75612d746964ull;  // "skua-tid"
inline constexpr uint64_t kTagKeySeed = 0x736b75612d746167ull;   // "skua-tag"

// --- Encoding ---------------------------------------------------------------------------------

inline void PutVarint(std::string& out, uint64_t v) {
  if (v < 0x80) {
    out.push_back(static_cast<char>(v));
    return;
  }
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out.append(buf, n);
}
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
inline void PutFixed32(std::string& out, uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
}
inline void PutFixed64(std::string& out, uint64_t v) {
  out.append(reinterpret_cast<const char*>(&v), 8);
}
// varint length + bytes.
inline void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}
inline uint32_t LoadFixed32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint64_t LoadFixed64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Reads a byte range without ever going past its end. Errors are sticky: after the first overrun
// or malformed varint every call returns zero / empty and ok() is false, so decoders check once
// per loop rather than per field.
class ByteReader {
 public:
  ByteReader() = default;
  explicit ByteReader(std::string_view data) : p_(data.data()), end_(data.data() + data.size()) {}
  // A reader views its input; a temporary string would leave it dangling.
  explicit ByteReader(std::string&&) = delete;

  bool ok() const { return ok_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  bool empty() const { return p_ == end_; }
  void Fail() {
    ok_ = false;
    p_ = end_;
  }

  uint64_t Varint() {
    if (p_ < end_ && static_cast<uint8_t>(*p_) < 0x80) return static_cast<uint8_t>(*p_++);
    return VarintSlow();
  }
  uint32_t Varint32() {
    uint64_t v = Varint();
    if (v > UINT32_MAX) {
      Fail();
      return 0;
    }
    return static_cast<uint32_t>(v);
  }
  uint8_t Byte() {
    if (p_ >= end_) {
      Fail();
      return 0;
    }
    return static_cast<uint8_t>(*p_++);
  }
  uint32_t Fixed32() {
    if (remaining() < 4) {
      Fail();
      return 0;
    }
    uint32_t v = LoadFixed32(p_);
    p_ += 4;
    return v;
  }
  uint64_t Fixed64() {
    if (remaining() < 8) {
      Fail();
      return 0;
    }
    uint64_t v = LoadFixed64(p_);
    p_ += 8;
    return v;
  }
  std::string_view Bytes(uint64_t n) {
    if (n > remaining()) {
      Fail();
      return {};
    }
    std::string_view s(p_, static_cast<size_t>(n));
    p_ += n;
    return s;
  }
  // varint length + bytes.
  std::string_view String() { return Bytes(Varint()); }
  // A count of items each of which needs at least `min_item_bytes` more bytes: fails (returning
  // 0) when the rest of the input cannot hold them, so a damaged count never drives an allocation.
  uint64_t Count(size_t min_item_bytes) {
    uint64_t n = Varint();
    if (min_item_bytes > 0 && n > remaining() / min_item_bytes) {
      Fail();
      return 0;
    }
    return n;
  }

 private:
  uint64_t VarintSlow();

  const char* p_ = nullptr;
  const char* end_ = nullptr;
  bool ok_ = true;
};

// --- Hashing ----------------------------------------------------------------------------------

// The format's 64-bit string hash (documented bit for bit; stable across versions of skua).
uint64_t Hash64(std::string_view data, uint64_t seed);
// Hash of a 128-bit trace ID for the trace filter.
uint64_t TraceIdHash(uint64_t high, uint64_t low);
// Hash of a tag (key, value as SpanHasTag compares it) for the tag filter, from the key's hash.
inline uint64_t TagKeyHash(std::string_view key) { return Hash64(key, kTagKeySeed); }
inline uint64_t TagHash(uint64_t key_hash, std::string_view value) {
  return Hash64(value, key_hash);
}

// --- Split-block Bloom filter -----------------------------------------------------------------
// Blocks of 8 32-bit words; a hash selects one block from its high 32 bits and sets one bit in
// each word from its low 32 bits times a per-word odd constant.

// Blocks for `n` entries at `bits_per_entry` (at least 1).
size_t BloomBlocksFor(uint64_t n, uint32_t bits_per_entry);
// Sets the bits of `hash` in `filter` (`blocks` × 32 bytes).
void BloomInsert(char* filter, size_t blocks, uint64_t hash);
// True if every bit of `hash` is set.
bool BloomMayContain(const char* filter, size_t blocks, uint64_t hash);
// Which block `hash` selects among `blocks`.
inline size_t BloomBlockIndex(uint64_t hash, size_t blocks) {
  return static_cast<size_t>((static_cast<unsigned __int128>(hash >> 32) * blocks) >> 32);
}
// Sets / tests the bits of `hash` within one block (32 bytes at `block`).
void BloomBlockInsert(char* block, uint64_t hash);
bool BloomBlockMayContain(const char* block, uint64_t hash);

// --- Test hooks -------------------------------------------------------------------------------

// When set, readers skip checksum verification so fuzzing reaches the decoders behind the CRCs
// (the decoders must be safe without them). Never set outside fuzz targets and tests.
void SetSkipChecksumsForTest(bool skip);
bool SkipChecksumsForTest();

}  // namespace skua::storage::embedded::block_format
