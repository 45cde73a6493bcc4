#include "storage/embedded/embedded_storage.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "base/status.h"
#include "model/convert/otlp.h"
#include "storage/conformance/storage_conformance.h"
#include "storage/embedded/wal.h"
#include "storage/memory/memory_storage.h"
#include "tracegen/workload.h"

namespace skua::storage::embedded {
namespace {

namespace fs = std::filesystem;

// A fresh directory per call, removed by the caller (or left for inspection on failure).
std::string NewTempDir(std::string_view what) {
  static std::atomic<int> counter{0};
  const char* base = std::getenv("TMPDIR");
  std::string dir = absl::StrCat(base && *base ? base : "/tmp", "/skua-embedded-test-", getpid(),
                                 "-", counter.fetch_add(1), "-", std::string(what));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

EmbeddedOptions OptionsFor(const std::string& dir) {
  EmbeddedOptions o;
  o.directory = dir;
  o.maintenance_interval = absl::Hours(1);  // tests run maintenance themselves
  return o;
}

std::unique_ptr<EmbeddedStorage> MustOpen(const EmbeddedOptions& o) {
  auto s = EmbeddedStorage::Open(o);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

// ---- The conformance suite, twice: spans in the head, and every write flushed to a block. ----

// Flushes after every write, so every read is served from blocks (and traces written in several
// batches are spread over several blocks).
class FlushEveryWrite final : public Storage, public SpanWriter {
 public:
  explicit FlushEveryWrite(std::unique_ptr<EmbeddedStorage> inner) : inner_(std::move(inner)) {}
  Capabilities capabilities() const override { return inner_->capabilities(); }
  SpanWriter& writer() override { return *this; }
  TraceReader& reader() override { return inner_->reader(); }
  DependencyReader* dependency_reader() override { return inner_->dependency_reader(); }
  absl::Status Close() override { return inner_->Close(); }
  absl::Status WriteSpans(std::string_view tenant, const model::SpanSet& batch) override {
    absl::Status s = inner_->writer().WriteSpans(tenant, batch);
    if (!s.ok()) return s;
    return inner_->FlushForTest();
  }

 private:
  std::unique_ptr<EmbeddedStorage> inner_;
};

std::string g_conformance_dir;

std::unique_ptr<Storage> MakeHeadOnly() {
  g_conformance_dir = NewTempDir("conformance-head");
  return MustOpen(OptionsFor(g_conformance_dir));
}

std::unique_ptr<Storage> MakeFlushing() {
  g_conformance_dir = NewTempDir("conformance-blocks");
  return std::make_unique<FlushEveryWrite>(MustOpen(OptionsFor(g_conformance_dir)));
}

void RemoveConformanceDir() { fs::remove_all(g_conformance_dir); }

using conformance::StorageConformance;
INSTANTIATE_TEST_SUITE_P(
    Embedded, StorageConformance,
    testing::Values(conformance::Backend{"embedded_head", &MakeHeadOnly, &RemoveConformanceDir},
                    conformance::Backend{"embedded_blocks", &MakeFlushing, &RemoveConformanceDir}),
    conformance::BackendName);

// ---- W1 data and comparisons against the memory store (the reference semantics). ----

constexpr uint64_t kW1Start = 1'760'000'000'000'000'000ull;

std::vector<model::SpanSet> W1Batches(size_t spans, uint64_t seed = 7) {
  tracegen::W1Options o;
  o.seed = seed;
  o.repeat_ids = true;
  o.start_time_unix_nano = kW1Start;
  tracegen::W1Generator gen(o);
  std::vector<model::SpanSet> out;
  size_t n = 0;
  while (n < spans) {
    out.push_back(gen.NextRequest());
    n += out.back().size();
  }
  return out;
}

// Spans of a trace as a canonical, comparable list (span ID + re-encoded content).
std::multiset<std::string> Canonical(const model::SpanSet& trace) {
  std::multiset<std::string> out;
  for (const model::Span& s : trace.spans()) {
    out.insert(model::convert::EncodeOtlpProto(std::span<const model::Span>(&s, 1)));
  }
  return out;
}

std::map<std::string, std::multiset<std::string>> ReadAll(TraceReader& reader,
                                                          std::span<const model::TraceId> ids,
                                                          std::string_view tenant = "") {
  std::map<std::string, model::SpanSet> traces;
  absl::Status s = reader.GetTraces(tenant, ids, [&](model::SpanSet chunk) {
    auto& t = traces[chunk.spans().front().trace_id.ToHex()];
    t.CopySpans(chunk.spans());
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  std::map<std::string, std::multiset<std::string>> out;
  for (auto& [id, t] : traces) out[id] = Canonical(t);
  return out;
}

std::vector<std::string> FoundIds(TraceReader& reader, const TraceQuery& q) {
  auto found = reader.FindTraceIds("", q);
  EXPECT_TRUE(found.ok()) << found.status();
  std::vector<std::string> out;
  if (found.ok()) {
    for (const FoundTrace& f : *found) out.push_back(f.trace_id.ToHex());
  }
  return out;
}

// Queries drawn from the data: services, operations, tags of every kind, windows, durations.
std::vector<TraceQuery> QueriesFor(const std::vector<model::SpanSet>& batches, size_t count) {
  std::mt19937_64 rng(42);
  std::vector<const model::Span*> spans;
  for (const auto& b : batches) {
    for (const auto& s : b.spans()) spans.push_back(&s);
  }
  std::vector<TraceQuery> out;
  for (size_t i = 0; i < count; ++i) {
    const model::Span& s = *spans[rng() % spans.size()];
    TraceQuery q;
    q.num_traces = 1 + static_cast<int32_t>(rng() % 40);
    switch (i % 7) {
      case 0:
        q.service_name = std::string(s.service_name());
        break;
      case 1:
        q.service_name = std::string(s.service_name());
        q.operation_name = std::string(s.name);
        break;
      case 2:
        q.service_name = std::string(s.service_name());
        if (!s.attributes.empty()) {
          const auto& kv = s.attributes[rng() % s.attributes.size()];
          q.tags.emplace_back(std::string(kv.key), model::ValueToString(kv.value));
        }
        break;
      case 3:
        q.service_name = std::string(s.service_name());
        q.tags.emplace_back("span.kind", std::string(model::SpanKindName(s.kind)));
        q.duration_min = s.duration_nanos() / 2;
        break;
      case 4:
        q.service_name = std::string(s.service_name());
        q.start_time_min = s.start_time_unix_nano - 50'000'000;
        q.start_time_max = s.start_time_unix_nano + 50'000'000;
        break;
      case 5:
        q.service_name = std::string(s.service_name());
        q.tags.emplace_back("error", "true");
        break;
      case 6:
        // No service (the store declares search_without_service), a resource attribute.
        if (s.resource && !s.resource->attributes.empty()) {
          const auto& kv = s.resource->attributes[rng() % s.resource->attributes.size()];
          q.tags.emplace_back(std::string(kv.key), model::ValueToString(kv.value));
        }
        q.duration_max = s.duration_nanos() * 2 + 1;
        break;
    }
    out.push_back(q);
  }
  TraceQuery none;
  none.service_name = std::string(spans[0]->service_name());
  none.tags.emplace_back("http.status_code", "does-not-exist");
  out.push_back(none);
  return out;
}

class EmbeddedW1Test : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = NewTempDir("w1");
    batches_ = W1Batches(6000);
    for (const auto& b : batches_) {
      ASSERT_TRUE(reference_.WriteSpans("", b).ok());
      for (const auto& s : b.spans()) ids_.insert(s.trace_id);
    }
    queries_ = QueriesFor(batches_, 140);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // Every read of `store` equals the memory store's.
  void ExpectSameAsReference(Storage& store, std::string_view stage) {
    SCOPED_TRACE(stage);
    std::vector<model::TraceId> ids(ids_.begin(), ids_.end());
    EXPECT_EQ(ReadAll(store.reader(), ids), ReadAll(reference_, ids));
    for (size_t i = 0; i < queries_.size(); ++i) {
      EXPECT_EQ(FoundIds(store.reader(), queries_[i]), FoundIds(reference_, queries_[i]))
          << "query " << i << " service=" << queries_[i].service_name
          << " op=" << queries_[i].operation_name << " tags=" << queries_[i].tags.size();
    }
    auto services = store.reader().GetServices("");
    ASSERT_TRUE(services.ok());
    EXPECT_EQ(*services, *reference_.GetServices(""));
    for (const std::string& svc : *services) {
      auto ops = store.reader().GetOperations("", OperationQuery{svc, std::nullopt});
      ASSERT_TRUE(ops.ok());
      EXPECT_EQ(*ops, *reference_.GetOperations("", OperationQuery{svc, std::nullopt})) << svc;
    }
  }

  std::string dir_;
  std::vector<model::SpanSet> batches_;
  std::set<model::TraceId> ids_;
  std::vector<TraceQuery> queries_;
  memory::MemoryStorage reference_{memory::MemoryOptions{}};
};

TEST_F(EmbeddedW1Test, HeadBlocksAndReopenAnswerLikeTheMemoryStore) {
  auto store = MustOpen(OptionsFor(dir_));
  ASSERT_NE(store, nullptr);
  // Half of the data reaches blocks, the other half stays in the head: traces straddle both.
  for (size_t i = 0; i < batches_.size(); ++i) {
    ASSERT_TRUE(store->writer().WriteSpans("", batches_[i]).ok());
    if (i == batches_.size() / 2 || i == batches_.size() / 4) {
      ASSERT_TRUE(store->FlushForTest().ok());
    }
  }
  EXPECT_GE(store->block_count(), 2u);
  EXPECT_GT(store->head_span_count(), 0u);
  ExpectSameAsReference(*store, "head + blocks");

  ASSERT_TRUE(store->FlushForTest().ok());
  EXPECT_EQ(store->head_span_count(), 0u);
  ExpectSameAsReference(*store, "blocks only");

  // Writing the same batches again (a client retrying) changes nothing.
  for (size_t i = 0; i < batches_.size(); i += 3) {
    ASSERT_TRUE(store->writer().WriteSpans("", batches_[i]).ok());
  }
  ExpectSameAsReference(*store, "after retries");

  ASSERT_TRUE(store->Close().ok());
  store.reset();
  auto reopened = MustOpen(OptionsFor(dir_));
  ASSERT_NE(reopened, nullptr);
  ExpectSameAsReference(*reopened, "reopened");
  auto deps = reopened->dependency_reader()->GetDependencies("", 0, UINT64_MAX);
  ASSERT_TRUE(deps.ok());
  auto ref_deps = reference_.GetDependencies("", 0, UINT64_MAX);
  // Edges whose parent and child spans were flushed into different blocks are not seen by the
  // per-block computation (docs/storage/embedded.md, "Dependencies"), so the store may count
  // fewer calls — never more, and never an edge the reference does not have.
  std::map<std::pair<std::string, std::string>, uint64_t> ref;
  for (const auto& l : *ref_deps) ref[{l.parent, l.child}] = l.call_count;
  ASSERT_FALSE(deps->empty());
  for (const auto& l : *deps) {
    ASSERT_TRUE(ref.contains({l.parent, l.child})) << l.parent << "->" << l.child;
    EXPECT_LE(l.call_count, (ref[{l.parent, l.child}]));
  }
}

TEST_F(EmbeddedW1Test, LogReplayRestoresUnflushedSpans) {
  {
    EmbeddedOptions o = OptionsFor(dir_);
    auto store = MustOpen(o);
    ASSERT_NE(store, nullptr);
    for (const auto& b : batches_) ASSERT_TRUE(store->writer().WriteSpans("", b).ok());
    // Simulate a crash: copy the directory as it is now (log synced, nothing flushed), while
    // the store is still open.
    fs::copy(dir_, dir_ + "-crash", fs::copy_options::recursive);
    ASSERT_TRUE(store->Close().ok());
  }
  fs::remove(dir_ + "-crash/LOCK");
  auto store = MustOpen(OptionsFor(dir_ + "-crash"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->block_count(), 0u);
  EXPECT_GT(store->head_span_count(), 0u);
  ExpectSameAsReference(*store, "replayed");
  ASSERT_TRUE(store->Close().ok());
  fs::remove_all(dir_ + "-crash");
}

// A log record as docs/storage/embedded.md ("Log records") lays it out, written here from the
// document rather than with the store's encoder: u8 version 1 | u32 tenant length | tenant |
// u32 batch count | { u32 length | OTLP protobuf }*, integers little-endian.
std::string LogRecord(std::string_view tenant, const std::vector<std::string>& batches,
                      uint8_t version = 1, int32_t count_delta = 0) {
  auto u32 = [](std::string& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  };
  std::string out(1, static_cast<char>(version));
  u32(out, static_cast<uint32_t>(tenant.size()));
  out.append(tenant);
  u32(out, static_cast<uint32_t>(static_cast<int32_t>(batches.size()) + count_delta));
  for (const std::string& b : batches) {
    u32(out, static_cast<uint32_t>(b.size()));
    out.append(b);
  }
  return out;
}

// Replay works on chunks of many records decoded together by several threads: a log of several
// chunks, with runs of two tenants, damaged records and repeated (retried) records among good
// ones, must come back exactly as a record-at-a-time replay would bring it: every good record in
// its tenant, each span once, every damaged record skipped whole (even its batches that do
// decode) and counted.
TEST(EmbeddedReplayTest, ManyRecordsOfTwoTenantsWithDamagedOnesReplayLikeOneAtATime) {
  const std::string dir = NewTempDir("replay");
  const std::vector<model::SpanSet> batches = W1Batches(40000, 5);  // ~14 MiB: several chunks
  const std::vector<model::SpanSet> lost = W1Batches(600, 99);      // only in damaged records
  const std::string kTenants[] = {"", "tenant-b"};
  memory::MemoryOptions mo;
  mo.max_traces = 0;
  mo.max_bytes = uint64_t{8} << 30;
  memory::MemoryStorage reference(mo);
  std::set<model::TraceId> ids[2];
  std::set<model::TraceId> lost_ids;
  for (const auto& b : lost) {
    for (const auto& s : b.spans()) lost_ids.insert(s.trace_id);
  }
  const std::string lost_batch = model::convert::EncodeOtlpProto(lost[0].spans());
  // Whole protobuf fields, but field 1 (ResourceSpans) holds a truncated varint: only the decoder
  // notices, after the chunk it is in was handed to a worker.
  const std::string bad_content("\x0a\x03\xff\xff\xff", 5);
  // A length past the end: the scan of the record's framing notices.
  const std::string bad_framing("\x0a\x7f\x01", 3);
  int damaged = 0;
  {
    WalOptions wo;
    wo.directory = dir + "/wal";
    wo.sync_before_ack = false;
    auto wal = WriteAheadLog::Open(wo, 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    for (size_t i = 0, rec = 0; i < batches.size(); i += 3, ++rec) {
      const int tenant = (rec / 10) % 2;  // runs of 10 records per tenant
      std::vector<std::string> encoded;
      for (size_t j = i; j < std::min(i + 3, batches.size()); ++j) {
        encoded.push_back(model::convert::EncodeOtlpProto(batches[j].spans()));
        ASSERT_TRUE(reference.WriteSpans(kTenants[tenant], batches[j]).ok());
        for (const auto& s : batches[j].spans()) ids[tenant].insert(s.trace_id);
      }
      ASSERT_TRUE((*wal)->Append(LogRecord(kTenants[tenant], encoded)).ok());
      // A client retrying the same export: the copy lands in the same chunk, where the head must
      // keep each span once (the reference saw it once).
      if (rec % 5 == 2) ASSERT_TRUE((*wal)->Append(LogRecord(kTenants[tenant], encoded)).ok());
      if (rec % 7 == 3) {
        // Intact log records (checksums match) whose contents are damaged, each kind in turn.
        std::string record;
        switch (damaged % 5) {
          case 0: record = LogRecord(kTenants[tenant], {lost_batch, bad_content}); break;
          case 1: record = LogRecord(kTenants[tenant], {bad_framing, lost_batch}); break;
          case 2: record = LogRecord(kTenants[tenant], {lost_batch}, /*version=*/9); break;
          case 3: record = LogRecord(kTenants[tenant], {lost_batch}, 1, /*count_delta=*/5); break;
          case 4: record = LogRecord(kTenants[tenant], {lost_batch}).substr(0, 20); break;
        }
        ASSERT_TRUE((*wal)->Append(record).ok());
        ++damaged;
      }
    }
    ASSERT_TRUE((*wal)->Close().ok());
  }
  ASSERT_GE(damaged, 10);

  Metrics metrics;
  EmbeddedOptions o = OptionsFor(dir);
  o.metrics = &metrics;
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(metrics.CounterValue("skua_embedded_skipped_log_records_total"),
            static_cast<uint64_t>(damaged));
  EXPECT_EQ(store->head_span_count(), reference.span_count());
  EXPECT_EQ(metrics.GetGauge("skua_embedded_replayed_spans", "").value(),
            static_cast<double>(reference.span_count()));
  for (int tenant = 0; tenant < 2; ++tenant) {
    SCOPED_TRACE(kTenants[tenant]);
    std::vector<model::TraceId> list(ids[tenant].begin(), ids[tenant].end());
    EXPECT_EQ(ReadAll(store->reader(), list, kTenants[tenant]),
              ReadAll(reference, list, kTenants[tenant]));
    std::vector<model::TraceId> gone(lost_ids.begin(), lost_ids.end());
    EXPECT_TRUE(ReadAll(store->reader(), gone, kTenants[tenant]).empty());
    auto services = store->reader().GetServices(kTenants[tenant]);
    ASSERT_TRUE(services.ok());
    EXPECT_EQ(*services, *reference.GetServices(kTenants[tenant]));
  }
  ASSERT_TRUE(store->Close().ok());
  fs::remove_all(dir);
}

// ---- Crash safety: kill -9 a writer process at different moments. ----

// The child writes W1 batches (flushing now and then) and reports each acknowledged batch index
// on a pipe; the parent kills it with SIGKILL after `kill_after` acknowledgements and checks that
// every acknowledged span is there after reopening.
void RunKilledWriter(const std::string& dir, int kill_after, const std::vector<model::SpanSet>& batches) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    EmbeddedOptions o = OptionsFor(dir);
    o.head_max_bytes = 2 << 20;  // the flusher thread runs during the writes too
    auto s = EmbeddedStorage::Open(o);
    if (!s.ok()) _exit(3);
    for (size_t i = 0;; i = (i + 1) % batches.size()) {
      // Unavailable (a flush is behind) is retryable: retry as a client would.
      absl::Status w;
      while ((w = (*s)->writer().WriteSpans("", batches[i])).code() ==
             absl::StatusCode::kUnavailable) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (!w.ok()) _exit(4);
      uint32_t idx = static_cast<uint32_t>(i);
      if (write(fds[1], &idx, sizeof(idx)) != sizeof(idx)) _exit(5);
    }
  }
  close(fds[1]);
  std::set<uint32_t> acked;
  int received = 0;
  uint32_t idx;
  while (received < kill_after && read(fds[0], &idx, sizeof(idx)) == sizeof(idx)) {
    acked.insert(idx);
    ++received;
  }
  kill(pid, SIGKILL);
  // Acknowledgements already in the pipe when the child died count too.
  while (read(fds[0], &idx, sizeof(idx)) == sizeof(idx)) acked.insert(idx);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited on its own with code "
                                   << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  ASSERT_EQ(received, kill_after);

  auto store = MustOpen(OptionsFor(dir));
  ASSERT_NE(store, nullptr);
  size_t missing = 0;
  for (uint32_t i : acked) {
    std::set<model::TraceId> ids;
    for (const auto& s : batches[i].spans()) ids.insert(s.trace_id);
    std::vector<model::TraceId> id_list(ids.begin(), ids.end());
    std::set<std::pair<model::TraceId, uint64_t>> stored;
    ASSERT_TRUE(store->reader()
                    .GetTraces("", id_list,
                               [&](model::SpanSet chunk) {
                                 for (const auto& s : chunk.spans()) {
                                   stored.insert({s.trace_id, s.span_id.value});
                                 }
                                 return true;
                               })
                    .ok());
    for (const auto& s : batches[i].spans()) {
      if (!stored.contains({s.trace_id, s.span_id.value})) ++missing;
    }
  }
  EXPECT_EQ(missing, 0u) << "acknowledged spans lost after kill -9 at ack " << kill_after;
  ASSERT_TRUE(store->Close().ok());
}

TEST(EmbeddedCrashTest, EveryAcknowledgedSpanSurvivesKill9) {
  std::vector<model::SpanSet> batches = W1Batches(30000, 11);
  std::string dir = NewTempDir("crash");
  // Different moments, on the same directory: each restart also replays what earlier kills left.
  for (int kill_after : {1, 17, 60, 150, 333}) {
    RunKilledWriter(dir, kill_after, batches);
    if (testing::Test::HasFailure()) return;
  }
  fs::remove_all(dir);
}

// ---- Retention, quota, damage, lock. ----

TEST(EmbeddedStorageTest, RetentionDropsWholeOldBlocks) {
  std::string dir = NewTempDir("retention");
  std::atomic<uint64_t> now{kW1Start};
  EmbeddedOptions o = OptionsFor(dir);
  o.retention = absl::Hours(1);
  o.now_unix_nanos = [&] { return now.load(); };
  Metrics metrics;
  o.metrics = &metrics;
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  auto old_batches = W1Batches(1000, 1);
  for (const auto& b : old_batches) ASSERT_TRUE(store->writer().WriteSpans("", b).ok());
  ASSERT_TRUE(store->FlushForTest().ok());
  // Newer data: W1 again, shifted two hours later.
  tracegen::W1Options wo;
  wo.seed = 2;
  wo.repeat_ids = true;
  wo.start_time_unix_nano = kW1Start + 2 * 3600 * 1'000'000'000ull;
  tracegen::W1Generator gen(wo);
  std::vector<model::SpanSet> new_batches;
  for (int i = 0; i < 10; ++i) new_batches.push_back(gen.NextRequest());
  for (const auto& b : new_batches) ASSERT_TRUE(store->writer().WriteSpans("", b).ok());
  ASSERT_TRUE(store->FlushForTest().ok());
  ASSERT_EQ(store->block_count(), 2u);

  now = kW1Start + 2 * 3600 * 1'000'000'000ull + 1;  // the first block is now > 1 h old
  ASSERT_TRUE(store->RunMaintenanceForTest().ok());
  EXPECT_EQ(store->block_count(), 1u);
  EXPECT_EQ(metrics.CounterValue("skua_embedded_retention_deleted_blocks_total"), 1u);
  model::TraceId old_id = old_batches[0].spans()[0].trace_id;
  model::TraceId new_id = new_batches[0].spans()[0].trace_id;
  EXPECT_TRUE(ReadAll(store->reader(), std::vector<model::TraceId>{old_id}).empty());
  EXPECT_EQ(ReadAll(store->reader(), std::vector<model::TraceId>{new_id}).size(), 1u);
  ASSERT_TRUE(store->Close().ok());
  // The deletion is durable.
  auto reopened = MustOpen(OptionsFor(dir));
  EXPECT_EQ(reopened->block_count(), 1u);
  ASSERT_TRUE(reopened->Close().ok());
  fs::remove_all(dir);
}

TEST(EmbeddedStorageTest, DiskQuotaDeletesOldestBlocksFirst) {
  std::string dir = NewTempDir("quota");
  EmbeddedOptions o = OptionsFor(dir);
  // Retention must not interfere: "now" is just after the data.
  o.now_unix_nanos = [] { return kW1Start + 5 * 3600 * 1'000'000'000ull; };
  Metrics metrics;
  o.metrics = &metrics;
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  std::vector<model::TraceId> firsts;
  for (int round = 0; round < 4; ++round) {
    // Later rounds are later in time.
    tracegen::W1Options wo;
    wo.seed = 100 + round;
    wo.repeat_ids = true;
    wo.start_time_unix_nano = kW1Start + round * 3600 * 1'000'000'000ull;
    tracegen::W1Generator gen(wo);
    for (int i = 0; i < 20; ++i) {
      auto b = gen.NextRequest();
      if (i == 0) firsts.push_back(b.spans()[0].trace_id);
      ASSERT_TRUE(store->writer().WriteSpans("", b).ok());
    }
    ASSERT_TRUE(store->FlushForTest().ok());
  }
  ASSERT_EQ(store->block_count(), 4u);
  ASSERT_TRUE(store->Close().ok());
  store.reset();
  // What the directory holds after a clean restart (blocks only: a clean close leaves no log).
  store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  uint64_t all = store->disk_bytes();
  ASSERT_TRUE(store->Close().ok());
  store.reset();

  // A quota a bit under the total: the oldest block must go, the newest must stay.
  o.max_disk_bytes = all - 1;
  store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->RunMaintenanceForTest().ok());
  EXPECT_LE(store->disk_bytes(), o.max_disk_bytes);
  EXPECT_LT(store->block_count(), 4u);
  EXPECT_GE(metrics.CounterValue("skua_embedded_quota_deleted_blocks_total"), 1u);
  EXPECT_TRUE(ReadAll(store->reader(), std::vector<model::TraceId>{firsts[0]}).empty());
  EXPECT_EQ(ReadAll(store->reader(), std::vector<model::TraceId>{firsts[3]}).size(), 1u);
  ASSERT_TRUE(store->Close().ok());
  fs::remove_all(dir);
}

TEST(EmbeddedStorageTest, DamagedBlockIsSkippedAndTheRestServed) {
  std::string dir = NewTempDir("damage");
  std::vector<model::TraceId> round_ids[2];
  {
    auto store = MustOpen(OptionsFor(dir));
    ASSERT_NE(store, nullptr);
    for (int round = 0; round < 2; ++round) {
      std::set<model::TraceId> ids;
      for (const auto& b : W1Batches(1500, 200 + round)) {
        ASSERT_TRUE(store->writer().WriteSpans("", b).ok());
        for (const auto& s : b.spans()) ids.insert(s.trace_id);
      }
      round_ids[round].assign(ids.begin(), ids.end());
      ASSERT_TRUE(store->FlushForTest().ok());
    }
    ASSERT_TRUE(store->Close().ok());
  }
  // Damage the first block file (round 0) in several places.
  std::string victim = dir + "/blocks/1.blk";
  ASSERT_TRUE(fs::exists(victim));
  {
    std::fstream f(victim, std::ios::in | std::ios::out | std::ios::binary);
    auto size = fs::file_size(victim);
    for (uint64_t at : {size / 5, size / 2, size * 4 / 5}) {
      for (uint64_t off = at; off < at + 32 && off < size; ++off) {
        f.seekp(static_cast<std::streamoff>(off));
        f.put('\x5a');
      }
    }
  }
  Metrics metrics;
  EmbeddedOptions o = OptionsFor(dir);
  o.metrics = &metrics;
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  // Either the open notices (the block is skipped) or the reads do (its damaged sections are
  // skipped); in both cases it is counted and the other block is served whole.
  EXPECT_EQ(ReadAll(store->reader(), round_ids[1]).size(), round_ids[1].size());
  EXPECT_LT(ReadAll(store->reader(), round_ids[0]).size(), round_ids[0].size());
  EXPECT_GT(metrics.CounterValue("skua_embedded_damaged_blocks_total") +
                metrics.CounterValue("skua_embedded_read_errors_total"),
            0u);
  auto services = store->reader().GetServices("");
  EXPECT_TRUE(services.ok());
  ASSERT_TRUE(store->Close().ok());
  fs::remove_all(dir);
}

// A clean shutdown writes the head to blocks and leaves no log behind; sequence numbers and data
// carry on across the restarts.
TEST(EmbeddedStorageTest, CleanCloseLeavesNoLogAndRestartsCarryOn) {
  std::string dir = NewTempDir("clean-close");
  auto batches = W1Batches(3000, 600);
  std::vector<model::TraceId> ids;
  for (const auto& b : batches) ids.push_back(b.spans()[0].trace_id);
  for (size_t round = 0; round < 3; ++round) {
    auto store = MustOpen(OptionsFor(dir));
    ASSERT_NE(store, nullptr);
    for (size_t i = round; i < batches.size(); i += 3) {
      ASSERT_TRUE(store->writer().WriteSpans("", batches[i]).ok());
    }
    ASSERT_TRUE(store->Close().ok());
    size_t segments = 0;
    for (const auto& entry : fs::directory_iterator(dir + "/wal")) {
      (void)entry;
      ++segments;
    }
    EXPECT_EQ(segments, 0u) << "round " << round;
  }
  auto store = MustOpen(OptionsFor(dir));
  ASSERT_NE(store, nullptr);
  std::set<model::TraceId> unique(ids.begin(), ids.end());
  std::vector<model::TraceId> want(unique.begin(), unique.end());
  EXPECT_EQ(ReadAll(store->reader(), want).size(), want.size());
  ASSERT_TRUE(store->Close().ok());
  fs::remove_all(dir);
}

TEST(EmbeddedStorageTest, SecondOpenOfTheSameDirectoryIsRefused) {
  std::string dir = NewTempDir("lock");
  auto first = MustOpen(OptionsFor(dir));
  ASSERT_NE(first, nullptr);
  auto second = EmbeddedStorage::Open(OptionsFor(dir));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(second.status().message()).find("in use"), std::string::npos);
  ASSERT_TRUE(first->Close().ok());
  first.reset();
  auto third = EmbeddedStorage::Open(OptionsFor(dir));
  EXPECT_TRUE(third.ok()) << third.status();
  fs::remove_all(dir);
}

TEST(EmbeddedStorageTest, OptionsAreValidated) {
  EmbeddedOptions o;
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);  // no directory
  o.directory = "/tmp/x";
  EXPECT_TRUE(o.Validate().ok());
  o.retention = absl::ZeroDuration();
  EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument);
  o.retention = absl::Hours(1);
  EXPECT_EQ(EmbeddedOptions().group_commit_window, absl::Milliseconds(4));  // documented default
  for (absl::Duration ok : {absl::ZeroDuration(), absl::Microseconds(250), absl::Seconds(1)}) {
    o.group_commit_window = ok;
    EXPECT_TRUE(o.Validate().ok()) << ok;
  }
  for (absl::Duration bad : {absl::Microseconds(-1), absl::Seconds(1) + absl::Microseconds(1)}) {
    o.group_commit_window = bad;
    EXPECT_EQ(o.Validate().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

// Readers racing with writers, flushes and retention always see whole traces: every trace is
// written in one batch, so a read returns all of its spans or none.
TEST(EmbeddedStorageTest, ConcurrentReadersSeeWholeTraces) {
  std::string dir = NewTempDir("concurrency");
  std::atomic<uint64_t> now{kW1Start};
  EmbeddedOptions o = OptionsFor(dir);
  o.head_max_bytes = 1 << 20;
  o.retention = absl::Hours(1);
  o.now_unix_nanos = [&] { return now.load(); };
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);

  // Whole traces per batch: regroup W1 spans by trace.
  std::map<model::TraceId, model::SpanSet> traces;
  for (const auto& b : W1Batches(8000, 300)) {
    for (const auto& s : b.spans()) traces[s.trace_id].CopySpan(s);
  }
  std::vector<std::pair<model::TraceId, size_t>> expected;
  for (const auto& [id, t] : traces) expected.emplace_back(id, t.size());

  std::atomic<bool> done{false};
  std::atomic<size_t> written{0};
  std::atomic<int> torn{0};
  std::thread writer([&] {
    size_t i = 0;
    for (auto& [id, t] : traces) {
      absl::Status s;
      // Unavailable (the head is full while a flush runs) is retryable, as for any client.
      while ((s = store->writer().WriteSpans("", t)).code() == absl::StatusCode::kUnavailable) {
        std::this_thread::yield();
      }
      if (!s.ok()) {
        ADD_FAILURE() << s;
        break;
      }
      written.store(++i);
    }
    done = true;
  });
  std::thread flusher([&] {
    while (!done) {
      IgnoreError(store->FlushForTest(), "racing flushes; errors are checked elsewhere");
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937 rng(r);
      while (!done) {
        size_t n = written.load();
        if (n == 0) continue;
        const auto& [id, count] = expected[rng() % n];
        size_t got = 0;
        const model::TraceId ids[] = {id};
        absl::Status s = store->reader().GetTraces("", ids, [&](model::SpanSet chunk) {
          got += chunk.size();
          return true;
        });
        if (!s.ok() || got != count) ++torn;
        TraceQuery q;
        q.num_traces = 5;
        auto found = store->reader().FindTraceIds("", q);
        if (!found.ok()) ++torn;
      }
    });
  }
  writer.join();
  flusher.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);

  // Retention deletes everything while readers read: each read sees the trace whole or not.
  done = false;
  std::thread deleter([&] {
    now = kW1Start + 10 * 3600 * 1'000'000'000ull;
    IgnoreError(store->FlushForTest(), "flush before deleting");
    IgnoreError(store->RunMaintenanceForTest(), "checked below");
    done = true;
  });
  std::mt19937 rng(9);
  while (!done) {
    const auto& [id, count] = expected[rng() % expected.size()];
    size_t got = 0;
    const model::TraceId ids[] = {id};
    ASSERT_TRUE(store->reader()
                    .GetTraces("", ids,
                               [&](model::SpanSet chunk) {
                                 got += chunk.size();
                                 return true;
                               })
                    .ok());
    EXPECT_TRUE(got == 0 || got == count) << got << " of " << count;
  }
  deleter.join();
  EXPECT_EQ(store->block_count(), 0u);
  ASSERT_TRUE(store->Close().ok());
  fs::remove_all(dir);
}

// ---- A full and a read-only disk (a real tmpfs; needs root). ----

class TmpfsTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
    mount_ = NewTempDir("tmpfs");
    if (mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=8m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(mount_.c_str(), MNT_DETACH);
    fs::remove_all(mount_);
  }
  std::string mount_;
  bool mounted_ = false;
};

TEST_F(TmpfsTest, FullDiskRefusesWritesRetryablyAndRecovers) {
  EmbeddedOptions o = OptionsFor(mount_ + "/data");
  o.head_max_bytes = 64 << 20;
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  auto batches = W1Batches(2000, 400);
  ASSERT_TRUE(store->writer().WriteSpans("", batches[0]).ok());
  // Fill the disk.
  std::string filler = mount_ + "/filler";
  {
    std::ofstream f(filler, std::ios::binary);
    std::string mb(1 << 20, 'f');
    for (int i = 0; i < 16 && f.good(); ++i) f.write(mb.data(), static_cast<std::streamsize>(mb.size()));
  }
  absl::Status refused = absl::OkStatus();
  for (size_t i = 1; i < batches.size() && refused.ok(); ++i) {
    refused = store->writer().WriteSpans("", batches[i]);
  }
  ASSERT_FALSE(refused.ok()) << "the disk never filled up";
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  // Reads keep working.
  const model::TraceId ids[] = {batches[0].spans()[0].trace_id};
  EXPECT_EQ(ReadAll(store->reader(), ids).size(), 1u);
  // Space returns: ingest resumes.
  fs::remove(filler);
  EXPECT_TRUE(store->writer().WriteSpans("", batches[1]).ok());
  ASSERT_TRUE(store->Close().ok());
}

TEST_F(TmpfsTest, ReadOnlyDiskRefusesWritesAndKeepsServingReads) {
  EmbeddedOptions o = OptionsFor(mount_ + "/data");
  auto batches = W1Batches(600, 500);
  {
    auto store = MustOpen(o);
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->writer().WriteSpans("", batches[0]).ok());
    ASSERT_TRUE(store->Close().ok());
  }
  // Linux refuses to remount read-only while a file is open for writing, so the store starts on
  // the read-only file system (as after an errors=remount-ro event and a restart).
  ASSERT_EQ(mount("tmpfs", mount_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, "size=8m"), 0)
      << std::strerror(errno);
  auto store = MustOpen(o);
  ASSERT_NE(store, nullptr);
  absl::Status s = store->writer().WriteSpans("", batches[1]);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  const model::TraceId ids[] = {batches[0].spans()[0].trace_id};
  EXPECT_EQ(ReadAll(store->reader(), ids).size(), 1u);
  auto services = store->reader().GetServices("");
  ASSERT_TRUE(services.ok());
  EXPECT_FALSE(services->empty());
  ASSERT_EQ(mount("tmpfs", mount_.c_str(), "tmpfs", MS_REMOUNT, "size=8m"), 0)
      << std::strerror(errno);
  EXPECT_TRUE(store->writer().WriteSpans("", batches[1]).ok());
  ASSERT_TRUE(store->Close().ok());
}

}  // namespace
}  // namespace skua::storage::embedded
