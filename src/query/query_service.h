// QueryService: the one place between the query APIs (HTTP /api/*, api_v3, gRPC) and a storage
// backend. It validates queries, enforces the backend's declared capabilities, bounds result
// sizes, assembles streamed chunks into whole traces and merges dependency links
// (jaeger-compat §2.1, §2.2, §3.2, §5.3). It also owns the query-time adjuster settings (§2.5).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/convert/jaeger.h"
#include "model/ids.h"
#include "model/span_set.h"
#include "query/adjusters.h"
#include "storage/storage.h"

namespace skua::query {

struct QueryServiceOptions {
  // Query-time adjusters applied by JaegerView (clock-skew limit). Default: Jaeger's defaults
  // (clock-skew adjustment disabled). Restart required.
  AdjusterOptions adjusters;
  // Most traces one search returns. A larger requested limit is clamped to this value rather than
  // refused, so a UI configured with a higher search.maxLimit still gets results. Default: 1500,
  // jaeger-ui's default search.maxLimit. Must be > 0. Restart required.
  int32_t max_search_limit = 1500;

  // InvalidArgument naming the first offending field.
  absl::Status Validate() const;
};

// Thread-safe: holds no mutable state of its own; every call goes to the (thread-safe) storage.
// Results are deep copies the caller owns and may mutate.
class QueryService {
 public:
  // `storage` must outlive the service. `options` must pass Validate().
  QueryService(storage::Storage& storage, QueryServiceOptions options);
  QueryService(const QueryService&) = delete;
  QueryService& operator=(const QueryService&) = delete;

  const QueryServiceOptions& options() const { return options_; }
  storage::Capabilities capabilities() const { return storage_.capabilities(); }

  // Every service with stored spans, sorted, without duplicates.
  absl::StatusOr<std::vector<std::string>> GetServices(std::string_view tenant);

  // Operations of one service, sorted by (name, span_kind).
  // InvalidArgument "service name is required" for an empty service name; Unimplemented when a
  // span kind is requested and the backend does not record kinds (!operation_span_kinds).
  absl::StatusOr<std::vector<storage::Operation>> GetOperations(
      std::string_view tenant, const storage::OperationQuery& query);

  // Whole matching traces, newest first: one SpanSet per trace (a backend's consecutive chunks of
  // one trace are joined). query.num_traces is clamped to options().max_search_limit, and the
  // service stops reading once that many traces arrived, whatever the backend does.
  // InvalidArgument when: num_traces <= 0 ("limit must be greater than zero"), duration_max is set
  // and below duration_min ("'maxDuration' should be greater than 'minDuration'"), or the service
  // name is empty and the backend lacks search_without_service ("service name is required").
  // An empty time window (start_time_min > start_time_max) yields no traces, not an error.
  absl::StatusOr<std::vector<model::SpanSet>> FindTraces(std::string_view tenant,
                                                         storage::TraceQuery query);

  // IDs of matching traces, newest first; same validation as FindTraces. Backends without
  // find_trace_ids are served by reading the whole traces through FindTraces.
  absl::StatusOr<std::vector<storage::FoundTrace>> FindTraceIds(std::string_view tenant,
                                                                storage::TraceQuery query);

  // One trace with every stored span. NotFound "trace not found" when no span has that ID.
  absl::StatusOr<model::SpanSet> GetTrace(std::string_view tenant, const model::TraceId& id);

  // The stored traces among `ids` (duplicates asked once), one SpanSet per found trace, in the
  // order the backend streams them. Missing IDs are simply absent; callers that must report them
  // compare against each result's trace ID.
  absl::StatusOr<std::vector<model::SpanSet>> GetTraces(std::string_view tenant,
                                                        std::span<const model::TraceId> ids);

  // Dependency links of traces with a span starting in [end_time − lookback, end_time] (Unix ns;
  // the start clamps at 0), merged by (parent, child) with call counts summed, sorted by
  // (parent, child) (jaeger-compat §5.3). Unimplemented when the backend has no dependency reader.
  absl::StatusOr<std::vector<storage::DependencyLink>> GetDependencies(std::string_view tenant,
                                                                       uint64_t end_time,
                                                                       uint64_t lookback);

  // The Jaeger view of one trace, with ApplyStandardAdjusters(options().adjusters) unless `adjust`
  // is false (raw=true). `trace` must outlive the result (the view borrows its strings).
  model::jaeger::JaegerTrace JaegerView(const model::SpanSet& trace, bool adjust) const;

 private:
  absl::Status ValidateTraceQuery(storage::TraceQuery& query) const;

  storage::Storage& storage_;
  const QueryServiceOptions options_;
};

// Appends each chunk to `traces`: a chunk whose trace is the last one's is joined to it, any other
// chunk starts a new trace (a chunk of a trace seen earlier, which the storage contract forbids, is
// joined to that earlier trace). Empty chunks are dropped. Exposed for the gRPC/api_v3 layers that
// also consume TraceSink streams.
class TraceAssembler {
 public:
  void Add(model::SpanSet chunk);
  // True if Add(chunk) would start a new trace (false for an empty chunk).
  bool IsNewTrace(const model::SpanSet& chunk) const;
  size_t trace_count() const { return traces_.size(); }
  std::vector<model::SpanSet> Take() && { return std::move(traces_); }

 private:
  std::vector<model::SpanSet> traces_;
  std::vector<model::TraceId> ids_;  // ids_[i] is the trace ID of traces_[i]
};

}  // namespace skua::query
