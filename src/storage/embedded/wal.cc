// The write-ahead log's implementation: segment files, group commit, recovery. The byte layout is
// documented in docs/storage/embedded-wal.md; keep the two in step (and bump kFormatVersion on an
// incompatible change).
#include "storage/embedded/wal.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/crc32c.h"
#include "base/logging.h"
#include "base/status.h"

namespace skua::storage::embedded {
namespace {

// ---- Format constants (docs/storage/embedded-wal.md) --------------------------------------------

constexpr char kMagic[8] = {'S', 'K', 'U', 'A', 'W', 'A', 'L', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kSegmentHeaderBytes = 32;  // magic 8, version 4, number 8, first seq 8, crc 4
constexpr size_t kRecordHeaderBytes = 16;   // crc 4, length 4, sequence 8
// Sequence numbers and segment numbers stay below 2^63, so `x + 1` never overflows.
constexpr uint64_t kMaxSequence = (uint64_t{1} << 63) - 1;
constexpr uint64_t kMaxRecordBytesLimit = 0xFFFFFFFFu;  // the length field is 32 bits
// Replay reads segments in chunks of this size (a larger record gets a buffer of its own size).
constexpr size_t kReadChunkBytes = size_t{8} << 20;
constexpr std::string_view kNamePrefix = "wal-";
constexpr std::string_view kNameSuffix = ".log";
constexpr size_t kNameDigits = 20;

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint32_t GetU32(const char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}
uint64_t GetU64(const char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

std::string SegmentFileName(uint64_t number) {
  std::string digits = std::to_string(number);
  return absl::StrCat(ToAbsl(kNamePrefix), std::string(kNameDigits - digits.size(), '0'), digits,
                      ToAbsl(kNameSuffix));
}

// True for "wal-" + exactly 20 decimal digits + ".log" whose value fits the number range.
bool ParseSegmentFileName(std::string_view name, uint64_t* number) {
  if (name.size() != kNamePrefix.size() + kNameDigits + kNameSuffix.size() ||
      name.substr(0, kNamePrefix.size()) != kNamePrefix ||
      name.substr(kNamePrefix.size() + kNameDigits) != kNameSuffix) {
    return false;
  }
  uint64_t v = 0;
  for (char c : name.substr(kNamePrefix.size(), kNameDigits)) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (kMaxSequence - d) / 10) return false;
    v = v * 10 + d;
  }
  *number = v;
  return true;
}

void EncodeSegmentHeader(uint64_t number, uint64_t first_sequence, char* out) {
  std::memcpy(out, kMagic, 8);
  PutU32(out + 8, kFormatVersion);
  PutU64(out + 12, number);
  PutU64(out + 20, first_sequence);
  PutU32(out + 28, Crc32c(std::string_view(out, 28)));
}

// The symbolic name of the errno values an operator is most likely to meet.
const char* ErrnoName(int err) {
  switch (err) {
    case ENOSPC:
      return "ENOSPC";
    case EROFS:
      return "EROFS";
    case EIO:
      return "EIO";
    case EDQUOT:
      return "EDQUOT";
    case EACCES:
      return "EACCES";
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EEXIST:
      return "EEXIST";
    case EFBIG:
      return "EFBIG";
    case EMFILE:
      return "EMFILE";
    case ENFILE:
      return "ENFILE";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case EINVAL:
      return "EINVAL";
    default:
      return nullptr;
  }
}

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r returns the message, possibly in a static string rather than `buf`.
  const char* msg = strerror_r(err, buf, sizeof buf);
  const char* name = ErrnoName(err);
  return name != nullptr ? absl::StrCat(msg, " (", name, ")")
                         : absl::StrCat(msg, " (errno ", err, ")");
}

absl::Status IoError(std::string_view what, const std::string& path, int err) {
  return absl::UnavailableError(
      absl::StrCat("write-ahead log: ", ToAbsl(what), " ", path, ": ", ErrnoText(err)));
}

// close(2) whose result does not matter: the descriptor is gone either way on Linux, and every
// write that needed to reach the disk was synced (or deliberately not) before.
void CloseFd(int fd) {
  if (fd >= 0) ::close(fd);
}

int FdatasyncRetrying(int fd) {
  int r;
  do {
    r = ::fdatasync(fd);
  } while (r != 0 && errno == EINTR);
  return r;
}

// Writes every byte of `iov` at `offset`, in as few pwritev calls as the kernel allows (IOV_MAX
// buffers per call, partial writes continued). Returns 0, or the errno of the failing call;
// `*written` is the number of bytes that reached the file either way.
int PwritevAll(int fd, std::vector<iovec>& iov, uint64_t offset, uint64_t* written) {
  *written = 0;
  size_t idx = 0;
  while (idx < iov.size()) {
    int count = static_cast<int>(std::min<size_t>(iov.size() - idx, IOV_MAX));
    ssize_t r = ::pwritev(fd, &iov[idx], count, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (r == 0) return EIO;  // no progress on a non-empty request: give up rather than spin
    offset += static_cast<uint64_t>(r);
    *written += static_cast<uint64_t>(r);
    size_t left = static_cast<size_t>(r);
    while (idx < iov.size() && left >= iov[idx].iov_len) {
      left -= iov[idx].iov_len;
      ++idx;
    }
    if (left > 0) {
      iov[idx].iov_base = static_cast<char*>(iov[idx].iov_base) + left;
      iov[idx].iov_len -= left;
    }
  }
  return 0;
}

// Metric handles; all null when WalOptions::metrics is null.
struct WalMetrics {
  Counter* appends = nullptr;
  Counter* syncs = nullptr;
  Counter* bytes_written = nullptr;
  Counter* append_errors = nullptr;
  Counter* damaged_bytes = nullptr;
  Counter* damaged_segments = nullptr;
  Gauge* segments = nullptr;
  Gauge* bytes = nullptr;
  Histogram* commit_seconds = nullptr;
  Histogram* sync_seconds = nullptr;

  explicit WalMetrics(Metrics* m) {
    if (m == nullptr) return;
    // Fine steps up to 10 ms, where group commit windows and fdatasync times lie (T9: ≤ 5 ms).
    const std::vector<double> bounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015,
                                        0.002,   0.0025, 0.003,   0.0035, 0.004,   0.0045, 0.005,
                                        0.006,   0.007,  0.008,   0.01,   0.015,   0.02,   0.03,
                                        0.05,    0.1,    0.25,    0.5,    1.0};
    commit_seconds = &m->GetHistogram(
        "skua_wal_commit_seconds",
        "Time from an append's call until its record is durable (written and, with "
        "sync-before-ack, fdatasync'ed) and acknowledged: group commit wait + write + sync.",
        bounds);
    sync_seconds = &m->GetHistogram(
        "skua_wal_sync_seconds", "Duration of the write-ahead log's group fdatasync calls alone.",
        bounds);
    appends = &m->GetCounter("skua_wal_appends_total", "Records appended to the write-ahead log.");
    syncs = &m->GetCounter("skua_wal_syncs_total",
                           "fdatasync/fsync calls made by the write-ahead log (group commits, new "
                           "segment directory entries, close).");
    bytes_written = &m->GetCounter("skua_wal_bytes_written_total",
                                   "Bytes written to write-ahead log segments (headers included).");
    append_errors = &m->GetCounter("skua_wal_append_errors_total",
                                   "Appends that failed with an I/O error (disk full, read-only "
                                   "file system, I/O error).");
    damaged_bytes = &m->GetCounter("skua_wal_damaged_bytes_total",
                                   "Damaged or truncated log bytes skipped during recovery.");
    damaged_segments = &m->GetCounter("skua_wal_damaged_segments_total",
                                      "Log segments in which recovery met damage.");
    segments = &m->GetGauge("skua_wal_segments", "Segment files of the write-ahead log.");
    bytes = &m->GetGauge("skua_wal_bytes", "Bytes in the write-ahead log's segment files.");
  }
  static void Add(Counter* c, uint64_t n) {
    if (c != nullptr) c->Add(n);
  }
};

// What the log knows about one segment file.
struct Segment {
  uint64_t number = 0;          // from the file name
  uint64_t first_sequence = 0;  // from the header (or chosen at creation); 0 = unknown
  std::string path;
  uint64_t bytes = 0;
  bool synced = true;  // false: written without fdatasync since Open (sync_before_ack = false)
};

// ---- Recovery -----------------------------------------------------------------------------------

// Reads one segment file sequentially through a reusable buffer, so replay costs a few large
// pread calls per segment and hands out views into the buffer. The buffer never grows past
// max(kReadChunkBytes, the largest record whose length was checked against the file).
class SegmentReader {
 public:
  // Makes bytes [offset, offset + n) of the file available and returns a pointer to them.
  // Callers check offset + n <= file_size first. Null with *err = errno on a read error, or with
  // *err = 0 if the file ended early (it shrank while being read).
  const char* Get(int fd, uint64_t file_size, uint64_t offset, size_t n, int* err) {
    *err = 0;
    if (offset >= base_ && offset + n <= base_ + have_) return buf_.get() + (offset - base_);
    // Keep the bytes from `offset` on, drop the rest.
    if (offset >= base_ && offset < base_ + have_) {
      size_t keep = static_cast<size_t>(base_ + have_ - offset);
      std::memmove(buf_.get(), buf_.get() + (offset - base_), keep);
      have_ = keep;
    } else {
      have_ = 0;
    }
    base_ = offset;
    size_t want = std::max(n, std::min<size_t>(kReadChunkBytes, file_size - offset));
    if (want > cap_) {
      auto bigger = std::make_unique_for_overwrite<char[]>(want);
      if (have_ > 0) std::memcpy(bigger.get(), buf_.get(), have_);
      buf_ = std::move(bigger);
      cap_ = want;
    }
    while (have_ < n) {
      size_t room = std::min<size_t>(cap_ - have_, file_size - (base_ + have_));
      ssize_t r = ::pread(fd, buf_.get() + have_, room, static_cast<off_t>(base_ + have_));
      if (r < 0) {
        if (errno == EINTR) continue;
        *err = errno;
        return nullptr;
      }
      if (r == 0) return nullptr;
      have_ += static_cast<size_t>(r);
    }
    return buf_.get();
  }
  void Reset() { base_ = have_ = 0; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  uint64_t base_ = 0;  // file offset of buf_[0]
  size_t have_ = 0;    // valid bytes in buf_
};

struct ScanState {
  const WalOptions* options;
  uint64_t replay_after;
  const WriteAheadLog::ReplayFn* replay;
  WalRecoveryReport* report;
  WalMetrics* metrics;
  uint64_t prev_sequence = 0;  // highest sequence delivered or skipped so far
  SegmentReader reader;
};

void NoteDamage(ScanState& st, const std::string& path, uint64_t offset, uint64_t bytes,
                std::string_view why) {
  st.report->bytes_discarded += bytes;
  st.report->damaged_segments += 1;
  WalMetrics::Add(st.metrics->damaged_bytes, bytes);
  WalMetrics::Add(st.metrics->damaged_segments, 1);
  SKUA_LOG(WARNING) << "write-ahead log: segment " << path << " is damaged at offset " << offset
                    << " (" << why << "); " << bytes << " bytes from there on are skipped";
}

// Verifies and replays the records of one segment whose header is valid. `bound` is the lowest
// first sequence of any later segment: records at or above it belong to a group that failed
// after the segment was abandoned and are not part of the log. Returns non-OK only for a read
// error or the callback's status; damage is logged and counted.
absl::Status ScanSegment(ScanState& st, int fd, const Segment& seg, uint64_t file_size,
                         uint64_t bound) {
  st.reader.Reset();
  uint64_t offset = kSegmentHeaderBytes;
  uint64_t expected = seg.first_sequence;
  while (offset < file_size) {
    uint64_t remaining = file_size - offset;
    if (remaining < kRecordHeaderBytes) {
      NoteDamage(st, seg.path, offset, remaining, "truncated record header");
      return absl::OkStatus();
    }
    int err = 0;
    const char* h = st.reader.Get(fd, file_size, offset, kRecordHeaderBytes, &err);
    if (h == nullptr) {
      if (err != 0) return IoError("cannot read", seg.path, err);
      NoteDamage(st, seg.path, offset, remaining, "file shrank while being read");
      return absl::OkStatus();
    }
    uint32_t stored_crc = GetU32(h);
    uint64_t length = GetU32(h + 4);
    uint64_t sequence = GetU64(h + 8);
    if (length > st.options->max_record_bytes || length > remaining - kRecordHeaderBytes) {
      NoteDamage(st, seg.path, offset, remaining,
                 absl::StrCat("record length ", length, " exceeds ",
                              length > st.options->max_record_bytes ? "max_record_bytes"
                                                                    : "the rest of the file"));
      return absl::OkStatus();
    }
    const size_t record_bytes = kRecordHeaderBytes + static_cast<size_t>(length);
    const char* rec = st.reader.Get(fd, file_size, offset, record_bytes, &err);
    if (rec == nullptr) {
      if (err != 0) return IoError("cannot read", seg.path, err);
      NoteDamage(st, seg.path, offset, remaining, "file shrank while being read");
      return absl::OkStatus();
    }
    std::string_view payload(rec + kRecordHeaderBytes, static_cast<size_t>(length));
    uint32_t crc = Crc32cExtend(Crc32c(payload), std::string_view(rec + 4, 12));
    if (crc != stored_crc) {
      NoteDamage(st, seg.path, offset, remaining, "checksum mismatch");
      return absl::OkStatus();
    }
    if (sequence != expected) {
      NoteDamage(st, seg.path, offset, remaining,
                 absl::StrCat("sequence ", sequence, " where ", expected, " was expected"));
      return absl::OkStatus();
    }
    if (sequence >= bound) {
      NoteDamage(st, seg.path, offset, remaining,
                 absl::StrCat("records from sequence ", sequence,
                              " were superseded by a later segment (a failed group)"));
      return absl::OkStatus();
    }
    if (sequence <= st.prev_sequence) {
      NoteDamage(st, seg.path, offset, remaining,
                 absl::StrCat("sequence ", sequence, " does not follow ", st.prev_sequence,
                              " of an earlier segment"));
      return absl::OkStatus();
    }
    if (sequence > st.replay_after) {
      if (*st.replay) SKUA_RETURN_IF_ERROR((*st.replay)(sequence, payload));
      st.report->records_replayed += 1;
    } else {
      st.report->records_skipped += 1;
    }
    st.prev_sequence = sequence;
    st.report->last_sequence = sequence;
    offset += kRecordHeaderBytes + length;
    expected = sequence + 1;
  }
  return absl::OkStatus();
}

// ---- The log ------------------------------------------------------------------------------------

class SegmentedWal final : public WriteAheadLog {
 public:
  SegmentedWal(const WalOptions& options, int dir_fd, std::deque<Segment> segments,
               uint64_t next_sequence, std::unique_ptr<WalMetrics> metrics)
      : options_(options),
        dir_fd_(dir_fd),
        metrics_(std::move(metrics)),
        segments_(std::move(segments)),
        next_sequence_(next_sequence),
        window_(options.sync_before_ack ? absl::Microseconds(options.group_commit_window_micros)
                                        : absl::ZeroDuration()),
        last_sequence_(next_sequence - 1) {
    uint64_t total = 0;
    for (const Segment& s : segments_) total += s.bytes;
    bytes_on_disk_.store(total);
    absl::MutexLock lock(&mu_);
    next_number_ = segments_.empty() ? 1 : segments_.back().number + 1;
    UpdateGaugesLocked();
  }

