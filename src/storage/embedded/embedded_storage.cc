#include "storage/embedded/embedded_storage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "base/crc32c.h"
#include "base/logging.h"
#include "base/status.h"
#include "model/convert/otlp.h"
#include "storage/embedded/block.h"
#include "storage/embedded/wal.h"
#include "storage/memory/memory_storage.h"
#include "storage/span_match.h"

namespace skua::storage::embedded {
namespace {

namespace fs = std::filesystem;
using memory::MemoryStorage;

constexpr char kManifestName[] = "MANIFEST";
constexpr char kLockName[] = "LOCK";
constexpr char kBlockSuffix[] = ".blk";
constexpr uint32_t kManifestVersion = 1;
constexpr uint8_t kWalRecordVersion = 1;
// Spans per chunk handed to a TraceSink (as the memory store does).
constexpr size_t kMaxChunkSpans = MemoryStorage::kMaxChunkSpans;
// Caps on the service/operation catalog per tenant, as the memory store's index caps.
constexpr size_t kMaxCatalogServices = 10'000;
constexpr size_t kMaxCatalogOperations = 10'000;

uint64_t SystemNowNanos() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

std::string ErrnoText(int err) { return std::string(std::strerror(err)); }

// ---- WAL records -------------------------------------------------------------------------------
// One record per WriteSpanBatches call (docs/storage/embedded.md, "Log records"):
//   u8 version (1) | u32 tenant length | tenant | u32 batch count | { u32 length | OTLP protobuf }*
// Integers little-endian.

void PutU32(std::string& out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  out.append(b, 4);
}

bool GetU32(std::string_view& in, uint32_t* v) {
  if (in.size() < 4) return false;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  in.remove_prefix(4);
  *v = r;
  return true;
}

std::string EncodeWalRecord(std::string_view tenant,
                            std::span<const model::SpanSet* const> batches) {
  std::string out;
  out.push_back(static_cast<char>(kWalRecordVersion));
  PutU32(out, static_cast<uint32_t>(tenant.size()));
  out.append(tenant);
  uint32_t count = 0;
  for (const model::SpanSet* b : batches) count += b->empty() ? 0 : 1;
  PutU32(out, count);
  for (const model::SpanSet* b : batches) {
    if (b->empty()) continue;
    std::string encoded = model::convert::EncodeOtlpProto(b->spans());
    PutU32(out, static_cast<uint32_t>(encoded.size()));
    out.append(encoded);
  }
  return out;
}

// True if `batch` is a sequence of whole protobuf fields (tag, then a value that ends inside the
// batch). Batches that pass can be concatenated and decoded as one message without one batch's
// bytes being read as part of another's field (a damaged length could otherwise swallow the
// next batch); whether the fields' contents decode is the decoder's business.
bool WholeProtobufFields(std::string_view b) {
  auto varint = [&b](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64 && !b.empty(); shift += 7) {
      const auto byte = static_cast<uint8_t>(b.front());
      b.remove_prefix(1);
      *v |= uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  };
  while (!b.empty()) {
    uint64_t tag = 0, value = 0;
    if (!varint(&tag) || (tag >> 3) == 0) return false;
    switch (tag & 7) {
      case 0:  // varint
        if (!varint(&value)) return false;
        break;
      case 1:  // fixed64
        if (b.size() < 8) return false;
        b.remove_prefix(8);
        break;
      case 2:  // length-delimited
        if (!varint(&value) || value > b.size()) return false;
        b.remove_prefix(static_cast<size_t>(value));
        break;
      case 5:  // fixed32
        if (b.size() < 4) return false;
        b.remove_prefix(4);
        break;
      default:  // groups are not used by OTLP; 6 and 7 do not exist
        return false;
    }
  }
  return true;
}

// Checks a record's framing and returns its tenant and its batches' OTLP bytes (views into `in`),
// without decoding them. DataLoss for a framing that does not add up, including a batch that is
// not a sequence of whole protobuf fields.
absl::Status ParseWalRecord(std::string_view in, std::string_view* tenant,
                            std::vector<std::string_view>* batches) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != kWalRecordVersion) {
    return absl::DataLossError("log record has an unknown version");
  }
  in.remove_prefix(1);
  uint32_t len = 0;
  if (!GetU32(in, &len) || len > in.size()) return absl::DataLossError("log record: bad tenant");
  *tenant = in.substr(0, len);
  in.remove_prefix(len);
  uint32_t count = 0;
  if (!GetU32(in, &count)) return absl::DataLossError("log record: missing batch count");
  // Each batch takes at least its 4-byte length, so `count` cannot exceed what is left / 4; this
  // bounds the reservation below by the record's own size.
  if (count > in.size() / 4) return absl::DataLossError("log record: batch count past the end");
  batches->clear();
  batches->reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    if (!GetU32(in, &len) || len > in.size()) {
      return absl::DataLossError("log record: batch length past the end");
    }
    if (!WholeProtobufFields(in.substr(0, len))) {
      return absl::DataLossError("log record: batch does not decode: broken protobuf framing");
    }
    batches->push_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  if (!in.empty()) return absl::DataLossError("log record: trailing bytes");
  return absl::OkStatus();
}

// Replays log records into the head. The scan (the thread that opens the log) checks each
// record's framing and appends the OTLP bytes of its batches to a chunk of consecutive records of
// one tenant; decoder threads decode whole chunks as one OTLP message each (serialized
// ExportTraceServiceRequests concatenate into their union, and the framing check keeps one
// batch's bytes from being read as part of another's), while the scanning thread writes decoded
// chunks into the head in log order. So decoding runs beside reading and head writes, and a
// trace's spans from many records land in one head segment (fewer, larger segments: less memory
// and fewer allocations). The head takes over a decoded chunk's memory rather than copying its
// spans (MemoryStorage::WriteOwnedSpans): the head is dropped whole once flushed, so a chunk
// shared by many traces is released with it. A chunk that does not decode is replayed record by
// record, and a record with a batch that does not decode is skipped whole and counted, exactly
// as a record-at-a-time replay would.
class HeadReplayer {
 public:
  // A chunk is handed to a decoder once it holds this many bytes.
  static constexpr size_t kChunkBytes = size_t{4} << 20;

