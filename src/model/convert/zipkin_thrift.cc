// Zipkin v1 Thrift decoding (jaeger-compat §1.7). Field ids follow zipkincore.thrift:
//   Span { 1 trace_id i64, 3 name string, 4 id i64, 5 parent_id i64, 6 annotations
//   list<Annotation>,
//          8 binary_annotations list<BinaryAnnotation>, 9 debug bool, 10 timestamp i64,
//          11 duration i64, 12 trace_id_high i64 }
//   Annotation { 1 timestamp i64, 2 value string, 3 host Endpoint }
//   BinaryAnnotation { 1 key string, 2 value binary, 3 annotation_type i32, 4 host Endpoint }
//   Endpoint { 1 ipv4 i32, 2 port i16, 3 service_name string, 4 ipv6 binary }
//   AnnotationType { BOOL = 0, BYTES, I16, I32, I64, DOUBLE, STRING }
// Each span is read into a reused ZipkinV1Span whose strings are views into the input, sanitized,
// and handed to ZipkinConverter, which copies what it keeps into the result's arena.
#include "model/convert/zipkin_thrift.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "model/convert/zipkin.h"

namespace skua::model::convert {
namespace {

using thrift::FieldHeader;
using thrift::ListHeader;
using thrift::Reader;
using thrift::Type;

enum AnnotationType : int32_t { kBool = 0, kBytes, kI16, kI32, kI64, kDouble, kString };

uint64_t LoadBigEndian(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

// A binary annotation's value by its declared type. A number of the wrong width, or an unknown
// type, is kept as raw bytes rather than failing the batch.
AnyValue BinaryAnnotationValue(std::string_view raw, int32_t type) {
  switch (type) {
    case kBool:
      if (raw.size() == 1) return AnyValue::Bool(raw[0] != 0);
      break;
    case kI16:
      if (raw.size() == 2) return AnyValue::Int(static_cast<int16_t>(LoadBigEndian(raw)));
      break;
    case kI32:
      if (raw.size() == 4) return AnyValue::Int(static_cast<int32_t>(LoadBigEndian(raw)));
      break;
    case kI64:
      if (raw.size() == 8) return AnyValue::Int(static_cast<int64_t>(LoadBigEndian(raw)));
      break;
    case kDouble:
      if (raw.size() == 8) return AnyValue::Double(std::bit_cast<double>(LoadBigEndian(raw)));
      break;
    case kString:
      return AnyValue::String(raw);
    default:
      break;
  }
  return AnyValue::Bytes(raw);
}

class ThriftDecoder {
 public:
  ThriftDecoder(Reader& reader, SpanSet& out) : r_(reader), converter_(out) {}

  absl::Status DecodeList() {
    ListHeader list;
    SKUA_RETURN_IF_ERROR(r_.ReadListBegin(list));
    if (list.element_type != Type::kStruct) {
      return absl::InvalidArgumentError(
          absl::StrCat("expected a list of Span structs, got a list of ",
                       ToAbsl(thrift::TypeName(list.element_type))));
    }
    for (uint32_t i = 0; i < list.size; ++i) {
      absl::Status s = DecodeSpan();
      if (!s.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("span[", i, "]: ", s.message()));
      }
    }
    r_.ReadContainerEnd();
    return absl::OkStatus();
  }

 private:
  absl::Status DecodeSpan() {
    ZipkinV1Span& z = span_;
    z.Clear();
    uint64_t trace_id_high = 0, trace_id_low = 0;
    SKUA_RETURN_IF_ERROR(r_.ReadStructBegin());
    while (true) {
      FieldHeader f;
      SKUA_RETURN_IF_ERROR(r_.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      int64_t i64;
      switch (f.id) {
        case 1:
        case 4:
        case 5:
        case 10:
        case 11:
        case 12:
          if (f.type != Type::kI64) break;
          SKUA_RETURN_IF_ERROR(r_.ReadI64(i64));
          if (f.id == 1) trace_id_low = static_cast<uint64_t>(i64);
          if (f.id == 4) z.id.value = static_cast<uint64_t>(i64);
          if (f.id == 5) z.parent_id.value = static_cast<uint64_t>(i64);  // 0 → no parent
          if (f.id == 10) {
            z.has_timestamp = i64 > 0;
            z.timestamp_us = i64;
          }
          if (f.id == 11) {
            z.has_duration = true;
            z.duration_us = i64;
          }
          if (f.id == 12) trace_id_high = static_cast<uint64_t>(i64);
          continue;
        case 3:
          if (f.type != Type::kString) break;
          SKUA_RETURN_IF_ERROR(r_.ReadString(z.name));
          continue;
        case 6:
          if (f.type != Type::kList) break;
          SKUA_RETURN_IF_ERROR(DecodeAnnotations(z.annotations));
          continue;
        case 8:
          if (f.type != Type::kList) break;
          SKUA_RETURN_IF_ERROR(DecodeBinaryAnnotations(z.binary_annotations));
          continue;
        case 9:
          if (f.type != Type::kBool) break;
          SKUA_RETURN_IF_ERROR(r_.ReadBool(z.debug));
          continue;
        default:
          break;
      }
      SKUA_RETURN_IF_ERROR(r_.Skip(f.type));
    }
    SKUA_RETURN_IF_ERROR(r_.ReadStructEnd());
    z.trace_id = TraceId{trace_id_high, trace_id_low};
    SanitizeZipkinThriftSpan(z);
    return converter_.AppendV1(z);
  }

  absl::Status DecodeAnnotations(std::vector<ZipkinAnnotation>& out) {
    ListHeader list;
    SKUA_RETURN_IF_ERROR(r_.ReadListBegin(list));
    for (uint32_t i = 0; i < list.size; ++i) {
      if (list.element_type != Type::kStruct) {
        SKUA_RETURN_IF_ERROR(r_.Skip(list.element_type));
        continue;
      }
      ZipkinAnnotation& a = out.emplace_back();
      SKUA_RETURN_IF_ERROR(r_.ReadStructBegin());
      while (true) {
        FieldHeader f;
        SKUA_RETURN_IF_ERROR(r_.ReadFieldBegin(f));
        if (f.type == Type::kStop) break;
        if (f.id == 1 && f.type == Type::kI64) {
          int64_t ts;
          SKUA_RETURN_IF_ERROR(r_.ReadI64(ts));
          a.timestamp_us = ts > 0 ? static_cast<uint64_t>(ts) : 0;
        } else if (f.id == 2 && f.type == Type::kString) {
          SKUA_RETURN_IF_ERROR(r_.ReadString(a.value));
        } else if (f.id == 3 && f.type == Type::kStruct) {
          SKUA_RETURN_IF_ERROR(DecodeEndpoint(a.endpoint));
        } else {
          SKUA_RETURN_IF_ERROR(r_.Skip(f.type));
        }
      }
      SKUA_RETURN_IF_ERROR(r_.ReadStructEnd());
    }
    r_.ReadContainerEnd();
    return absl::OkStatus();
  }

  absl::Status DecodeBinaryAnnotations(std::vector<ZipkinTag>& out) {
    ListHeader list;
    SKUA_RETURN_IF_ERROR(r_.ReadListBegin(list));
    for (uint32_t i = 0; i < list.size; ++i) {
      if (list.element_type != Type::kStruct) {
        SKUA_RETURN_IF_ERROR(r_.Skip(list.element_type));
        continue;
      }
      ZipkinTag& tag = out.emplace_back();
      std::string_view raw;
      int32_t type = kString;
      bool has_type = false;
      SKUA_RETURN_IF_ERROR(r_.ReadStructBegin());
      while (true) {
        FieldHeader f;
        SKUA_RETURN_IF_ERROR(r_.ReadFieldBegin(f));
        if (f.type == Type::kStop) break;
        if (f.id == 1 && f.type == Type::kString) {
          SKUA_RETURN_IF_ERROR(r_.ReadString(tag.key));
        } else if (f.id == 2 && f.type == Type::kString) {
          SKUA_RETURN_IF_ERROR(r_.ReadString(raw));
        } else if (f.id == 3 && f.type == Type::kI32) {
          SKUA_RETURN_IF_ERROR(r_.ReadI32(type));
          has_type = true;
        } else if (f.id == 4 && f.type == Type::kStruct) {
          SKUA_RETURN_IF_ERROR(DecodeEndpoint(tag.endpoint));
        } else {
          SKUA_RETURN_IF_ERROR(r_.Skip(f.type));
        }
      }
      SKUA_RETURN_IF_ERROR(r_.ReadStructEnd());
      // Generated Thrift code always writes annotation_type. Should a hand-rolled sender leave it
      // out, a 1-byte value is read as BOOL (the enum's zero value) and anything else as STRING.
      if (!has_type) type = raw.size() == 1 ? kBool : kString;
      tag.value = BinaryAnnotationValue(raw, type);
    }
    r_.ReadContainerEnd();
    return absl::OkStatus();
  }

  absl::Status DecodeEndpoint(ZipkinEndpoint& e) {
    e.Clear();
    SKUA_RETURN_IF_ERROR(r_.ReadStructBegin());
    while (true) {
      FieldHeader f;
      SKUA_RETURN_IF_ERROR(r_.ReadFieldBegin(f));
      if (f.type == Type::kStop) break;
      if (f.id == 1 && f.type == Type::kI32) {
        int32_t ipv4;
        SKUA_RETURN_IF_ERROR(r_.ReadI32(ipv4));
        e.has_ipv4 = ipv4 != 0;
        e.ipv4 = static_cast<uint32_t>(ipv4);
      } else if (f.id == 2 && f.type == Type::kI16) {
        int16_t port;
        SKUA_RETURN_IF_ERROR(r_.ReadI16(port));
        e.port = static_cast<uint16_t>(port);  // an unsigned port sent as a signed i16
      } else if (f.id == 3 && f.type == Type::kString) {
        SKUA_RETURN_IF_ERROR(r_.ReadString(e.service_name));
      } else if (f.id == 4 && f.type == Type::kString) {
        std::string_view ipv6;
        SKUA_RETURN_IF_ERROR(r_.ReadString(ipv6));
        if (ipv6.size() == 16) {
          e.has_ipv6 = true;
          std::memcpy(e.ipv6.data(), ipv6.data(), 16);
        }
      } else {
        SKUA_RETURN_IF_ERROR(r_.Skip(f.type));
      }
    }
    return r_.ReadStructEnd();
  }

  Reader& r_;
  ZipkinConverter converter_;
  ZipkinV1Span span_;
};

}  // namespace

absl::Status AppendZipkinThriftSpans(thrift::Reader& reader, SpanSet& out) {
  ThriftDecoder decoder(reader, out);
  return decoder.DecodeList();
}

absl::StatusOr<SpanSet> DecodeZipkinThrift(std::string_view bytes) {
  SpanSet out(bytes.size() + 4096);
  thrift::Reader reader(bytes, thrift::Protocol::kBinary);
  absl::Status s = AppendZipkinThriftSpans(reader, out);
  if (!s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid Zipkin Thrift: ", s.message()));
  }
  return out;
}

}  // namespace skua::model::convert
