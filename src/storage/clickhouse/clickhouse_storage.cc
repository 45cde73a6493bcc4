#include "storage/clickhouse/clickhouse_storage.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/civil_time.h"
#include "base/logging.h"
#include "base/status.h"
#include "model/convert/jaeger.h"
#include "model/convert/otlp.h"
#include "net/http_client.h"
#include "storage/clickhouse/clickhouse_client.h"
#include "storage/clickhouse/results.h"
#include "storage/clickhouse/row_binary.h"
#include "storage/clickhouse/schema.h"
#include "storage/clickhouse/sql.h"

namespace skua::storage::clickhouse {
namespace {

constexpr uint64_t kNanosPerDay = 86'400'000'000'000ull;
// Date is a UInt16 day number, but ClickHouse 18.16 handles dates only up to 2105-12-31 (its date
// lookup table ends there): later days are clamped to that one.
constexpr uint64_t kMaxDay = 49'672;
// Traces per spans query when reading whole traces (bounds one response).
constexpr size_t kTracesPerQuery = 100;
// Spans per chunk handed to a TraceSink.
constexpr size_t kChunkSpans = 2048;

uint16_t DayOf(uint64_t unix_nanos) {
  return static_cast<uint16_t>(std::min(unix_nanos / kNanosPerDay, kMaxDay));
}

// 'YYYY-MM-DD' of a day number, as a Date literal.
std::string DateLiteral(uint64_t day) {
  absl::CivilDay d = absl::CivilDay(1970, 1, 1) + static_cast<absl::civil_diff_t>(day);
  return absl::StrFormat("'%04d-%02d-%02d'", d.year(), d.month(), d.day());
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  if (!(absl::ascii_isalpha(s[0]) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

bool IsClusterName(std::string_view s) {
  return !s.empty() && s.size() <= 128 &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
         });
}

absl::Status ClosedError() { return absl::UnavailableError("ClickHouse storage is closed"); }

std::string TenantCondition(std::string_view tenant) {
  return absl::StrCat("tenant = ", SqlString(tenant));
}

// " IN ('…', '…')" over trace IDs.
std::string TraceIdList(std::span<const model::TraceId> ids) {
  std::string out = "(";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ", ";
    out += SqlTraceId(ids[i]);
  }
  out += ")";
  return out;
}

// The RowBinary rows of one span in `spans` and `span_index` (schema/002, 003).
void AppendRows(std::string_view tenant, const model::Span& span, std::string& spans_rows,
                std::string& index_rows, std::vector<std::string>& tags) {
  const uint16_t day = DayOf(span.start_time_unix_nano);
  const std::string trace_id = TraceIdBytes(span.trace_id);
  const model::jaeger::EdgeSpan edge = model::jaeger::ToEdgeSpan(span);

  RowBinaryWriter w(spans_rows);
  w.String(tenant);
  w.UInt16(day);
  w.FixedString(trace_id);
  w.UInt64(span.span_id.value);
  w.UInt64(span.start_time_unix_nano);
  w.UInt64(std::max(span.end_time_unix_nano, span.start_time_unix_nano));
  w.String(edge.service);
  w.String(edge.kind);
  w.String(EncodeEdgeRefs(edge.references));
  w.String(model::convert::EncodeOtlpProto(std::span<const model::Span>(&span, 1)));

  tags.clear();
  std::string value;
  model::jaeger::ForEachSearchableTag(span, [&](std::string_view key, const model::AnyValue& v) {
    value.clear();
    model::jaeger::AppendTagValueString(v, value);
    tags.push_back(TagElement(key, value));
    return true;
  });
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());