  ~SegmentedWal() override {
    IgnoreError(Close(), "destructor: Close reports errors to callers that want them");
    CloseFd(dir_fd_);
  }

  absl::StatusOr<uint64_t> Append(std::string_view payload) override;
  absl::Status ReleaseThrough(uint64_t sequence) override;
  uint64_t last_sequence() const override { return last_sequence_.load(); }
  uint64_t bytes_on_disk() const override { return bytes_on_disk_.load(); }
  uint64_t sync_count() const override { return sync_count_.load(); }
  absl::Status Close() override;

 private:
  // One pending Append, living on its caller's stack until `done`.
  struct Writer {
    std::string_view payload;
    uint32_t payload_crc = 0;
    char header[kRecordHeaderBytes];
    bool done = false;
    absl::StatusOr<uint64_t> result;
    absl::CondVar cv;
  };

  // Leader-only: writes group_ (sequences first, first+1, …) and syncs. Called without mu_.
  absl::Status CommitGroup(uint64_t first);
  // Leader-only: creates the segment that will start with `first_sequence`.
  absl::Status CreateSegment(uint64_t first_sequence);
  void UpdateGaugesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (metrics_->segments != nullptr) {
      metrics_->segments->Set(static_cast<double>(segments_.size()));
      metrics_->bytes->Set(static_cast<double>(bytes_on_disk_.load()));
    }
  }
  void CountSync() {
    sync_count_.fetch_add(1);
    WalMetrics::Add(metrics_->syncs, 1);
  }

