// The in-process storage backend: bounded, per-tenant, nothing survives a restart. It defines the
// reference semantics of the storage API (jaeger-compat §3.2, §3.3) and doubles as the fake that
// other modules' tests use. Bounded by trace count (FIFO eviction by first-seen order, Jaeger's
// MEMORY_MAX_TRACES) and by a byte budget (oldest whole traces evicted first).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "model/ids.h"
#include "model/span_set.h"
#include "storage/storage.h"

namespace skua::storage::memory {

struct MemoryOptions {
  // Most traces kept per tenant (Jaeger's MEMORY_MAX_TRACES / memory.max-traces). When a new trace
  // arrives at the limit, the tenant's oldest trace by first-seen order (not last use) is evicted
  // whole (jaeger-compat §3.3). 0 = unbounded by count. Default: 100'000. Restart required.
  uint64_t max_traces = 100'000;
  // Byte budget for stored spans across all tenants (arena memory plus a per-span and per-trace
  // estimate of index overhead). After a write that exceeds it, the oldest traces of any tenant
  // are evicted whole until usage is back within budget; a single batch larger than the whole
  // budget is refused with ResourceExhausted. Must be > 0. Default: 1 GiB. Restart required.
  uint64_t max_bytes = uint64_t{1} << 30;
  // Services kept in each tenant's service index (GetServices). Like Jaeger's memory store the
  // service and operation index outlives evicted traces; these caps keep it bounded. Spans of a
  // service past the cap are still stored and searchable, the name is just not listed. Must be
  // > 0. Default: 10'000.
  uint32_t max_services = 10'000;
  // Operations (name + span kind) kept per service in the index (GetOperations). Must be > 0.
  // Default: 10'000.
  uint32_t max_operations_per_service = 10'000;
  // Byte budget for the names held by the service/operation index, across all tenants; names
  // past it are not indexed. This bounds the index however long the names are. Must be > 0.
  // Default: 64 MiB.
  uint64_t max_index_bytes = uint64_t{64} << 20;

  // Merge the small segments a trace accumulates over many writes into larger ones (each span is
  // then copied O(log n) times), which keeps per-segment overhead low for long-lived traces. A
  // store that holds spans only briefly (the embedded store's head) turns it off to save the
  // copies. Default: true.
  bool compact_trace_segments = true;