  HeadReplayer(MemoryStorage& head, Counter& skipped_records, int decoders)
      : head_(head),
        skipped_records_(skipped_records),
        max_in_flight_(kInFlightPerDecoder * static_cast<size_t>(std::max(decoders, 1))) {
    for (int i = 0; i < std::max(decoders, 1); ++i) {
      decoders_.emplace_back([this] { DecodeLoop(); });
    }
  }
  ~HeadReplayer() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    for (std::thread& d : decoders_) d.join();
  }

  // The log's replay callback. A damaged record is skipped (and counted), not an error; a head
  // write error is returned (which aborts the log's Open).
  absl::Status Add(uint64_t sequence, std::string_view payload) {
    std::string_view tenant;
    absl::Status s = ParseWalRecord(payload, &tenant, &parsed_);
    if (!s.ok()) {
      SkipRecord(sequence, s);
      return absl::OkStatus();
    }
    if (current_ != nullptr &&
        (current_->bytes.size() >= kChunkBytes || current_->tenant != tenant)) {
      SKUA_RETURN_IF_ERROR(Submit());
    }
    if (current_ == nullptr) {
      current_ = std::make_unique<Chunk>();
      current_->tenant.assign(tenant);
      // Room for a whole chunk up front: growing the string would copy (and fault in) each
      // chunk's bytes several times over.
      current_->bytes.reserve(kChunkBytes + std::min(payload.size(), kChunkBytes));
    }
    current_->records.push_back(Record{sequence, current_->ranges.size(), parsed_.size()});
    for (std::string_view b : parsed_) {
      current_->ranges.emplace_back(current_->bytes.size(), b.size());
      current_->bytes.append(b);
    }
    return absl::OkStatus();
  }

  // Writes everything added so far into the head. The first head write error, if any.
  absl::Status Finish() {
    if (current_ != nullptr) SKUA_RETURN_IF_ERROR(Submit());
    while (!in_flight_.empty()) SKUA_RETURN_IF_ERROR(ApplyOldest());
    return absl::OkStatus();
  }

 private:
  struct Record {
    uint64_t sequence;
    size_t first_range;  // its batches are ranges[first_range, first_range + range_count)
    size_t range_count;
  };
  struct Chunk {
    std::string tenant;
    std::string bytes;                              // the batches' OTLP bytes, back to back
    std::vector<std::pair<size_t, size_t>> ranges;  // (offset, length) of each batch in bytes
    std::vector<Record> records;
    // Set by a decoder.
    bool decoded = false;
    absl::StatusOr<model::SpanSet> spans;
  };
  // Chunks handed over and not yet in the head, per decoder; bounds the replay's memory.
  static constexpr size_t kInFlightPerDecoder = 2;

  void SkipRecord(uint64_t sequence, const absl::Status& why) {
    skipped_records_.Add();
    SKUA_LOG(ERROR) << "embedded store: skipping log record " << sequence << ": " << why;
  }

  // Hands the current chunk to the decoders; first writes the oldest chunks to the head while
  // too many are in flight.
  absl::Status Submit() {
    Chunk* chunk = current_.get();
    in_flight_.push_back(std::move(current_));
    {
      absl::MutexLock lock(&mu_);
      to_decode_.push_back(chunk);
    }
    while (in_flight_.size() > max_in_flight_) SKUA_RETURN_IF_ERROR(ApplyOldest());
    return absl::OkStatus();
  }

  // Waits until the oldest chunk in flight is decoded and writes it to the head.
  absl::Status ApplyOldest() {
    std::unique_ptr<Chunk> chunk = std::move(in_flight_.front());
    in_flight_.pop_front();
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&chunk->decoded));
    }
    // The head takes over the decoded spans' memory instead of copying them.
    if (chunk->spans.ok()) {
      return head_.WriteOwnedSpans(chunk->tenant, std::move(*chunk->spans));
    }
    // Some batch does not decode: find it, record by record.
    std::vector<model::SpanSet> sets;
    for (const Record& r : chunk->records) {
      sets.clear();
      absl::Status bad;
      for (size_t i = r.first_range; i < r.first_range + r.range_count; ++i) {
        auto [offset, length] = chunk->ranges[i];
        auto one =
            model::convert::DecodeOtlpProto(std::string_view(chunk->bytes).substr(offset, length));
        if (!one.ok()) {
          bad = absl::DataLossError(
              absl::StrCat("log record: batch does not decode: ", one.status().message()));
          break;
        }
        sets.push_back(std::move(*one));
      }
      if (!bad.ok()) {
        SkipRecord(r.sequence, bad);
        continue;
      }
      for (model::SpanSet& set : sets) {
        SKUA_RETURN_IF_ERROR(head_.WriteOwnedSpans(chunk->tenant, std::move(set)));
      }
    }
    return absl::OkStatus();
  }

  void DecodeLoop() {
    while (true) {
      Chunk* chunk = nullptr;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](HeadReplayer* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
              return !r->to_decode_.empty() || r->stopping_;
            },
            this));
        if (to_decode_.empty()) return;
        chunk = to_decode_.front();
        to_decode_.pop_front();
      }
      absl::StatusOr<model::SpanSet> spans = model::convert::DecodeOtlpProto(chunk->bytes);
      absl::MutexLock lock(&mu_);
      chunk->spans = std::move(spans);
      chunk->decoded = true;
    }
  }

  MemoryStorage& head_;
  Counter& skipped_records_;
  const size_t max_in_flight_;
  // The scanning thread's state.
  std::unique_ptr<Chunk> current_;
  std::deque<std::unique_ptr<Chunk>> in_flight_;  // oldest first
  std::vector<std::string_view> parsed_;
  std::vector<std::thread> decoders_;

  absl::Mutex mu_;
  std::deque<Chunk*> to_decode_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// ---- MANIFEST ----------------------------------------------------------------------------------
// A small text file naming the live blocks and the last log record they cover
// (docs/storage/embedded.md, "MANIFEST"). Replaced atomically (write, fsync, rename, fsync dir).

struct Manifest {
  uint64_t checkpoint = 0;     // log records <= this are in blocks
  uint64_t next_block_id = 1;  // ids below this were handed out
  std::vector<uint64_t> blocks;
};

std::string SerializeManifest(const Manifest& m) {
  std::string body = absl::StrCat("skua-manifest ", kManifestVersion, "\ncheckpoint ",
                                  m.checkpoint, "\nnext-block ", m.next_block_id, "\n");
  for (uint64_t id : m.blocks) absl::StrAppend(&body, "block ", id, "\n");
  absl::StrAppend(&body, "crc ", Crc32c(body), "\n");
  return body;
}

absl::StatusOr<Manifest> ParseManifest(std::string_view text) {
  size_t crc_pos = text.rfind("crc ");
  if (crc_pos == std::string_view::npos) return absl::DataLossError("MANIFEST has no checksum");
  std::string_view body = text.substr(0, crc_pos);
  uint32_t crc = 0;
  std::string_view crc_text = text.substr(crc_pos + 4);
  while (!crc_text.empty() && crc_text.back() == '\n') crc_text.remove_suffix(1);
  if (!absl::SimpleAtoi(ToAbsl(crc_text), &crc) || crc != Crc32c(body)) {
    return absl::DataLossError("MANIFEST checksum mismatch");
  }
  Manifest m;
  bool header = false;
  for (absl::string_view line : absl::StrSplit(ToAbsl(body), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    uint64_t v = 0;
    if (f.size() != 2 || !absl::SimpleAtoi(f[1], &v)) {
      return absl::DataLossError(absl::StrCat("MANIFEST: bad line '", line, "'"));
    }
    if (f[0] == "skua-manifest") {
      if (v != kManifestVersion) {
        return absl::DataLossError(absl::StrCat("MANIFEST version ", v, " is not supported"));
      }
      header = true;
    } else if (f[0] == "checkpoint") {
      m.checkpoint = v;
    } else if (f[0] == "next-block") {
      m.next_block_id = v;
    } else if (f[0] == "block") {
      m.blocks.push_back(v);
    } else {
      return absl::DataLossError(absl::StrCat("MANIFEST: unknown entry '", f[0], "'"));
    }
  }
  if (!header) return absl::DataLossError("MANIFEST has no header");
  return m;
}

absl::Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("open ", dir, ": ", ErrnoText(errno)));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return absl::UnavailableError(absl::StrCat("fsync ", dir, ": ", ErrnoText(err)));
  return absl::OkStatus();
}