  const WalOptions options_;
  const int dir_fd_;
  const std::unique_ptr<WalMetrics> metrics_;

  absl::Mutex mu_;
  // Pending appends; the front one is the leader while a group is being written, and the group
  // is the front group_.size() entries.
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(mu_);
  // Every segment file, oldest first; the active one (if any) is the back.
  std::deque<Segment> segments_ ABSL_GUARDED_BY(mu_);
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // Zero unless sync_before_ack and group_commit_window_micros are set.
  const absl::Duration window_;
  absl::Time last_sync_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Window waits in a row whose group held the leader's record alone, and busy groups committed
  // without a wait since the last wait.
  static constexpr uint32_t kFruitlessWaitsToPause = 8;
  static constexpr uint32_t kProbeInterval = 16;
  uint32_t fruitless_waits_ ABSL_GUARDED_BY(mu_) = 0;
  uint32_t unwaited_groups_ ABSL_GUARDED_BY(mu_) = 0;

  // Owned by the current leader (the front of writers_), or by Close, which does not race with
  // Append. Handing leadership over happens under mu_, which orders these accesses.
  int active_fd_ = -1;
  uint64_t active_bytes_ = 0;  // size of the active segment
  uint64_t active_number_ = 0;
  uint64_t active_first_sequence_ = 0;
  bool active_has_records_ = false;  // some acknowledged record is in the active segment
  std::string active_path_;
  uint64_t next_number_ = 1;
  std::vector<Writer*> group_;
  std::vector<iovec> iov_;
  char segment_header_[kSegmentHeaderBytes];

