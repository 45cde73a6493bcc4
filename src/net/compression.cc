#include "net/compression.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace skua::net {
namespace {

// zlib's inflate/deflate take 32-bit lengths; larger buffers are fed in slices of this size.
constexpr size_t kMaxSlice = size_t{1} << 30;
// Output is grown in steps of this size, so a tiny bomb never reserves max_output_bytes up front.
constexpr size_t kOutputStep = 64 * 1024;

enum class Format { kGzip, kZlib, kRaw };

bool IsGzipHeader(std::string_view data) {
  return data.size() >= 2 && static_cast<uint8_t>(data[0]) == 0x1f &&
         static_cast<uint8_t>(data[1]) == 0x8b;
}

// RFC 1950: CM (low nibble of CMF) is 8 and CMF*256+FLG is a multiple of 31. Raw deflate data
// passes this test with probability ~1/500; such data then fails as zlib and is retried raw.
bool IsZlibHeader(std::string_view data) {
  if (data.size() < 2) return false;
  unsigned cmf = static_cast<uint8_t>(data[0]);
  unsigned flg = static_cast<uint8_t>(data[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}

int WindowBits(Format f) {
  switch (f) {
    case Format::kGzip:
      return 16 + MAX_WBITS;
    case Format::kZlib:
      return MAX_WBITS;
    case Format::kRaw:
      return -MAX_WBITS;
  }
  return MAX_WBITS;
}

// Owns a z_stream set up for inflate; ends it on destruction.
class Inflater {
 public:
  explicit Inflater(Format format) { ok_ = inflateInit2(&zs_, WindowBits(format)) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&zs_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ok() const { return ok_; }
  z_stream& zs() { return zs_; }

 private:
  z_stream zs_{};
  bool ok_ = false;
};

absl::StatusOr<std::string> InflateAs(Format format, std::string_view in, size_t max_output) {
  Inflater inflater(format);
  if (!inflater.ok()) return absl::InternalError("inflateInit2 failed");
  z_stream& zs = inflater.zs();

  std::string out;
  std::unique_ptr<char[]> buf(new char[kOutputStep]);
  size_t in_pos = 0;  // bytes of `in` handed to zlib so far
  for (;;) {
    if (zs.avail_in == 0 && in_pos < in.size()) {
      size_t n = std::min(in.size() - in_pos, kMaxSlice);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf.get());
    zs.avail_out = static_cast<uInt>(kOutputStep);
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t produced = kOutputStep - zs.avail_out;
    // Checked before appending, so a bomb costs at most max_output plus one step of memory.
    if (produced > max_output - out.size()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("decompressed data too large (limit ", max_output, " bytes)"));
    }
    out.append(buf.get(), produced);

    switch (rc) {
      case Z_OK:
        break;
      case Z_STREAM_END: {
        std::string_view rest = in.substr(in_pos - zs.avail_in);
        if (rest.empty()) return out;
        // RFC 1952 §2.2: a gzip file is a series of members; gunzip concatenates them.
        if (format == Format::kGzip && IsGzipHeader(rest)) {
          if (inflateReset(&zs) != Z_OK) return absl::InternalError("inflateReset failed");
          break;
        }
        return absl::InvalidArgumentError("trailing data after compressed stream");
      }
      case Z_BUF_ERROR:
        // No progress was possible; with output space available that means the input ended
        // before the end of the stream.
        if (zs.avail_in == 0 && in_pos == in.size()) {
          return absl::InvalidArgumentError("truncated compressed data");
        }
        break;
      case Z_NEED_DICT:
        return absl::InvalidArgumentError("compressed data needs a preset dictionary");
      case Z_DATA_ERROR:
        return absl::InvalidArgumentError(
            absl::StrCat("corrupt compressed data: ", zs.msg ? zs.msg : "data error"));
      case Z_MEM_ERROR:
        return absl::ResourceExhaustedError("out of memory while decompressing");
      default:
        return absl::InternalError(absl::StrCat("inflate failed with code ", rc));
    }
  }
}

}  // namespace

absl::StatusOr<std::string> Inflate(std::string_view compressed, size_t max_output_bytes) {
  if (compressed.empty()) return absl::InvalidArgumentError("empty compressed data");
  if (IsGzipHeader(compressed)) return InflateAs(Format::kGzip, compressed, max_output_bytes);
  if (IsZlibHeader(compressed)) {
    absl::StatusOr<std::string> out = InflateAs(Format::kZlib, compressed, max_output_bytes);
    // A raw deflate stream can look like a zlib header by chance; only corrupt-data failures are
    // worth a second attempt (a size failure would fail the same way).
    if (out.ok() || out.status().code() != absl::StatusCode::kInvalidArgument) return out;
    absl::StatusOr<std::string> raw = InflateAs(Format::kRaw, compressed, max_output_bytes);
    if (raw.ok()) return raw;
    return out;
  }
  return InflateAs(Format::kRaw, compressed, max_output_bytes);
}

std::string GzipCompress(std::string_view data, int level) {
  if (level < Z_DEFAULT_COMPRESSION || level > Z_BEST_COMPRESSION) level = 6;
  z_stream zs{};
  // Level/window/memLevel are all valid, so init fails only on allocation failure (like new).
  if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::string();
  }
  std::string out;
  size_t in_pos = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && in_pos < data.size()) {
      size_t n = std::min(data.size() - in_pos, kMaxSlice);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    int flush = in_pos == data.size() ? Z_FINISH : Z_NO_FLUSH;
    size_t old_size = out.size();
    size_t grow = std::max<size_t>(kOutputStep, deflateBound(&zs, zs.avail_in) + 32);
    grow = std::min(grow, kMaxSlice);
    out.resize(old_size + grow);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    zs.avail_out = static_cast<uInt>(grow);
    rc = deflate(&zs, flush);
    out.resize(old_size + (grow - zs.avail_out));
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
  }
  deflateEnd(&zs);
  return out;
}

}  // namespace skua::net