// Writes `contents` to `path` atomically and durably.
absl::Status WriteFileAtomically(const std::string& dir, const std::string& path,
                                 std::string_view contents) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("create ", tmp, ": ", ErrnoText(errno)));
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return absl::UnavailableError(absl::StrCat("write ", tmp, ": ", ErrnoText(err)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("fdatasync ", tmp, ": ", ErrnoText(err)));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("rename ", tmp, ": ", ErrnoText(err)));
  }
  return SyncDirectory(dir);
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return absl::UnavailableError(absl::StrCat("open ", path, ": ", ErrnoText(err)));
  }
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return absl::UnavailableError(absl::StrCat("read ", path, ": ", ErrnoText(err)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (uint64_t{64} << 20)) {
      ::close(fd);
      return absl::DataLossError(absl::StrCat(path, " is implausibly large"));
    }
  }
  ::close(fd);
  return out;
}

// ---- The catalog of services and operations ----------------------------------------------------

// tenant → service → operation name → bit set of span kinds (bit = SpanKind value).
using OperationKinds = absl::btree_map<std::string, uint8_t>;
using ServiceCatalog = absl::btree_map<std::string, OperationKinds>;

void AddToCatalog(ServiceCatalog& catalog, const ServiceOperations& entry) {
  auto it = catalog.find(entry.service);
  if (it == catalog.end()) {
    if (catalog.size() >= kMaxCatalogServices) return;
    it = catalog.emplace(entry.service, OperationKinds()).first;
  }
  for (const Operation& op : entry.operations) {
    auto o = it->second.find(op.name);
    if (o == it->second.end()) {
      if (it->second.size() >= kMaxCatalogOperations) continue;
      o = it->second.emplace(op.name, 0).first;
    }
    o->second |= static_cast<uint8_t>(1u << static_cast<unsigned>(model::SpanKindFromName(op.span_kind)));
  }
}

// ---- The store ---------------------------------------------------------------------------------

std::shared_ptr<MemoryStorage> NewHead() {
  memory::MemoryOptions o;
  o.max_traces = 0;                            // never evict: the head is flushed, not trimmed
  o.max_bytes = std::numeric_limits<uint64_t>::max() / 4;
  o.compact_trace_segments = false;            // spans stay minutes at most; save the copies
  return std::make_shared<MemoryStorage>(o);
}