  RowBinaryWriter x(index_rows);
  x.String(tenant);
  x.UInt16(day);
  x.String(span.service_name());
  x.String(span.name);
  x.String(model::SpanKindName(span.kind));
  x.UInt64(span.start_time_unix_nano);
  x.UInt64(span.duration_nanos());
  x.FixedString(trace_id);
  x.ArraySize(tags.size());
  for (const std::string& t : tags) x.String(t);
}

class ClickHouseStorage final : public Storage,
                                public SpanWriter,
                                public TraceReader,
                                public DependencyReader {
 public:
  explicit ClickHouseStorage(ClickHouseOptions options)
      : options_(std::move(options)), client_(options_) {
    const std::string db = options_.database;
    spans_ = absl::StrCat(db, ".spans");
    span_index_ = absl::StrCat(db, ".span_index");
    operations_ = absl::StrCat(db, ".operations");
    // Subqueries that must stay on one shard name the local table: a trace lives on one shard.
    spans_local_ = options_.cluster.empty() ? spans_ : absl::StrCat(db, ".spans_local");
  }

  ~ClickHouseStorage() override { IgnoreError(Close(), "closing in the destructor"); }

  void Start() {
    RunCheck();
    last_retention_ = absl::Now();
    if (options_.retention > absl::ZeroDuration()) RunRetention();
    checker_ = std::thread([this] { CheckLoop(); });
  }

  // --- Storage ---
  Capabilities capabilities() const override {
    Capabilities caps;
    caps.find_trace_ids = true;
    caps.dependencies = true;
    caps.operation_span_kinds = true;
    caps.durable = true;
    return caps;
  }
  SpanWriter& writer() override { return *this; }
  TraceReader& reader() override { return *this; }
  DependencyReader* dependency_reader() override { return this; }

  absl::Status CheckReady() override {
    if (closed_.load()) return ClosedError();
    absl::MutexLock lock(&mu_);
    return ready_;
  }

  absl::Status Close() override {
    {
      absl::MutexLock lock(&mu_);
      if (closed_.exchange(true)) return absl::OkStatus();
    }
    if (checker_.joinable()) checker_.join();
    return absl::OkStatus();
  }

  // --- SpanWriter ---
  absl::Status WriteSpans(std::string_view tenant, const model::SpanSet& batch) override {
    const model::SpanSet* one[] = {&batch};
    return WriteSpanBatches(tenant, one);
  }

  absl::Status WriteSpanBatches(std::string_view tenant,
                                std::span<const model::SpanSet* const> batches) override {
    if (closed_.load()) return ClosedError();
    std::string spans_rows, index_rows;
    std::vector<std::string> tags;
    size_t rows = 0;
    for (const model::SpanSet* batch : batches) {
      for (const model::Span& span : batch->spans()) {
        AppendRows(tenant, span, spans_rows, index_rows, tags);
        if (++rows == options_.max_rows_per_insert) {
          SKUA_RETURN_IF_ERROR(Flush(spans_rows, index_rows, rows));
          rows = 0;
        }
      }
    }
    return Flush(spans_rows, index_rows, rows);
  }

  // --- TraceReader ---
  absl::Status GetTraces(std::string_view tenant, std::span<const model::TraceId> trace_ids,
                         const TraceSink& sink) override {
    if (closed_.load()) return ClosedError();
    std::vector<model::TraceId> ids;
    absl::flat_hash_set<model::TraceId, model::TraceIdHash> seen;
    for (const model::TraceId& id : trace_ids) {
      if (seen.insert(id).second) ids.push_back(id);
    }
    return StreamTraces(tenant, ids, sink);
  }

  absl::Status FindTraces(std::string_view tenant, const TraceQuery& query,
                          const TraceSink& sink) override {
    if (closed_.load()) return ClosedError();
    SKUA_ASSIGN_OR_RETURN(std::vector<SearchRow> found, Search(tenant, query));
    std::vector<model::TraceId> ids;
    ids.reserve(found.size());
    for (const SearchRow& row : found) ids.push_back(row.trace_id);
    return StreamTraces(tenant, ids, sink);
  }

  absl::StatusOr<std::vector<FoundTrace>> FindTraceIds(std::string_view tenant,
                                                       const TraceQuery& query) override {
    if (closed_.load()) return ClosedError();
    SKUA_ASSIGN_OR_RETURN(std::vector<SearchRow> found, Search(tenant, query));
    std::vector<FoundTrace> out;
    if (found.empty()) return out;
    std::vector<model::TraceId> ids;
    for (const SearchRow& row : found) ids.push_back(row.trace_id);
    absl::flat_hash_map<model::TraceId, BoundsRow, model::TraceIdHash> bounds;
    for (size_t begin = 0; begin < ids.size(); begin += kTracesPerQuery) {
      std::span<const model::TraceId> group(ids.data() + begin,
                                            std::min(kTracesPerQuery, ids.size() - begin));
      SKUA_ASSIGN_OR_RETURN(
          std::string body,
          client_.Query(absl::StrCat("SELECT trace_id, min(start_ns), max(end_ns) FROM ", spans_,
                                     " WHERE ", TenantCondition(tenant), " AND trace_id IN ",
                                     TraceIdList(group), " GROUP BY trace_id FORMAT RowBinary")));
      SKUA_ASSIGN_OR_RETURN(std::vector<BoundsRow> rows, ParseBoundsRows(body));
      for (const BoundsRow& row : rows) bounds[row.trace_id] = row;
    }
    for (const model::TraceId& id : ids) {
      auto it = bounds.find(id);
      if (it == bounds.end()) continue;  // index rows without spans: a write that half failed
      out.push_back(FoundTrace{id, it->second.start, it->second.end});
    }
    return out;
  }

  absl::StatusOr<std::vector<std::string>> GetServices(std::string_view tenant) override {
    if (closed_.load()) return ClosedError();
    SKUA_ASSIGN_OR_RETURN(
        std::string body,
        client_.Query(absl::StrCat("SELECT DISTINCT service FROM ", operations_, " WHERE ",
                                   TenantCondition(tenant), " FORMAT RowBinary")));
    SKUA_ASSIGN_OR_RETURN(std::vector<std::string_view> rows, ParseStringRows(body));
    std::vector<std::string> out(rows.begin(), rows.end());
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  absl::StatusOr<std::vector<Operation>> GetOperations(std::string_view tenant,
                                                       const OperationQuery& query) override {
    if (closed_.load()) return ClosedError();
    std::string sql = absl::StrCat("SELECT DISTINCT operation, span_kind FROM ", operations_,
                                   " WHERE ", TenantCondition(tenant),
                                   " AND service = ", SqlString(query.service_name));
    if (query.span_kind.has_value()) {
      absl::StrAppend(&sql, " AND span_kind = ", SqlString(*query.span_kind));
    }
    absl::StrAppend(&sql, " FORMAT RowBinary");
    SKUA_ASSIGN_OR_RETURN(std::string body, client_.Query(sql));
    SKUA_ASSIGN_OR_RETURN(std::vector<StringPair> rows, ParseStringPairRows(body));
    std::vector<Operation> out;
    out.reserve(rows.size());
    for (const StringPair& row : rows) {
      out.push_back(Operation{std::string(row.first), std::string(row.second)});
    }
    std::sort(out.begin(), out.end(), [](const Operation& a, const Operation& b) {
      return std::tie(a.name, a.span_kind) < std::tie(b.name, b.span_kind);
    });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // --- DependencyReader ---
  absl::StatusOr<std::vector<DependencyLink>> GetDependencies(std::string_view tenant,
                                                              uint64_t start_time,
                                                              uint64_t end_time) override {
    if (closed_.load()) return ClosedError();
    std::vector<DependencyLink> out;
    if (start_time > end_time) return out;
    // Every span of each trace with a span starting in the window. Exact duplicates (retried
    // writes) are folded by DISTINCT; the inner query runs on each shard's own table, which holds
    // whole traces.
    const std::string sql = absl::StrCat(
        "SELECT DISTINCT trace_id, span_id, start_ns, service, dep_kind, dep_refs FROM ", spans_,
        " WHERE ", TenantCondition(tenant), " AND trace_id IN (SELECT trace_id FROM ", spans_local_,
        " WHERE ", TenantCondition(tenant), " AND day BETWEEN ", DateLiteral(DayOf(start_time)),
        " AND ", DateLiteral(DayOf(end_time)), " AND start_ns BETWEEN ", start_time, " AND ",
        end_time, ") FORMAT RowBinary");
    SKUA_ASSIGN_OR_RETURN(std::string body, client_.Query(sql));
    SKUA_ASSIGN_OR_RETURN(std::vector<EdgeRow> rows, ParseEdgeRows(body));
    // Group per trace; within a trace, a fixed order (start, span ID, then the rest) so the result
    // does not depend on the order ClickHouse returned rows in.
    std::sort(rows.begin(), rows.end(), [](const EdgeRow& a, const EdgeRow& b) {
      return std::tie(a.trace_id, a.start_ns, a.span.span_id, a.span.service, a.span.kind) <
             std::tie(b.trace_id, b.start_ns, b.span.span_id, b.span.service, b.span.kind);
    });
    absl::btree_map<std::pair<std::string, std::string>, uint64_t> counts;
    std::vector<model::jaeger::EdgeSpan> trace;
    auto count_edge = [&](std::string_view parent, std::string_view child) {
      if (parent == child) return;  // v1 memory semantics (jaeger-compat §3.3)
      ++counts[{std::string(parent), std::string(child)}];
    };
    for (size_t i = 0; i < rows.size();) {
      size_t j = i;
      trace.clear();
      while (j < rows.size() && rows[j].trace_id == rows[i].trace_id) {
        trace.push_back(std::move(rows[j].span));
        ++j;
      }
      model::jaeger::ForEachDependencyEdge(trace, count_edge);
      i = j;
    }
    out.reserve(counts.size());
    for (auto& [edge, count] : counts) {
      out.push_back(DependencyLink{edge.first, edge.second, count, "jaeger"});
    }
    return out;
  }

 private:
  absl::Status Flush(std::string& spans_rows, std::string& index_rows, size_t rows) {
    if (rows == 0) return absl::OkStatus();
    // Spans first: a search that finds a trace in the index then finds its spans.
    SKUA_RETURN_IF_ERROR(client_.Insert("spans", spans_rows, rows));
    SKUA_RETURN_IF_ERROR(client_.Insert("span_index", index_rows, rows));
    spans_rows.clear();
    index_rows.clear();
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<SearchRow>> Search(std::string_view tenant, const TraceQuery& q) {
    if (q.num_traces <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("num_traces must be > 0, got ", q.num_traces));
    }
    std::string sql = absl::StrCat("SELECT trace_id, max(start_ns) AS newest FROM ", span_index_,
                                   " WHERE ", TenantCondition(tenant));
    if (!q.service_name.empty()) absl::StrAppend(&sql, " AND service = ", SqlString(q.service_name));
    if (!q.operation_name.empty()) {
      absl::StrAppend(&sql, " AND operation = ", SqlString(q.operation_name));
    }
    if (q.start_time_min > q.start_time_max) return std::vector<SearchRow>();
    absl::StrAppend(&sql, " AND day BETWEEN ", DateLiteral(DayOf(q.start_time_min)), " AND ",
                    DateLiteral(DayOf(q.start_time_max)), " AND start_ns BETWEEN ",
                    q.start_time_min, " AND ", q.start_time_max);
    if (q.duration_min != 0) absl::StrAppend(&sql, " AND duration_ns >= ", q.duration_min);
    if (q.duration_max != 0) absl::StrAppend(&sql, " AND duration_ns <= ", q.duration_max);
    for (const auto& [key, value] : q.tags) {
      absl::StrAppend(&sql, " AND has(tags, ", SqlString(TagElement(key, value)), ")");
    }
    absl::StrAppend(&sql, " GROUP BY trace_id ORDER BY newest DESC, trace_id ASC LIMIT ",
                    q.num_traces, " FORMAT RowBinary");
    SKUA_ASSIGN_OR_RETURN(std::string body, client_.Query(sql));
    return ParseSearchRows(body);
  }

  // Reads whole traces, `kTracesPerQuery` per query, and hands them to `sink` in `ids` order, each
  // without exact duplicate spans (retried writes), in chunks of at most kChunkSpans spans.
  absl::Status StreamTraces(std::string_view tenant, const std::vector<model::TraceId>& ids,
                            const TraceSink& sink) {
    for (size_t begin = 0; begin < ids.size(); begin += kTracesPerQuery) {
      std::span<const model::TraceId> group(ids.data() + begin,
                                            std::min(kTracesPerQuery, ids.size() - begin));
      SKUA_ASSIGN_OR_RETURN(
          std::string body,
          client_.Query(absl::StrCat("SELECT trace_id, span FROM ", spans_, " WHERE ",
                                     TenantCondition(tenant), " AND trace_id IN ",
                                     TraceIdList(group), " FORMAT RowBinary")));
      SKUA_ASSIGN_OR_RETURN(std::vector<SpanRow> rows, ParseSpanRows(body));
      absl::flat_hash_map<model::TraceId, std::vector<std::string_view>, model::TraceIdHash>
          by_trace;
      for (const SpanRow& row : rows) by_trace[row.trace_id].push_back(row.span);
      for (const model::TraceId& id : group) {
        auto it = by_trace.find(id);
        if (it == by_trace.end()) continue;
        bool more = true;
        SKUA_RETURN_IF_ERROR(EmitTrace(id, it->second, sink, more));
        if (!more) return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  static absl::Status EmitTrace(const model::TraceId& id, std::vector<std::string_view>& blobs,
                                const TraceSink& sink, bool& more) {
    // Exact duplicates are the same span written twice (a retried write).
    std::sort(blobs.begin(), blobs.end());
    blobs.erase(std::unique(blobs.begin(), blobs.end()), blobs.end());
    for (size_t begin = 0; begin < blobs.size(); begin += kChunkSpans) {
      const size_t end = std::min(blobs.size(), begin + kChunkSpans);
      // Concatenated ExportTraceServiceRequests are one valid request (repeated fields append).
      std::string joined;
      size_t bytes = 0;
      for (size_t i = begin; i < end; ++i) bytes += blobs[i].size();
      joined.reserve(bytes);
      for (size_t i = begin; i < end; ++i) joined.append(blobs[i].data(), blobs[i].size());
      absl::StatusOr<model::SpanSet> chunk = model::convert::DecodeOtlpProto(joined);
      if (!chunk.ok()) {
        return absl::DataLossError(absl::StrCat("stored spans of trace ", id.ToHex(),
                                                " cannot be decoded: ",
                                                chunk.status().message()));
      }
      for (const model::Span& span : chunk->spans()) {
        if (span.trace_id != id) {
          return absl::DataLossError(absl::StrCat("stored span of trace ", id.ToHex(),
                                                  " holds trace ", span.trace_id.ToHex()));
        }
      }
      if (chunk->empty()) continue;
      if (!sink(std::move(*chunk))) {
        more = false;
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  // One health check: servers answer, and skua's tables exist (created when create_schema).
  void RunCheck() {
    absl::Status status = client_.PingAll();
    if (status.ok()) status = CheckSchema();
    if (!status.ok() && absl::IsFailedPrecondition(status) && options_.create_schema) {
      absl::Status created = InitSchema(options_);
      if (created.ok()) {
        SKUA_LOG(INFO) << "ClickHouse: applied skua's schema to database " << options_.database;
        status = CheckSchema();
      } else {
        status = created;
      }
    }
    absl::MutexLock lock(&mu_);
    if (status.ok() != ready_.ok() || status.code() != ready_.code()) {
      if (status.ok()) {
        SKUA_LOG(INFO) << "ClickHouse storage is ready (database " << options_.database << ")";
      } else {
        SKUA_LOG(ERROR) << "ClickHouse storage is not ready: " << status.message();
      }
    }
    ready_ = status;
  }

  absl::Status CheckSchema() {
    std::vector<std::string> want = {"spans", "span_index", "operations"};
    if (!options_.cluster.empty()) {
      for (const std::string& t : DataTables(options_.cluster)) want.push_back(t);
    }
    std::vector<std::string> quoted;
    for (const std::string& t : want) quoted.push_back(SqlString(t));
    absl::StatusOr<std::string> body = client_.Query(
        absl::StrCat("SELECT name FROM system.tables WHERE database = ",
                     SqlString(options_.database), " AND name IN (", absl::StrJoin(quoted, ", "),
                     ") FORMAT RowBinary"));
    if (!body.ok()) return body.status();
    SKUA_ASSIGN_OR_RETURN(std::vector<std::string_view> have, ParseStringRows(*body));
    std::vector<std::string> missing;
    for (const std::string& t : want) {
      if (std::find(have.begin(), have.end(), std::string_view(t)) == have.end()) {
        missing.push_back(t);
      }
    }
    if (missing.empty()) return absl::OkStatus();
    return absl::FailedPreconditionError(absl::StrCat(
        "ClickHouse database ", options_.database, " lacks skua's tables (",
        absl::StrJoin(missing, ", "), "): run `skua clickhouse init`"));
  }

  void RunRetention() {
    const uint64_t now = options_.now_unix_nanos ? options_.now_unix_nanos()
                                                 : static_cast<uint64_t>(absl::GetCurrentTimeNanos());
    auto dropped = DropExpiredPartitions(options_, options_.retention, now);
    if (!dropped.ok()) {
      SKUA_LOG(WARNING) << "ClickHouse retention: " << dropped.status().message();
    } else if (!dropped->empty()) {
      SKUA_LOG(INFO) << "ClickHouse retention dropped " << absl::StrJoin(*dropped, ", ");
    }
  }

  void CheckLoop() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        auto stop = [this] { return closed_.load(); };
        if (mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Seconds(1))) return;
      }
      RunCheck();
      if (options_.retention > absl::ZeroDuration() &&
          absl::Now() - last_retention_ >= absl::Hours(1)) {
        last_retention_ = absl::Now();
        RunRetention();
      }
    }
  }

  const ClickHouseOptions options_;
  ClickHouseClient client_;
  std::string spans_, span_index_, operations_, spans_local_;
  std::atomic<bool> closed_{false};
  absl::Mutex mu_;
  absl::Status ready_ ABSL_GUARDED_BY(mu_) = absl::UnavailableError("not checked yet");
  absl::Time last_retention_;  // checker thread only
  std::thread checker_;
};

}  // namespace

absl::Status ClickHouseOptions::Validate() const {
  if (servers.empty()) {
    return absl::InvalidArgumentError("clickhouse.servers: at least one server is required");
  }
  for (const std::string& server : servers) {
    auto split = net::SplitUrl(server);
    if (!split.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("clickhouse.servers: ", split.status().message()));
    }
    if (absl::StartsWith(split->first, "https://") && !net::HttpsSupported()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "clickhouse.servers: '", server, "' needs TLS, which this skua was built without"));
    }
  }
  if (!IsIdentifier(database)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "clickhouse.database: '", database, "' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)"));
  }
  if (username.empty()) return absl::InvalidArgumentError("clickhouse.username: must not be empty");
  if (!cluster.empty() && !IsClusterName(cluster)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "clickhouse.cluster: '", cluster, "' may hold only letters, digits, '_', '-' and '.'"));
  }
  if (tls_cert_file.empty() != tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "clickhouse.tls.cert and clickhouse.tls.key must be given together");
  }
  for (const std::string* file : {&tls_ca_file, &tls_cert_file, &tls_key_file}) {
    if (!file->empty() && access(file->c_str(), R_OK) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("clickhouse TLS file '", *file,
                                                     "' cannot be read"));
    }
  }
  if (connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("clickhouse.connect-timeout must be > 0");
  }
  if (request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("clickhouse.timeout (request timeout) must be > 0");
  }
  if (retention < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("clickhouse.retention must be >= 0");
  }
  if (max_rows_per_insert == 0) {
    return absl::InvalidArgumentError("clickhouse.max-rows-per-insert must be > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Storage>> OpenClickHouseStorage(ClickHouseOptions options) {
  SKUA_RETURN_IF_ERROR(options.Validate());
  auto storage = std::make_unique<ClickHouseStorage>(std::move(options));
  storage->Start();
  return std::unique_ptr<Storage>(std::move(storage));
}

std::vector<std::string> SchemaStatements(const ClickHouseOptions& options) {
  std::vector<std::string> out;
  for (SchemaStatement& s : ExpandSchema(options.database, options.cluster)) {
    out.push_back(std::move(s.sql));
  }
  return out;
}

absl::Status InitSchema(const ClickHouseOptions& options) {
  SKUA_RETURN_IF_ERROR(options.Validate());
  ClickHouseOptions quiet = options;
  quiet.metrics = nullptr;
  ClickHouseClient client(quiet);
  const std::vector<SchemaStatement> statements = ExpandSchema(options.database, options.cluster);
  for (size_t i = 0; i < client.server_count(); ++i) {
    for (const SchemaStatement& s : statements) {
      absl::StatusOr<std::string> done = client.QueryOn(i, s.sql);
      if (!done.ok()) {
        std::string first_line = s.sql.substr(0, s.sql.find('\n'));
        return absl::Status(done.status().code(),
                            absl::StrCat("schema on ", client.server(i), ", ", s.file, " (",
                                         first_line, "): ", done.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> DropExpiredPartitions(const ClickHouseOptions& options,
                                                               absl::Duration retention,
                                                               uint64_t now_unix_nanos) {
  SKUA_RETURN_IF_ERROR(options.Validate());
  if (retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("retention must be > 0");
  }
  const uint64_t keep_ns = static_cast<uint64_t>(absl::ToInt64Nanoseconds(retention));
  const uint64_t cutoff = now_unix_nanos > keep_ns ? now_unix_nanos - keep_ns : 0;
  // Day D holds [D, D+1) days of data: it is expired when all of it is older than the cutoff.
  const uint64_t first_kept_day = cutoff / kNanosPerDay;
  ClickHouseOptions quiet = options;
  quiet.metrics = nullptr;
  ClickHouseClient client(quiet);
  std::vector<std::string> quoted;
  for (const std::string& t : DataTables(options.cluster)) quoted.push_back(SqlString(t));
  std::vector<std::string> dropped;
  for (size_t i = 0; i < client.server_count(); ++i) {
    absl::StatusOr<std::string> body = client.QueryOn(
        i, absl::StrCat("SELECT DISTINCT table, partition_id FROM system.parts WHERE active AND "
                        "database = ",
                        SqlString(options.database), " AND table IN (",
                        absl::StrJoin(quoted, ", "), ") FORMAT RowBinary"));
    if (!body.ok()) return body.status();
    SKUA_ASSIGN_OR_RETURN(std::vector<StringPair> parts, ParseStringPairRows(*body));
    for (const StringPair& part : parts) {
      // Partition IDs of a Date key are YYYYMMDD.
      int y = 0, m = 0, d = 0;
      std::string id(part.second);
      if (id.size() != 8 || !std::all_of(id.begin(), id.end(), absl::ascii_isdigit) ||
          sscanf(id.c_str(), "%4d%2d%2d", &y, &m, &d) != 3) {
        continue;  // not one of ours
      }
      const absl::CivilDay day(y, m, d);
      const int64_t day_number = day - absl::CivilDay(1970, 1, 1);
      if (day_number < 0 || static_cast<uint64_t>(day_number) >= first_kept_day) continue;
      const std::string table(part.first);
      absl::StatusOr<std::string> done =
          client.QueryOn(i, absl::StrCat("ALTER TABLE ", options.database, ".", table,
                                         " DROP PARTITION ID ", SqlString(id)));
      if (!done.ok()) return done.status();
      dropped.push_back(absl::StrFormat("%s/%04d-%02d-%02d", table, y, m, d));
    }
  }
  std::sort(dropped.begin(), dropped.end());
  dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
  return dropped;
}

}  // namespace skua::storage::clickhouse
