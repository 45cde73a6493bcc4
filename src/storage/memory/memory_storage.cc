#include "storage/memory/memory_storage.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "base/logging.h"
#include "model/convert/jaeger.h"
#include "storage/span_match.h"

namespace skua::storage::memory {
namespace {

// Estimated index memory charged per stored span (span-ID index entry) and per trace (entry,
// order-map nodes, service set), on top of the arenas' own accounting.
constexpr uint64_t kPerSpanOverhead = 48;
constexpr uint64_t kPerTraceOverhead = 512;
// Estimated per-entry overhead of the service/operation index, on top of the name's bytes.
constexpr uint64_t kIndexEntryOverhead = 64;
// Tail segments of a trace are merged while the older one is not larger than the newer one
// (a binary counter: O(log n) segments, each span copied O(log n) times) unless the merged segment
// would exceed this many spans; segments this large have negligible per-segment overhead.
constexpr size_t kCompactLimitSpans = 4096;

uint64_t SegmentBytes(const model::SpanSet& seg) {
  return seg.bytes_used() + seg.size() * kPerSpanOverhead;
}

// Debian's abseil has its own string_view type; heterogeneous hash lookups need it.
absl::string_view Key(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status ClosedError() { return absl::UnavailableError("memory storage is closed"); }

}  // namespace

absl::Status MemoryOptions::Validate() const {
  if (max_bytes == 0) return absl::InvalidArgumentError("memory.max_bytes must be > 0");
  if (max_services == 0) return absl::InvalidArgumentError("memory.max_services must be > 0");
  if (max_operations_per_service == 0) {
    return absl::InvalidArgumentError("memory.max_operations_per_service must be > 0");
  }
  if (max_index_bytes == 0) {
    return absl::InvalidArgumentError("memory.max_index_bytes must be > 0");
  }
  return absl::OkStatus();
}

// One stored trace. All fields are guarded by MemoryStorage::mu_.
struct MemoryStorage::TraceEntry {
  model::TraceId id;
  uint64_t seq = 0;  // first-seen order
  Tenant* tenant = nullptr;
  // Immutable once published; shared with readers that snapshot them.
  std::vector<Segment> segments;
  // Span ID → the stored spans with that ID (pointers into `segments`), for idempotent writes.
  absl::flat_hash_map<uint64_t, absl::InlinedVector<const model::Span*, 1>> by_span_id;
  uint64_t span_count = 0;
  uint64_t bytes = 0;  // charged against max_bytes
  uint64_t min_start = UINT64_MAX;
  uint64_t max_start = 0;
  // Non-empty service names of the trace's spans (keys of Tenant::traces_by_service).
  absl::flat_hash_set<std::string> services;
};

// All fields are guarded by MemoryStorage::mu_.
struct MemoryStorage::Tenant {
  absl::flat_hash_map<model::TraceId, std::unique_ptr<TraceEntry>, model::TraceIdHash> traces;
  // The tenant's traces by first-seen sequence number: the max_traces FIFO.
  absl::btree_map<uint64_t, TraceEntry*> order;
  // Candidate traces for a service-scoped search.
  absl::flat_hash_map<std::string, absl::flat_hash_set<TraceEntry*>> traces_by_service;
  // Service → operation name → bit set of span kinds (bit = SpanKind value). Outlives traces.
  absl::flat_hash_map<std::string, absl::flat_hash_map<std::string, uint8_t>> operations;
};

// A reader's snapshot of one trace.
struct MemoryStorage::Candidate {
  model::TraceId id;
  std::vector<Segment> segments;
  uint64_t newest_match = 0;  // set by Search
};

namespace {

// Streams the spans of `segments` in chunks of at most kMaxChunkSpans; false if the sink stopped.
template <typename Segments>
bool StreamTrace(const Segments& segments, const TraceSink& sink, size_t max_chunk) {
  model::SpanSet chunk;
  for (const auto& seg : segments) {
    for (const model::Span& span : seg.spans) {
      chunk.CopySpan(span);
      if (chunk.size() >= max_chunk) {
        if (!sink(std::move(chunk))) return false;
        chunk = model::SpanSet();
      }
    }
  }
  if (!chunk.empty() && !sink(std::move(chunk))) return false;
  return true;
}

}  // namespace

MemoryStorage::MemoryStorage(MemoryOptions options) : options_(std::move(options)) {}

MemoryStorage::~MemoryStorage() = default;

Capabilities MemoryStorage::capabilities() const {
  Capabilities caps;
  caps.search_without_service = true;
  caps.find_trace_ids = true;
  caps.dependencies = true;
  caps.operation_span_kinds = true;
  caps.durable = false;
  return caps;
}

absl::Status MemoryStorage::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  global_order_.clear();
  tenants_.clear();
  bytes_ = spans_ = traces_ = index_bytes_ = 0;
  return absl::OkStatus();
}

uint64_t MemoryStorage::trace_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return traces_;
}

