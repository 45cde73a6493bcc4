// The embedded store's write-ahead log: an append-only sequence of checksummed records in segment
// files, with group commit. A batch is acknowledged only once its record is on disk (fdatasync),
// unless the store was configured to trade that away (WalOptions::sync_before_ack = false).
// The format is documented in docs/storage/embedded-wal.md.
//
// Records carry sequence numbers 1, 2, 3, … in append order, never reused, also across restarts.
// The owner of the log (the embedded store) tells it, with ReleaseThrough, which records it no
// longer needs (their spans are in blocks); whole segments are then deleted.
//
// Thread-safety: Append, ReleaseThrough and the accessors are thread-safe; Close must not race
// with other calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/metrics.h"

namespace skua::storage::embedded {

struct WalOptions {
  // Directory of the segment files; created if missing. Required.
  std::string directory;
  // A segment is closed and a new one started once it holds at least this many bytes.
  // Default 64 MiB. Restart required.
  uint64_t segment_bytes = uint64_t{64} << 20;
  // Largest payload Append accepts (InvalidArgument beyond). Default 64 MiB.
  uint64_t max_record_bytes = uint64_t{64} << 20;
  // true (default): Append returns only after fdatasync covered the record, so an acknowledged
  // batch survives a power loss. false: Append returns after write(2), so a process crash loses
  // nothing but a machine crash may lose the last moments (flag embedded.sync-before-ack).
  bool sync_before_ack = true;
  // With sync_before_ack: a group is written and synced no sooner than this many microseconds
  // after the previous group's sync started, so that appends arriving meanwhile share its
  // fdatasync (at most 1e6 / window syncs per second; each append may wait up to the window
  // longer). A log whose previous sync started longer ago than the window starts at once; so does
  // one whose last 8 waits each ended with a group of one record (a lone writer that waits for
  // each acknowledgement: waiting gathers nothing), except for one try every 16 groups.
  // 0 (default): a group starts as soon as the previous one is done. At most 1 s. Restart
  // required.
  uint32_t group_commit_window_micros = 0;
  // Where the log's metrics go (skua_wal_*); may be null.
  Metrics* metrics = nullptr;
};

// What Open found while replaying.
struct WalRecoveryReport {
  uint64_t records_replayed = 0;   // records handed to the replay callback
  uint64_t records_skipped = 0;    // intact records at or below `replay_after`, not handed over
  uint64_t bytes_discarded = 0;    // damaged or truncated bytes skipped (torn tail, bad checksum)
  uint64_t damaged_segments = 0;   // segments in which a damaged record stopped the scan
  uint64_t last_sequence = 0;      // highest intact sequence number found (0 for an empty log)
};

class WriteAheadLog {
 public:
  // Called for each intact record with sequence > replay_after, in sequence order. A non-OK
  // return aborts Open with that status.
  using ReplayFn = std::function<absl::Status(uint64_t sequence, std::string_view payload)>;

  // Opens the log in options.directory (creating it), replays it and makes it ready to append.
  // Damage never stops Open: a record whose checksum or length is wrong ends the scan of its
  // segment (the rest of that segment is counted in bytes_discarded and logged, once per
  // segment), and the scan goes on with the next segment. New records go to a new segment, so
  // damaged bytes are never overwritten or appended to. Errors: InvalidArgument for bad options,
  // Unavailable / Internal for I/O errors that prevent opening (e.g. the directory cannot be
  // created or listed), or the replay callback's status.
  static absl::StatusOr<std::unique_ptr<WriteAheadLog>> Open(const WalOptions& options,
                                                             uint64_t replay_after,
                                                             const ReplayFn& replay,
                                                             WalRecoveryReport* report = nullptr);
  virtual ~WriteAheadLog() = default;

  // Appends one record and returns its sequence number once it is durable (see
  // WalOptions::sync_before_ack). Concurrent callers are grouped: one leader writes every pending
  // record with one write and one fdatasync, so N concurrent appends cost one sync, not N.
  // Errors: InvalidArgument if payload is larger than max_record_bytes; Unavailable if the
  // record could not be written or synced (disk full, read-only file system, I/O error) — the
  // record is then not in the log (a partially written group is cut off again, or the segment is
  // abandoned and the next append starts a new one), and later appends retry normally, so
  // ingest resumes by itself once the disk has room again; Unavailable after Close.
  virtual absl::StatusOr<uint64_t> Append(std::string_view payload) = 0;

  // The records with sequence <= `sequence` are no longer needed: deletes every segment whose
  // records all qualify (never the segment being appended to). After Close it may delete every
  // segment, the newest too; sequence numbers then continue after the `replay_after` given to
  // the next Open, so the caller must pass at least `sequence` there. Errors: I/O errors
  // deleting files (the log stays consistent; a later call retries).
  virtual absl::Status ReleaseThrough(uint64_t sequence) = 0;

  // Highest sequence number handed out so far (0 if none), including replayed records.
  virtual uint64_t last_sequence() const = 0;
  // Bytes in the log's segment files.
  virtual uint64_t bytes_on_disk() const = 0;
  // fdatasync calls made by Append since Open (the group-commit figure of T9).
  virtual uint64_t sync_count() const = 0;

  // Syncs and closes the current segment. Later Appends fail with Unavailable. Idempotent.
  virtual absl::Status Close() = 0;
};

}  // namespace skua::storage::embedded
