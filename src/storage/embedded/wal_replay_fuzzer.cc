// Fuzz target for write-ahead-log recovery: the input is one segment file (a valid seed is in
// testdata/wal_corpus). Whatever the bytes, Open must not crash, hang or allocate without bound,
// must hand out a strictly increasing sequence, and its report must agree with what it handed out.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/logging.h"
#include "storage/embedded/wal.h"

namespace {

std::string* g_dir = nullptr;
std::string* g_segment = nullptr;

void Setup() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/skua_wal_fuzz_XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  g_dir = new std::string(tmpl);
  g_segment = new std::string(tmpl + "/wal-00000000000000000001.log");
  std::atexit([] {
    std::remove(g_segment->c_str());
    ::rmdir(g_dir->c_str());
  });
  // Damage is logged at warning level on every iteration; keep the fuzzer's output readable.
  skua::SetMinLogLevel(skua::LogLevel::kError);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skua::storage::embedded;
  if (g_dir == nullptr) Setup();
  FILE* f = std::fopen(g_segment->c_str(), "wb");
  if (f == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);

  WalOptions options;
  options.directory = *g_dir;
  options.max_record_bytes = 1 << 20;
  uint64_t calls = 0;
  uint64_t prev = 0;
  uint64_t touched = 0;
  WalRecoveryReport report;
  auto wal = WriteAheadLog::Open(
      options, /*replay_after=*/2,
      [&](uint64_t seq, std::string_view payload) {
        if (seq <= prev || seq <= 2) __builtin_trap();
        prev = seq;
        ++calls;
        for (char c : payload) touched += static_cast<unsigned char>(c);
        return absl::OkStatus();
      },
      &report);
  if (!wal.ok()) __builtin_trap();  // damage never stops Open
  if (report.records_replayed != calls || report.bytes_discarded > size ||
      report.damaged_segments > 1 || (calls > 0 && report.last_sequence != prev) ||
      (*wal)->last_sequence() < report.last_sequence) {
    __builtin_trap();
  }
  (*wal).reset();  // appends nothing, so no new segment is created
  std::remove(g_segment->c_str());
  return touched == 0xFFFFFFFFFFFFFFFFull ? 1 : 0;  // keeps the payload reads observable
}