  absl::Mutex release_mu_;  // serializes ReleaseThrough calls

  std::atomic<uint64_t> last_sequence_;
  std::atomic<uint64_t> bytes_on_disk_{0};
  std::atomic<uint64_t> sync_count_{0};
};

absl::StatusOr<uint64_t> SegmentedWal::Append(std::string_view payload) {
  if (payload.size() > options_.max_record_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("write-ahead log: record of ", payload.size(),
                                                   " bytes exceeds max_record_bytes (",
                                                   options_.max_record_bytes, ")"));
  }
  const auto called = std::chrono::steady_clock::now();
  // The commit latency of an acknowledged append (skua_wal_commit_seconds).
  auto observe = [&](absl::StatusOr<uint64_t> result) {
    if (result.ok() && metrics_->commit_seconds != nullptr) {
      metrics_->commit_seconds->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - called).count());
    }
    return result;
  };
  Writer w;
  w.payload = payload;
  w.payload_crc = Crc32c(payload);  // the expensive part of the checksum, outside the lock

  mu_.Lock();
  if (closed_) {
    mu_.Unlock();
    return absl::UnavailableError("write-ahead log is closed");
  }
  writers_.push_back(&w);
  while (!w.done && writers_.front() != &w) w.cv.Wait(&mu_);
  if (w.done) {
    mu_.Unlock();
    return observe(std::move(w.result));
  }
  // Leader. With a commit window, wait until the window since the previous sync has passed;
  // appends arriving meanwhile queue behind and join this group. Only a busy log waits: one whose
  // previous sync started less than a window ago, i.e. that would otherwise sync more often than
  // 1 / window per second. An idle log syncs at once. And only while waiting gathers something:
  // after kFruitlessWaitsToPause waits in a row that ended with this leader's record alone (one
  // writer that waits for each acknowledgement before it sends again, so nothing can join), the
  // leader commits at once, trying a wait again every kProbeInterval busy groups.
  if (window_ > absl::ZeroDuration()) {
    const absl::Time not_before = last_sync_start_ + window_;
    if (absl::Now() < not_before &&
        (fruitless_waits_ < kFruitlessWaitsToPause || ++unwaited_groups_ >= kProbeInterval)) {
      unwaited_groups_ = 0;
      while (absl::Now() < not_before) w.cv.WaitWithDeadline(&mu_, not_before);
      fruitless_waits_ = writers_.size() > 1 ? 0 : fruitless_waits_ + 1;
    }
  }
  // Take every pending append. Appends arriving while the group is written queue behind it and
  // form the next group.
  group_.assign(writers_.begin(), writers_.end());
  const uint64_t first = next_sequence_;
  mu_.Unlock();

  absl::Status status = CommitGroup(first);

  mu_.Lock();
  const size_t n = group_.size();
  if (status.ok()) {
    next_sequence_ = first + n;
    last_sequence_.store(first + n - 1);
    WalMetrics::Add(metrics_->appends, n);
  } else {
    WalMetrics::Add(metrics_->append_errors, n);
  }
  for (size_t i = 0; i < n; ++i) {
    Writer* g = group_[i];
    if (status.ok()) {
      g->result = first + i;
    } else {
      g->result = status;
    }
    g->done = true;
    if (g != &w) g->cv.Signal();
  }
  writers_.erase(writers_.begin(), writers_.begin() + static_cast<ptrdiff_t>(n));
  if (!writers_.empty()) writers_.front()->cv.Signal();  // the next leader
  UpdateGaugesLocked();
  mu_.Unlock();
  return observe(std::move(w.result));
}