uint64_t MemoryStorage::span_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return spans_;
}

uint64_t MemoryStorage::bytes_used() const {
  absl::ReaderMutexLock lock(&mu_);
  return bytes_;
}

uint64_t MemoryStorage::evicted_traces() const {
  absl::ReaderMutexLock lock(&mu_);
  return evicted_;
}

MemoryStorage::Tenant& MemoryStorage::GetOrCreateTenantLocked(std::string_view tenant) {
  auto it = tenants_.find(Key(tenant));
  if (it == tenants_.end()) {
    it = tenants_.emplace(std::string(tenant), std::make_unique<Tenant>()).first;
  }
  return *it->second;
}

const MemoryStorage::Tenant* MemoryStorage::FindTenantLocked(std::string_view tenant) const {
  auto it = tenants_.find(Key(tenant));
  return it == tenants_.end() ? nullptr : it->second.get();
}

absl::Status MemoryStorage::WriteSpans(std::string_view tenant, const model::SpanSet& batch) {
  // Group the batch by trace, in order of first appearance, and deep-copy each group into a new
  // segment before taking the lock. Identical spans within the batch are copied once.
  struct Group {
    model::TraceId id;
    std::vector<const model::Span*> spans;
  };
  std::vector<Group> groups;
  {
    absl::flat_hash_map<model::TraceId, size_t, model::TraceIdHash> group_of;
    for (const model::Span& span : batch.spans()) {
      auto [it, inserted] = group_of.try_emplace(span.trace_id, groups.size());
      if (inserted) groups.push_back(Group{span.trace_id, {}});
      groups[it->second].spans.push_back(&span);
    }
  }
  std::vector<Pending> pending;
  pending.reserve(groups.size());
  uint64_t total_bytes = 0;
  for (const Group& group : groups) {
    absl::flat_hash_map<uint64_t, absl::InlinedVector<const model::Span*, 1>> seen;
    std::vector<const model::Span*> unique;
    unique.reserve(group.spans.size());
    for (const model::Span* span : group.spans) {
      auto& same_id = seen[span->span_id.value];
      bool duplicate = std::any_of(same_id.begin(), same_id.end(), [&](const model::Span* other) {
        return SpanContentEquals(*span, *other);
      });
      if (duplicate) continue;
      same_id.push_back(span);
      unique.push_back(span);
    }
    // Size the first arena block for the group so that small groups stay small.
    size_t first_block = std::clamp<size_t>(unique.size() * 512, 512, Arena::kMaxBlockSize);
    auto seg = std::make_shared<model::SpanSet>(first_block);
    seg->spans().reserve(unique.size());
    for (const model::Span* span : unique) seg->CopySpan(*span);
    const uint64_t bytes = SegmentBytes(*seg);
    total_bytes += bytes + kPerTraceOverhead;
    std::span<const model::Span> spans = seg->spans();
    pending.push_back(Pending{group.id, Segment{std::move(seg), spans, bytes}});
  }
  return PublishBatch(tenant, std::move(pending), total_bytes);
}

