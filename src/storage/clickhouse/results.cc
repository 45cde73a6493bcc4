#include "storage/clickhouse/results.h"

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "storage/clickhouse/row_binary.h"

namespace skua::storage::clickhouse {
namespace {

absl::StatusOr<model::TraceId> ReadTraceId(RowBinaryReader& r) {
  SKUA_ASSIGN_OR_RETURN(std::string_view bytes, r.FixedString(16));
  return model::TraceId::FromBytes(reinterpret_cast<const uint8_t*>(bytes.data()));
}

// Parses rows until the body ends; `row` reads one row and appends it.
template <typename T, typename Fn>
absl::StatusOr<std::vector<T>> ParseRows(std::string_view body, size_t min_row_bytes, Fn row) {
  RowBinaryReader r(body);
  std::vector<T> out;
  out.reserve(std::min<size_t>(body.size() / min_row_bytes, 1 << 16));
  while (!r.AtEnd()) {
    absl::Status s = row(r, out);
    if (!s.ok()) return s;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<SearchRow>> ParseSearchRows(std::string_view body) {
  return ParseRows<SearchRow>(body, 24, [](RowBinaryReader& r, std::vector<SearchRow>& out) {
    SearchRow row;
    SKUA_ASSIGN_OR_RETURN(row.trace_id, ReadTraceId(r));
    SKUA_ASSIGN_OR_RETURN(row.newest, r.UInt64());
    out.push_back(row);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SpanRow>> ParseSpanRows(std::string_view body) {
  return ParseRows<SpanRow>(body, 17, [](RowBinaryReader& r, std::vector<SpanRow>& out) {
    SpanRow row;
    SKUA_ASSIGN_OR_RETURN(row.trace_id, ReadTraceId(r));
    SKUA_ASSIGN_OR_RETURN(row.span, r.String());
    out.push_back(row);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<BoundsRow>> ParseBoundsRows(std::string_view body) {
  return ParseRows<BoundsRow>(body, 32, [](RowBinaryReader& r, std::vector<BoundsRow>& out) {
    BoundsRow row;
    SKUA_ASSIGN_OR_RETURN(row.trace_id, ReadTraceId(r));
    SKUA_ASSIGN_OR_RETURN(row.start, r.UInt64());
    SKUA_ASSIGN_OR_RETURN(row.end, r.UInt64());
    out.push_back(row);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string_view>> ParseStringRows(std::string_view body) {
  return ParseRows<std::string_view>(
      body, 1, [](RowBinaryReader& r, std::vector<std::string_view>& out) {
        SKUA_ASSIGN_OR_RETURN(std::string_view s, r.String());
        out.push_back(s);
        return absl::OkStatus();
      });
}

absl::StatusOr<std::vector<StringPair>> ParseStringPairRows(std::string_view body) {
  return ParseRows<StringPair>(body, 2, [](RowBinaryReader& r, std::vector<StringPair>& out) {
    StringPair row;
    SKUA_ASSIGN_OR_RETURN(row.first, r.String());
    SKUA_ASSIGN_OR_RETURN(row.second, r.String());
    out.push_back(row);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<uint64_t>> ParseUInt64Rows(std::string_view body) {
  return ParseRows<uint64_t>(body, 8, [](RowBinaryReader& r, std::vector<uint64_t>& out) {
    SKUA_ASSIGN_OR_RETURN(uint64_t v, r.UInt64());
    out.push_back(v);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<EdgeRow>> ParseEdgeRows(std::string_view body) {
  return ParseRows<EdgeRow>(body, 35, [](RowBinaryReader& r, std::vector<EdgeRow>& out) {
    EdgeRow row;
    SKUA_ASSIGN_OR_RETURN(row.trace_id, ReadTraceId(r));
    SKUA_ASSIGN_OR_RETURN(row.span.span_id.value, r.UInt64());
    SKUA_ASSIGN_OR_RETURN(row.start_ns, r.UInt64());
    SKUA_ASSIGN_OR_RETURN(std::string_view service, r.String());
    SKUA_ASSIGN_OR_RETURN(std::string_view kind, r.String());
    SKUA_ASSIGN_OR_RETURN(std::string_view refs, r.String());
    row.span.service = std::string(service);
    row.span.kind = std::string(kind);
    SKUA_ASSIGN_OR_RETURN(row.span.references, DecodeEdgeRefs(refs));
    out.push_back(std::move(row));
    return absl::OkStatus();
  });
}

std::string EncodeEdgeRefs(std::span<const model::jaeger::Reference> refs) {
  std::string out;
  out.reserve(refs.size() * 9);
  RowBinaryWriter w(out);
  for (const model::jaeger::Reference& ref : refs) {
    w.UInt8(ref.type == model::jaeger::RefType::kChildOf ? 0 : 1);
    w.UInt64(ref.span_id.value);
  }
  return out;
}

absl::StatusOr<std::vector<model::jaeger::Reference>> DecodeEdgeRefs(std::string_view bytes) {
  if (bytes.size() % 9 != 0) {
    return absl::InternalError(absl::StrCat(
        "malformed ClickHouse result: dependency references of ", bytes.size(), " bytes"));
  }
  std::vector<model::jaeger::Reference> out;
  out.reserve(bytes.size() / 9);
  RowBinaryReader r(bytes);
  while (!r.AtEnd()) {
    SKUA_ASSIGN_OR_RETURN(uint8_t type, r.UInt8());
    SKUA_ASSIGN_OR_RETURN(uint64_t id, r.UInt64());
    if (type > 1) {
      return absl::InternalError(
          absl::StrCat("malformed ClickHouse result: dependency reference type ", type));
    }
    model::jaeger::Reference ref;
    ref.type = type == 0 ? model::jaeger::RefType::kChildOf : model::jaeger::RefType::kFollowsFrom;
    ref.span_id = model::SpanId{id};
    out.push_back(ref);
  }
  return out;
}

}  // namespace skua::storage::clickhouse