absl::Status SegmentedWal::CreateSegment(uint64_t first_sequence) {
  // The name is normally the first sequence; after an abandoned or empty segment it is only
  // guaranteed to sort after every earlier segment. The header's first sequence is authoritative.
  uint64_t number = std::max(first_sequence, next_number_);
  std::string path = absl::StrCat(options_.directory, "/", SegmentFileName(number));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) next_number_ = number + 1;  // someone else's file: never touch it
    return IoError("cannot create segment", path, err);
  }
  if (options_.sync_before_ack) {
    // The directory entry must be durable before records in the file are acknowledged.
    int r;
    do {
      r = ::fsync(dir_fd_);
    } while (r != 0 && errno == EINTR);
    CountSync();
    if (r != 0) {
      int err = errno;
      CloseFd(fd);
      ::unlink(path.c_str());  // best effort: an empty file is harmless anyway
      return IoError("cannot sync the directory of", path, err);
    }
  }
  next_number_ = number + 1;
  active_fd_ = fd;
  active_bytes_ = 0;
  active_number_ = number;
  active_first_sequence_ = first_sequence;
  active_has_records_ = false;
  active_path_ = path;
  absl::MutexLock lock(&mu_);
  segments_.push_back(Segment{number, first_sequence, path, 0, options_.sync_before_ack});
  return absl::OkStatus();
}