absl::Status MemoryStorage::WriteOwnedSpans(std::string_view tenant, model::SpanSet&& batch) {
  // Group the batch by trace in order of first appearance and reorder its span list so each
  // trace's spans are one run (in batch order); each run becomes a segment sharing the batch's
  // arena. Nothing is deep-copied. Spans repeated within the batch are left out when published.
  const std::vector<model::Span>& spans = batch.spans();
  const size_t n = spans.size();
  std::vector<model::TraceId> ids;
  std::vector<uint32_t> count;  // per group
  std::vector<uint32_t> group_of(n);
  bool in_runs = true;  // every group already one run: no reordering needed
  {
    absl::flat_hash_map<model::TraceId, uint32_t, model::TraceIdHash> group_index;
    for (size_t i = 0; i < n; ++i) {
      auto [git, inserted] = group_index.try_emplace(spans[i].trace_id, ids.size());
      if (inserted) {
        ids.push_back(spans[i].trace_id);
        count.push_back(0);
      }
      const uint32_t g = git->second;
      if (i > 0 && g != group_of[i - 1] && count[g] > 0) in_runs = false;
      group_of[i] = g;
      ++count[g];
    }
  }
  std::vector<size_t> offset(ids.size());
  for (size_t g = 0, total = 0; g < ids.size(); ++g) {
    offset[g] = total;
    total += count[g];
  }
  if (!in_runs) {
    std::vector<model::Span> ordered(n);
    std::vector<size_t> next = offset;
    for (size_t i = 0; i < n; ++i) ordered[next[group_of[i]]++] = spans[i];
    batch.spans().swap(ordered);
  }
  // Each trace pays for the batch's memory in proportion to its spans.
  const uint64_t batch_bytes = batch.bytes_used();
  auto owner = std::make_shared<const model::SpanSet>(std::move(batch));
  std::vector<Pending> pending;
  pending.reserve(ids.size());
  uint64_t total_bytes = 0;
  for (size_t g = 0; g < ids.size(); ++g) {
    const uint64_t bytes =
        batch_bytes * count[g] / std::max<size_t>(n, 1) + uint64_t{count[g]} * kPerSpanOverhead;
    total_bytes += bytes + kPerTraceOverhead;
    std::span<const model::Span> run(owner->spans().data() + offset[g], count[g]);
    pending.push_back(Pending{ids[g], Segment{owner, run, bytes}});
  }
  return PublishBatch(tenant, std::move(pending), total_bytes);
}

absl::Status MemoryStorage::PublishBatch(std::string_view tenant, std::vector<Pending> pending,
                                         uint64_t total_bytes) {
  if (total_bytes > options_.max_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("batch needs about ", total_bytes,
                     " bytes, more than the memory store's whole budget (memory.max_bytes = ",
                     options_.max_bytes, ")"));
  }

  absl::MutexLock lock(&mu_);
  if (closed_) return ClosedError();
  if (pending.empty()) return absl::OkStatus();
  Tenant& t = GetOrCreateTenantLocked(tenant);
  for (Pending& p : pending) PublishLocked(t, p.id, std::move(p.segment));
  while (bytes_ > options_.max_bytes && !global_order_.empty()) {
    EvictLocked(global_order_.begin()->second);
  }
  return absl::OkStatus();
}

