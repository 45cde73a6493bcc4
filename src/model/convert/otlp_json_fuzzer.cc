// Fuzz target for the OTLP/JSON decoder (jaeger-compat §1.3: bad input must yield InvalidArgument,
// never a crash, hang or unbounded memory). Whatever decodes must round-trip: JSON -> model ->
// JSON -> model and JSON -> model -> protobuf -> model are both the identity.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/convert/otlp.h"
#include "model/convert/otlp_test_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::model::convert;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = DecodeOtlpJson(input);
  if (!decoded.ok()) {
    if (decoded.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  auto via_json = DecodeOtlpJson(EncodeOtlpJson(decoded->spans()));
  if (!via_json.ok() || !testing::SpansEquivalent(decoded->spans(), via_json->spans())) {
    __builtin_trap();
  }
  auto via_proto = DecodeOtlpProto(EncodeOtlpProto(decoded->spans()));
  if (!via_proto.ok() || !testing::SpansEquivalent(decoded->spans(), via_proto->spans())) {
    __builtin_trap();
  }
  return 0;
}
