// gzip / zlib helpers with hard output bounds, for request bodies and gRPC-independent uses.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace skua::net {

// Decompresses gzip, zlib ("deflate" as browsers send it) or raw deflate data; the format is detected
// from the header bytes. InvalidArgument for corrupt input; ResourceExhausted ("…too large") when the
// output would exceed `max_output_bytes` (so a decompression bomb costs at most that much memory).
absl::StatusOr<std::string> Inflate(std::string_view compressed, size_t max_output_bytes);

// gzip-compresses `data` (level 6 unless given).
std::string GzipCompress(std::string_view data, int level = 6);

}  // namespace skua::net