void MemoryStorage::PublishLocked(Tenant& t, const model::TraceId& id, Segment seg) {
  auto it = t.traces.find(id);
  if (it == t.traces.end()) {
    // A new trace: FIFO eviction by first-seen order (jaeger-compat §3.3).
    if (options_.max_traces > 0) {
      while (t.traces.size() >= options_.max_traces && !t.order.empty()) {
        EvictLocked(t.order.begin()->second);
      }
    }
    auto entry = std::make_unique<TraceEntry>();
    entry->id = id;
    entry->seq = next_seq_++;
    entry->tenant = &t;
    entry->bytes = kPerTraceOverhead;
    bytes_ += kPerTraceOverhead;
    ++traces_;
    t.order.emplace(entry->seq, entry.get());
    global_order_.emplace(entry->seq, entry.get());
    it = t.traces.emplace(id, std::move(entry)).first;
  }
  TraceEntry& entry = *it->second;

  // Index the spans in one pass, skipping each one identical to a span stored before or earlier
  // in this segment (idempotent retries; a replayed chunk can hold a batch and its retry).
  entry.by_span_id.reserve(entry.by_span_id.size() + seg.spans.size());
  std::vector<size_t> repeats;
  IndexCursor cursor;
  for (size_t i = 0; i < seg.spans.size(); ++i) {
    const model::Span& span = seg.spans[i];
    auto& same_id = entry.by_span_id[span.span_id.value];
    if (std::any_of(same_id.begin(), same_id.end(),
                    [&](const model::Span* other) { return SpanContentEquals(span, *other); })) {
      repeats.push_back(i);
      continue;
    }
    same_id.push_back(&span);
    entry.min_start = std::min(entry.min_start, span.start_time_unix_nano);
    entry.max_start = std::max(entry.max_start, span.start_time_unix_nano);
    IndexSpanLocked(t, entry, span, cursor);
  }
  if (repeats.size() == seg.spans.size()) return;  // nothing new (nothing was indexed)
  if (!repeats.empty()) {
    // A partial retry: rare, so copying the new spans under the lock is acceptable. The span-ID
    // index is repointed to the copies.
    auto filtered = std::make_shared<model::SpanSet>();
    filtered->spans().reserve(seg.spans.size() - repeats.size());  // so `copy` stays put
    size_t r = 0;
    for (size_t i = 0; i < seg.spans.size(); ++i) {
      if (r < repeats.size() && repeats[r] == i) {
        ++r;
        continue;
      }
      const model::Span& old_span = seg.spans[i];
      const model::Span& copy = filtered->CopySpan(old_span);
      for (const model::Span*& ptr : entry.by_span_id[old_span.span_id.value]) {
        if (ptr == &old_span) ptr = &copy;
      }
    }
    const uint64_t bytes = SegmentBytes(*filtered);
    std::span<const model::Span> spans = filtered->spans();
    seg = Segment{std::move(filtered), spans, bytes};
  }
  entry.span_count += seg.spans.size();
  spans_ += seg.spans.size();
  entry.bytes += seg.bytes;
  bytes_ += seg.bytes;
  entry.segments.push_back(std::move(seg));
  if (options_.compact_trace_segments) CompactTailLocked(entry);
}

void MemoryStorage::CompactTailLocked(TraceEntry& entry) {
  while (entry.segments.size() >= 2) {
    const Segment& older = entry.segments[entry.segments.size() - 2];
    const Segment& newer = entry.segments.back();
    const size_t count = older.spans.size() + newer.spans.size();
    if (older.spans.size() > newer.spans.size() || count > kCompactLimitSpans) break;
    auto merged = std::make_shared<model::SpanSet>(
        std::clamp<size_t>(older.bytes + newer.bytes, 512, Arena::kMaxBlockSize));
    merged->spans().reserve(count);
    merged->CopySpans(older.spans);
    merged->CopySpans(newer.spans);
    // Repoint the span-ID index from the old copies to the merged ones (same order).
    size_t i = 0;
    for (const Segment* part : {&older, &newer}) {
      for (const model::Span& old_span : part->spans) {
        for (const model::Span*& ptr : entry.by_span_id[old_span.span_id.value]) {
          if (ptr == &old_span) ptr = &merged->spans()[i];
        }
        ++i;
      }
    }
    const uint64_t old_bytes = older.bytes + newer.bytes;
    const uint64_t new_bytes = SegmentBytes(*merged);
    entry.bytes = entry.bytes - old_bytes + new_bytes;
    bytes_ = bytes_ - old_bytes + new_bytes;
    std::span<const model::Span> merged_spans = merged->spans();
    entry.segments.pop_back();
    entry.segments.back() = Segment{std::move(merged), merged_spans, new_bytes};
  }
}