class EmbeddedStorageImpl final : public EmbeddedStorage,
                                  public SpanWriter,
                                  public TraceReader,
                                  public DependencyReader {
 public:
  explicit EmbeddedStorageImpl(EmbeddedOptions options);
  ~EmbeddedStorageImpl() override;

  absl::Status Init();

  // Storage.
  Capabilities capabilities() const override {
    Capabilities caps;
    caps.search_without_service = true;
    caps.find_trace_ids = true;
    caps.dependencies = true;
    caps.operation_span_kinds = true;
    caps.durable = options_.sync_before_ack;
    return caps;
  }
  SpanWriter& writer() override { return *this; }
  TraceReader& reader() override { return *this; }
  DependencyReader* dependency_reader() override { return this; }
  absl::Status Close() override;

  // SpanWriter.
  absl::Status WriteSpans(std::string_view tenant, const model::SpanSet& batch) override {
    const model::SpanSet* one[] = {&batch};
    return WriteSpanBatches(tenant, one);
  }
  absl::Status WriteSpanBatches(std::string_view tenant,
                                std::span<const model::SpanSet* const> batches) override;

  // TraceReader.
  absl::Status GetTraces(std::string_view tenant, std::span<const model::TraceId> trace_ids,
                         const TraceSink& sink) override;
  absl::Status FindTraces(std::string_view tenant, const TraceQuery& query,
                          const TraceSink& sink) override;
  absl::StatusOr<std::vector<FoundTrace>> FindTraceIds(std::string_view tenant,
                                                       const TraceQuery& query) override;
  absl::StatusOr<std::vector<std::string>> GetServices(std::string_view tenant) override;
  absl::StatusOr<std::vector<Operation>> GetOperations(std::string_view tenant,
                                                       const OperationQuery& query) override;

  // DependencyReader.
  absl::StatusOr<std::vector<DependencyLink>> GetDependencies(std::string_view tenant,
                                                              uint64_t start_time,
                                                              uint64_t end_time) override;

  // EmbeddedStorage.
  absl::Status FlushForTest() override { return Flush(); }
  absl::Status RunMaintenanceForTest() override { return RunMaintenance(); }
  uint64_t block_count() const override { return Snapshot()->blocks.size(); }
  uint64_t head_span_count() const override {
    auto v = Snapshot();
    return v->head->span_count() + (v->frozen ? v->frozen->span_count() : 0);
  }
  uint64_t disk_bytes() const override {
    auto v = Snapshot();
    uint64_t total = wal_ ? wal_->bytes_on_disk() : 0;
    for (const auto& b : v->blocks) total += b->info().file_bytes;
    return total;
  }

 private:
  // An immutable view of the store's parts. Readers take one and work on it without locks;
  // changes publish a new one.
  struct Version {
    std::shared_ptr<MemoryStorage> head;
    std::shared_ptr<MemoryStorage> frozen;  // being flushed, or null
    // Every block, newest first by max_start (then by id).
    std::vector<std::shared_ptr<BlockReader>> blocks;
  };

  struct Hit {
    uint64_t newest = 0;
    uint64_t start = UINT64_MAX;
    uint64_t end = 0;
  };

  std::shared_ptr<const Version> Snapshot() const {
    absl::MutexLock lock(&version_mu_);
    return version_;
  }
  void Publish(std::shared_ptr<const Version> v) {
    absl::MutexLock lock(&version_mu_);
    version_ = std::move(v);
  }
  std::string BlockPath(uint64_t id) const {
    return absl::StrCat(blocks_dir_, "/", id, kBlockSuffix);
  }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  absl::Status OpenBlocks(Manifest* manifest);
  absl::Status ReplayLog(uint64_t checkpoint);
  absl::Status Flush();
  absl::Status RunMaintenance();
  absl::Status WriteManifestLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  void RebuildCatalogLocked(const Version& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(change_mu_);
  void DeleteBlocks(const std::vector<std::shared_ptr<BlockReader>>& doomed);
  void FlusherLoop();
  void MaintenanceLoop();
  bool HeadDue() const;
  void UpdateGauges();
  void ReportReadError(const BlockReader& block, const absl::Status& status);

  // Every span of `id` from every part of `v`, duplicates removed.
  absl::Status CollectTrace(const Version& v, std::string_view tenant, const model::TraceId& id,
                            model::SpanSet& out);
  absl::StatusOr<std::vector<std::pair<model::TraceId, Hit>>> Search(std::string_view tenant,
                                                                     const TraceQuery& query);

  const EmbeddedOptions options_;
  std::string blocks_dir_;
  std::string wal_dir_;
  Metrics own_metrics_;
  Metrics* metrics_;
  std::shared_ptr<BlockCache> cache_;
  std::unique_ptr<WriteAheadLog> wal_;
  int lock_fd_ = -1;
  std::atomic<bool> closed_{false};

  // Writers hold it shared from the log append until the spans are in the head; a flush holds
  // it exclusively to swap heads, so every record at or below the flush's checkpoint is in the
  // frozen head.
  absl::Mutex gate_;

  mutable absl::Mutex version_mu_;
  std::shared_ptr<const Version> version_ ABSL_GUARDED_BY(version_mu_);

  // Serializes structural changes: flushes, retention and quota deletions, MANIFEST writes.
  absl::Mutex change_mu_;
  Manifest manifest_ ABSL_GUARDED_BY(change_mu_);
  uint64_t frozen_checkpoint_ ABSL_GUARDED_BY(change_mu_) = 0;

  // Catalog of services and operations in blocks, per tenant.
  mutable absl::Mutex catalog_mu_;
  absl::flat_hash_map<std::string, ServiceCatalog> catalog_ ABSL_GUARDED_BY(catalog_mu_);

  // When the active head received its first span (steady clock ns), 0 while empty.
  std::atomic<int64_t> head_first_write_ns_{0};

  absl::Mutex loop_mu_;
  bool stopping_ ABSL_GUARDED_BY(loop_mu_) = false;
  bool flush_wanted_ ABSL_GUARDED_BY(loop_mu_) = false;
  std::thread flusher_;
  std::thread maintainer_;

  std::atomic<int64_t> last_read_error_log_ns_{0};

  // Metrics.
  Counter* flushes_;
  Counter* flush_errors_;
  Counter* flushed_spans_;
  Counter* damaged_blocks_;
  Counter* read_errors_;
  Counter* retention_deleted_;
  Counter* quota_deleted_;
  Counter* write_errors_;
  Counter* refused_head_full_;
  Counter* skipped_log_records_;
  Gauge* blocks_gauge_;
  Gauge* disk_bytes_gauge_;
  Gauge* head_spans_gauge_;
  Gauge* head_bytes_gauge_;
  Gauge* retention_gauge_;
  Gauge* quota_gauge_;
  Gauge* cache_bytes_gauge_;
  Gauge* replay_seconds_gauge_;
  Gauge* replayed_spans_gauge_;
};

int64_t SteadyNowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

EmbeddedStorageImpl::EmbeddedStorageImpl(EmbeddedOptions options)
    : options_(std::move(options)),
      blocks_dir_(options_.directory + "/blocks"),
      wal_dir_(options_.directory + "/wal"),
      metrics_(options_.metrics ? options_.metrics : &own_metrics_) {
  Metrics& m = *metrics_;
  flushes_ = &m.GetCounter("skua_embedded_flushes_total", "Head flushes written to blocks.");
  flush_errors_ = &m.GetCounter("skua_embedded_flush_errors_total",
                                "Head flushes that failed (retried; the head stays readable).");
  flushed_spans_ =
      &m.GetCounter("skua_embedded_flushed_spans_total", "Spans written to blocks by flushes.");
  damaged_blocks_ = &m.GetCounter("skua_embedded_damaged_blocks_total",
                                  "Block files skipped at open because they are damaged or missing.");
  read_errors_ = &m.GetCounter("skua_embedded_read_errors_total",
                               "Reads of a block section that failed (damage); the rest is served.");
  retention_deleted_ = &m.GetCounter("skua_embedded_retention_deleted_blocks_total",
                                     "Blocks deleted because they are older than the retention.");
  quota_deleted_ = &m.GetCounter("skua_embedded_quota_deleted_blocks_total",
                                 "Blocks deleted, oldest first, to stay within the disk quota.");
  write_errors_ = &m.GetCounter("skua_embedded_write_errors_total",
                                "Batches refused because the log could not be written.");
  refused_head_full_ =
      &m.GetCounter("skua_embedded_refused_head_full_total",
                    "Batches refused because the head is full while a flush is pending.");
  skipped_log_records_ = &m.GetCounter("skua_embedded_skipped_log_records_total",
                                       "Intact log records whose contents could not be decoded.");
  blocks_gauge_ = &m.GetGauge("skua_embedded_blocks", "Block files in use.");
  disk_bytes_gauge_ =
      &m.GetGauge("skua_embedded_disk_bytes", "Bytes of block files and log segments.");
  head_spans_gauge_ = &m.GetGauge("skua_embedded_head_spans", "Spans in the in-memory head.");
  head_bytes_gauge_ = &m.GetGauge("skua_embedded_head_bytes", "Bytes held by the in-memory head.");
  retention_gauge_ =
      &m.GetGauge("skua_embedded_retention_seconds", "Configured retention of stored spans.");
  quota_gauge_ = &m.GetGauge("skua_embedded_max_disk_bytes",
                             "Configured disk quota in bytes (0 = none).");
  cache_bytes_gauge_ =
      &m.GetGauge("skua_embedded_cache_bytes", "Bytes of decoded block sections cached.");
  replay_seconds_gauge_ = &m.GetGauge(
      "skua_embedded_replay_seconds",
      "Seconds the last open spent reading the log and replaying it into the head.");
  replayed_spans_gauge_ = &m.GetGauge("skua_embedded_replayed_spans",
                                      "Spans the last open replayed from the log into the head.");
  retention_gauge_->Set(absl::ToDoubleSeconds(options_.retention));
  quota_gauge_->Set(static_cast<double>(options_.max_disk_bytes));
}

EmbeddedStorageImpl::~EmbeddedStorageImpl() {
  IgnoreError(Close(), "destructor: Close reports its own failures in the log");
}

absl::Status EmbeddedStorageImpl::Init() {
  std::error_code ec;
  for (const std::string& dir : {options_.directory, blocks_dir_, wal_dir_}) {
    fs::create_directories(dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot create data directory ", dir, ": ", ec.message()));
    }
  }
  std::string lock_path = options_.directory + "/" + kLockName;
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0 && errno == EROFS) {
    // A read-only file system: serve reads; writes will be refused until it is writable again.
    lock_fd_ = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  }
  if (lock_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", lock_path, ": ", ErrnoText(errno)));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("data directory ", options_.directory,
                       " is in use by another skua process (lock file ", lock_path, ")"));
    }
    return absl::UnavailableError(absl::StrCat("cannot lock ", lock_path, ": ", ErrnoText(err)));
  }

  cache_ = BlockCache::Create(options_.cache_bytes);
  Manifest manifest;
  SKUA_RETURN_IF_ERROR(OpenBlocks(&manifest));
  SKUA_RETURN_IF_ERROR(ReplayLog(manifest.checkpoint));
  {
    absl::MutexLock lock(&change_mu_);
    manifest_ = manifest;
    // Record what was skipped at open, so the next open does not look for it again.
    absl::Status s = WriteManifestLocked();
    if (!s.ok()) {
      SKUA_LOG(WARNING) << "embedded store: cannot rewrite MANIFEST: " << s;
    }
    RebuildCatalogLocked(*Snapshot());
  }
  UpdateGauges();
  flusher_ = std::thread([this] { FlusherLoop(); });
  maintainer_ = std::thread([this] { MaintenanceLoop(); });
  return absl::OkStatus();
}

