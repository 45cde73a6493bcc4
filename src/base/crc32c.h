// CRC-32C (Castagnoli), the checksum of every on-disk record and block section. Uses the SSE4.2
// crc32 instruction when the CPU has it and a table otherwise; both give the same values.
#pragma once

#include <cstdint>
#include <string_view>

namespace skua {

// Extends `crc` (the CRC-32C of earlier bytes, 0 for none) over `data`.
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);
inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data); }

}  // namespace skua
