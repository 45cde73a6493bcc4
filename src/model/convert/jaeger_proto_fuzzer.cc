// Fuzz target for the Jaeger api_v2 PostSpansRequest decoder (jaeger-compat §1.4; bad network
// input must yield InvalidArgument, never a crash, hang or unbounded memory). Whatever decodes
// must survive the rest of the ingest path: the sanitizers (§1.8), re-encoding as Jaeger protobuf
// (which must decode to the same spans and parents) and as OTLP protobuf.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/convert/jaeger_proto.h"
#include "model/convert/otlp.h"
#include "model/convert/sanitize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::model::convert;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto decoded = DecodeJaegerPostSpansRequest(input);
  if (!decoded.ok()) {
    if (decoded.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return 0;
  }
  auto again = DecodeJaegerPostSpansRequest(EncodeJaegerProtoBatch(decoded->spans()));
  if (!again.ok() || again->size() != decoded->size()) __builtin_trap();
  for (size_t i = 0; i < decoded->size(); ++i) {
    const skua::model::Span& a = decoded->spans()[i];
    const skua::model::Span& b = again->spans()[i];
    if (a.trace_id != b.trace_id || a.span_id != b.span_id ||
        a.parent_span_id != b.parent_span_id || a.name != b.name ||
        a.start_time_unix_nano / 1000 != b.start_time_unix_nano / 1000) {  // µs on the wire
      __builtin_trap();
    }
  }
  SanitizeSpans(*decoded);
  auto otlp = DecodeOtlpProto(EncodeOtlpProto(decoded->spans()));
  if (!otlp.ok() || otlp->size() != decoded->size()) __builtin_trap();
  return 0;
}