absl::Status SegmentedWal::CommitGroup(uint64_t first) {
  if (active_fd_ < 0) SKUA_RETURN_IF_ERROR(CreateSegment(first));

  iov_.clear();
  uint64_t total = 0;
  if (active_bytes_ == 0) {
    EncodeSegmentHeader(active_number_, active_first_sequence_, segment_header_);
    iov_.push_back(iovec{segment_header_, kSegmentHeaderBytes});
    total += kSegmentHeaderBytes;
  }
  for (size_t i = 0; i < group_.size(); ++i) {
    Writer* w = group_[i];
    PutU32(w->header + 4, static_cast<uint32_t>(w->payload.size()));
    PutU64(w->header + 8, first + i);
    PutU32(w->header, Crc32cExtend(w->payload_crc, std::string_view(w->header + 4, 12)));
    iov_.push_back(iovec{w->header, kRecordHeaderBytes});
    if (!w->payload.empty()) {
      iov_.push_back(iovec{const_cast<char*>(w->payload.data()), w->payload.size()});
    }
    total += kRecordHeaderBytes + w->payload.size();
  }

  const uint64_t before = active_bytes_;
  uint64_t written = 0;
  int err = PwritevAll(active_fd_, iov_, before, &written);
  std::string_view failed_op = "cannot write";
  if (err == 0 && options_.sync_before_ack) {
    if (window_ > absl::ZeroDuration()) {
      absl::MutexLock lock(&mu_);
      last_sync_start_ = absl::Now();
    }
    const auto sync_start = std::chrono::steady_clock::now();
    if (FdatasyncRetrying(active_fd_) != 0) {
      err = errno;
      failed_op = "cannot sync";
    }
    CountSync();
    if (metrics_->sync_seconds != nullptr) {
      metrics_->sync_seconds->Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_start).count());
    }
  }

  if (err != 0) {
    absl::Status status = IoError(failed_op, active_path_, err);
    // Cut the group off again so the segment ends with acknowledged records only. After EIO the
    // kernel may have dropped dirty pages of the file, so the segment is not trusted further.
    bool cut = false;
    int r;
    do {
      r = ::ftruncate(active_fd_, static_cast<off_t>(before));
    } while (r != 0 && errno == EINTR);
    cut = r == 0;
    if (cut && err != EIO) return status;

    // Abandon the segment: the next append starts a new one whose first sequence (the first
    // sequence of this failed group) fences off whatever of the group stayed in this file.
    SKUA_LOG(WARNING) << "write-ahead log: abandoning segment " << active_path_ << " after "
                      << ErrnoText(err)
                      << (cut ? "" : " (cutting the failed group off failed too)");
    uint64_t size = before;
    struct stat st;
    if (!cut && ::fstat(active_fd_, &st) == 0) size = static_cast<uint64_t>(st.st_size);
    CloseFd(active_fd_);
    active_fd_ = -1;
    bool removed = !active_has_records_ && ::unlink(active_path_.c_str()) == 0;
    absl::MutexLock lock(&mu_);
    if (!segments_.empty() && segments_.back().path == active_path_) {
      if (removed) {
        bytes_on_disk_.fetch_sub(segments_.back().bytes);
        segments_.pop_back();
      } else {
        bytes_on_disk_.fetch_add(size - segments_.back().bytes);
        segments_.back().bytes = size;
      }
    }
    return status;
  }

  active_bytes_ = before + total;
  active_has_records_ = true;
  bytes_on_disk_.fetch_add(total);
  WalMetrics::Add(metrics_->bytes_written, total);
  {
    absl::MutexLock lock(&mu_);
    segments_.back().bytes = active_bytes_;
  }
  if (active_bytes_ >= options_.segment_bytes) {
    // Full: close it now, so no descriptor stays open for writing between appends; the next
    // group starts a new segment.
    CloseFd(active_fd_);
    active_fd_ = -1;
  }
  return absl::OkStatus();
}

