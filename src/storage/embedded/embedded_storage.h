// The embedded durable store: skua's default backend on a single node (docs/storage/embedded.md,
// docs/adr/004-embedded-store.md).
//
// Write path: WriteSpans encodes the batch into one write-ahead-log record (wal.h; group commit
// shares fsyncs between concurrent writers) and, once the record is durable, adds the spans to the
// head, an in-memory store that makes them searchable at once. When the head reaches its size or
// age limit it is frozen (still readable) and flushed to one immutable block file per tenant
// (block.h); the MANIFEST then names the new blocks and the log records they cover are released.
// Read path: every call merges the head(s) and the blocks that can match, from one consistent
// snapshot, so readers never see a half-applied flush or deletion. Retention and the disk quota
// drop whole blocks, oldest first.
//
// Thread-safe. Memory is bounded by the head limit (twice it while a flush runs), the block cache
// and a small per-block resident part, whatever the amount stored.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/metrics.h"
#include "storage/storage.h"

namespace skua::storage::embedded {

struct EmbeddedOptions {
  // Data directory (created if missing); holds wal/, blocks/ and MANIFEST. Required.
  // Flag embedded.directory, default ./skua-data.
  std::string directory;
  // Spans whose block's newest span started longer ago than this are deleted, a whole block at
  // a time. Default 72 h (Jaeger's badger.span-store-ttl). Must be > 0.
  absl::Duration retention = absl::Hours(72);
  // Most bytes of block files and log segments together; past it the oldest blocks are deleted
  // first. 0 = no quota. Default 0.
  uint64_t max_disk_bytes = 0;
  // The head is flushed to blocks once it holds this many bytes (the memory store's accounting)…
  // Default 128 MiB.
  uint64_t head_max_bytes = uint64_t{128} << 20;
  // … or once its oldest span arrived this long ago. Default 10 min.
  absl::Duration head_max_age = absl::Minutes(10);
  // Decoded block sections kept in memory (block.h BlockCache). Default 256 MiB.
  uint64_t cache_bytes = uint64_t{256} << 20;
  // See WalOptions::sync_before_ack. Default true (acknowledged = on disk).
  bool sync_before_ack = true;
  // Group commit window (WalOptions::group_commit_window_micros): with sync_before_ack, a log
  // sync starts no sooner than this after the previous one started, so at most 1 / window syncs
  // per second, and an append waits at most this long for its group to start (then the write
  // and the sync itself). Only a busy log waits (when the previous sync started longer ago, a
  // group starts at once), and a lone sequential writer is not delayed (see WalOptions). Flag
  // embedded.group-commit-window; default 4 ms: measured to keep T9's ≤ 1 fsync per 1,000 spans
  // at peak ingest with a wait below its 5 ms latency bound (docs/storage/embedded-wal.md,
  // "Writing and group commit"). In [0, 1 s]; sub-microsecond parts are dropped. Restart
  // required.
  absl::Duration group_commit_window = absl::Milliseconds(4);
  // How often retention and the quota are enforced. Default 1 min.
  absl::Duration maintenance_interval = absl::Minutes(1);
  // Where the store's metrics go (skua_embedded_*, skua_wal_*); may be null.
  Metrics* metrics = nullptr;
  // Clock for retention decisions (Unix ns); null = the system clock. Tests inject one.
  std::function<uint64_t()> now_unix_nanos;

  // InvalidArgument naming the first offending field.
  absl::Status Validate() const;
};

// Opens (or creates) the store in options.directory: reads the MANIFEST, opens the blocks it
// names (a damaged block is skipped, logged and counted in skua_embedded_damaged_blocks_total; the
// rest are served), deletes files the MANIFEST does not name (leftovers of an interrupted flush),
// and replays the log records not yet in blocks into the head. Errors: InvalidArgument for bad
// options, FailedPrecondition if another process holds the directory's lock file, Unavailable /
// DataLoss when the directory cannot be read at all.
absl::StatusOr<std::unique_ptr<Storage>> OpenEmbeddedStorage(EmbeddedOptions options);

// The concrete store, for tests and tools that need more than the Storage interface.
class EmbeddedStorage : public Storage {
 public:
  // As OpenEmbeddedStorage.
  static absl::StatusOr<std::unique_ptr<EmbeddedStorage>> Open(EmbeddedOptions options);

  // Freezes the head and writes it to blocks now (whatever its size), waiting for the flush.
  // The error of the flush, if it failed (the head then stays readable and is retried later).
  virtual absl::Status FlushForTest() = 0;
  // Runs retention and the disk quota now.
  virtual absl::Status RunMaintenanceForTest() = 0;

  // Figures for metrics and tests.
  virtual uint64_t block_count() const = 0;
  virtual uint64_t head_span_count() const = 0;
  // Bytes of block files plus log segments.
  virtual uint64_t disk_bytes() const = 0;
};

}  // namespace skua::storage::embedded
