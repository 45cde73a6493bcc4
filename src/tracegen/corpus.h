// A tracegen corpus: serialized payloads in numbered files (000000.pb, 000001.pb, …) plus
// manifest.json naming the protocol, payload format, seed and each file's span count, so a replay
// can count spans without decoding. Written by `skua tracegen --write-corpus`, sent by --replay,
// read by benchmarks. Everything in it is a function of the options: the same options (with
// repeat_ids and a fixed start time) write byte-identical directories.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tracegen/sender.h"
#include "tracegen/workload.h"

namespace skua::tracegen {

struct CorpusFile {
  std::string name;  // relative to the corpus directory
  uint32_t spans = 0;
};

struct CorpusManifest {
  std::string protocol;        // ProtocolInfo::name it was written for
  std::string payload_format;  // ProtocolInfo::payload_format
  uint64_t seed = 0;
  bool repeat_ids = false;
  uint64_t start_time_unix_nano = 0;
  uint64_t spans = 0;
  uint64_t bytes = 0;
  std::vector<CorpusFile> files;
};

struct CorpusOptions {
  // Directory to write. Created if missing; if it exists it must be empty or hold an earlier
  // corpus (whose payload files and manifest are replaced). Required.
  std::string dir;
  Protocol protocol = Protocol::kOtlpGrpc;
  W1Options workload;
  // Spans to write (the last request is cut to fit). Required, > 0.
  uint64_t spans = 0;
};

// Generates W1 and writes it. Returns the manifest written. InvalidArgument for bad options or a
// directory that holds something other than a corpus; Internal for I/O errors.
absl::StatusOr<CorpusManifest> WriteCorpus(const CorpusOptions& options);

// Reads and validates DIR/manifest.json (every file name a plain name inside DIR).
// InvalidArgument with the reason for anything malformed; NotFound when there is no manifest.
absl::StatusOr<CorpusManifest> ReadCorpusManifest(const std::string& dir);

// Reads one payload file of a corpus.
absl::StatusOr<std::string> ReadCorpusFile(const std::string& dir, const CorpusFile& file);

}  // namespace skua::tracegen
