// The storage API: what every backend (memory, embedded, clickhouse, …) implements and what the
// query service and the pipeline use. Writes take batches; reads stream chunks through a sink;
// backends declare their capabilities and query::QueryService is the single place that enforces them.
//
// Every call names a tenant. While multi-tenancy is off, callers pass kDefaultTenant. Tenants are
// fully isolated: nothing written for one tenant is visible to another.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/ids.h"
#include "model/span_set.h"

namespace skua::storage {

inline constexpr std::string_view kDefaultTenant = "";

// Search parameters (jaeger-compat §2.2 → §3.2). Times are Unix nanoseconds.
struct TraceQuery {
  // Exact match on the resource's service.name. Required unless the backend declares
  // search_without_service.
  std::string service_name;
  // Exact match on the span name; empty = any.
  std::string operation_name;
  // Each (key, value) must be satisfied by one and the same span, looking in span attributes,
  // resource attributes, scope attributes and event attributes, plus the derived Jaeger tags
  // (span.kind, error, otel.status_code, …); values compare as model::ValueToString renders them.
  std::vector<std::pair<std::string, std::string>> tags;
  // A matching span starts in [start_time_min, start_time_max] (both inclusive).
  uint64_t start_time_min = 0;
  uint64_t start_time_max = UINT64_MAX;
  // Span duration bounds, inclusive; 0 = unbounded.
  uint64_t duration_min = 0;
  uint64_t duration_max = 0;
  // At most this many traces: the ones whose newest matching span starts latest. Must be > 0.
  int32_t num_traces = 100;
};

struct FoundTrace {
  model::TraceId trace_id;
  uint64_t start_time = 0;  // earliest span start seen
  uint64_t end_time = 0;    // latest span end seen
};

struct Operation {
  std::string name;
  // "server", "client", "producer", "consumer", "internal", or "" when the spans carry no kind.
  std::string span_kind;
  bool operator==(const Operation&) const = default;
};

struct OperationQuery {
  std::string service_name;
  // nullopt: every kind. A value (even ""): only operations of that kind.
  std::optional<std::string> span_kind;
};

struct DependencyLink {
  std::string parent;
  std::string child;
  uint64_t call_count = 0;
  std::string source;  // e.g. "jaeger"; may be empty
  bool operator==(const DependencyLink&) const = default;
};

// What a backend can do. Zero-initialized means least capable, so a new field never over-promises.
struct Capabilities {
  bool search_without_service = false;  // FindTraces without a service name
  bool find_trace_ids = false;          // FindTraceIds is implemented
  bool dependencies = false;            // DependencyReader is available
  bool operation_span_kinds = false;    // GetOperations reports span kinds
  bool durable = false;                 // acknowledged writes survive a restart
};

// Receives read results. Each chunk holds spans of exactly one trace; a trace larger than one chunk
// arrives as consecutive chunks. Return false to stop the read early (the read then returns OK).
using TraceSink = std::function<bool(model::SpanSet chunk)>;

// Persists batches. Thread-safe. Returns OK only once the batch is stored as durably as the backend
// promises (Capabilities::durable); idempotent per span (span identity = trace ID + span ID +
// content), so a client retrying after an error never corrupts a trace. Does not keep references
// into `batch` after returning.
// Errors: ResourceExhausted when a configured bound refuses the batch, Unavailable when the backend
// cannot write right now; both are retryable by the client.
class SpanWriter {
 public:
  virtual ~SpanWriter() = default;
  virtual absl::Status WriteSpans(std::string_view tenant, const model::SpanSet& batch) = 0;

  // Writes several batches of one tenant as one unit of work (a backend may share one log append
  // and one sync among them). OK only if every batch is stored; on error, any subset may have been
  // stored (writes are idempotent, so the caller retries all). The default calls WriteSpans in turn.
  virtual absl::Status WriteSpanBatches(std::string_view tenant,
                                        std::span<const model::SpanSet* const> batches) {
    for (const model::SpanSet* batch : batches) {
      absl::Status s = WriteSpans(tenant, *batch);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
};

// Reads traces. Thread-safe; results are deep copies the caller may mutate.
class TraceReader {
 public:
  virtual ~TraceReader() = default;

  // Streams every stored span of each requested trace. Unknown IDs are skipped (no chunk, no error).
  virtual absl::Status GetTraces(std::string_view tenant, std::span<const model::TraceId> trace_ids,
                                 const TraceSink& sink) = 0;

  // Streams whole matching traces (every span, also those outside the time window), newest first,
  // at most query.num_traces of them. InvalidArgument for a query the backend cannot run.
  virtual absl::Status FindTraces(std::string_view tenant, const TraceQuery& query,
                                  const TraceSink& sink) = 0;

  // IDs of matching traces, newest first. Unimplemented unless Capabilities::find_trace_ids.
  virtual absl::StatusOr<std::vector<FoundTrace>> FindTraceIds(std::string_view tenant,
                                                               const TraceQuery& query) = 0;

  // Every service name with stored spans, sorted ascending, without duplicates.
  virtual absl::StatusOr<std::vector<std::string>> GetServices(std::string_view tenant) = 0;

  // Operations of one service, sorted by (name, span_kind), without duplicates.
  virtual absl::StatusOr<std::vector<Operation>> GetOperations(std::string_view tenant,
                                                               const OperationQuery& query) = 0;
};

// Service dependency links. Thread-safe.
class DependencyReader {
 public:
  virtual ~DependencyReader() = default;
  // Links observed in traces with a span starting in [start_time, end_time] (Unix ns), merged by
  // (parent, child) with call counts summed, sorted by (parent, child).
  virtual absl::StatusOr<std::vector<DependencyLink>> GetDependencies(std::string_view tenant,
                                                                      uint64_t start_time,
                                                                      uint64_t end_time) = 0;
};

// One configured backend: its writer, readers and declared capabilities. Thread-safe.
class Storage {
 public:
  virtual ~Storage() = default;
  virtual Capabilities capabilities() const = 0;
  virtual SpanWriter& writer() = 0;
  virtual TraceReader& reader() = 0;
  // nullptr unless capabilities().dependencies.
  virtual DependencyReader* dependency_reader() = 0;
  // OK when the backend can serve right now; otherwise why not (e.g. Unavailable: the database does
  // not answer). Cheap enough to poll every second: the server reports it as its health
  // (not ready while this fails). Default: always ready.
  virtual absl::Status CheckReady() { return absl::OkStatus(); }
  // Flushes and releases resources; later calls fail with Unavailable. Idempotent.
  virtual absl::Status Close() = 0;
};

}  // namespace skua::storage
