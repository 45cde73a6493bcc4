// Helpers shared by the block tests and the block benchmark: a self-deleting temporary
// directory and the W1 workload as one flat list of spans.
#pragma once

#include <errno.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "model/span.h"
#include "model/span_set.h"
#include "tracegen/workload.h"

namespace skua::storage::embedded::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base ? base : "/tmp") + "/skua-block-XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// W1 spans: the generator's export requests (which own the memory) and views of all their
// spans in one list.
struct W1Spans {
  std::vector<model::SpanSet> requests;
  std::vector<model::Span> spans;
};

// At least `min_spans` W1 spans from `seed`; IDs repeatable when `repeat_ids`.
inline W1Spans MakeW1Spans(size_t min_spans, bool repeat_ids = true, uint64_t seed = 1,
                           uint64_t start_time_unix_nano = 1'700'000'000'000'000'000ull) {
  tracegen::W1Options options;
  options.seed = seed;
  options.repeat_ids = repeat_ids;
  options.start_time_unix_nano = start_time_unix_nano;
  tracegen::W1Generator generator(options);
  W1Spans out;
  size_t n = 0;
  while (n < min_spans) {
    out.requests.push_back(generator.NextRequest());
    n += out.requests.back().size();
  }
  out.spans.reserve(n);
  for (const model::SpanSet& r : out.requests) {
    out.spans.insert(out.spans.end(), r.spans().begin(), r.spans().end());
  }
  return out;
}

}  // namespace skua::storage::embedded::testing
