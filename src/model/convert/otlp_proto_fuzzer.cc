// Fuzz target for the OTLP protobuf decoder (jaeger-compat §1.2/§1.3: bad network input must yield
// InvalidArgument, never a crash, hang or unbounded memory). Whatever decodes must also survive
// re-encoding: protobuf -> model -> protobuf -> model is the identity, and the JSON encoding of
// the same spans decodes to the same number of spans.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/convert/otlp.h"
#include "model/convert/otlp_test_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::model::convert;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = DecodeOtlpProto(input);
  if (!decoded.ok()) {
    if (decoded.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  auto again = DecodeOtlpProto(EncodeOtlpProto(decoded->spans()));
  if (!again.ok() || !testing::SpansEquivalent(decoded->spans(), again->spans())) __builtin_trap();
  auto from_json = DecodeOtlpJson(EncodeOtlpJson(decoded->spans()));
  if (!from_json.ok() || from_json->size() != decoded->size()) __builtin_trap();
  return 0;
}
