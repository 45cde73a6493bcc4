// Fuzz target for Jaeger Thrift, built twice: SKUA_THRIFT_PROTOCOL is kBinary or kCompact (see
// CMakeLists.txt) (jaeger-compat §1.5, §1.6: bad network
// input must yield InvalidArgument, never a crash, hang or unbounded memory). The input is tried as
// an agent datagram, as a bare Batch, and walked generically by the Thrift reader; whatever decodes
// must survive re-encoding: model -> Thrift -> model keeps every span. The decoders' fast path
// and their general path must agree on every input (same status, same spans).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/convert/jaeger_thrift.h"
#include "model/convert/jaeger_thrift_test_util.h"
#include "model/convert/thrift/reader.h"

namespace {

using skua::model::SpanSet;
using skua::model::thrift::Protocol;
constexpr Protocol kProtocol = Protocol::SKUA_THRIFT_PROTOCOL;

void CheckRoundTrip(const SpanSet& decoded) {
  using namespace skua::model::convert;
  size_t total = 0;
  for (const std::string& batch : EncodeJaegerThriftBatches(decoded.spans(), kProtocol)) {
    auto again = DecodeJaegerThriftBatch(batch, kProtocol);
    if (!again.ok()) __builtin_trap();
    total += again->size();
  }
  if (total != decoded.size()) __builtin_trap();
}

// Traps unless the fast path's spans equal the general path's.
void CheckSameSpans(const SpanSet& fast, const SpanSet& general) {
  if (!skua::model::convert::testing::SameSpans(fast.spans(), general.spans())) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::model::convert;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  JaegerThriftDecodeOptions general;
  general.fast_path = false;

  auto message = DecodeAgentMessage(input, kProtocol);
  auto general_message = DecodeAgentMessage(input, kProtocol, general);
  if (message.status() != general_message.status()) __builtin_trap();
  if (message.ok()) {
    if (message->zipkin_spans != general_message->zipkin_spans) __builtin_trap();
    CheckSameSpans(message->spans, general_message->spans);
    if (message->protocol == kProtocol) CheckRoundTrip(message->spans);
  } else if (message.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }

  auto batch = DecodeJaegerThriftBatch(input, kProtocol);
  auto general_batch = DecodeJaegerThriftBatch(input, kProtocol, general);
  if (batch.status() != general_batch.status()) __builtin_trap();
  if (batch.ok()) {
    CheckSameSpans(*batch, *general_batch);
    CheckRoundTrip(*batch);
  } else if (batch.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }

  skua::model::thrift::Reader reader(input, kProtocol);
  absl::Status skipped = reader.Skip(skua::model::thrift::Type::kStruct);
  if (!skipped.ok() && skipped.code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
  if (skipped.ok() && reader.position() > size) __builtin_trap();
  return 0;
}
