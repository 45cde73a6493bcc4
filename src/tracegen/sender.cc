#include "tracegen/sender.h"

#include <array>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "model/convert/otlp.h"

namespace skua::tracegen {
namespace {

constexpr std::array<ProtocolInfo, 8> kProtocols = {{
    {Protocol::kOtlpGrpc, "otlp-grpc", "otlp-proto", "pb", "localhost:4317", true,
     "OTLP gRPC TraceService/Export"},
    {Protocol::kOtlpHttpProto, "otlp-http-proto", "otlp-proto", "pb",
     "http://localhost:4318/v1/traces", true, "OTLP HTTP POST /v1/traces, protobuf"},
    {Protocol::kOtlpHttpJson, "otlp-http-json", "otlp-json", "json",
     "http://localhost:4318/v1/traces", true, "OTLP HTTP POST /v1/traces, JSON"},
    // Their encoders are being written (model/convert/jaeger_*.h, zipkin_*.h); each needs a case
    // in EncodePayloads and NewSender before it can be switched on here.
    {Protocol::kJaegerGrpc, "jaeger-grpc", "jaeger-proto", "pb", "localhost:14250", false,
     "Jaeger api_v2 CollectorService/PostSpans"},
    {Protocol::kJaegerThriftHttp, "jaeger-thrift-http", "jaeger-thrift-binary", "thrift",
     "http://localhost:14268/api/traces", false, "Jaeger collector POST /api/traces, Thrift"},
    {Protocol::kJaegerAgentCompact, "jaeger-agent-compact", "jaeger-agent-compact", "thrift",
     "localhost:6831", false, "Jaeger agent UDP emitBatch, Thrift compact"},
    {Protocol::kJaegerAgentBinary, "jaeger-agent-binary", "jaeger-agent-binary", "thrift",
     "localhost:6832", false, "Jaeger agent UDP emitBatch, Thrift binary"},
    {Protocol::kZipkinJson, "zipkin-json", "zipkin-json", "json",
     "http://localhost:9411/api/v2/spans", false, "Zipkin POST /api/v2/spans, JSON v2"},
}};

bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t& out) {
  out = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    uint8_t b = *p++;
    out |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) return true;
  }
  return false;
}

// Skips one field of `wire_type`; false if the data is malformed.
bool SkipField(const uint8_t*& p, const uint8_t* end, uint32_t wire_type) {
  uint64_t v;
  switch (wire_type) {
    case 0: return ReadVarint(p, end, v);
    case 1: if (end - p < 8) return false; p += 8; return true;
    case 5: if (end - p < 4) return false; p += 4; return true;
    case 2:
      if (!ReadVarint(p, end, v) || v > static_cast<uint64_t>(end - p)) return false;
      p += v;
      return true;
    default: return false;
  }
}

// The varint field `field` of the message in [p, end), or 0.
int64_t FindVarintField(const uint8_t* p, const uint8_t* end, uint32_t field) {
  while (p < end) {
    uint64_t tag;
    if (!ReadVarint(p, end, tag)) return 0;
    if (tag >> 3 == field && (tag & 7) == 0) {
      uint64_t v;
      return ReadVarint(p, end, v) ? static_cast<int64_t>(v) : 0;
    }
    if (!SkipField(p, end, static_cast<uint32_t>(tag & 7))) return 0;
  }
  return 0;
}

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
    if (info.supported) absl::StrAppend(&choices, choices.empty() ? "" : ", ", std::string(info.name));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown protocol '", std::string(name), "' (choose one of ", choices, ")"));
}

absl::StatusOr<std::vector<Payload>> EncodePayloads(Protocol protocol,
                                                    std::span<const model::Span> spans) {
  std::vector<Payload> out;
  switch (protocol) {
    case Protocol::kOtlpGrpc:
    case Protocol::kOtlpHttpProto:
      out.push_back({model::convert::EncodeOtlpProto(spans), static_cast<uint32_t>(spans.size())});
      return out;
    case Protocol::kOtlpHttpJson:
      out.push_back({model::convert::EncodeOtlpJson(spans), static_cast<uint32_t>(spans.size())});
      return out;
    default:
      return absl::UnimplementedError(
          absl::StrCat("protocol '", std::string(Info(protocol).name), "' is not supported yet"));
  }
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kResourceExhausted ||
         status.code() == absl::StatusCode::kUnavailable;
}

absl::StatusOr<std::unique_ptr<Sender>> NewSender(Protocol protocol, const SenderOptions& options) {
  switch (protocol) {
    case Protocol::kOtlpGrpc: return NewOtlpGrpcSender(options);
    case Protocol::kOtlpHttpProto:
    case Protocol::kOtlpHttpJson: return NewHttpSender(protocol, options);
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
  while (p < end) {
    uint64_t tag;
    if (!ReadVarint(p, end, tag)) return 0;
    if (tag == ((1 << 3) | 2)) {
      uint64_t len;
      if (!ReadVarint(p, end, len) || len > static_cast<uint64_t>(end - p)) return 0;
      return FindVarintField(p, p + len, 1);
    }
    if (!SkipField(p, end, static_cast<uint32_t>(tag & 7))) return 0;
  }
  return 0;
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