absl::Status SegmentedWal::ReleaseThrough(uint64_t sequence) {
  absl::MutexLock release_lock(&release_mu_);
  std::vector<std::pair<uint64_t, std::string>> victims;  // (number, path), oldest first
  {
    absl::MutexLock lock(&mu_);
    // Every record of segment i is below the lowest first sequence of the segments after it
    // (below next_sequence_ for the newest). The newest segment is always kept: it is the one
    // being appended to, or the one that carries the log's highest sequence across a restart.
    std::vector<uint64_t> upper(segments_.size());
    uint64_t bound = next_sequence_;
    for (size_t i = segments_.size(); i-- > 0;) {
      upper[i] = bound - 1;
      if (segments_[i].first_sequence != 0) bound = std::min(bound, segments_[i].first_sequence);
    }
    // After Close nothing is appended any more, so the newest segment may go too (the caller
    // then passes at least `sequence` as replay_after to the next Open; see wal.h).
    const size_t candidates = closed_ ? segments_.size() : segments_.size() - 1;
    for (size_t i = 0; i < candidates && upper[i] <= sequence; ++i) {
      victims.emplace_back(segments_[i].number, segments_[i].path);
    }
  }
  absl::Status status;
  size_t deleted = 0;
  for (const auto& [number, path] : victims) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      status = IoError("cannot delete segment", path, errno);
      break;
    }
    ++deleted;
  }
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < deleted && !segments_.empty(); ++i) {
    if (segments_.front().number != victims[i].first) break;  // cannot happen; stay consistent
    bytes_on_disk_.fetch_sub(segments_.front().bytes);
    segments_.pop_front();
  }
  UpdateGaugesLocked();
  return status;
}

absl::Status SegmentedWal::Close() {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::OkStatus();
  closed_ = true;
  absl::Status status;
  if (active_fd_ >= 0) {
    int r = FdatasyncRetrying(active_fd_);
    WalMetrics::Add(metrics_->syncs, 1);
    if (r != 0) {
      status = IoError("cannot sync", active_path_, errno);
    } else if (!segments_.empty() && segments_.back().path == active_path_) {
      segments_.back().synced = true;
    }
    CloseFd(active_fd_);
    active_fd_ = -1;
  }
  if (!options_.sync_before_ack) {
    // Segments written without fdatasync since Open: make a clean shutdown durable.
    bool any = false;
    for (Segment& s : segments_) {
      if (s.synced) continue;
      any = true;
      int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
      int r = fd < 0 ? -1 : FdatasyncRetrying(fd);
      if (r != 0 && status.ok()) status = IoError("cannot sync", s.path, errno);
      CloseFd(fd);
      WalMetrics::Add(metrics_->syncs, 1);
      s.synced = r == 0;
    }
    if (any) {
      if (::fsync(dir_fd_) != 0 && status.ok()) {
        status = IoError("cannot sync directory", options_.directory, errno);
      }
      WalMetrics::Add(metrics_->syncs, 1);
    }
  }
  return status;
}