void MemoryStorage::IndexSpanLocked(Tenant& t, TraceEntry& entry, const model::Span& span,
                                    IndexCursor& cursor) {
  std::string_view service = span.service_name();
  if (service.empty()) return;
  if (span.resource != cursor.resource) {
    // The service's entries, looked up once per run of spans from one resource.
    cursor.resource = span.resource;
    cursor.ops = nullptr;
    if (!entry.services.contains(Key(service))) {
      entry.services.emplace(service);
      t.traces_by_service[Key(service)].insert(&entry);
    }
    auto svc = t.operations.find(Key(service));
    if (svc == t.operations.end()) {
      uint64_t cost = service.size() + kIndexEntryOverhead;
      if (t.operations.size() >= options_.max_services ||
          index_bytes_ + cost > options_.max_index_bytes) {
        return;
      }
      index_bytes_ += cost;
      svc = t.operations.emplace(std::string(service), absl::flat_hash_map<std::string, uint8_t>())
                .first;
    }
    cursor.ops = &svc->second;
  }
  if (cursor.ops == nullptr) return;  // the service is past the index's caps
  auto& ops = *cursor.ops;
  auto op = ops.find(Key(span.name));
  if (op == ops.end()) {
    uint64_t cost = span.name.size() + kIndexEntryOverhead;
    if (ops.size() >= options_.max_operations_per_service ||
        index_bytes_ + cost > options_.max_index_bytes) {
      return;
    }
    index_bytes_ += cost;
    op = ops.emplace(std::string(span.name), 0).first;
  }
  op->second |= static_cast<uint8_t>(1u << static_cast<unsigned>(span.kind));
}

void MemoryStorage::EvictLocked(TraceEntry* entry) {
  Tenant& t = *entry->tenant;
  for (const std::string& service : entry->services) {
    auto it = t.traces_by_service.find(service);
    if (it == t.traces_by_service.end()) continue;
    it->second.erase(entry);
    if (it->second.empty()) t.traces_by_service.erase(it);
  }
  t.order.erase(entry->seq);
  global_order_.erase(entry->seq);
  bytes_ -= entry->bytes;
  spans_ -= entry->span_count;
  --traces_;
  ++evicted_;
  const model::TraceId id = entry->id;
  t.traces.erase(id);  // destroys *entry; readers keep their segment snapshots alive
}

absl::StatusOr<std::vector<MemoryStorage::Candidate>> MemoryStorage::SnapshotCandidates(
    std::string_view tenant, std::string_view service, uint64_t start_min,
    uint64_t start_max) const {
  std::vector<Candidate> out;
  absl::ReaderMutexLock lock(&mu_);
  if (closed_) return ClosedError();
  const Tenant* t = FindTenantLocked(tenant);
  if (t == nullptr) return out;
  auto consider = [&](const TraceEntry& e) {
    if (e.span_count == 0 || e.max_start < start_min || e.min_start > start_max) return;
    out.push_back(Candidate{e.id, e.segments, 0});
  };
  if (service.empty()) {
    out.reserve(t->traces.size());
    for (const auto& [id, entry] : t->traces) consider(*entry);
  } else {
    auto it = t->traces_by_service.find(Key(service));
    if (it == t->traces_by_service.end()) return out;
    out.reserve(it->second.size());
    for (const TraceEntry* entry : it->second) consider(*entry);
  }
  return out;
}

absl::StatusOr<std::vector<MemoryStorage::Candidate>> MemoryStorage::Search(
    std::string_view tenant, const TraceQuery& query) const {
  if (query.num_traces <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_traces must be > 0, got ", query.num_traces));
  }
  auto candidates =
      SnapshotCandidates(tenant, query.service_name, query.start_time_min, query.start_time_max);
  if (!candidates.ok()) return candidates.status();

  // Matching and ranking run outside the lock over the immutable snapshots.
  std::vector<Candidate> matches;
  for (Candidate& c : *candidates) {
    bool matched = false;
    for (const Segment& seg : c.segments) {
      for (const model::Span& span : seg.spans) {
        if (span.start_time_unix_nano >= c.newest_match && SpanMatches(span, query)) {
          c.newest_match = span.start_time_unix_nano;
          matched = true;
        }
      }
    }
    if (matched) matches.push_back(std::move(c));
  }
  // Newest first by newest matching span start; trace ID breaks ties so results are stable.
  auto newer = [](const Candidate& a, const Candidate& b) {
    if (a.newest_match != b.newest_match) return a.newest_match > b.newest_match;
    return a.id < b.id;
  };
  size_t keep = std::min(matches.size(), static_cast<size_t>(query.num_traces));
  std::partial_sort(matches.begin(), matches.begin() + keep, matches.end(), newer);
  matches.resize(keep);
  return matches;
}

