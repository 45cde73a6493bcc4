#include "storage/embedded/wal.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/crc32c.h"
#include "base/metrics.h"
#include "base/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// ---- Largest-allocation probe -------------------------------------------------------------------
// Replacing the global allocation functions lets the damage tests prove that a length read from
// disk never turns into an allocation of that size.
namespace {
std::atomic<size_t> g_largest_allocation{0};
void NoteAllocation(size_t n) {
  size_t cur = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > cur && !g_largest_allocation.compare_exchange_weak(cur, n)) {
  }
}
void* Allocate(size_t n) {
  NoteAllocation(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace
void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  NoteAllocation(n);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](size_t n, const std::nothrow_t&) noexcept {
  NoteAllocation(n);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

// ---- Fault injection ----------------------------------------------------------------------------
// The test binary's own fdatasync and ftruncate take precedence over libc's for the statically
// linked log, so a test can make the next call fail with a chosen errno. Unarmed, they pass
// straight to the kernel.
namespace fault {
std::atomic<int> fdatasync_errno{0};  // the next fdatasync fails with this errno (once)
std::atomic<int> ftruncate_errno{0};  // the next ftruncate fails with this errno (once)
}  // namespace fault
extern "C" int fdatasync(int fd) {
  if (int e = fault::fdatasync_errno.exchange(0); e != 0) {
    errno = e;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}
extern "C" int ftruncate(int fd, off_t length) noexcept {
  if (int e = fault::ftruncate_errno.exchange(0); e != 0) {
    errno = e;
    return -1;
  }
  return static_cast<int>(::syscall(SYS_ftruncate, fd, length));
}

namespace skua::storage::embedded {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// ---- Helpers ------------------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/skua_wal_test_XXXXXX");
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    char* p = ::mkdtemp(buf.data());
    if (p == nullptr) {
      ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
      return;
    }
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Deterministic payload bytes, different for every (seed, size).
std::string Payload(uint64_t seed, size_t size) {
  std::string s(size, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + size + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x);
  }
  return s;
}

struct Replayed {
  std::vector<uint64_t> sequences;
  std::vector<std::string> payloads;
};

absl::StatusOr<std::unique_ptr<WriteAheadLog>> OpenLog(const WalOptions& options,
                                                       uint64_t replay_after, Replayed* out,
                                                       WalRecoveryReport* report = nullptr) {
  return WriteAheadLog::Open(
      options, replay_after,
      [out](uint64_t seq, std::string_view payload) {
        if (out != nullptr) {
          out->sequences.push_back(seq);
          out->payloads.emplace_back(payload);
        }
        return absl::OkStatus();
      },
      report);
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string n = e.path().filename().string();
    // wal-<20 digits>.log only; a test may plant look-alikes.
    if (n.rfind("wal-", 0) == 0 && n.size() == 28 && n.substr(24) == ".log") {
      names.push_back(e.path().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

// An encoder and decoder written from docs/storage/embedded-wal.md, independently of wal.cc, so
// the tests also check that the implementation writes what the document says.
void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
uint64_t GetLe(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t{static_cast<uint8_t>(in[at + i])} << (8 * i);
  return v;
}
std::string DocSegmentHeader(uint64_t number, uint64_t first_sequence) {
  std::string h("SKUAWAL\0", 8);
  PutLe(h, 1, 4);
  PutLe(h, number, 8);
  PutLe(h, first_sequence, 8);
  PutLe(h, Crc32c(h), 4);
  return h;
}
std::string DocRecord(uint64_t sequence, std::string_view payload) {
  std::string lenseq;
  PutLe(lenseq, payload.size(), 4);
  PutLe(lenseq, sequence, 8);
  std::string r;
  PutLe(r, Crc32cExtend(Crc32c(payload), lenseq), 4);
  r += lenseq;
  r += payload;
  return r;
}
std::string DocSegmentName(uint64_t number) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "wal-%020llu.log", static_cast<unsigned long long>(number));
  return buf;
}
struct DocRecordInfo {
  uint64_t offset;
  uint64_t sequence;
  uint64_t length;
};
struct DocSegment {
  uint64_t number = 0;
  uint64_t first_sequence = 0;
  std::vector<DocRecordInfo> records;  // intact records, up to the first damage
};
// Parses an undamaged segment file strictly; test failures on any deviation.
DocSegment ParseDocSegment(const std::string& path) {
  std::string b = ReadFile(path);
  DocSegment s;
  EXPECT_GE(b.size(), 32u) << path;
  if (b.size() < 32) return s;
  EXPECT_EQ(b.substr(0, 8), std::string("SKUAWAL\0", 8));
  EXPECT_EQ(GetLe(b, 8, 4), 1u);
  EXPECT_EQ(GetLe(b, 28, 4), Crc32c(std::string_view(b).substr(0, 28)));
  s.number = GetLe(b, 12, 8);
  s.first_sequence = GetLe(b, 20, 8);
  EXPECT_EQ(fs::path(path).filename().string(), DocSegmentName(s.number));
  size_t off = 32;
  while (off < b.size()) {
    EXPECT_GE(b.size() - off, 16u) << path;
    if (b.size() - off < 16) break;
    uint64_t len = GetLe(b, off + 4, 4);
    uint64_t seq = GetLe(b, off + 8, 8);
    EXPECT_LE(len, b.size() - off - 16) << path;
    if (len > b.size() - off - 16) break;
    uint32_t crc = Crc32cExtend(Crc32c(std::string_view(b).substr(off + 16, len)),
                                std::string_view(b).substr(off + 4, 12));
    EXPECT_EQ(GetLe(b, off, 4), crc) << path << " @" << off;
    EXPECT_EQ(seq, s.first_sequence + s.records.size()) << path << " @" << off;
    s.records.push_back({off, seq, len});
    off += 16 + len;
  }
  return s;
}

WalOptions Options(const std::string& dir) {
  WalOptions o;
  o.directory = dir;
  return o;
}

// ---- Round trip ---------------------------------------------------------------------------------

TEST(WalTest, RoundTripVariedSizesAndSequencesContinueAfterReopen) {
  TempDir tmp;
  WalOptions options = Options(tmp.path() + "/log/nested");  // created, parents included
  const std::vector<size_t> sizes = {0, 1, size_t{1} << 20, 100, 70000};
  std::vector<std::string> payloads;
  {
    WalRecoveryReport report;
    auto wal = OpenLog(options, 0, nullptr, &report);
    ASSERT_TRUE(wal.ok()) << wal.status();
    EXPECT_EQ(report.records_replayed, 0u);
    EXPECT_EQ((*wal)->last_sequence(), 0u);
    for (size_t i = 0; i < sizes.size(); ++i) {
      payloads.push_back(Payload(i, sizes[i]));
      auto seq = (*wal)->Append(payloads.back());
      ASSERT_TRUE(seq.ok()) << seq.status();
      EXPECT_EQ(*seq, i + 1);
    }
    EXPECT_EQ((*wal)->last_sequence(), sizes.size());
    uint64_t expected_bytes = 32;
    for (size_t s : sizes) expected_bytes += 16 + s;
    EXPECT_EQ((*wal)->bytes_on_disk(), expected_bytes);
    EXPECT_EQ((*wal)->sync_count(), sizes.size() + 1);  // one per append, one for the new file
    ASSERT_TRUE((*wal)->Close().ok());
  }
  {
    Replayed got;
    WalRecoveryReport report;
    auto wal = OpenLog(options, 0, &got, &report);
    ASSERT_TRUE(wal.ok()) << wal.status();
    EXPECT_THAT(got.sequences, ElementsAreArray({1, 2, 3, 4, 5}));
    EXPECT_EQ(got.payloads, payloads);
    EXPECT_EQ(report.records_replayed, 5u);
    EXPECT_EQ(report.records_skipped, 0u);
    EXPECT_EQ(report.bytes_discarded, 0u);
    EXPECT_EQ(report.damaged_segments, 0u);
    EXPECT_EQ(report.last_sequence, 5u);
    EXPECT_EQ((*wal)->last_sequence(), 5u);
    payloads.push_back("after reopen");
    auto seq = (*wal)->Append(payloads.back());
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, 6u);
  }  // destroyed without Close: the destructor closes
  // The append after the reopen went to a new segment.
  EXPECT_EQ(SegmentFiles(options.directory).size(), 2u);
  {
    Replayed got;
    WalRecoveryReport report;
    auto wal = OpenLog(options, 3, &got, &report);
    ASSERT_TRUE(wal.ok()) << wal.status();
    EXPECT_THAT(got.sequences, ElementsAreArray({4, 5, 6}));
    EXPECT_EQ(got.payloads, std::vector<std::string>(payloads.begin() + 3, payloads.end()));
    EXPECT_EQ(report.records_replayed, 3u);
    EXPECT_EQ(report.records_skipped, 3u);
    EXPECT_EQ(report.last_sequence, 6u);
  }
}

TEST(WalTest, WrittenFilesMatchTheDocumentedFormat) {
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  auto wal = OpenLog(options, 0, nullptr);
  ASSERT_TRUE(wal.ok()) << wal.status();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*wal)->Append(Payload(i, 10 * i)).ok());
  ASSERT_TRUE((*wal)->Close().ok());
  auto files = SegmentFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(fs::path(files[0]).filename().string(), "wal-00000000000000000001.log");
  std::string expected = DocSegmentHeader(1, 1);
  for (int i = 0; i < 3; ++i) expected += DocRecord(i + 1, Payload(i, 10 * i));
  EXPECT_EQ(ReadFile(files[0]), expected);
}

TEST(WalTest, ReplayAfterBeyondTheLogKeepsSequencesIncreasing) {
  // The owner's checkpoint can be ahead of the log when every segment was released.
  TempDir tmp;
  WalRecoveryReport report;
  auto wal = OpenLog(Options(tmp.path()), 100, nullptr, &report);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ(report.last_sequence, 0u);
  EXPECT_EQ((*wal)->last_sequence(), 100u);
  auto seq = (*wal)->Append("x");
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 101u);
}