absl::Status EmbeddedStorageImpl::OpenBlocks(Manifest* manifest) {
  std::string manifest_path = options_.directory + "/" + kManifestName;
  auto text = ReadSmallFile(manifest_path);
  bool trusted = true;  // the MANIFEST is intact, so files it does not name are leftovers
  if (text.ok()) {
    auto parsed = ParseManifest(*text);
    if (parsed.ok()) {
      *manifest = std::move(*parsed);
    } else {
      SKUA_LOG(ERROR) << "embedded store: " << manifest_path << " is damaged ("
                      << parsed.status().message()
                      << "); using every block file found and replaying the whole log";
      trusted = false;
    }
  } else if (!absl::IsNotFound(text.status())) {
    return text.status();
  }

  // What is in blocks/: block files by id, plus leftovers.
  std::map<uint64_t, std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(blocks_dir_, ec)) {
    std::string name = entry.path().filename().string();
    uint64_t id = 0;
    if (name.size() > 4 && name.ends_with(kBlockSuffix) &&
        absl::SimpleAtoi(ToAbsl(std::string_view(name).substr(0, name.size() - 4)), &id)) {
      found[id] = entry.path().string();
    } else if (name.ends_with(".tmp")) {
      fs::remove(entry.path(), ec);  // an interrupted block write
    }
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot list ", blocks_dir_, ": ", ec.message()));
  }
  if (!trusted) {
    manifest->blocks.clear();
    manifest->checkpoint = 0;
    for (const auto& [id, path] : found) manifest->blocks.push_back(id);
    manifest->next_block_id = found.empty() ? 1 : found.rbegin()->first + 1;
  }
  std::vector<uint64_t> wanted(manifest->blocks.begin(), manifest->blocks.end());
  std::sort(wanted.begin(), wanted.end());
  for (const auto& [id, path] : found) {
    if (!std::binary_search(wanted.begin(), wanted.end(), id)) {
      // Written by a flush that did not reach its MANIFEST: its spans are still in the log.
      SKUA_LOG(INFO) << "embedded store: removing " << path << " (not in the MANIFEST)";
      fs::remove(path, ec);
    }
    manifest->next_block_id = std::max(manifest->next_block_id, id + 1);
  }

  auto v = std::make_shared<Version>();
  v->head = NewHead();
  std::vector<uint64_t> kept;
  for (uint64_t id : manifest->blocks) {
    std::string path = BlockPath(id);
    auto reader = BlockReader::Open(path, cache_);
    if (!reader.ok()) {
      damaged_blocks_->Add();
      SKUA_LOG(ERROR) << "embedded store: skipping block " << path << ": " << reader.status();
      if (fs::exists(path, ec)) fs::rename(path, path + ".damaged", ec);
      continue;
    }
    kept.push_back(id);
    v->blocks.push_back(std::move(*reader));
  }
  manifest->blocks = std::move(kept);
  std::sort(v->blocks.begin(), v->blocks.end(), [](const auto& a, const auto& b) {
    return std::tie(a->info().max_start, a->info().id) > std::tie(b->info().max_start, b->info().id);
  });
  Publish(std::move(v));
  return absl::OkStatus();
}

absl::Status EmbeddedStorageImpl::ReplayLog(uint64_t checkpoint) {
  std::shared_ptr<MemoryStorage> head = Snapshot()->head;
  WalOptions wo;
  wo.directory = wal_dir_;
  wo.sync_before_ack = options_.sync_before_ack;
  wo.group_commit_window_micros =
      static_cast<uint32_t>(absl::ToInt64Microseconds(options_.group_commit_window));
  wo.metrics = metrics_;
  // Decoders beside the thread that reads the log and writes the head: one per further core.
  const int decoders =
      static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 2u, 8u)) - 1;
  WalRecoveryReport report;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<WriteAheadLog>> wal;
  {
    HeadReplayer replayer(*head, *skipped_log_records_, decoders);
    wal = WriteAheadLog::Open(
        wo, checkpoint,
        [&](uint64_t seq, std::string_view payload) { return replayer.Add(seq, payload); },
        &report);
    if (wal.ok()) {
      absl::Status finished = replayer.Finish();
      if (!finished.ok()) wal = finished;
    }
  }
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  if (head->span_count() > 0) head_first_write_ns_.store(SteadyNowNanos());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  replay_seconds_gauge_->Set(secs);
  replayed_spans_gauge_->Set(static_cast<double>(head->span_count()));
  if (report.records_replayed > 0 || report.bytes_discarded > 0) {
    SKUA_LOG(INFO) << "embedded store: replayed " << report.records_replayed << " log records ("
                   << head->span_count() << " spans) in " << secs << " s; "
                   << report.bytes_discarded << " damaged bytes skipped";
  }
  return absl::OkStatus();
}

absl::Status EmbeddedStorageImpl::WriteSpanBatches(
    std::string_view tenant, std::span<const model::SpanSet* const> batches) {
  size_t spans = 0;
  for (const model::SpanSet* b : batches) spans += b->size();
  if (closed()) return absl::UnavailableError("embedded store is closed");
  if (spans == 0) return absl::OkStatus();
  {
    auto v = Snapshot();
    // Memory stays bounded when flushes cannot keep up or keep failing (a full disk).
    if (v->frozen != nullptr && v->head->bytes_used() >= options_.head_max_bytes) {
      refused_head_full_->Add();
      return absl::UnavailableError(
          "embedded store: the in-memory head is full while the previous flush has not been "
          "written yet; retry later");
    }
  }
  std::string record = EncodeWalRecord(tenant, batches);
  absl::ReaderMutexLock gate(&gate_);
  if (closed()) return absl::UnavailableError("embedded store is closed");
  auto seq = wal_->Append(record);
  if (!seq.ok()) {
    write_errors_->Add();
    return seq.status();
  }
  std::shared_ptr<MemoryStorage> head = Snapshot()->head;
  for (const model::SpanSet* b : batches) {
    absl::Status s = head->WriteSpans(tenant, *b);
    if (!s.ok()) {
      // The record is in the log, so a restart would still bring it back; the client retries.
      return absl::InternalError(absl::StrCat("embedded store: head write failed: ", s.message()));
    }
  }
  int64_t expected = 0;
  head_first_write_ns_.compare_exchange_strong(expected, SteadyNowNanos());
  if (head->bytes_used() >= options_.head_max_bytes) {
    absl::MutexLock lock(&loop_mu_);
    flush_wanted_ = true;
  }
  return absl::OkStatus();
}

bool EmbeddedStorageImpl::HeadDue() const {
  auto v = Snapshot();
  if (v->frozen != nullptr) return true;  // a failed flush to retry
  if (v->head->bytes_used() >= options_.head_max_bytes) return true;
  int64_t first = head_first_write_ns_.load();
  return first != 0 &&
         SteadyNowNanos() - first >= absl::ToInt64Nanoseconds(options_.head_max_age);
}

void EmbeddedStorageImpl::FlusherLoop() {
  absl::Duration backoff = absl::Milliseconds(100);
  absl::MutexLock lock(&loop_mu_);
  while (!stopping_) {
    auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_mu_) {
      return stopping_ || flush_wanted_;
    };
    loop_mu_.AwaitWithTimeout(absl::Condition(&wake), absl::Milliseconds(250));
    if (stopping_) break;
    bool wanted = flush_wanted_;
    flush_wanted_ = false;
    loop_mu_.Unlock();
    absl::Status s = absl::OkStatus();
    bool flushed = false;
    if (wanted || HeadDue()) {
      s = Flush();
      flushed = true;
    }
    loop_mu_.Lock();
    if (flushed && !s.ok()) {
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_mu_) { return stopping_; };
      loop_mu_.AwaitWithTimeout(absl::Condition(&stop), backoff);
      backoff = std::min(backoff * 2, absl::Seconds(10));
    } else if (flushed) {
      backoff = absl::Milliseconds(100);
    }
  }
}

void EmbeddedStorageImpl::MaintenanceLoop() {
  absl::MutexLock lock(&loop_mu_);
  while (!stopping_) {
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(loop_mu_) { return stopping_; };
    loop_mu_.AwaitWithTimeout(absl::Condition(&stop), options_.maintenance_interval);
    if (stopping_) break;
    loop_mu_.Unlock();
    absl::Status s = RunMaintenance();
    if (!s.ok()) {
      SKUA_LOG(WARNING) << "embedded store: maintenance: " << s;
    }
    UpdateGauges();
    loop_mu_.Lock();
  }
}

