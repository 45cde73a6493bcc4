// Fuzz target for block files (docs/storage/embedded-blocks.md): the input bytes are written as a
// block file, which is opened and read every way a store reads it. Damage must give DataLoss,
// never a crash, a hang or an unbounded allocation. Checksums are skipped (SetSkipChecksumsForTest)
// so that mutated inputs reach the section decoders behind them, which must be safe on their own.
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "storage/embedded/block.h"
#include "storage/embedded/block_format.h"

namespace {

using skua::storage::embedded::BlockCache;
using skua::storage::embedded::BlockReader;

const std::string& FilePath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr && *dir ? dir : "/tmp") + "/skua-block-fuzz-" +
           std::to_string(::getpid()) + ".block";
  }();
  return path;
}

bool WriteInput(const uint8_t* data, size_t size) {
  int fd = ::open(FilePath().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return done == size;
}

// Only DataLoss is an acceptable failure of a read.
void Check(const absl::Status& s) {
  if (!s.ok() && s.code() != absl::StatusCode::kDataLoss) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  skua::storage::embedded::block_format::SetSkipChecksumsForTest(true);
  if (!WriteInput(data, size)) return 0;
  auto reader = BlockReader::Open(FilePath(), BlockCache::Create(8 << 20));
  if (!reader.ok()) {
    Check(reader.status());
    return 0;
  }
  BlockReader& r = **reader;
  // Trace IDs: some fixed, some taken from the input (the IDs of a valid block are in it).
  std::vector<skua::model::TraceId> ids = {{0, 0}, {0, 1}, {UINT64_MAX, UINT64_MAX}};
  for (size_t off = 16; off + 16 <= size && ids.size() < 8; off += size / 5 + 1) {
    ids.push_back(skua::model::TraceId::FromBytes(data + off));
  }
  for (const auto& id : ids) {
    skua::model::SpanSet out;
    Check(r.ReadTrace(id, out));
  }
  skua::storage::TraceQuery q;
  Check(r.Search(q).status());
  q.service_name = "frontend";
  q.operation_name = "GET /";
  Check(r.Search(q).status());
  q.operation_name.clear();
  q.tags = {{"http.request.method", "GET"}, {"span.kind", "server"}};
  q.num_traces = 2;
  Check(r.Search(q).status());
  Check(r.Catalog().status());
  Check(r.Dependencies(0, UINT64_MAX).status());
  Check(r.Dependencies(r.info().min_start, r.info().min_start).status());
  size_t traces = 0;
  Check(r.ForEachTrace([&](skua::model::SpanSet) { return ++traces < 1000; }));
  return 0;
}