absl::Status ValidateOptions(const WalOptions& o) {
  if (o.directory.empty()) {
    return absl::InvalidArgumentError("write-ahead log: directory is required");
  }
  if (o.segment_bytes == 0) {
    return absl::InvalidArgumentError("write-ahead log: segment_bytes must be > 0");
  }
  if (o.max_record_bytes == 0 || o.max_record_bytes > kMaxRecordBytesLimit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "write-ahead log: max_record_bytes must be in [1, ", kMaxRecordBytesLimit, "]"));
  }
  if (o.group_commit_window_micros > 1'000'000) {
    return absl::InvalidArgumentError(
        "write-ahead log: group_commit_window_micros must be at most 1000000 (1 s)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<WriteAheadLog>> WriteAheadLog::Open(const WalOptions& options,
                                                                   uint64_t replay_after,
                                                                   const ReplayFn& replay,
                                                                   WalRecoveryReport* report) {
  SKUA_RETURN_IF_ERROR(ValidateOptions(options));
  if (replay_after > kMaxSequence) {
    return absl::InvalidArgumentError("write-ahead log: replay_after is out of range");
  }
  WalRecoveryReport local_report;
  if (report == nullptr) report = &local_report;
  *report = WalRecoveryReport{};

  std::error_code ec;
  bool created = std::filesystem::create_directories(options.directory, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("write-ahead log: cannot create directory ",
                                               options.directory, ": ", ec.message()));
  }
  if (created) {
    // Make the new directory's own name durable before segments in it are acknowledged.
    std::string parent = std::filesystem::path(options.directory).parent_path().string();
    int parent_fd =
        ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent_fd < 0 || ::fsync(parent_fd) != 0) {
      int err = errno;
      CloseFd(parent_fd);
      return IoError("cannot sync the parent directory of", options.directory, err);
    }
    CloseFd(parent_fd);
  }
  int dir_fd = ::open(options.directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return IoError("cannot open directory", options.directory, errno);
  struct DirFdCloser {
    int* fd;
    ~DirFdCloser() { CloseFd(*fd); }
  } dir_closer{&dir_fd};

  // List the segment files.
  std::vector<Segment> found;
  {
    int list_fd = ::dup(dir_fd);
    DIR* dir = list_fd < 0 ? nullptr : ::fdopendir(list_fd);
    if (dir == nullptr) {
      int err = errno;
      CloseFd(list_fd);
      return IoError("cannot list directory", options.directory, err);
    }
    errno = 0;
    while (struct dirent* e = ::readdir(dir)) {
      uint64_t number;
      if (ParseSegmentFileName(e->d_name, &number)) {
        found.push_back(Segment{number, 0, absl::StrCat(options.directory, "/", e->d_name), 0});
      }
      errno = 0;
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return IoError("cannot list directory", options.directory, err);
  }
  std::sort(found.begin(), found.end(),
            [](const Segment& a, const Segment& b) { return a.number < b.number; });

  // Read every header first: a segment's records are bounded by the first sequences of the
  // segments after it.
  enum class Kind { kEmpty, kDamagedHeader, kValid };
  std::vector<Kind> kinds(found.size(), Kind::kEmpty);
  std::vector<std::string> header_problem(found.size());
  for (size_t i = 0; i < found.size(); ++i) {
    Segment& s = found[i];
    int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError("cannot open segment", s.path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      CloseFd(fd);
      return IoError("cannot stat segment", s.path, err);
    }
    if (!S_ISREG(st.st_mode)) {
      CloseFd(fd);
      return absl::UnavailableError(
          absl::StrCat("write-ahead log: ", s.path, " is not a regular file"));
    }
    s.bytes = static_cast<uint64_t>(st.st_size);
    if (s.bytes == 0) {
      CloseFd(fd);
      continue;  // created, then the process stopped before the first group: nothing lost
    }
    char h[kSegmentHeaderBytes];
    size_t got = 0;
    while (got < sizeof h && got < s.bytes) {
      ssize_t r = ::pread(fd, h + got, sizeof h - got, static_cast<off_t>(got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        int err = errno;
        CloseFd(fd);
        return IoError("cannot read segment", s.path, err);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    CloseFd(fd);
    kinds[i] = Kind::kDamagedHeader;
    if (got < kSegmentHeaderBytes) {
      header_problem[i] = "truncated segment header";
    } else if (std::memcmp(h, kMagic, 8) != 0) {
      header_problem[i] = "not a write-ahead log segment (bad magic)";
    } else if (GetU32(h + 28) != Crc32c(std::string_view(h, 28))) {
      header_problem[i] = "segment header checksum mismatch";
    } else if (GetU32(h + 8) != kFormatVersion) {
      header_problem[i] = absl::StrCat("unsupported format version ", GetU32(h + 8));
    } else if (GetU64(h + 12) != s.number) {
      header_problem[i] = absl::StrCat("header names segment ", GetU64(h + 12));
    } else if (GetU64(h + 20) == 0 || GetU64(h + 20) > kMaxSequence) {
      header_problem[i] = "first sequence out of range";
    } else {
      kinds[i] = Kind::kValid;
      s.first_sequence = GetU64(h + 20);
    }
  }

  auto metrics = std::make_unique<WalMetrics>(options.metrics);
  ScanState scan{&options, replay_after, &replay, report, metrics.get()};
  std::vector<uint64_t> bound(found.size());
  {
    uint64_t b = kMaxSequence + 1;
    for (size_t i = found.size(); i-- > 0;) {
      bound[i] = b;
      if (kinds[i] == Kind::kValid) b = std::min(b, found[i].first_sequence);
    }
  }
  for (size_t i = 0; i < found.size(); ++i) {
    const Segment& s = found[i];
    if (kinds[i] == Kind::kEmpty) continue;
    if (kinds[i] == Kind::kDamagedHeader) {
      NoteDamage(scan, s.path, 0, s.bytes, header_problem[i]);
      continue;
    }
    int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError("cannot open segment", s.path, errno);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    absl::Status st = ScanSegment(scan, fd, s, s.bytes, bound[i]);
    CloseFd(fd);
    SKUA_RETURN_IF_ERROR(st);
  }

  uint64_t next_sequence = std::max(report->last_sequence, replay_after) + 1;
  int owned_dir_fd = dir_fd;
  dir_fd = -1;  // the log owns it now
  return std::unique_ptr<WriteAheadLog>(
      new SegmentedWal(options, owned_dir_fd, std::deque<Segment>(found.begin(), found.end()),
                       next_sequence, std::move(metrics)));
}

}  // namespace skua::storage::embedded