absl::Status EmbeddedStorageImpl::Flush() {
  absl::MutexLock change(&change_mu_);
  std::shared_ptr<MemoryStorage> frozen;
  uint64_t checkpoint = 0;
  {
    auto v = Snapshot();
    if (v->frozen != nullptr) {
      frozen = v->frozen;  // retry the flush that failed
      checkpoint = frozen_checkpoint_;
    } else {
      if (v->head->span_count() == 0) return absl::OkStatus();
      absl::WriterMutexLock gate(&gate_);
      // No writer is between its log append and its head write now.
      auto current = Snapshot();
      auto next = std::make_shared<Version>(*current);
      next->frozen = current->head;
      next->head = NewHead();
      checkpoint = wal_->last_sequence();
      frozen = next->frozen;
      frozen_checkpoint_ = checkpoint;
      head_first_write_ns_.store(0);
      Publish(std::move(next));
    }
  }

  // Group the frozen head's spans by tenant and write one block per tenant. The frozen head takes
  // no more writes, so its spans are handed on as they are, without copies.
  std::map<std::string, std::vector<model::Span>> by_tenant;
  auto current = Snapshot();
  SKUA_RETURN_IF_ERROR(frozen->ForEachTraceView(
      [&](std::string_view tenant, std::span<const model::Span* const> trace) {
        std::vector<model::Span>& out = by_tenant[std::string(tenant)];
        // Spans already in a block (a client retried after an earlier copy was flushed) are not
        // written again, so blocks hold each span once and per-block figures stay exact. A stored
        // copy has the same start time, so only blocks whose time range meets the trace's can
        // hold one, which keeps this cheap with many blocks.
        uint64_t first = UINT64_MAX, last = 0;
        for (const model::Span* span : trace) {
          first = std::min(first, span->start_time_unix_nano);
          last = std::max(last, span->start_time_unix_nano);
        }
        model::SpanSet stored;
        const model::TraceId id = trace.front()->trace_id;
        for (const auto& b : current->blocks) {
          if (b->info().max_start < first || b->info().min_start > last) continue;
          if (b->info().tenant != tenant || !b->MayContainTrace(id)) continue;
          if (!b->ReadTrace(id, stored).ok()) stored = model::SpanSet();  // keep ours
        }
        for (const model::Span* span : trace) {
          bool present = std::any_of(stored.spans().begin(), stored.spans().end(),
                                     [&](const model::Span& other) {
                                       return other.span_id == span->span_id &&
                                              SpanContentEquals(*span, other);
                                     });
          if (!present) out.push_back(*span);
        }
        return true;
      }));
  std::vector<std::shared_ptr<BlockReader>> written;
  auto abandon = [&](const absl::Status& s) {
    for (const auto& b : written) {
      std::error_code ec;
      fs::remove(BlockPath(b->info().id), ec);
    }
    flush_errors_->Add();
    SKUA_LOG(WARNING) << "embedded store: flush failed, will retry: " << s;
    return s;
  };
  uint64_t spans_written = 0;
  for (auto& [tenant, spans] : by_tenant) {
    if (spans.empty()) continue;
    uint64_t id = manifest_.next_block_id++;
    auto info = WriteBlock(BlockPath(id), id, tenant, spans);
    if (!info.ok()) return abandon(info.status());
    auto reader = BlockReader::Open(BlockPath(id), cache_);
    if (!reader.ok()) {
      std::error_code ec;
      fs::remove(BlockPath(id), ec);
      return abandon(reader.status());
    }
    written.push_back(std::move(*reader));
    spans_written += spans.size();
    spans.clear();
    spans.shrink_to_fit();
  }

  Manifest previous = manifest_;
  for (const auto& b : written) manifest_.blocks.push_back(b->info().id);
  manifest_.checkpoint = std::max(manifest_.checkpoint, checkpoint);
  absl::Status s = WriteManifestLocked();
  if (!s.ok()) {
    uint64_t next_id = manifest_.next_block_id;
    manifest_ = previous;
    manifest_.next_block_id = next_id;
    return abandon(s);
  }

  {
    auto current = Snapshot();
    auto next = std::make_shared<Version>(*current);
    next->frozen = nullptr;
    for (const auto& b : written) next->blocks.push_back(b);
    std::sort(next->blocks.begin(), next->blocks.end(), [](const auto& a, const auto& b) {
      return std::tie(a->info().max_start, a->info().id) >
             std::tie(b->info().max_start, b->info().id);
    });
    Publish(next);
  }
  {
    absl::MutexLock lock(&catalog_mu_);
    for (const auto& b : written) {
      auto entries = b->Catalog();
      if (!entries.ok()) continue;
      ServiceCatalog& cat = catalog_[b->info().tenant];
      for (const ServiceOperations& e : *entries) AddToCatalog(cat, e);
    }
  }
  absl::Status released = wal_->ReleaseThrough(checkpoint);
  if (!released.ok()) {
    SKUA_LOG(WARNING) << "embedded store: cannot release log: " << released;
  }
  flushes_->Add();
  flushed_spans_->Add(spans_written);
  UpdateGauges();
  if (options_.max_disk_bytes > 0 && disk_bytes() > options_.max_disk_bytes) {
    change_mu_.Unlock();
    absl::Status m = RunMaintenance();
    change_mu_.Lock();
    if (!m.ok()) {
      SKUA_LOG(WARNING) << "embedded store: quota: " << m;
    }
  }
  return absl::OkStatus();
}

absl::Status EmbeddedStorageImpl::WriteManifestLocked() {
  return WriteFileAtomically(options_.directory, options_.directory + "/" + kManifestName,
                             SerializeManifest(manifest_));
}

absl::Status EmbeddedStorageImpl::RunMaintenance() {
  absl::MutexLock change(&change_mu_);
  auto current = Snapshot();
  const uint64_t now = options_.now_unix_nanos ? options_.now_unix_nanos() : SystemNowNanos();
  const uint64_t retention = static_cast<uint64_t>(absl::ToInt64Nanoseconds(options_.retention));
  const uint64_t cutoff = now > retention ? now - retention : 0;

  std::vector<std::shared_ptr<BlockReader>> keep;
  std::vector<std::shared_ptr<BlockReader>> doomed;
  for (const auto& b : current->blocks) {
    if (b->info().max_start < cutoff) {
      doomed.push_back(b);
      retention_deleted_->Add();
    } else {
      keep.push_back(b);
    }
  }
  if (options_.max_disk_bytes > 0) {
    uint64_t total = wal_->bytes_on_disk();
    for (const auto& b : keep) total += b->info().file_bytes;
    // keep is newest first: drop from the back (oldest) until within the quota.
    while (total > options_.max_disk_bytes && !keep.empty()) {
      total -= keep.back()->info().file_bytes;
      doomed.push_back(keep.back());
      keep.pop_back();
      quota_deleted_->Add();
    }
  }
  if (doomed.empty()) return absl::OkStatus();

  auto next = std::make_shared<Version>(*current);
  next->blocks = keep;
  Publish(next);
  absl::flat_hash_map<uint64_t, bool> gone;
  for (const auto& b : doomed) gone[b->info().id] = true;
  std::vector<uint64_t> ids;
  for (uint64_t id : manifest_.blocks) {
    if (!gone.contains(id)) ids.push_back(id);
  }
  manifest_.blocks = std::move(ids);
  // Delete the files even if the MANIFEST cannot be written (a full disk is a reason to delete):
  // a block named by the MANIFEST but missing is skipped at the next open.
  absl::Status s = WriteManifestLocked();
  DeleteBlocks(doomed);
  RebuildCatalogLocked(*next);
  SKUA_LOG(INFO) << "embedded store: deleted " << doomed.size()
                 << " blocks (retention or disk quota)";
  UpdateGauges();
  return s;
}

