#include "base/json.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace skua {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Which bytes need attention when escaping strings: control characters, '"', '\\', non-ASCII
// (validated as UTF-8) and, as Go's encoding/json does (Jaeger uses it), '<', '>' and '&', so the
// output is safe to embed in HTML. SSE2 checks 16 bytes at a time; otherwise a table is used.
#if !defined(__SSE2__)
struct EscapeTable {
  bool special[256];
  constexpr EscapeTable() : special() {
    for (int c = 0; c < 256; ++c) special[c] = c < 0x20 || c >= 0x80;
    for (char c : {'"', '\\', '<', '>', '&'}) special[static_cast<unsigned char>(c)] = true;
  }
};
constexpr EscapeTable kEscape;
#endif

// Length of the valid UTF-8 sequence starting at p[0] (a byte >= 0x80), or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as in Go).
size_t Utf8SequenceLength(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < avail && p[i] >= lo && p[i] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

#if defined(__SSE2__)
// Bit k set when byte k of the 16 at `p` needs escaping (control, ", \\, <, >, & or non-ASCII).
inline unsigned SpecialMask16(const unsigned char* p) {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Signed compare: bytes >= 0x80 are negative, so this also flags non-ASCII.
  __m128i m = _mm_cmplt_epi8(x, _mm_set1_epi8(0x20));
  m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
  m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
  m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('<')));
  m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('>')));
  m = _mm_or_si128(m, _mm_cmpeq_epi8(x, _mm_set1_epi8('&')));
  return static_cast<unsigned>(_mm_movemask_epi8(m));
}
#endif

// Index of the first byte in [i, n) that is not copied verbatim (n if none).
inline size_t SkipPlain(const unsigned char* p, size_t i, size_t n) {
#if defined(__SSE2__)
  while (i + 16 <= n) {
    unsigned mask = SpecialMask16(p + i);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
  if (i >= n) return n;
  unsigned mask;
  size_t base;
  if (n >= 16) {
    // Re-check the last 16 bytes (overlapping what was already scanned) instead of a byte loop.
    base = n - 16;
    mask = SpecialMask16(p + base) >> (i - base);
    base = i;
  } else {
    // Short strings (most keys and values): one check on a padded copy.
    unsigned char buf[16];
    std::memset(buf, 'a', sizeof buf);
    std::memcpy(buf, p + i, n - i);
    mask = SpecialMask16(buf);
    base = i;
  }
  return mask != 0 ? std::min(n, base + static_cast<size_t>(__builtin_ctz(mask))) : n;
#else
  while (i < n && !kEscape.special[p[i]]) ++i;
  return i;
#endif
}

// The body of AppendJsonString: `s` escaped, without the quotes.
void AppendEscaped(std::string_view s, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    size_t j = SkipPlain(p, i, n);
    if (j > i) out.append(s.data() + i, j - i);
    if (j >= n) break;
    unsigned char c = p[j];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out.append("\\\"", 2);
          break;
        case '\\':
          out.append("\\\\", 2);
          break;
        case '\n':
          out.append("\\n", 2);
          break;
        case '\r':
          out.append("\\r", 2);
          break;
        case '\t':
          out.append("\\t", 2);
          break;
        case '\b':
          out.append("\\b", 2);
          break;
        case '\f':
          out.append("\\f", 2);
          break;
        default: {
          char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          out.append(esc, 6);
        }
      }
      i = j + 1;
      continue;
    }
    size_t len = Utf8SequenceLength(p + j, n - j);
    if (len == 0) {
      out.append("\\ufffd", 6);  // each invalid byte becomes U+FFFD
      i = j + 1;
      continue;
    }
    // U+2028 / U+2029 are valid JSON but break JavaScript string literals; Go escapes them.
    if (len == 3 && c == 0xE2 && p[j + 1] == 0x80 && (p[j + 2] == 0xA8 || p[j + 2] == 0xA9)) {
      out.append(p[j + 2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
    } else {
      out.append(s.data() + j, len);
    }
    i = j + len;
  }
}

}  // namespace

void AppendJsonString(std::string_view s, std::string& out) {
  out.push_back('"');
  AppendEscaped(s, out);
  out.push_back('"');
}

void AppendBase64(std::string_view bytes, std::string& out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t start = out.size();
  out.resize(start + (n + 2) / 3 * 4);
  char* o = out.data() + start;
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    *o++ = kBase64[v >> 18];
    *o++ = kBase64[(v >> 12) & 63];
    *o++ = kBase64[(v >> 6) & 63];
    *o++ = kBase64[v & 63];
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    *o++ = kBase64[v >> 18];
    *o++ = kBase64[(v >> 12) & 63];
    *o++ = '=';
    *o++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    *o++ = kBase64[v >> 18];
    *o++ = kBase64[(v >> 12) & 63];
    *o++ = kBase64[(v >> 6) & 63];
    *o++ = '=';
  }
}

bool DecodeBase64(std::string_view in, Arena& arena, std::string_view& out) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return false;
  size_t out_size = in.size() / 4 * 3 + (in.size() % 4 == 0 ? 0 : in.size() % 4 - 1);
  if (out_size == 0) {
    out = {};
    return true;
  }
  char* dst = static_cast<char*>(arena.Allocate(out_size, 1));
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+' || c == '-')
      v = 62;
    else if (c == '/' || c == '_')
      v = 63;
    else
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      dst[n++] = static_cast<char>(acc >> bits);
    }
  }
  out = std::string_view(dst, n);
  return true;
}

}  // namespace skua
