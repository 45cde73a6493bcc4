// Fuzz target for the Zipkin v1 and v2 JSON decoders (jaeger-compat §1.7: bad input must yield
// InvalidArgument, never a crash, hang or unbounded memory; accepted input must give well-formed
// spans).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/convert/zipkin_fuzz_util.h"
#include "model/convert/zipkin_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::model::convert;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  testing::CheckZipkinDecodeResult(DecodeZipkinV2Json(input));
  testing::CheckZipkinDecodeResult(DecodeZipkinV1Json(input));
  return 0;
}