void EmbeddedStorageImpl::DeleteBlocks(const std::vector<std::shared_ptr<BlockReader>>& doomed) {
  // Readers holding a block keep its open file, so unlinking under them is safe.
  for (const auto& b : doomed) {
    std::error_code ec;
    fs::remove(BlockPath(b->info().id), ec);
    if (ec) {
      SKUA_LOG(WARNING) << "embedded store: cannot delete block: " << ec.message();
    }
  }
}

void EmbeddedStorageImpl::RebuildCatalogLocked(const Version& v) {
  absl::flat_hash_map<std::string, ServiceCatalog> fresh;
  for (const auto& b : v.blocks) {
    auto entries = b->Catalog();
    if (!entries.ok()) {
      ReportReadError(*b, entries.status());
      continue;
    }
    ServiceCatalog& cat = fresh[b->info().tenant];
    for (const ServiceOperations& e : *entries) AddToCatalog(cat, e);
  }
  absl::MutexLock lock(&catalog_mu_);
  catalog_ = std::move(fresh);
}

void EmbeddedStorageImpl::UpdateGauges() {
  auto v = Snapshot();
  blocks_gauge_->Set(static_cast<double>(v->blocks.size()));
  disk_bytes_gauge_->Set(static_cast<double>(disk_bytes()));
  uint64_t spans = v->head->span_count() + (v->frozen ? v->frozen->span_count() : 0);
  uint64_t bytes = v->head->bytes_used() + (v->frozen ? v->frozen->bytes_used() : 0);
  head_spans_gauge_->Set(static_cast<double>(spans));
  head_bytes_gauge_->Set(static_cast<double>(bytes));
  cache_bytes_gauge_->Set(static_cast<double>(cache_->used_bytes()));
}