  // InvalidArgument naming the first offending field.
  absl::Status Validate() const;
};

// Thread-safe. One reader/writer mutex guards the whole store, but neither side does heavy work
// while holding it: writers copy (or group) a batch before taking the lock, and readers take it
// only to snapshot (shared) pointers to the immutable span segments of the traces they need, then
// match, copy and stream outside the lock. Stored spans are never mutated after publication, so a reader
// keeps a consistent view of a trace even if it is evicted meanwhile.
class MemoryStorage final : public Storage,
                            public SpanWriter,
                            public TraceReader,
                            public DependencyReader {
 public:
  // `options` must pass Validate().
  explicit MemoryStorage(MemoryOptions options);
  ~MemoryStorage() override;
  MemoryStorage(const MemoryStorage&) = delete;
  MemoryStorage& operator=(const MemoryStorage&) = delete;

  // Storage.
  Capabilities capabilities() const override;
  SpanWriter& writer() override { return *this; }
  TraceReader& reader() override { return *this; }
  DependencyReader* dependency_reader() override { return this; }
  absl::Status Close() override;

  // SpanWriter. Spans are grouped by trace; a span identical (IDs and content) to one already
  // stored in its trace is skipped, a span with a known ID but different content is kept.
  absl::Status WriteSpans(std::string_view tenant, const model::SpanSet& batch) override;
  // As WriteSpans (same idempotency, spans repeated within the batch kept once), but takes over
  // `batch`'s memory instead of copying its spans: each trace's spans are stored in place (the
  // batch's span list is reordered by trace first) and the batch's arena is shared by the traces
  // it holds, each charged its share by span count. So the memory of a batch is released only
  // once every trace stored from it is gone: meant for a store whose traces are dropped together
  // (the embedded store's head, replayed from its log). In a store that evicts trace by trace, a
  // batch's memory can outlive some of the traces charged for it.
  absl::Status WriteOwnedSpans(std::string_view tenant, model::SpanSet&& batch);

  // TraceReader. Chunks hold at most kMaxChunkSpans spans. Tags are matched against span,
  // resource, scope and event attributes and the derived Jaeger tags (model::jaeger::SpanHasTag),
  // all on one and the same span (jaeger-compat §3.2, §11); link attributes are not searched.
  absl::Status GetTraces(std::string_view tenant, std::span<const model::TraceId> trace_ids,
                         const TraceSink& sink) override;
  absl::Status FindTraces(std::string_view tenant, const TraceQuery& query,
                          const TraceSink& sink) override;
  absl::StatusOr<std::vector<FoundTrace>> FindTraceIds(std::string_view tenant,
                                                       const TraceQuery& query) override;
  absl::StatusOr<std::vector<std::string>> GetServices(std::string_view tenant) override;
  absl::StatusOr<std::vector<Operation>> GetOperations(std::string_view tenant,
                                                       const OperationQuery& query) override;

  // DependencyReader: computed on the fly from the stored traces that have a span starting in the
  // window; parent→child edges between different services only (jaeger-compat §3.3, v1 memory).
  absl::StatusOr<std::vector<DependencyLink>> GetDependencies(std::string_view tenant,
                                                              uint64_t start_time,
                                                              uint64_t end_time) override;

  // Gauges and counters for metrics and tests, over all tenants.
  uint64_t trace_count() const;
  uint64_t span_count() const;
  // Bytes charged against MemoryOptions::max_bytes.
  uint64_t bytes_used() const;
  // Traces evicted by either bound since construction.
  uint64_t evicted_traces() const;

  // For stores that keep recent spans in a MemoryStorage (the embedded store's head).
  struct TraceMatch {
    model::TraceId trace_id;
    uint64_t newest_match = 0;  // start of the newest span matching the query
    uint64_t start_time = 0;    // earliest span start of the trace
    uint64_t end_time = 0;      // latest span end of the trace
  };
  // The traces of `tenant` with a span matching `query`, newest match first (trace ID breaks
  // ties), at most query.num_traces. InvalidArgument if num_traces <= 0.
  absl::StatusOr<std::vector<TraceMatch>> FindMatches(std::string_view tenant,
                                                      const TraceQuery& query) const;
  // Calls `fn(tenant, trace)` with a deep copy of every stored trace, tenant by tenant, in no
  // particular order, until `fn` returns false. Writes that race with the walk may or may not be
  // seen. Unavailable once closed.
  absl::Status ForEachTrace(
      const std::function<bool(std::string_view tenant, model::SpanSet trace)>& fn) const;
  // As ForEachTrace, without copying: `fn` gets pointers to the stored spans of each trace. They
  // stay valid while this store lives and receives no writes (so a store that no longer takes
  // writes, like the embedded store's frozen head, can hand its spans on without copies).
  absl::Status ForEachTraceView(
      const std::function<bool(std::string_view tenant, std::span<const model::Span* const> spans)>&
          fn) const;

  static constexpr size_t kMaxChunkSpans = 1000;

 private:
  struct TraceEntry;
  struct Tenant;
  struct Candidate;
  // One published run of a trace's spans, never mutated: `spans` points into memory that `owner`
  // keeps alive (a SpanSet holding this run alone, or a whole adopted batch shared by its traces).
  struct Segment {
    std::shared_ptr<const void> owner;
    std::span<const model::Span> spans;
    uint64_t bytes = 0;  // charged against max_bytes
  };
  // A batch's spans of one trace, ready to publish.
  struct Pending {
    model::TraceId id;
    Segment segment;
  };

  Tenant& GetOrCreateTenantLocked(std::string_view tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  const Tenant* FindTenantLocked(std::string_view tenant) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Checks the budget, then publishes `pending` (in order) and evicts back into the budget.
  absl::Status PublishBatch(std::string_view tenant, std::vector<Pending> pending,
                            uint64_t total_bytes);
  void PublishLocked(Tenant& tenant, const model::TraceId& id, Segment seg)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CompactTailLocked(TraceEntry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Where IndexSpanLocked left off within one segment: spans of one resource share a service.
  // `ops` stays valid while no service is added to the tenant's index, which only happens when
  // the resource changes (and the cursor with it).
  struct IndexCursor {
    const model::Resource* resource = nullptr;
    absl::flat_hash_map<std::string, uint8_t>* ops = nullptr;  // null: service not indexed
  };
  void IndexSpanLocked(Tenant& tenant, TraceEntry& entry, const model::Span& span,
                       IndexCursor& cursor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictLocked(TraceEntry* entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Snapshots the traces of `tenant` that may hold a span of `service` (any service when empty)
  // starting in [start_min, start_max].
  absl::StatusOr<std::vector<Candidate>> SnapshotCandidates(std::string_view tenant,
                                                            std::string_view service,
                                                            uint64_t start_min,
                                                            uint64_t start_max) const;
  // The matching traces of `query`, newest first, at most query.num_traces.
  absl::StatusOr<std::vector<Candidate>> Search(std::string_view tenant,
                                                const TraceQuery& query) const;

  const MemoryOptions options_;

  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, std::unique_ptr<Tenant>> tenants_ ABSL_GUARDED_BY(mu_);
  // Every stored trace of every tenant by first-seen sequence number: the byte budget's FIFO.
  absl::btree_map<uint64_t, TraceEntry*> global_order_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t spans_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t traces_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evicted_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t index_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

// Returns a MemoryStorage. `options` must pass Validate() (the server validates configuration at
// startup); invalid options abort.
std::unique_ptr<Storage> NewMemoryStorage(MemoryOptions options);

}  // namespace skua::storage::memory