TEST(WalTest, RejectsBadOptionsAndOversizedRecords) {
  TempDir tmp;
  WalOptions bad;
  EXPECT_EQ(OpenLog(bad, 0, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  bad = Options(tmp.path());
  bad.segment_bytes = 0;
  EXPECT_EQ(OpenLog(bad, 0, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  bad = Options(tmp.path());
  bad.max_record_bytes = uint64_t{1} << 33;  // wider than the 32-bit length field
  EXPECT_EQ(OpenLog(bad, 0, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  bad = Options(tmp.path());
  bad.group_commit_window_micros = 2'000'000;
  EXPECT_EQ(OpenLog(bad, 0, nullptr).status().code(), absl::StatusCode::kInvalidArgument);

  WalOptions options = Options(tmp.path());
  options.max_record_bytes = 10;
  auto wal = OpenLog(options, 0, nullptr);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ((*wal)->Append(std::string(11, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto seq = (*wal)->Append(std::string(10, 'x'));
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 1u);  // the rejected record took no sequence number
}

TEST(WalTest, ReplayCallbackErrorAbortsOpen) {
  TempDir tmp;
  {
    auto wal = OpenLog(Options(tmp.path()), 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_TRUE((*wal)->Append("a").ok());
    ASSERT_TRUE((*wal)->Append("b").ok());
  }
  int calls = 0;
  auto wal = WriteAheadLog::Open(Options(tmp.path()), 0, [&](uint64_t, std::string_view) {
    ++calls;
    return absl::DataLossError("cannot decode");
  });
  EXPECT_EQ(wal.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(calls, 1);
}

TEST(WalTest, AppendAfterCloseIsUnavailableAndCloseIsIdempotent) {
  TempDir tmp;
  auto wal = OpenLog(Options(tmp.path()), 0, nullptr);
  ASSERT_TRUE(wal.ok()) << wal.status();
  ASSERT_TRUE((*wal)->Append("a").ok());
  ASSERT_TRUE((*wal)->Close().ok());
  EXPECT_EQ((*wal)->Append("b").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE((*wal)->Close().ok());
  EXPECT_EQ((*wal)->last_sequence(), 1u);
}

TEST(WalTest, WithoutSyncBeforeAckEverythingIsReplayedAfterClose) {
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  options.sync_before_ack = false;
  options.segment_bytes = 8 << 10;  // several segments, each closed without a sync
  std::vector<std::string> payloads;
  {
    auto wal = OpenLog(options, 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    for (int i = 0; i < 100; ++i) {
      payloads.push_back(Payload(i, 300 + i));
      ASSERT_TRUE((*wal)->Append(payloads.back()).ok());
    }
    EXPECT_EQ((*wal)->sync_count(), 0u);
    ASSERT_TRUE((*wal)->Close().ok());
  }
  EXPECT_GT(SegmentFiles(tmp.path()).size(), 3u);
  Replayed got;
  WalRecoveryReport report;
  auto wal = OpenLog(options, 0, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ(got.payloads, payloads);
  EXPECT_EQ(report.records_replayed, 100u);
  EXPECT_EQ(report.bytes_discarded, 0u);
}

// ---- Group commit -------------------------------------------------------------------------------

TEST(WalTest, ConcurrentAppendsShareSyncsAndAreReplayedExactlyOnce) {
  TempDir tmp;
  Metrics metrics;
  WalOptions options = Options(tmp.path());
  options.metrics = &metrics;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  constexpr int kTotal = kThreads * kPerThread;
  std::map<uint64_t, std::string> acked;  // sequence -> payload
  absl::Mutex acked_mu;
  std::atomic<int> failures{0};
  auto wal = OpenLog(options, 0, nullptr);
  ASSERT_TRUE(wal.ok()) << wal.status();
  auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          std::string p = Payload(t * 1000 + i, 1000 + 37 * ((t * kPerThread + i) % 200));
          auto seq = (*wal)->Append(p);
          if (!seq.ok()) {
            failures.fetch_add(1);
            continue;
          }
          absl::MutexLock lock(&acked_mu);
          if (!acked.emplace(*seq, std::move(p)).second) failures.fetch_add(1);  // duplicate
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_EQ(acked.size(), static_cast<size_t>(kTotal));
  EXPECT_EQ(acked.begin()->first, 1u);
  EXPECT_EQ(acked.rbegin()->first, static_cast<uint64_t>(kTotal));
  uint64_t syncs = (*wal)->sync_count();
  std::cout << "[ wal ] " << kTotal << " appends from " << kThreads << " threads in " << secs
            << " s = " << static_cast<uint64_t>(kTotal / secs) << " appends/s; " << syncs
            << " syncs = " << static_cast<double>(syncs) / kTotal << " syncs/append\n";
  // Strictly fewer syncs than appends: with 8 threads blocked in fdatasync-bound appends some
  // group always holds more than one record. (The ratio is printed above; it depends on the
  // machine, so it is not asserted more tightly.)
  EXPECT_LT(syncs, static_cast<uint64_t>(kTotal));
  EXPECT_EQ(metrics.CounterValue("skua_wal_appends_total"), static_cast<uint64_t>(kTotal));
  EXPECT_EQ(metrics.CounterValue("skua_wal_syncs_total"), syncs);
  EXPECT_EQ(metrics.CounterValue("skua_wal_bytes_written_total"), (*wal)->bytes_on_disk());
  EXPECT_EQ(metrics.CounterValue("skua_wal_append_errors_total"), 0u);
  // Every acknowledged append is timed once; every group sync once (the one directory sync of
  // the single segment is not a group sync).
  auto observations = [](const Histogram& h) {
    uint64_t n = 0;
    for (size_t i = 0; i <= h.bounds().size(); ++i) n += h.bucket_count(i);
    return n;
  };
  const Histogram& commit = metrics.GetHistogram("skua_wal_commit_seconds", "", {});
  const Histogram& sync = metrics.GetHistogram("skua_wal_sync_seconds", "", {});
  EXPECT_EQ(observations(commit), static_cast<uint64_t>(kTotal));
  EXPECT_EQ(observations(sync), syncs - 1);
  EXPECT_GT(commit.sum(), 0.0);
  EXPECT_LE(commit.sum(), secs * kThreads);  // no append waits longer than the whole run
  EXPECT_GE(commit.sum(), sync.sum());       // each group's sync is in each member's latency
  ASSERT_TRUE((*wal)->Close().ok());

  Replayed got;
  auto again = OpenLog(options, 0, &got);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(got.sequences.size(), static_cast<size_t>(kTotal));
  size_t i = 0;
  for (const auto& [seq, payload] : acked) {
    EXPECT_EQ(got.sequences[i], seq);
    EXPECT_TRUE(got.payloads[i] == payload) << "payload of " << seq;
    ++i;
  }
}

TEST(WalTest, GroupCommitWindowSpacesSyncsApart) {
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  options.group_commit_window_micros = 20'000;
  constexpr int kThreads = 4;
  constexpr int kPerThread = 15;
  auto wal = OpenLog(options, 0, nullptr);
  ASSERT_TRUE(wal.ok()) << wal.status();
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          if (!(*wal)->Append(Payload(t * 100 + i, 500)).ok()) failures.fetch_add(1);
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(failures.load(), 0);
  // Each group's sync starts at least 20 ms after the previous one's; one more sync made the new
  // segment's directory entry durable.
  uint64_t data_syncs = (*wal)->sync_count() - 1;
  std::cout << "[ wal ] window 20 ms: " << kThreads * kPerThread << " appends, " << data_syncs
            << " group syncs in " << elapsed_ms << " ms\n";
  EXPECT_LE(static_cast<double>(data_syncs), elapsed_ms / 20.0 + 1.0);
  EXPECT_LT(data_syncs, static_cast<uint64_t>(kThreads * kPerThread));
  ASSERT_TRUE((*wal)->Close().ok());
  WalRecoveryReport report;
  ASSERT_TRUE(OpenLog(options, 0, nullptr, &report).ok());
  EXPECT_EQ(report.records_replayed, static_cast<uint64_t>(kThreads * kPerThread));
}

TEST(WalTest, GroupCommitWindowStopsDelayingALoneSequentialWriter) {
  // One writer that waits for each append before the next: nothing can join its groups, so after
  // a few fruitless waits the log stops waiting (trying again now and then). With a 50 ms window,
  // waiting every time would take at least (kAppends - 1) * 50 ms = 2.35 s.
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  options.group_commit_window_micros = 50'000;
  constexpr int kAppends = 48;
  auto wal = OpenLog(options, 0, nullptr);
  ASSERT_TRUE(wal.ok()) << wal.status();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kAppends; ++i) ASSERT_TRUE((*wal)->Append(Payload(i, 300)).ok());
  double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ wal ] window 50 ms, one sequential writer: " << kAppends << " appends in "
            << elapsed_ms << " ms\n";
  // 8 fruitless waits, then one probe per 16 groups: about 11 waits of 50 ms, plus the syncs.
  EXPECT_LT(elapsed_ms, (kAppends - 1) * 50.0 * 0.75);
  EXPECT_EQ((*wal)->sync_count(), static_cast<uint64_t>(kAppends) + 1);  // + the directory
}

// ---- Segments and release -----------------------------------------------------------------------

TEST(WalTest, SegmentsRollOverAndReleaseDeletesCoveredSegments) {
  TempDir tmp;
  Metrics metrics;
  WalOptions options = Options(tmp.path());
  options.segment_bytes = 4096;
  options.metrics = &metrics;
  constexpr int kRecords = 40;
  auto wal = OpenLog(options, 0, nullptr);
  ASSERT_TRUE(wal.ok()) << wal.status();
  for (int i = 0; i < kRecords; ++i) ASSERT_TRUE((*wal)->Append(Payload(i, 1000)).ok());

  // Read the layout back with the documented format.
  std::vector<std::string> files = SegmentFiles(tmp.path());
  ASSERT_GE(files.size(), 5u);
  std::vector<DocSegment> segs;
  std::vector<uint64_t> sizes;
  uint64_t total_bytes = 0;
  uint64_t next = 1;
  for (const auto& f : files) {
    segs.push_back(ParseDocSegment(f));
    sizes.push_back(fs::file_size(f));
    total_bytes += sizes.back();
    ASSERT_FALSE(segs.back().records.empty()) << f;
    EXPECT_EQ(segs.back().first_sequence, next) << f;
    next += segs.back().records.size();
    // A segment is closed once it holds at least segment_bytes: only the last may be smaller.
    if (f != files.back()) {
      EXPECT_GE(fs::file_size(f), options.segment_bytes);
    }
  }
  EXPECT_EQ(next, static_cast<uint64_t>(kRecords + 1));
  EXPECT_EQ((*wal)->bytes_on_disk(), total_bytes);
  EXPECT_EQ(metrics.GetGauge("skua_wal_segments", "").value(), static_cast<double>(files.size()));
  EXPECT_EQ(metrics.GetGauge("skua_wal_bytes", "").value(), static_cast<double>(total_bytes));

  // Release through the middle of the third segment: the first two go, the third stays.
  uint64_t release = segs[2].records[1].sequence;
  ASSERT_TRUE((*wal)->ReleaseThrough(release).ok());
  std::vector<std::string> left = SegmentFiles(tmp.path());
  EXPECT_EQ(left, std::vector<std::string>(files.begin() + 2, files.end()));
  EXPECT_EQ((*wal)->bytes_on_disk(), total_bytes - sizes[0] - sizes[1]);
  EXPECT_EQ(metrics.GetGauge("skua_wal_segments", "").value(), static_cast<double>(left.size()));

  // Release exactly through the last record of the third segment: it goes too.
  ASSERT_TRUE((*wal)->ReleaseThrough(segs[2].records.back().sequence).ok());
  left = SegmentFiles(tmp.path());
  EXPECT_EQ(left, std::vector<std::string>(files.begin() + 3, files.end()));

  // Releasing everything keeps the newest segment.
  ASSERT_TRUE((*wal)->ReleaseThrough(kRecords).ok());
  left = SegmentFiles(tmp.path());
  EXPECT_EQ(left, std::vector<std::string>(files.end() - 1, files.end()));
  ASSERT_TRUE((*wal)->Close().ok());

  // Replay after the release covers every record above the released point.
  uint64_t kept_first = segs.back().first_sequence;
  Replayed got;
  WalRecoveryReport report;
  auto again = OpenLog(options, kept_first + 1, &got, &report);
  ASSERT_TRUE(again.ok()) << again.status();
  std::vector<uint64_t> want;
  for (uint64_t s = kept_first + 2; s <= kRecords; ++s) want.push_back(s);
  EXPECT_EQ(got.sequences, want);
  EXPECT_EQ(report.records_skipped, 2u);
  // Once the reopened log has a newer segment, the old one can be released.
  ASSERT_TRUE((*again)->Append("new").ok());
  ASSERT_TRUE((*again)->ReleaseThrough(kRecords).ok());
  left = SegmentFiles(tmp.path());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(ParseDocSegment(left[0]).first_sequence, static_cast<uint64_t>(kRecords + 1));
}

// ---- Damage -------------------------------------------------------------------------------------

// Writes `n` records of `size` bytes with the given segment size and closes the log.
std::vector<std::string> WriteRecords(const WalOptions& options, int n, size_t size) {
  std::vector<std::string> payloads;
  auto wal = OpenLog(options, 0, nullptr);
  EXPECT_TRUE(wal.ok()) << wal.status();
  if (!wal.ok()) return payloads;
  for (int i = 0; i < n; ++i) {
    payloads.push_back(Payload(i, size));
    EXPECT_TRUE((*wal)->Append(payloads.back()).ok());
  }
  EXPECT_TRUE((*wal)->Close().ok());
  return payloads;
}

TEST(WalTest, TornTailIsDiscardedAndAppendsContinueInANewSegment) {
  TempDir tmp;
  Metrics metrics;
  WalOptions options = Options(tmp.path());
  options.metrics = &metrics;
  std::vector<std::string> payloads = WriteRecords(options, 10, 1000);
  auto files = SegmentFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  uint64_t size = fs::file_size(files[0]);
  fs::resize_file(files[0], size - 500);  // the last record loses its final 500 bytes

  Replayed got;
  WalRecoveryReport report;
  {
    auto wal = OpenLog(options, 0, &got, &report);
    ASSERT_TRUE(wal.ok()) << wal.status();
    EXPECT_EQ(got.payloads, std::vector<std::string>(payloads.begin(), payloads.end() - 1));
    EXPECT_EQ(report.bytes_discarded, 16u + 1000u - 500u);
    EXPECT_EQ(report.damaged_segments, 1u);
    EXPECT_EQ(report.last_sequence, 9u);
    EXPECT_EQ(metrics.CounterValue("skua_wal_damaged_bytes_total"), 516u);
    EXPECT_EQ(metrics.CounterValue("skua_wal_damaged_segments_total"), 1u);
    auto seq = (*wal)->Append("fresh");
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, 10u);  // the torn record never counted
    ASSERT_TRUE((*wal)->Close().ok());
  }
  // The damaged segment was not appended to.
  EXPECT_EQ(fs::file_size(files[0]), size - 500);
  EXPECT_EQ(SegmentFiles(tmp.path()).size(), 2u);

  Replayed again;
  WalRecoveryReport report2;
  auto wal = OpenLog(options, 0, &again, &report2);
  ASSERT_TRUE(wal.ok()) << wal.status();
  std::vector<std::string> want(payloads.begin(), payloads.end() - 1);
  want.push_back("fresh");
  EXPECT_EQ(again.payloads, want);
  EXPECT_THAT(again.sequences, ElementsAreArray({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(report2.bytes_discarded, 516u);
}

TEST(WalTest, CorruptByteInAnOlderSegmentSkipsTheRestOfThatSegmentOnly) {
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  options.segment_bytes = 4096;
  std::vector<std::string> payloads = WriteRecords(options, 30, 1000);
  auto files = SegmentFiles(tmp.path());
  ASSERT_GE(files.size(), 4u);
  DocSegment second = ParseDocSegment(files[1]);
  ASSERT_GE(second.records.size(), 3u);
  const DocRecordInfo& victim = second.records[1];
  {
    std::string bytes = ReadFile(files[1]);
    bytes[victim.offset + 16 + 500] ^= 0x01;
    WriteFile(files[1], bytes);
  }
  Replayed got;
  WalRecoveryReport report;
  auto wal = OpenLog(options, 0, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status();
  std::vector<uint64_t> want;
  for (uint64_t s = 1; s <= 30; ++s) {
    if (s < victim.sequence || s >= second.first_sequence + second.records.size()) {
      want.push_back(s);
    }
  }
  EXPECT_EQ(got.sequences, want);
  for (size_t i = 0; i < got.sequences.size(); ++i) {
    EXPECT_TRUE(got.payloads[i] == payloads[got.sequences[i] - 1]);
  }
  EXPECT_EQ(report.damaged_segments, 1u);
  EXPECT_EQ(report.bytes_discarded, fs::file_size(files[1]) - victim.offset);
  EXPECT_EQ(report.last_sequence, 30u);
}

TEST(WalTest, AbsurdLengthIsDamageWithoutAHugeAllocation) {
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  std::vector<std::string> payloads = WriteRecords(options, 5, 200);
  auto files = SegmentFiles(tmp.path());
  ASSERT_EQ(files.size(), 1u);
  DocSegment seg = ParseDocSegment(files[0]);
  ASSERT_EQ(seg.records.size(), 5u);
  std::string original = ReadFile(files[0]);

  // 0xFFFFFFFF (beyond max_record_bytes) and 60 MiB (allowed by max_record_bytes but longer than
  // the file) in the length field of the third record.
  for (uint32_t length : {0xFFFFFFFFu, 60u << 20}) {
    SCOPED_TRACE(length);
    std::string bytes = original;
    for (int i = 0; i < 4; ++i) {
      bytes[seg.records[2].offset + 4 + i] = static_cast<char>(length >> (8 * i));
    }
    WriteFile(files[0], bytes);
    Replayed got;
    WalRecoveryReport report;
    g_largest_allocation.store(0);
    auto wal = OpenLog(options, 0, &got, &report);
    size_t largest = g_largest_allocation.load();
    ASSERT_TRUE(wal.ok()) << wal.status();
    EXPECT_THAT(got.sequences, ElementsAreArray({1, 2}));
    EXPECT_EQ(report.bytes_discarded, original.size() - seg.records[2].offset);
    EXPECT_EQ(report.damaged_segments, 1u);
    EXPECT_LT(largest, size_t{1} << 20) << "an allocation followed a length read from disk";
    wal->reset();
    // Remove the segment the reopen may have created, so each round sees one damaged file.
    for (const auto& f : SegmentFiles(tmp.path())) {
      if (f != files[0]) fs::remove(f);
    }
  }
}

TEST(WalTest, DamagedHeaderAndForeignFilesAreSkipped) {
  TempDir tmp;
  WalOptions options = Options(tmp.path());
  std::vector<std::string> payloads = WriteRecords(options, 3, 50);
  // A later segment with a garbage header, an empty one, and files that are not segments.
  WriteFile(tmp.path() + "/" + DocSegmentName(7), std::string(100, 'z'));
  WriteFile(tmp.path() + "/" + DocSegmentName(8), "");
  WriteFile(tmp.path() + "/wal-1.log", "not a segment name");
  WriteFile(tmp.path() + "/README", "hello");
  Replayed got;
  WalRecoveryReport report;
  auto wal = OpenLog(options, 0, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ(got.payloads, payloads);
  EXPECT_EQ(report.damaged_segments, 1u);
  EXPECT_EQ(report.bytes_discarded, 100u);
  auto seq = (*wal)->Append("next");
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 4u);
  ASSERT_TRUE((*wal)->Close().ok());
  // The new segment sorts after every existing one.
  auto files = SegmentFiles(tmp.path());
  DocSegment last = ParseDocSegment(files.back());
  EXPECT_GT(last.number, 8u);
  EXPECT_EQ(last.first_sequence, 4u);
}

TEST(WalTest, RecordsOfAnAbandonedSegmentAreFencedByTheNextSegment) {
  // The layout an abandoned segment leaves (docs/storage/embedded-wal.md, "Errors"): segment 1
  // holds acknowledged records 1-3 and the failed group's records 4-5 that could not be cut off;
  // segment 2 starts again at 4.
  TempDir tmp;
  std::string seg1 = DocSegmentHeader(1, 1);
  for (uint64_t s = 1; s <= 3; ++s) seg1 += DocRecord(s, absl::StrCat("acked-", s));
  std::string failed = DocRecord(4, "failed-4") + DocRecord(5, "failed-5");
  seg1 += failed;
  std::string seg2 = DocSegmentHeader(2, 4);
  for (uint64_t s = 4; s <= 6; ++s) seg2 += DocRecord(s, absl::StrCat("acked-", s));
  WriteFile(tmp.path() + "/" + DocSegmentName(1), seg1);
  WriteFile(tmp.path() + "/" + DocSegmentName(2), seg2);
  Replayed got;
  WalRecoveryReport report;
  auto wal = OpenLog(Options(tmp.path()), 0, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_THAT(got.sequences, ElementsAreArray({1, 2, 3, 4, 5, 6}));
  EXPECT_THAT(got.payloads,
              ElementsAreArray({"acked-1", "acked-2", "acked-3", "acked-4", "acked-5", "acked-6"}));
  EXPECT_EQ(report.bytes_discarded, failed.size());
  EXPECT_EQ(report.damaged_segments, 1u);
  // Release through 3 deletes segment 1 (its records end below segment 2's first sequence).
  ASSERT_TRUE((*wal)->ReleaseThrough(3).ok());
  EXPECT_EQ(SegmentFiles(tmp.path()).size(), 1u);
}

// ---- Injected write errors ----------------------------------------------------------------------

class WalFaultTest : public ::testing::Test {
 protected:
  void TearDown() override {
    fault::fdatasync_errno.store(0);
    fault::ftruncate_errno.store(0);
  }
  TempDir tmp_;
};

TEST_F(WalFaultTest, FailedSyncIsCutOffAndTheSegmentKeptWhenTheCutSucceeds) {
  Metrics metrics;
  WalOptions options = Options(tmp_.path());
  options.metrics = &metrics;
  {
    auto wal = OpenLog(options, 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_TRUE((*wal)->Append("a").ok());
    uint64_t bytes = (*wal)->bytes_on_disk();
    fault::fdatasync_errno.store(ENOSPC);  // e.g. thin provisioning, or NFS
    auto failed = (*wal)->Append("b");
    ASSERT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
    EXPECT_THAT(std::string(StatusMessage(failed.status())), HasSubstr("cannot sync"));
    EXPECT_THAT(std::string(StatusMessage(failed.status())), HasSubstr("ENOSPC"));
    EXPECT_EQ((*wal)->bytes_on_disk(), bytes);
    EXPECT_EQ(fs::file_size(SegmentFiles(tmp_.path())[0]), bytes);  // the group was cut off
    auto seq = (*wal)->Append("c");
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, 2u);
    EXPECT_EQ(metrics.CounterValue("skua_wal_append_errors_total"), 1u);
    EXPECT_EQ(metrics.CounterValue("skua_wal_appends_total"), 2u);
  }
  EXPECT_EQ(SegmentFiles(tmp_.path()).size(), 1u);  // still the same segment
  Replayed got;
  WalRecoveryReport report;
  ASSERT_TRUE(OpenLog(options, 0, &got, &report).ok());
  EXPECT_THAT(got.payloads, ElementsAreArray({"a", "c"}));
  EXPECT_THAT(got.sequences, ElementsAreArray({1, 2}));
  EXPECT_EQ(report.bytes_discarded, 0u);
}

TEST_F(WalFaultTest, SegmentIsAbandonedAfterEio) {
  {
    auto wal = OpenLog(Options(tmp_.path()), 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_TRUE((*wal)->Append("a").ok());
    fault::fdatasync_errno.store(EIO);
    auto failed = (*wal)->Append("b");
    ASSERT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
    EXPECT_THAT(std::string(StatusMessage(failed.status())), HasSubstr("EIO"));
    auto seq = (*wal)->Append("c");
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, 2u);
  }
  auto files = SegmentFiles(tmp_.path());
  ASSERT_EQ(files.size(), 2u);  // "c" went to a new segment
  EXPECT_EQ(ParseDocSegment(files[1]).first_sequence, 2u);
  Replayed got;
  WalRecoveryReport report;
  ASSERT_TRUE(OpenLog(Options(tmp_.path()), 0, &got, &report).ok());
  EXPECT_THAT(got.payloads, ElementsAreArray({"a", "c"}));
  EXPECT_EQ(report.bytes_discarded, 0u);  // the failed group was still cut off
}

TEST_F(WalFaultTest, FailedGroupThatCannotBeCutOffIsFencedByTheNextSegment) {
  std::string first_file;
  {
    auto wal = OpenLog(Options(tmp_.path()), 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_TRUE((*wal)->Append("a").ok());
    first_file = SegmentFiles(tmp_.path())[0];
    uint64_t size_before = fs::file_size(first_file);
    fault::fdatasync_errno.store(EIO);
    fault::ftruncate_errno.store(EIO);
    auto failed = (*wal)->Append("bb");
    ASSERT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
    // The failed record stayed in the abandoned file.
    ASSERT_EQ(fs::file_size(first_file), size_before + 16 + 2);
    EXPECT_EQ((*wal)->bytes_on_disk(), size_before + 16 + 2);
    auto seq = (*wal)->Append("c");
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, 2u);
    ASSERT_TRUE((*wal)->Close().ok());
  }
  auto files = SegmentFiles(tmp_.path());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(ParseDocSegment(first_file).records.size(), 2u);  // "a" and the unacknowledged "bb"
  EXPECT_EQ(ParseDocSegment(files[1]).first_sequence, 2u);
  Replayed got;
  WalRecoveryReport report;
  auto wal = OpenLog(Options(tmp_.path()), 0, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_THAT(got.payloads, ElementsAreArray({"a", "c"}));
  EXPECT_THAT(got.sequences, ElementsAreArray({1, 2}));
  EXPECT_EQ(report.bytes_discarded, 16u + 2u);
  EXPECT_EQ(report.damaged_segments, 1u);
  auto seq = (*wal)->Append("d");
  ASSERT_TRUE(seq.ok()) << seq.status();
  EXPECT_EQ(*seq, 3u);
}

TEST_F(WalFaultTest, AbandonedSegmentWithoutAcknowledgedRecordsIsDeleted) {
  {
    auto wal = OpenLog(Options(tmp_.path()), 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    fault::fdatasync_errno.store(EIO);
    fault::ftruncate_errno.store(EIO);
    ASSERT_EQ((*wal)->Append("lost").status().code(), absl::StatusCode::kUnavailable);
    EXPECT_TRUE(SegmentFiles(tmp_.path()).empty());
    EXPECT_EQ((*wal)->bytes_on_disk(), 0u);
    auto seq = (*wal)->Append("kept");
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, 1u);
  }
  auto files = SegmentFiles(tmp_.path());
  ASSERT_EQ(files.size(), 1u);
  DocSegment seg = ParseDocSegment(files[0]);
  EXPECT_EQ(seg.number, 2u);  // a fresh name, never the abandoned file's
  EXPECT_EQ(seg.first_sequence, 1u);
  Replayed got;
  ASSERT_TRUE(OpenLog(Options(tmp_.path()), 0, &got).ok());
  EXPECT_THAT(got.payloads, ElementsAreArray({"kept"}));
}

// ---- Disk full and read-only file system (root only) --------------------------------------------

// A small tmpfs mounted on a fresh directory, unmounted (lazily, so it cannot fail on a busy
// mount) when the test ends, also on failure.
class TmpfsMount {
 public:
  // Empty on success, otherwise why the mount is not possible.
  std::string Mount(const std::string& dir, uint64_t bytes) {
    if (::geteuid() != 0) return "not running as root";
    options_ = absl::StrCat("size=", bytes, ",mode=0755");
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options_.c_str()) != 0) {
      return absl::StrCat("mount(tmpfs) failed: ", std::strerror(errno));
    }
    dir_ = dir;
    return "";
  }
  // 0 or the errno of the remount.
  int Remount(bool read_only) {
    unsigned long flags = MS_REMOUNT | (read_only ? MS_RDONLY : 0);
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", flags, options_.c_str()) == 0 ? 0 : errno;
  }
  ~TmpfsMount() {
    if (!dir_.empty()) ::umount2(dir_.c_str(), MNT_DETACH);
  }

 private:
  std::string dir_;
  std::string options_;
};

// Fills the file system holding `path` with one file; returns the bytes written.
uint64_t FillFileSystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  if (fd < 0) return 0;
  std::string chunk(64 << 10, 'f');
  uint64_t total = 0;
  for (;;) {
    ssize_t r = ::write(fd, chunk.data(), chunk.size());
    if (r <= 0) break;
    total += static_cast<uint64_t>(r);
  }
  ::close(fd);
  return total;
}

TEST(WalTest, DiskFullFailsAppendsUntilSpaceReturns) {
  TempDir tmp;
  TmpfsMount mount;
  if (std::string why = mount.Mount(tmp.path(), 4 << 20); !why.empty()) GTEST_SKIP() << why;
  Metrics metrics;
  WalOptions options = Options(tmp.path() + "/wal");
  options.metrics = &metrics;
  std::map<uint64_t, std::string> acked;
  {
    auto wal = OpenLog(options, 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    for (int i = 0; i < 4; ++i) {
      std::string p = Payload(i, 64 << 10);
      auto seq = (*wal)->Append(p);
      ASSERT_TRUE(seq.ok()) << seq.status();
      acked[*seq] = p;
    }
    uint64_t bytes_before = (*wal)->bytes_on_disk();
    std::string filler = tmp.path() + "/filler";
    ASSERT_GT(FillFileSystem(filler), 0u);

    for (int i = 0; i < 3; ++i) {  // stays failed, and the failure leaves nothing behind
      auto failed = (*wal)->Append(Payload(100 + i, 64 << 10));
      ASSERT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
      EXPECT_THAT(std::string(StatusMessage(failed.status())), HasSubstr("ENOSPC"));
      EXPECT_THAT(std::string(StatusMessage(failed.status())), HasSubstr(options.directory));
    }
    EXPECT_EQ(metrics.CounterValue("skua_wal_append_errors_total"), 3u);
    EXPECT_EQ((*wal)->bytes_on_disk(), bytes_before);
    EXPECT_EQ((*wal)->last_sequence(), 4u);
    uint64_t on_disk = 0;
    for (const auto& f : SegmentFiles(options.directory)) on_disk += fs::file_size(f);
    EXPECT_EQ(on_disk, bytes_before);

    ASSERT_TRUE(fs::remove(filler));
    for (int i = 0; i < 3; ++i) {
      std::string p = Payload(200 + i, 64 << 10);
      auto seq = (*wal)->Append(p);
      ASSERT_TRUE(seq.ok()) << seq.status();
      EXPECT_EQ(*seq, 5u + i);  // failed appends consumed no sequence numbers
      acked[*seq] = p;
    }
    ASSERT_TRUE((*wal)->Close().ok());
  }
  Replayed got;
  WalRecoveryReport report;
  auto wal = OpenLog(options, 0, &got, &report);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ(report.bytes_discarded, 0u);
  ASSERT_EQ(got.sequences.size(), acked.size());
  size_t i = 0;
  for (const auto& [seq, payload] : acked) {
    EXPECT_EQ(got.sequences[i], seq);
    EXPECT_TRUE(got.payloads[i] == payload) << seq;
    ++i;
  }
}

TEST(WalTest, ReadOnlyFileSystemFailsAppendsUntilWritableAgain) {
  TempDir tmp;
  TmpfsMount mount;
  if (std::string why = mount.Mount(tmp.path(), 4 << 20); !why.empty()) GTEST_SKIP() << why;
  WalOptions options = Options(tmp.path() + "/wal");
  options.segment_bytes = 1;  // every group fills its segment, which is then closed
  {
    auto wal = OpenLog(options, 0, nullptr);
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_TRUE((*wal)->Append("one").ok());
    // Linux refuses a read-only remount while a file is open for writing (EBUSY), so this also
    // checks that the log keeps no segment open between appends once it is full.
    int err = mount.Remount(/*read_only=*/true);
    ASSERT_NE(err, EBUSY) << "a segment stayed open for writing";
    if (err != 0) GTEST_SKIP() << "remount read-only failed: " << std::strerror(err);
    auto failed = (*wal)->Append("lost");
    ASSERT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
    EXPECT_THAT(std::string(StatusMessage(failed.status())), HasSubstr("EROFS"));
    ASSERT_EQ(mount.Remount(/*read_only=*/false), 0);
    auto seq = (*wal)->Append("two");
    ASSERT_TRUE(seq.ok()) << seq.status();
    EXPECT_EQ(*seq, 2u);
    ASSERT_TRUE((*wal)->Close().ok());
  }
  Replayed got;
  auto wal = OpenLog(options, 0, &got);
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_THAT(got.sequences, ElementsAreArray({1, 2}));
  EXPECT_THAT(got.payloads, ElementsAreArray({"one", "two"}));
}

}  // namespace
}  // namespace skua::storage::embedded