void EmbeddedStorageImpl::ReportReadError(const BlockReader& block, const absl::Status& status) {
  read_errors_->Add();
  int64_t now = SteadyNowNanos();
  int64_t last = last_read_error_log_ns_.load();
  if (now - last > int64_t{10'000'000'000} &&
      last_read_error_log_ns_.compare_exchange_strong(last, now)) {
    SKUA_LOG(ERROR) << "embedded store: block " << block.info().id
                    << " could not be read (its other data and every other block are still "
                       "served): "
                    << status;
  }
}

absl::Status EmbeddedStorageImpl::Close() {
  if (closed_.exchange(true)) return absl::OkStatus();
  {
    absl::MutexLock lock(&loop_mu_);
    stopping_ = true;
  }
  if (flusher_.joinable()) flusher_.join();
  if (maintainer_.joinable()) maintainer_.join();
  absl::Status result = absl::OkStatus();
  if (wal_ != nullptr) {
    // Write the head to blocks so the next start has no log to replay (best effort: the log
    // still holds everything if this fails).
    {
      absl::WriterMutexLock gate(&gate_);  // waits for writers in flight
    }
    absl::Status f = Flush();
    if (!f.ok()) {
      SKUA_LOG(WARNING) << "embedded store: final flush failed (log kept): " << f;
    }
    result = wal_->Close();
    if (f.ok() && result.ok()) {
      // Everything is in blocks: the log's last segment is not needed either (the next open
      // replays after the MANIFEST's checkpoint, which covers it).
      uint64_t checkpoint = 0;
      {
        absl::MutexLock change(&change_mu_);
        checkpoint = manifest_.checkpoint;
      }
      if (checkpoint >= wal_->last_sequence()) {
        absl::Status r = wal_->ReleaseThrough(checkpoint);
        if (!r.ok()) {
          SKUA_LOG(WARNING) << "embedded store: cannot remove the log: " << r;
        }
      }
    }
  }
  if (lock_fd_ >= 0) {
    ::flock(lock_fd_, LOCK_UN);
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
  return result;
}

// ---- Reads -------------------------------------------------------------------------------------

absl::Status EmbeddedStorageImpl::CollectTrace(const Version& v, std::string_view tenant,
                                               const model::TraceId& id, model::SpanSet& out) {
  int sources = 0;
  const model::TraceId ids[] = {id};
  for (const auto& mem : {v.head, v.frozen}) {
    if (mem == nullptr) continue;
    size_t before = out.size();
    SKUA_RETURN_IF_ERROR(mem->GetTraces(tenant, ids, [&](model::SpanSet chunk) {
      out.CopySpans(chunk.spans());
      return true;
    }));
    if (out.size() > before) ++sources;
  }
  for (const auto& b : v.blocks) {
    if (b->info().tenant != tenant || !b->MayContainTrace(id)) continue;
    size_t before = out.size();
    absl::Status s = b->ReadTrace(id, out);
    if (!s.ok()) {
      ReportReadError(*b, s);
      continue;
    }
    if (out.size() > before) ++sources;
  }
  if (sources <= 1) return absl::OkStatus();
  // The same span may have been written again after an earlier copy reached a block (a client
  // retry): keep one of each.
  std::vector<size_t> order(out.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto& spans = out.spans();
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return spans[a].span_id < spans[b].span_id;
  });
  std::vector<bool> drop(out.size(), false);
  bool any = false;
  for (size_t i = 0; i < order.size(); ++i) {
    for (size_t j = i + 1; j < order.size() && spans[order[j]].span_id == spans[order[i]].span_id;
         ++j) {
      if (!drop[order[j]] && SpanContentEquals(spans[order[i]], spans[order[j]])) {
        drop[order[j]] = true;
        any = true;
      }
    }
  }
  if (!any) return absl::OkStatus();
  model::SpanSet unique(std::clamp<size_t>(out.bytes_used(), 512, Arena::kMaxBlockSize));
  for (size_t i = 0; i < spans.size(); ++i) {
    if (!drop[i]) unique.CopySpan(spans[i]);
  }
  out = std::move(unique);
  return absl::OkStatus();
}

absl::Status EmbeddedStorageImpl::GetTraces(std::string_view tenant,
                                            std::span<const model::TraceId> trace_ids,
                                            const TraceSink& sink) {
  if (closed()) return absl::UnavailableError("embedded store is closed");
  auto v = Snapshot();
  absl::flat_hash_map<model::TraceId, bool, model::TraceIdHash> seen;
  for (const model::TraceId& id : trace_ids) {
    if (!seen.emplace(id, true).second) continue;
    model::SpanSet trace;
    SKUA_RETURN_IF_ERROR(CollectTrace(*v, tenant, id, trace));
    if (trace.empty()) continue;
    if (trace.size() <= kMaxChunkSpans) {
      if (!sink(std::move(trace))) return absl::OkStatus();
      continue;
    }
    for (size_t i = 0; i < trace.size(); i += kMaxChunkSpans) {
      model::SpanSet chunk;
      size_t end = std::min(trace.size(), i + kMaxChunkSpans);
      chunk.CopySpans(std::span<const model::Span>(trace.spans()).subspan(i, end - i));
      if (!sink(std::move(chunk))) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<model::TraceId, EmbeddedStorageImpl::Hit>>>
EmbeddedStorageImpl::Search(std::string_view tenant, const TraceQuery& query) {
  if (closed()) return absl::UnavailableError("embedded store is closed");
  if (query.num_traces <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_traces must be > 0, got ", query.num_traces));
  }
  auto v = Snapshot();
  const size_t limit = static_cast<size_t>(query.num_traces);
  absl::flat_hash_map<model::TraceId, Hit, model::TraceIdHash> hits;
  auto merge = [&](const model::TraceId& id, uint64_t newest, uint64_t start, uint64_t end) {
    Hit& h = hits[id];
    h.newest = std::max(h.newest, newest);
    h.start = std::min(h.start, start);
    h.end = std::max(h.end, end);
  };
  // A trace outside one part's top `limit` cannot enter the overall top `limit` through that
  // part, so each part is asked for its own top `limit` only (docs/storage/embedded.md, "Search").
  for (const auto& mem : {v->head, v->frozen}) {
    if (mem == nullptr) continue;
    SKUA_ASSIGN_OR_RETURN(auto found, mem->FindMatches(tenant, query));
    for (const auto& m : found) merge(m.trace_id, m.newest_match, m.start_time, m.end_time);
  }
  std::vector<uint64_t> newest;
  for (const auto& b : v->blocks) {
    const BlockInfo& info = b->info();
    if (info.tenant != tenant) continue;
    if (info.max_start < query.start_time_min || info.min_start > query.start_time_max) continue;
    if (hits.size() >= limit) {
      // Blocks come newest first: once the limit-th best match is newer than anything this
      // block (and every later one) holds, no later block can change the answer.
      newest.clear();
      for (const auto& [id, h] : hits) newest.push_back(h.newest);
      std::nth_element(newest.begin(), newest.begin() + (limit - 1), newest.end(),
                       std::greater<uint64_t>());
      if (std::min(info.max_start, query.start_time_max) < newest[limit - 1]) break;
    }
    auto found = b->Search(query);
    if (!found.ok()) {
      ReportReadError(*b, found.status());
      continue;
    }
    for (const BlockMatch& m : *found) merge(m.trace_id, m.newest_match, m.start_time, m.end_time);
  }
  std::vector<std::pair<model::TraceId, Hit>> out(hits.begin(), hits.end());
  auto better = [](const auto& a, const auto& b) {
    if (a.second.newest != b.second.newest) return a.second.newest > b.second.newest;
    return a.first < b.first;
  };
  size_t keep = std::min(out.size(), limit);
  std::partial_sort(out.begin(), out.begin() + keep, out.end(), better);
  out.resize(keep);
  return out;
}

absl::Status EmbeddedStorageImpl::FindTraces(std::string_view tenant, const TraceQuery& query,
                                             const TraceSink& sink) {
  SKUA_ASSIGN_OR_RETURN(auto found, Search(tenant, query));
  std::vector<model::TraceId> ids;
  ids.reserve(found.size());
  for (const auto& [id, hit] : found) ids.push_back(id);
  return GetTraces(tenant, ids, sink);
}

absl::StatusOr<std::vector<FoundTrace>> EmbeddedStorageImpl::FindTraceIds(
    std::string_view tenant, const TraceQuery& query) {
  SKUA_ASSIGN_OR_RETURN(auto found, Search(tenant, query));
  std::vector<FoundTrace> out;
  out.reserve(found.size());
  for (const auto& [id, hit] : found) out.push_back(FoundTrace{id, hit.start, hit.end});
  return out;
}

absl::StatusOr<std::vector<std::string>> EmbeddedStorageImpl::GetServices(
    std::string_view tenant) {
  if (closed()) return absl::UnavailableError("embedded store is closed");
  auto v = Snapshot();
  std::vector<std::string> out;
  for (const auto& mem : {v->head, v->frozen}) {
    if (mem == nullptr) continue;
    SKUA_ASSIGN_OR_RETURN(auto services, mem->GetServices(tenant));
    out.insert(out.end(), services.begin(), services.end());
  }
  {
    absl::MutexLock lock(&catalog_mu_);
    auto it = catalog_.find(ToAbsl(tenant));
    if (it != catalog_.end()) {
      for (const auto& [service, ops] : it->second) out.push_back(service);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<std::vector<Operation>> EmbeddedStorageImpl::GetOperations(
    std::string_view tenant, const OperationQuery& query) {
  if (closed()) return absl::UnavailableError("embedded store is closed");
  auto v = Snapshot();
  std::vector<Operation> out;
  for (const auto& mem : {v->head, v->frozen}) {
    if (mem == nullptr) continue;
    SKUA_ASSIGN_OR_RETURN(auto ops, mem->GetOperations(tenant, query));
    out.insert(out.end(), ops.begin(), ops.end());
  }
  {
    absl::MutexLock lock(&catalog_mu_);
    auto it = catalog_.find(ToAbsl(tenant));
    if (it != catalog_.end()) {
      auto svc = it->second.find(query.service_name);
      if (svc != it->second.end()) {
        for (const auto& [name, kinds] : svc->second) {
          AppendOperationKinds(name, kinds, query.span_kind, out);
        }
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Operation& a, const Operation& b) {
    return std::tie(a.name, a.span_kind) < std::tie(b.name, b.span_kind);
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

absl::StatusOr<std::vector<DependencyLink>> EmbeddedStorageImpl::GetDependencies(
    std::string_view tenant, uint64_t start_time, uint64_t end_time) {
  if (closed()) return absl::UnavailableError("embedded store is closed");
  auto v = Snapshot();
  absl::btree_map<std::pair<std::string, std::string>, uint64_t> counts;
  auto add = [&](const std::vector<DependencyLink>& links) {
    for (const DependencyLink& l : links) counts[{l.parent, l.child}] += l.call_count;
  };
  for (const auto& mem : {v->head, v->frozen}) {
    if (mem == nullptr) continue;
    SKUA_ASSIGN_OR_RETURN(auto links, mem->GetDependencies(tenant, start_time, end_time));
    add(links);
  }
  for (const auto& b : v->blocks) {
    const BlockInfo& info = b->info();
    if (info.tenant != tenant || info.max_start < start_time || info.min_start > end_time) continue;
    auto links = b->Dependencies(start_time, end_time);
    if (!links.ok()) {
      ReportReadError(*b, links.status());
      continue;
    }
    add(*links);
  }
  std::vector<DependencyLink> out;
  out.reserve(counts.size());
  for (auto& [edge, count] : counts) {
    out.push_back(DependencyLink{edge.first, edge.second, count, "jaeger"});
  }
  return out;
}

}  // namespace

absl::Status EmbeddedOptions::Validate() const {
  if (directory.empty()) return absl::InvalidArgumentError("embedded.directory must be set");
  if (retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("embedded.retention must be > 0");
  }
  if (head_max_bytes == 0) return absl::InvalidArgumentError("embedded.head-max-bytes must be > 0");
  if (head_max_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("embedded.head-max-age must be > 0");
  }
  if (maintenance_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("embedded.maintenance-interval must be > 0");
  }
  if (group_commit_window < absl::ZeroDuration() || group_commit_window > absl::Seconds(1)) {
    return absl::InvalidArgumentError("embedded.group-commit-window must be in [0, 1s]");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<EmbeddedStorage>> EmbeddedStorage::Open(EmbeddedOptions options) {
  SKUA_RETURN_IF_ERROR(options.Validate());
  auto store = std::make_unique<EmbeddedStorageImpl>(std::move(options));
  absl::Status s = store->Init();
  if (!s.ok()) {
    IgnoreError(store->Close(), "the open error is what the caller needs");
    return s;
  }
  return store;
}

absl::StatusOr<std::unique_ptr<Storage>> OpenEmbeddedStorage(EmbeddedOptions options) {
  SKUA_ASSIGN_OR_RETURN(auto store, EmbeddedStorage::Open(std::move(options)));
  return std::unique_ptr<Storage>(std::move(store));
}

}  // namespace skua::storage::embedded