absl::StatusOr<std::vector<MemoryStorage::TraceMatch>> MemoryStorage::FindMatches(
    std::string_view tenant, const TraceQuery& query) const {
  auto matches = Search(tenant, query);
  if (!matches.ok()) return matches.status();
  std::vector<TraceMatch> out;
  out.reserve(matches->size());
  for (const Candidate& c : *matches) {
    TraceMatch m;
    m.trace_id = c.id;
    m.newest_match = c.newest_match;
    m.start_time = UINT64_MAX;
    for (const Segment& seg : c.segments) {
      for (const model::Span& span : seg.spans) {
        m.start_time = std::min(m.start_time, span.start_time_unix_nano);
        m.end_time =
            std::max(m.end_time, std::max(span.end_time_unix_nano, span.start_time_unix_nano));
      }
    }
    out.push_back(m);
  }
  return out;
}

absl::Status MemoryStorage::ForEachTrace(
    const std::function<bool(std::string_view tenant, model::SpanSet trace)>& fn) const {
  // Snapshot (tenant, segments) pairs under the lock, copy and call outside it.
  std::vector<std::pair<std::string, std::vector<Segment>>> snapshot;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (closed_) return ClosedError();
    snapshot.reserve(traces_);
    for (const auto& [name, t] : tenants_) {
      for (const auto& [id, entry] : t->traces) {
        if (entry->span_count > 0) snapshot.emplace_back(name, entry->segments);
      }
    }
  }
  for (const auto& [tenant, segments] : snapshot) {
    size_t bytes = 0;
    for (const Segment& seg : segments) bytes += seg.bytes;
    model::SpanSet trace(std::clamp<size_t>(bytes, 512, Arena::kMaxBlockSize));
    for (const Segment& seg : segments) trace.CopySpans(seg.spans);
    if (!fn(tenant, std::move(trace))) break;
  }
  return absl::OkStatus();
}

absl::Status MemoryStorage::ForEachTraceView(
    const std::function<bool(std::string_view tenant, std::span<const model::Span* const> spans)>&
        fn) const {
  std::vector<std::pair<std::string, std::vector<Segment>>> snapshot;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (closed_) return ClosedError();
    snapshot.reserve(traces_);
    for (const auto& [name, t] : tenants_) {
      for (const auto& [id, entry] : t->traces) {
        if (entry->span_count > 0) snapshot.emplace_back(name, entry->segments);
      }
    }
  }
  std::vector<const model::Span*> spans;
  for (const auto& [tenant, segments] : snapshot) {
    spans.clear();
    for (const Segment& seg : segments) {
      for (const model::Span& span : seg.spans) spans.push_back(&span);
    }
    if (!fn(tenant, spans)) break;
  }
  return absl::OkStatus();
}

absl::Status MemoryStorage::GetTraces(std::string_view tenant,
                                      std::span<const model::TraceId> trace_ids,
                                      const TraceSink& sink) {
  std::vector<std::vector<Segment>> snapshots;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (closed_) return ClosedError();
    const Tenant* t = FindTenantLocked(tenant);
    if (t == nullptr) return absl::OkStatus();
    absl::flat_hash_set<model::TraceId, model::TraceIdHash> requested;
    for (const model::TraceId& id : trace_ids) {
      if (!requested.insert(id).second) continue;  // each trace once
      auto it = t->traces.find(id);
      if (it == t->traces.end() || it->second->span_count == 0) continue;
      snapshots.push_back(it->second->segments);
    }
  }
  for (const auto& segments : snapshots) {
    if (!StreamTrace(segments, sink, kMaxChunkSpans)) break;
  }
  return absl::OkStatus();
}

