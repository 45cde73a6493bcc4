#include "query/query_service.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"

namespace skua::query {

absl::Status QueryServiceOptions::Validate() const {
  if (max_search_limit <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_search_limit must be greater than zero, got ", max_search_limit));
  }
  return absl::OkStatus();
}

bool TraceAssembler::IsNewTrace(const model::SpanSet& chunk) const {
  if (chunk.empty()) return false;
  return std::find(ids_.rbegin(), ids_.rend(), chunk.spans().front().trace_id) == ids_.rend();
}

void TraceAssembler::Add(model::SpanSet chunk) {
  if (chunk.empty()) return;
  const model::TraceId id = chunk.spans().front().trace_id;
  if (!ids_.empty() && ids_.back() == id) {
    traces_.back().CopySpans(chunk.spans());
    return;
  }
  // Storage promises consecutive chunks per trace; tolerate a backend that breaks it rather than
  // returning one trace twice.
  for (size_t i = 0; i + 1 < ids_.size(); ++i) {
    if (ids_[i] == id) {
      traces_[i].CopySpans(chunk.spans());
      return;
    }
  }
  ids_.push_back(id);
  traces_.push_back(std::move(chunk));
}

QueryService::QueryService(storage::Storage& storage, QueryServiceOptions options)
    : storage_(storage), options_(std::move(options)) {}

absl::StatusOr<std::vector<std::string>> QueryService::GetServices(std::string_view tenant) {
  return storage_.reader().GetServices(tenant);
}

absl::StatusOr<std::vector<storage::Operation>> QueryService::GetOperations(
    std::string_view tenant, const storage::OperationQuery& query) {
  if (query.service_name.empty()) return absl::InvalidArgumentError("service name is required");
  if (query.span_kind.has_value() && !storage_.capabilities().operation_span_kinds) {
    return absl::UnimplementedError(
        "the storage backend does not record span kinds of operations; omit spanKind");
  }
  return storage_.reader().GetOperations(tenant, query);
}

absl::Status QueryService::ValidateTraceQuery(storage::TraceQuery& query) const {
  if (query.num_traces <= 0) return absl::InvalidArgumentError("limit must be greater than zero");
  query.num_traces = std::min(query.num_traces, options_.max_search_limit);
  if (query.duration_min != 0 && query.duration_max != 0 &&
      query.duration_max < query.duration_min) {
    return absl::InvalidArgumentError("'maxDuration' should be greater than 'minDuration'");
  }
  if (query.service_name.empty() && !storage_.capabilities().search_without_service) {
    return absl::InvalidArgumentError("service name is required");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<model::SpanSet>> QueryService::FindTraces(std::string_view tenant,
                                                                     storage::TraceQuery query) {
  SKUA_RETURN_IF_ERROR(ValidateTraceQuery(query));
  if (query.start_time_min > query.start_time_max) return std::vector<model::SpanSet>{};
  const size_t limit = static_cast<size_t>(query.num_traces);
  TraceAssembler assembler;
  SKUA_RETURN_IF_ERROR(storage_.reader().FindTraces(tenant, query, [&](model::SpanSet chunk) {
    if (chunk.empty()) return true;
    // Enforce the limit here too: stop at the first chunk of one trace too many.
    if (assembler.trace_count() >= limit && assembler.IsNewTrace(chunk)) return false;
    assembler.Add(std::move(chunk));
    return true;
  }));
  return std::move(assembler).Take();
}

absl::StatusOr<std::vector<storage::FoundTrace>> QueryService::FindTraceIds(
    std::string_view tenant, storage::TraceQuery query) {
  if (storage_.capabilities().find_trace_ids) {
    SKUA_RETURN_IF_ERROR(ValidateTraceQuery(query));
    if (query.start_time_min > query.start_time_max) return std::vector<storage::FoundTrace>{};
    SKUA_ASSIGN_OR_RETURN(std::vector<storage::FoundTrace> found,
                          storage_.reader().FindTraceIds(tenant, query));
    if (found.size() > static_cast<size_t>(query.num_traces)) found.resize(query.num_traces);
    return found;
  }
  SKUA_ASSIGN_OR_RETURN(std::vector<model::SpanSet> traces, FindTraces(tenant, std::move(query)));
  std::vector<storage::FoundTrace> found;
  found.reserve(traces.size());
  for (const model::SpanSet& trace : traces) {
    storage::FoundTrace f;
    f.trace_id = trace.spans().front().trace_id;
    f.start_time = UINT64_MAX;
    for (const model::Span& span : trace.spans()) {
      f.start_time = std::min(f.start_time, span.start_time_unix_nano);
      f.end_time = std::max(f.end_time, span.end_time_unix_nano);
    }
    found.push_back(f);
  }
  return found;
}

absl::StatusOr<model::SpanSet> QueryService::GetTrace(std::string_view tenant,
                                                      const model::TraceId& id) {
  SKUA_ASSIGN_OR_RETURN(std::vector<model::SpanSet> traces,
                        GetTraces(tenant, std::span<const model::TraceId>(&id, 1)));
  for (model::SpanSet& trace : traces) {
    if (trace.spans().front().trace_id == id) return std::move(trace);
  }
  return absl::NotFoundError("trace not found");
}

absl::StatusOr<std::vector<model::SpanSet>> QueryService::GetTraces(
    std::string_view tenant, std::span<const model::TraceId> ids) {
  std::vector<model::TraceId> unique;
  unique.reserve(ids.size());
  absl::flat_hash_set<model::TraceId, model::TraceIdHash> seen;
  for (const model::TraceId& id : ids) {
    if (seen.insert(id).second) unique.push_back(id);
  }
  TraceAssembler assembler;
  SKUA_RETURN_IF_ERROR(storage_.reader().GetTraces(tenant, unique, [&](model::SpanSet chunk) {
    // Only what was asked for: a backend returning other traces is not passed through.
    if (!chunk.empty() && seen.contains(chunk.spans().front().trace_id)) {
      assembler.Add(std::move(chunk));
    }
    return true;
  }));
  return std::move(assembler).Take();
}

absl::StatusOr<std::vector<storage::DependencyLink>> QueryService::GetDependencies(
    std::string_view tenant, uint64_t end_time, uint64_t lookback) {
  storage::DependencyReader* reader = storage_.dependency_reader();
  if (!storage_.capabilities().dependencies || reader == nullptr) {
    return absl::UnimplementedError("the storage backend does not provide service dependencies");
  }
  const uint64_t start_time = lookback >= end_time ? 0 : end_time - lookback;
  SKUA_ASSIGN_OR_RETURN(std::vector<storage::DependencyLink> links,
                        reader->GetDependencies(tenant, start_time, end_time));
  // Backends that store precomputed links (one document per day, §5.3) return duplicates.
  std::sort(links.begin(), links.end(), [](const auto& a, const auto& b) {
    return std::tie(a.parent, a.child) < std::tie(b.parent, b.child);
  });
  std::vector<storage::DependencyLink> merged;
  merged.reserve(links.size());
  for (storage::DependencyLink& link : links) {
    if (!merged.empty() && merged.back().parent == link.parent &&
        merged.back().child == link.child) {
      merged.back().call_count += link.call_count;
      if (merged.back().source.empty()) merged.back().source = std::move(link.source);
    } else {
      merged.push_back(std::move(link));
    }
  }
  return merged;
}

model::jaeger::JaegerTrace QueryService::JaegerView(const model::SpanSet& trace,
                                                    bool adjust) const {
  model::jaeger::JaegerTrace view = model::jaeger::ToJaegerTrace(trace);
  if (adjust) ApplyStandardAdjusters(view, options_.adjusters);
  return view;
}

}  // namespace skua::query
