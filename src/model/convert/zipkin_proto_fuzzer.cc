// Fuzz target for the Zipkin v2 protobuf decoder (jaeger-compat §1.7: bad input must yield
// InvalidArgument, never a crash, hang or unbounded memory; accepted input must give well-formed
// spans). The same bytes are also fed to the v1 Thrift decoder, whose input is as unstructured.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/convert/zipkin_fuzz_util.h"
#include "model/convert/zipkin_proto.h"
#include "model/convert/zipkin_thrift.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::model::convert;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  testing::CheckZipkinDecodeResult(DecodeZipkinProto(input));
  testing::CheckZipkinDecodeResult(DecodeZipkinThrift(input));
  return 0;
}