absl::Status MemoryStorage::FindTraces(std::string_view tenant, const TraceQuery& query,
                                       const TraceSink& sink) {
  auto matches = Search(tenant, query);
  if (!matches.ok()) return matches.status();
  for (const Candidate& c : *matches) {
    if (!StreamTrace(c.segments, sink, kMaxChunkSpans)) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<FoundTrace>> MemoryStorage::FindTraceIds(std::string_view tenant,
                                                                    const TraceQuery& query) {
  auto matches = FindMatches(tenant, query);
  if (!matches.ok()) return matches.status();
  std::vector<FoundTrace> out;
  out.reserve(matches->size());
  for (const TraceMatch& m : *matches) out.push_back(FoundTrace{m.trace_id, m.start_time, m.end_time});
  return out;
}

absl::StatusOr<std::vector<std::string>> MemoryStorage::GetServices(std::string_view tenant) {
  std::vector<std::string> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (closed_) return ClosedError();
    const Tenant* t = FindTenantLocked(tenant);
    if (t == nullptr) return out;
    out.reserve(t->operations.size());
    for (const auto& [service, ops] : t->operations) out.push_back(service);
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<std::vector<Operation>> MemoryStorage::GetOperations(std::string_view tenant,
                                                                    const OperationQuery& query) {
  std::vector<Operation> out;
  {
    absl::ReaderMutexLock lock(&mu_);
    if (closed_) return ClosedError();
    const Tenant* t = FindTenantLocked(tenant);
    if (t == nullptr) return out;
    auto svc = t->operations.find(query.service_name);
    if (svc == t->operations.end()) return out;
    for (const auto& [name, kinds] : svc->second) {
      AppendOperationKinds(name, kinds, query.span_kind, out);
    }
  }
  std::sort(out.begin(), out.end(), [](const Operation& a, const Operation& b) {
    return std::tie(a.name, a.span_kind) < std::tie(b.name, b.span_kind);
  });
  return out;
}

absl::StatusOr<std::vector<DependencyLink>> MemoryStorage::GetDependencies(std::string_view tenant,
                                                                           uint64_t start_time,
                                                                           uint64_t end_time) {
  auto candidates = SnapshotCandidates(tenant, "", start_time, end_time);
  if (!candidates.ok()) return candidates.status();
  absl::btree_map<std::pair<std::string, std::string>, uint64_t> counts;
  std::vector<model::Span> spans;
  for (const Candidate& c : *candidates) {
    bool in_window = false;
    spans.clear();
    for (const Segment& seg : c.segments) {
      for (const model::Span& span : seg.spans) {
        in_window = in_window || (span.start_time_unix_nano >= start_time &&
                                  span.start_time_unix_nano <= end_time);
        spans.push_back(span);  // a view; the snapshot keeps its memory alive
      }
    }
    if (!in_window) continue;
    model::jaeger::JaegerTrace trace = model::jaeger::ToJaegerTrace(spans);
    auto count_edge = [&](std::string_view parent, std::string_view child) {
      // v1 memory semantics: same-service edges are not dependencies (jaeger-compat §3.3).
      if (parent == child) return;
      ++counts[{std::string(parent), std::string(child)}];
    };
    model::jaeger::ForEachDependencyEdge(trace, count_edge);
  }
  std::vector<DependencyLink> out;
  out.reserve(counts.size());
  for (auto& [edge, count] : counts) {
    out.push_back(DependencyLink{edge.first, edge.second, count, "jaeger"});
  }
  return out;
}

std::unique_ptr<Storage> NewMemoryStorage(MemoryOptions options) {
  SKUA_CHECK(options.Validate().ok());
  return std::make_unique<MemoryStorage>(std::move(options));
}

}  // namespace skua::storage::memory
