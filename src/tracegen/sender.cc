#include "tracegen/sender.h"

#include <array>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "model/convert/jaeger_proto.h"
#include "model/convert/jaeger_thrift.h"
#include "model/convert/otlp.h"
#include "model/convert/protowire.h"
#include "model/convert/zipkin_json.h"

namespace skua::tracegen {
namespace {

constexpr std::array<ProtocolInfo, 8> kProtocols = {{
    {Protocol::kOtlpGrpc, "otlp-grpc", "otlp-proto", "pb", "localhost:4317", true,
     "OTLP gRPC TraceService/Export"},
    {Protocol::kOtlpHttpProto, "otlp-http-proto", "otlp-proto", "pb",
     "http://localhost:4318/v1/traces", true, "OTLP HTTP POST /v1/traces, protobuf"},
    {Protocol::kOtlpHttpJson, "otlp-http-json", "otlp-json", "json",
     "http://localhost:4318/v1/traces", true, "OTLP HTTP POST /v1/traces, JSON"},
    {Protocol::kJaegerGrpc, "jaeger-grpc", "jaeger-proto", "pb", "localhost:14250", true,
     "Jaeger api_v2 CollectorService/PostSpans"},
    {Protocol::kJaegerThriftHttp, "jaeger-thrift-http", "jaeger-thrift-binary", "thrift",
     "http://localhost:14268/api/traces", true, "Jaeger collector POST /api/traces, Thrift binary"},
    {Protocol::kJaegerAgentCompact, "jaeger-agent-compact", "jaeger-agent-compact", "thrift",
     "localhost:6831", true, "Jaeger agent UDP emitBatch, Thrift compact (no acknowledgement)"},
    {Protocol::kJaegerAgentBinary, "jaeger-agent-binary", "jaeger-agent-binary", "thrift",
     "localhost:6832", true, "Jaeger agent UDP emitBatch, Thrift binary (no acknowledgement)"},
    {Protocol::kZipkinJson, "zipkin-json", "zipkin-json", "json",
     "http://localhost:9411/api/v2/spans", true, "Zipkin POST /api/v2/spans, JSON v2"},
}};

namespace protowire = model::convert::protowire;

// Finds varint fields in a protobuf message with the shared wire reader.
class VarintFieldFinder : public protowire::WireReader {
 public:
  // The first varint field numbered `field` in the message [p, end); 0 when it is absent or the
  // message is malformed before it.
  int64_t Find(const uint8_t* p, const uint8_t* end, uint32_t field) {
    while (p < end) {
      uint32_t tag;
      if (!ReadTag(p, end, tag)) return 0;
      if (tag == protowire::Tag(field, protowire::kVarint)) {
        uint64_t v;
        return ReadVarintField(p, end, v) ? static_cast<int64_t>(v) : 0;
      }
      if (!SkipField(tag, p, end)) return 0;
    }
    return 0;
  }
};

}  // namespace

std::span<const ProtocolInfo> Protocols() { return kProtocols; }

const ProtocolInfo& Info(Protocol protocol) {
  for (const ProtocolInfo& info : kProtocols) {
    if (info.protocol == protocol) return info;
  }
  return kProtocols[0];  // unreachable: every enumerator has a row
}

absl::StatusOr<Protocol> ParseProtocol(std::string_view name) {
  std::string choices;
  for (const ProtocolInfo& info : kProtocols) {
    if (info.name == name) {
      if (!info.supported) {
        return absl::UnimplementedError(
            absl::StrCat("protocol '", std::string(name), "' is not supported yet"));
      }
      return info.protocol;
    }
    if (info.supported)
      absl::StrAppend(&choices, choices.empty() ? "" : ", ", std::string(info.name));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown protocol '", std::string(name), "' (choose one of ", choices, ")"));
}

namespace {

// Agent datagrams for `spans` (one resource), each within kMaxAgentDatagramBytes and with its
// span count: halves the run until each half encodes to a single datagram.
void AppendAgentDatagrams(std::span<const model::Span> spans, model::thrift::Protocol protocol,
                          std::vector<Payload>& out) {
  std::vector<std::string> datagrams =
      model::convert::EncodeAgentEmitBatches(spans, protocol, kMaxAgentDatagramBytes);
  if (datagrams.size() == 1 || spans.size() == 1) {
    for (std::string& d : datagrams) {
      out.push_back({std::move(d), static_cast<uint32_t>(spans.size() / datagrams.size())});
    }
    return;
  }
  size_t half = spans.size() / 2;
  AppendAgentDatagrams(spans.first(half), protocol, out);
  AppendAgentDatagrams(spans.subspan(half), protocol, out);
}

}  // namespace

absl::StatusOr<std::vector<Payload>> EncodePayloads(Protocol protocol,
                                                    std::span<const model::Span> spans) {
  std::vector<Payload> out;
  switch (protocol) {
    case Protocol::kOtlpGrpc:
    case Protocol::kOtlpHttpProto:
      // OTLP carries several resources in one request.
      out.push_back({model::convert::EncodeOtlpProto(spans), static_cast<uint32_t>(spans.size())});
      return out;
    case Protocol::kOtlpHttpJson:
      out.push_back({model::convert::EncodeOtlpJson(spans), static_cast<uint32_t>(spans.size())});
      return out;
    case Protocol::kZipkinJson:
      // Every Zipkin span names its own service: one request may mix them.
      out.push_back(
          {model::convert::EncodeZipkinV2Json(spans), static_cast<uint32_t>(spans.size())});
      return out;
    default:
      break;
  }
  if (!Info(protocol).supported) {
    return absl::UnimplementedError(
        absl::StrCat("protocol '", std::string(Info(protocol).name), "' is not supported yet"));
  }
  // Jaeger batches hold one process: one payload per run of spans sharing a resource.
  for (size_t begin = 0; begin < spans.size();) {
    size_t end = begin + 1;
    while (end < spans.size() && spans[end].resource == spans[begin].resource) ++end;
    std::span<const model::Span> run = spans.subspan(begin, end - begin);
    const auto count = static_cast<uint32_t>(run.size());
    switch (protocol) {
      case Protocol::kJaegerGrpc:
        out.push_back({model::convert::EncodeJaegerProtoBatch(run), count});
        break;
      case Protocol::kJaegerThriftHttp: {
        std::vector<std::string> batches =
            model::convert::EncodeJaegerThriftBatches(run, model::thrift::Protocol::kBinary);
        if (batches.size() != 1) {
          return absl::InternalError("one resource did not encode to one Jaeger batch");
        }
        out.push_back({std::move(batches[0]), count});
        break;
      }
      case Protocol::kJaegerAgentCompact:
        AppendAgentDatagrams(run, model::thrift::Protocol::kCompact, out);
        break;
      case Protocol::kJaegerAgentBinary:
        AppendAgentDatagrams(run, model::thrift::Protocol::kBinary, out);
        break;
      default:
        return absl::UnimplementedError(
            absl::StrCat("protocol '", std::string(Info(protocol).name), "' is not supported yet"));
    }
    begin = end;
  }
  return out;
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted ||
         status.code() == absl::StatusCode::kUnavailable;
}

absl::StatusOr<std::unique_ptr<Sender>> NewSender(Protocol protocol, const SenderOptions& options) {
  switch (protocol) {
    case Protocol::kOtlpGrpc:
    case Protocol::kJaegerGrpc:
      return NewGrpcSender(protocol, options);
    case Protocol::kOtlpHttpProto:
    case Protocol::kOtlpHttpJson:
    case Protocol::kJaegerThriftHttp:
    case Protocol::kZipkinJson:
      return NewHttpSender(protocol, options);
    case Protocol::kJaegerAgentCompact:
    case Protocol::kJaegerAgentBinary:
      return NewUdpSender(protocol, options);
    default:
      return absl::UnimplementedError(
          absl::StrCat("protocol '", std::string(Info(protocol).name), "' is not supported yet"));
  }
}

int64_t RejectedSpansFromOtlpProto(std::string_view response) {
  // ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
  // ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(response.data());
  const uint8_t* end = p + response.size();
  int64_t rejected = 0;
  bool found = false;
  // The first partial_success wins; what follows it need not be well-formed.
  auto partial_success = [&](uint32_t field, const uint8_t* b, const uint8_t* e) {
    if (field != 1 || found) return;
    found = true;
    rejected = VarintFieldFinder().Find(b, e, 1);
  };
  protowire::ForEachLengthDelimited(p, end, partial_success);
  return rejected;
}

int64_t RejectedSpansFromOtlpJson(std::string_view response) {
  size_t at = response.find("\"rejectedSpans\"");
  if (at == std::string_view::npos) return 0;
  size_t i = at + 15;
  auto skip_space = [&] {
    while (i < response.size() && std::isspace(static_cast<unsigned char>(response[i]))) ++i;
  };
  skip_space();
  if (i >= response.size() || response[i] != ':') return 0;
  ++i;
  skip_space();
  if (i < response.size() && response[i] == '"') ++i;  // int64 as a JSON string
  int64_t v = 0;
  for (; i < response.size() && std::isdigit(static_cast<unsigned char>(response[i])); ++i) {
    if (v > (INT64_MAX - 9) / 10) return v;  // absurd value: saturate rather than overflow
    v = v * 10 + (response[i] - '0');
  }
  return v;
}

}  // namespace skua::tracegen
