// Process-level tests of the embedded store behind a real skua (issue #5's acceptance): every
// acknowledged span survives kill -9 during sustained ingest; a damaged log tail and a damaged
// block are skipped (with metrics) while the rest is served; a full disk refuses writes with a
// retryable 503 while reads keep working, and ingest resumes when space returns; a restart keeps
// traces, services and operations; a second skua on the same directory fails with a clear message;
// SPAN_STORAGE_TYPE=badger maps Jaeger's Badger settings.
//
// The skua binary comes from $SKUA_BIN (set by tests/CMakeLists.txt). The disk tests mount a small
// tmpfs and need root; elsewhere they are skipped with the reason.
#include <errno.h>
#include <sys/mount.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <random>

#include "gtest/gtest.h"
#include "model/convert/otlp.h"
#include "tests/integration/skua_process.h"
#include "tracegen/workload.h"

namespace skua {
namespace {

using testing::Clock;
using testing::FetchNames;
using testing::FetchTraceSpanIds;
using testing::SkuaBin;
using testing::SkuaProcess;
using testing::Slurp;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

using testing::ScratchDir;

// --- hand-built traces
// ---------------------------------------------------------------------------

std::string RandomHex(std::mt19937_64& rng, int digits) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  while (static_cast<int>(s.size()) < digits) {
    uint64_t v = rng();
    for (int i = 0; i < 16 && static_cast<int>(s.size()) < digits; ++i, v >>= 4) s += kHex[v & 15];
  }
  if (s[0] == '0') s[0] = '1';  // never all zero, and the high half of a trace ID is not zero
  return s;
}

struct TestTrace {
  std::string trace_id;               // 32 hex digits
  std::vector<std::string> span_ids;  // 16 hex digits each; span_ids[0] is the root
};

// `n` traces of `spans` spans each: the root is a server span of `service` named `operations[0]`,
// the children are named after the other operations in turn.
std::vector<TestTrace> MakeTraces(std::mt19937_64& rng, int n, int spans) {
  std::vector<TestTrace> out(n);
  for (TestTrace& t : out) {
    t.trace_id = RandomHex(rng, 32);
    for (int i = 0; i < spans; ++i) t.span_ids.push_back(RandomHex(rng, 16));
  }
  return out;
}

// One OTLP/JSON export request with every span of `traces`, all of one service.
std::string OtlpJson(const std::string& service, const std::vector<TestTrace>& traces,
                     const std::vector<std::string>& operations) {
  uint64_t now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  std::string spans;
  for (const TestTrace& t : traces) {
    for (size_t i = 0; i < t.span_ids.size(); ++i) {
      if (!spans.empty()) spans += ",";
      uint64_t start = now - 1'000'000'000 + i * 1000;
      spans += "{\"traceId\":\"" + t.trace_id + "\",\"spanId\":\"" + t.span_ids[i] + "\"";
      if (i > 0) spans += ",\"parentSpanId\":\"" + t.span_ids[0] + "\"";
      spans += ",\"name\":\"" + operations[i % operations.size()] +
               "\",\"kind\":" + (i == 0 ? "2" : "3") + ",\"startTimeUnixNano\":\"" +
               std::to_string(start) + "\",\"endTimeUnixNano\":\"" +
               std::to_string(start + 500'000) +
               "\",\"attributes\":[{\"key\":\"test.index\",\"value\":{"
               "\"intValue\":\"" +
               std::to_string(i) + "\"}}]}";
    }
  }
  return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
         "\"service.name\","
         "\"value\":{\"stringValue\":\"" +
         service +
         "\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"skua-test\"},\"spans\":"
         "[" +
         spans + "]}]}]}";
}

// Posts OTLP/JSON; the HTTP status, or -1 on a transport error.
int PostJson(net::HttpClient& otlp, const std::string& body) {
  auto res = otlp.Post("/v1/traces", body, "application/json");
  return res.ok() ? res->status : -1;
}

// Posts until 200 (retrying 429/503 answers for up to 30 s); false on anything else.
bool PostJsonAcked(net::HttpClient& otlp, const std::string& body) {
  for (auto deadline = Clock::now() + seconds(30); Clock::now() < deadline;) {
    int status = PostJson(otlp, body);
    if (status == 200) return true;
    if (status != 429 && status != 503) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

// Every span of every trace is served by GET /api/traces/{id}; the problems found otherwise.
std::vector<std::string> MissingSpans(net::HttpClient& query,
                                      const std::vector<TestTrace>& traces) {
  std::vector<std::string> problems;
  for (const TestTrace& t : traces) {
    std::string error;
    auto ids = FetchTraceSpanIds(query, t.trace_id, &error);
    if (!ids) {
      problems.push_back("trace " + t.trace_id + ": " + error);
      continue;
    }
    for (const std::string& span : t.span_ids) {
      if (!ids->count(span)) problems.push_back("trace " + t.trace_id + " lacks span " + span);
    }
  }
  return problems;
}

std::string Summary(const std::vector<std::string>& problems) {
  std::string out = std::to_string(problems.size()) + " problem(s)";
  for (size_t i = 0; i < problems.size() && i < 10; ++i) out += "\n  " + problems[i];
  return out;
}

std::vector<std::string> StoreFlags(const fs::path& dir, std::vector<std::string> more = {}) {
  std::vector<std::string> flags = {"--span-storage.type=embedded",
                                    "--embedded.directory=" + dir.string(), "--log-level=info"};
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

// Regular files directly in `dir` (sorted by name), without temporaries.
std::vector<fs::path> FilesIn(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code fec;
    if (it->is_regular_file(fec) &&
        it->path().filename().string().find(".tmp") == std::string::npos) {
      out.push_back(it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool AnyTemporaryIn(const fs::path& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().find(".tmp") != std::string::npos) return true;
  }
  return false;
}

// --- crash safety
// --------------------------------------------------------------------------------

// Acknowledged spans (by trace) collected by the sender threads.
struct Acked {
  std::mutex mu;
  std::map<std::string, std::set<std::string>> spans_by_trace;
  uint64_t spans = 0;
};

// Sends W1 export requests over OTLP HTTP protobuf until `stop` or a transport error (skua died);
// records the spans of every request answered 200.
void SendW1(int port, uint64_t seed, const std::atomic<bool>& stop, Acked& acked,
            std::atomic<int>& unexpected_status) {
  auto client = SkuaProcess::Client(port);
  if (!client) return;
  tracegen::W1Options options;
  options.seed = seed;
  tracegen::W1Generator gen(options);
  while (!stop.load()) {
    model::SpanSet request = gen.NextRequest();
    std::string body = model::convert::EncodeOtlpProto(request.spans());
    for (;;) {
      auto res = client->Post("/v1/traces", body, "application/x-protobuf");
      if (!res.ok()) return;  // killed: nothing in flight counts as acknowledged
      if (res->status == 200) {
        std::lock_guard<std::mutex> lock(acked.mu);
        for (const model::Span& span : request.spans()) {
          acked.spans_by_trace[span.trace_id.ToHex()].insert(span.span_id.ToHex());
        }
        acked.spans += request.size();
        break;
      }
      if (res->status != 429 && res->status != 503) {
        unexpected_status = res->status;
        return;
      }
      if (stop.load()) return;
    }
  }
}

// Fetches every acknowledged trace with 4 threads; the problems found.
std::vector<std::string> CheckAcked(int query_port, const Acked& acked) {
  std::vector<std::pair<std::string, const std::set<std::string>*>> traces;
  for (const auto& [id, spans] : acked.spans_by_trace) traces.emplace_back(id, &spans);
  std::mutex mu;
  std::vector<std::string> problems;
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto query = SkuaProcess::Client(query_port);
      for (size_t i = next++; i < traces.size(); i = next++) {
        std::string error;
        auto got = FetchTraceSpanIds(*query, traces[i].first, &error);
        std::lock_guard<std::mutex> lock(mu);
        if (!got) {
          problems.push_back("trace " + traces[i].first + ": " + error);
          continue;
        }
        for (const std::string& span : *traces[i].second) {
          if (!got->count(span)) {
            problems.push_back("trace " + traces[i].first + " lacks acknowledged span " + span);
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return problems;
}

TEST(EmbeddedCrash, EveryAcknowledgedSpanSurvivesKill9) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  // Kill points: fixed delays into sustained ingest, and (the last round) the moment a block file
  // is being written, i.e. during a flush. A 4 MiB head makes flushes happen during each round.
  const std::vector<int> delays_ms = {300, 900, 1700, 2500, -1};
  int rounds_with_blocks = 0;
  for (size_t round = 0; round < delays_ms.size(); ++round) {
    const int delay = delays_ms[round];
    SCOPED_TRACE(
        "round " + std::to_string(round) +
        (delay >= 0 ? ", kill after " + std::to_string(delay) + " ms" : ", kill in a flush"));
    fs::path dir = ScratchDir("crash_" + std::to_string(round));
    fs::path data = dir / "data";
    auto flags = StoreFlags(data, {"--embedded.head-max-bytes=4MiB"});
    Acked acked;
    {
      SkuaProcess skua;
      ASSERT_TRUE(skua.Start(flags, dir / "skua.log")) << skua.log();
      std::atomic<bool> stop{false};
      std::atomic<int> unexpected{0};
      std::vector<std::thread> senders;
      for (int t = 0; t < 4; ++t) {
        senders.emplace_back(SendW1, skua.otlp_http(), 1000 * (round + 1) + t, std::cref(stop),
                             std::ref(acked), std::ref(unexpected));
      }
      bool in_flush = false;
      if (delay >= 0) {
        std::this_thread::sleep_for(milliseconds(delay));  // when to crash, not a wait for a result
      } else {
        for (auto deadline = Clock::now() + seconds(20); Clock::now() < deadline && !in_flush;) {
          // A later flush (two blocks already written), so the restart has blocks, a MANIFEST
          // naming them, a half-written block and the log to reconcile.
          in_flush = AnyTemporaryIn(data / "blocks") && FilesIn(data / "blocks").size() >= 2;
          if (!in_flush) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
      }
      skua.Kill();
      stop = true;
      for (auto& t : senders) t.join();
      EXPECT_EQ(unexpected.load(), 0) << "an ingest request got an answer other than 200/429/503";
      size_t blocks = FilesIn(data / "blocks").size();
      rounds_with_blocks += blocks > 0;
      std::printf(
          "round %zu: killed %s with %llu spans in %zu traces acknowledged, "
          "%zu block "
          "file(s)\n",
          round,
          delay >= 0 ? ("after " + std::to_string(delay) + " ms").c_str()
                     : (in_flush ? "during a flush" : "(no flush seen in 20 s)"),
          static_cast<unsigned long long>(acked.spans), acked.spans_by_trace.size(), blocks);
      std::fflush(stdout);
      ASSERT_GT(acked.spans, 0u) << "nothing was acknowledged before the kill\n" << skua.log();
    }
    SkuaProcess restarted;
    ASSERT_TRUE(restarted.Start(flags, dir / "skua.log")) << restarted.log();
    std::vector<std::string> problems = CheckAcked(restarted.query(), acked);
    EXPECT_TRUE(problems.empty()) << Summary(problems) << "\n" << restarted.log();
    EXPECT_EQ(restarted.Stop(), 0) << restarted.log();
  }
  EXPECT_GT(rounds_with_blocks, 0) << "no round flushed a block before the kill";
}

// --- damage
// --------------------------------------------------------------------------------------

// Flips `n` bytes in the middle of a file.
void CorruptMiddle(const fs::path& file, size_t n) {
  std::string bytes = Slurp(file);
  ASSERT_GT(bytes.size(), n * 2) << file;
  size_t at = bytes.size() / 2;
  for (size_t i = 0; i < n; ++i) bytes[at + i] = static_cast<char>(bytes[at + i] ^ 0xA5);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(EmbeddedDamage, TornLogTailAndCorruptBlockAreSkippedAndTheRestServed) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("damage");
  fs::path data = dir / "data";
  auto flags = StoreFlags(data);
  std::mt19937_64 rng(7);
  const std::vector<std::string> ops = {"GET /a", "SELECT a", "GET /b"};

  // Two clean runs: each one's spans end up in blocks of their own when the store is closed.
  auto run_clean = [&](const std::string& service, const std::vector<TestTrace>& traces) {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start(flags, dir / "skua.log")) << skua.log();
    auto otlp = SkuaProcess::Client(skua.otlp_http());
    for (size_t i = 0; i < traces.size(); i += 10) {
      std::vector<TestTrace> part(traces.begin() + i,
                                  traces.begin() + std::min(traces.size(), i + 10));
      ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson(service, part, ops)));
    }
    ASSERT_EQ(skua.Stop(), 0) << skua.log();
  };
  std::vector<TestTrace> first = MakeTraces(rng, 60, 6);
  run_clean("damage-first", first);
  if (::testing::Test::HasFatalFailure()) return;
  std::vector<fs::path> first_blocks = FilesIn(data / "blocks");
  ASSERT_FALSE(first_blocks.empty()) << "closing the store wrote no block file";
  std::vector<TestTrace> second = MakeTraces(rng, 60, 6);
  run_clean("damage-second", second);
  if (::testing::Test::HasFatalFailure()) return;
  ASSERT_GT(FilesIn(data / "blocks").size(), first_blocks.size());

  // A third run whose spans are only in the log: one trace per request, then kill -9.
  std::vector<TestTrace> logged = MakeTraces(rng, 20, 4);
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start(flags, dir / "skua.log")) << skua.log();
    auto otlp = SkuaProcess::Client(skua.otlp_http());
    for (const TestTrace& t : logged)
      ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("damage-log", {t}, ops)));
    skua.Kill();
  }

  // Damage: cut the newest non-empty log segment in its last record, flip bytes in a block.
  std::vector<fs::path> segments = FilesIn(data / "wal");
  std::erase_if(segments, [](const fs::path& p) { return fs::file_size(p) < 64; });
  ASSERT_FALSE(segments.empty()) << "no log segment in " << (data / "wal");
  fs::path last = segments.back();
  fs::resize_file(last, fs::file_size(last) - 20);
  CorruptMiddle(first_blocks[0], 64);

  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(flags, dir / "skua.log")) << skua.log();
  // Untouched data is served in full: the second block, and every logged trace but the last (whose
  // record was cut).
  std::vector<std::string> problems = MissingSpans(skua.query_client(), second);
  EXPECT_TRUE(problems.empty()) << "second run's block: " << Summary(problems);
  problems =
      MissingSpans(skua.query_client(), std::vector<TestTrace>(logged.begin(), logged.end() - 1));
  EXPECT_TRUE(problems.empty()) << "log records before the torn one: " << Summary(problems);
  // Reading the first run's traces reaches the damaged block (if opening did not already skip it);
  // whatever is lost, skua keeps answering.
  size_t first_served = 0;
  std::map<std::string, int> first_errors;  // answers for traces that were not served
  for (const TestTrace& t : first) {
    std::string error;
    if (FetchTraceSpanIds(skua.query_client(), t.trace_id, &error)) {
      ++first_served;
    } else {
      ++first_errors[error.substr(0, 8)];
    }
  }
  auto search = skua.query_client().Get("/api/traces?service=damage-first&limit=100");
  ASSERT_TRUE(search.ok()) << search.status();
  std::printf("first run's traces still served: %zu of %zu; search answered %d\n", first_served,
              first.size(), search->status);
  for (const auto& [answer, n] : first_errors) std::printf("  %d answered %s\n", n, answer.c_str());
  EXPECT_GT(skua.Metric("skua_wal_damaged_bytes_total"), 0) << skua.MetricsText();
  // A block damaged where opening looks (footer, resident parts) is set aside at open; damage in a
  // page is found when a read needs it. Either way it is counted.
  double damaged_blocks = skua.Metric("skua_embedded_damaged_blocks_total");
  double read_errors = skua.Metric("skua_embedded_read_errors_total");
  std::printf("damaged blocks %g, read errors %g\n", damaged_blocks, read_errors);
  EXPECT_GT(std::max(damaged_blocks, 0.0) + std::max(read_errors, 0.0), 0) << skua.MetricsText();
  EXPECT_TRUE(skua.running()) << skua.log();
  auto services = FetchNames(skua.query_client(), "/api/services");
  EXPECT_TRUE(services.count("damage-second")) << skua.log();
  EXPECT_TRUE(services.count("damage-log"));
  EXPECT_EQ(skua.Stop(), 0) << skua.log();
}

// --- restart
// -------------------------------------------------------------------------------------

TEST(EmbeddedRestart, TracesServicesAndOperationsSurviveRestarts) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("restart");
  auto flags = StoreFlags(dir / "data");
  std::mt19937_64 rng(11);
  std::vector<TestTrace> frontend = MakeTraces(rng, 30, 5);
  std::vector<TestTrace> db = MakeTraces(rng, 30, 3);
  std::vector<TestTrace> later = MakeTraces(rng, 20, 4);
  auto check = [&](SkuaProcess& skua, bool with_later) {
    auto services = FetchNames(skua.query_client(), "/api/services");
    EXPECT_TRUE(services.count("restart-frontend") && services.count("restart-db")) << skua.log();
    EXPECT_EQ(services.count("restart-later"), with_later ? 1u : 0u);
    auto ops = FetchNames(skua.query_client(), "/api/operations?service=restart-frontend");
    for (const char* op : {"GET /home", "GET /cart", "render"}) EXPECT_TRUE(ops.count(op)) << op;
    auto db_ops = FetchNames(skua.query_client(), "/api/services/restart-db/operations");
    EXPECT_TRUE(db_ops.count("SELECT items")) << "legacy operations endpoint";
    std::vector<std::string> problems = MissingSpans(skua.query_client(), frontend);
    auto more = MissingSpans(skua.query_client(), db);
    problems.insert(problems.end(), more.begin(), more.end());
    if (with_later) {
      more = MissingSpans(skua.query_client(), later);
      problems.insert(problems.end(), more.begin(), more.end());
    }
    EXPECT_TRUE(problems.empty()) << Summary(problems);
  };
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start(flags, dir / "skua.log")) << skua.log();
    auto otlp = SkuaProcess::Client(skua.otlp_http());
    ASSERT_TRUE(PostJsonAcked(
        *otlp, OtlpJson("restart-frontend", frontend, {"GET /home", "GET /cart", "render"})));
    ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("restart-db", db, {"SELECT items"})));
    check(skua, false);
    ASSERT_EQ(skua.Stop(), 0) << skua.log();
  }
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start(flags, dir / "skua.log")) << skua.log();
    check(skua, false);
    auto otlp = SkuaProcess::Client(skua.otlp_http());
    ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("restart-later", later, {"consume"})));
    ASSERT_EQ(skua.Stop(), 0) << skua.log();
  }
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(flags, dir / "skua.log")) << skua.log();
  check(skua, true);
  EXPECT_EQ(skua.Stop(), 0) << skua.log();
}

// --- the directory lock
// --------------------------------------------------------------------------

TEST(EmbeddedLock, SecondSkuaOnTheSameDirectoryFailsClearly) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("lock");
  auto flags = StoreFlags(dir / "data");
  SkuaProcess first;
  ASSERT_TRUE(first.Start(flags, dir / "first.log")) << first.log();
  SkuaProcess second;
  EXPECT_FALSE(second.Start(flags, dir / "second.log"));
  EXPECT_GT(second.WaitExit(seconds(30)), 0) << second.log();
  std::string message = second.log();
  std::string lower = message;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  EXPECT_NE(lower.find("lock"), std::string::npos) << message;
  EXPECT_NE(message.find((dir / "data").string()), std::string::npos)
      << "the message names the directory: " << message;
  // The first one is unaffected; once it stops, the directory can be opened again, also after a
  // kill -9 (a lock of a dead process does not count).
  EXPECT_TRUE(first.running());
  auto services = first.query_client().Get("/api/services");
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_EQ(services->status, 200);
  ASSERT_EQ(first.Stop(), 0) << first.log();
  SkuaProcess third;
  ASSERT_TRUE(third.Start(flags, dir / "third.log")) << third.log();
  third.Kill();
  SkuaProcess fourth;
  ASSERT_TRUE(fourth.Start(flags, dir / "fourth.log")) << fourth.log();
  EXPECT_EQ(fourth.Stop(), 0);
}

// --- SPAN_STORAGE_TYPE=badger
// --------------------------------------------------------------------

TEST(EmbeddedBadgerAlias, BadgerSettingsAreMappedAndLoggedOnce) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("badger");
  std::mt19937_64 rng(13);
  std::vector<TestTrace> traces = MakeTraces(rng, 5, 3);
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start({"--log-level=info"}, dir / "skua.log",
                           {{"SPAN_STORAGE_TYPE", "badger"},
                            {"BADGER_DIRECTORY_KEY", (dir / "keys").string()},
                            {"BADGER_DIRECTORY_VALUE", (dir / "values").string()},
                            {"BADGER_SPAN_STORE_TTL", "168h"}}))
        << skua.log();
    auto otlp = SkuaProcess::Client(skua.otlp_http());
    ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("badger-svc", traces, {"op"})));
    ASSERT_EQ(skua.Stop(), 0);
    std::string log = skua.log();
    EXPECT_NE(log.find("BADGER_DIRECTORY_VALUE -> embedded.directory=" + (dir / "values").string()),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("BADGER_SPAN_STORE_TTL -> embedded.retention=168h"), std::string::npos)
        << log;
    size_t first = log.find("SPAN_STORAGE_TYPE=badger");
    ASSERT_NE(first, std::string::npos) << log;
    EXPECT_EQ(log.find("SPAN_STORAGE_TYPE=badger", first + 1), std::string::npos)
        << "one line: " << log;
  }
  EXPECT_TRUE(fs::exists(dir / "values" / "MANIFEST"));
  EXPECT_FALSE(fs::exists(dir / "keys"));
  // Durable, unlike Jaeger's default: the data is there after a restart.
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(
      {}, dir / "skua2.log",
      {{"SPAN_STORAGE_TYPE", "badger"}, {"BADGER_DIRECTORY_VALUE", (dir / "values").string()}}))
      << skua.log();
  std::vector<std::string> problems = MissingSpans(skua.query_client(), traces);
  EXPECT_TRUE(problems.empty()) << Summary(problems);
}

TEST(EmbeddedBadgerAlias, EphemeralUsesATemporaryDirectoryRemovedAtExit) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("ephemeral");
  fs::create_directories(dir / "tmp");
  std::mt19937_64 rng(17);
  std::vector<TestTrace> traces = MakeTraces(rng, 3, 2);
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start({}, dir / "skua.log",
                         {{"SPAN_STORAGE_TYPE", "badger"},
                          {"BADGER_EPHEMERAL", "true"},
                          {"TMPDIR", (dir / "tmp").string()}}))
      << skua.log();
  std::vector<fs::path> made;
  for (const auto& e : fs::directory_iterator(dir / "tmp")) made.push_back(e.path());
  ASSERT_EQ(made.size(), 1u) << skua.log();
  EXPECT_NE(made[0].filename().string().find("skua-ephemeral-"), std::string::npos);
  auto otlp = SkuaProcess::Client(skua.otlp_http());
  ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("ephemeral-svc", traces, {"op"})));
  std::vector<std::string> problems = MissingSpans(skua.query_client(), traces);
  EXPECT_TRUE(problems.empty()) << Summary(problems);
  ASSERT_EQ(skua.Stop(), 0) << skua.log();
  EXPECT_FALSE(fs::exists(made[0])) << "the temporary directory outlived skua";
}

// --- full and read-only disks
// --------------------------------------------------------------------

// A tmpfs of `bytes` mounted at `dir` for the life of this object. ok() false (with why()) when
// mounting is not possible here (not root, no CAP_SYS_ADMIN).
class Tmpfs {
 public:
  Tmpfs(const fs::path& dir, uint64_t bytes) : dir_(dir) {
    if (geteuid() != 0) {
      why_ = "needs root to mount a tmpfs";
      return;
    }
    fs::create_directories(dir);
    std::string options = "size=" + std::to_string(bytes);
    if (mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      why_ = std::string("mount(2) of a tmpfs failed: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~Tmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return mounted_; }
  const std::string& why() const { return why_; }
  uint64_t FreeBytes() const {
    struct statvfs st;
    return statvfs(dir_.c_str(), &st) == 0 ? uint64_t{st.f_bavail} * st.f_frsize : 0;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string why_;
};

// Writes `bytes` of incompressible data to `file` (as much as fits).
void FillFile(const fs::path& file, uint64_t bytes) {
  std::ofstream out(file, std::ios::binary);
  std::mt19937_64 rng(5);
  std::string chunk(1 << 16, '\0');
  for (uint64_t written = 0; written < bytes && out; written += chunk.size()) {
    for (size_t i = 0; i + 8 <= chunk.size(); i += 8) {
      uint64_t v = rng();
      std::memcpy(&chunk[i], &v, 8);
    }
    out.write(chunk.data(),
              static_cast<std::streamsize>(std::min<uint64_t>(chunk.size(), bytes - written)));
  }
}

// Posts W1 requests until one is answered `want`; every answer must be 200, 429 or 503. Returns the
// number of requests answered 200 on the way, or -1 with `failure` set.
int64_t PostW1Until(net::HttpClient& otlp, tracegen::W1Generator& gen, int want, seconds timeout,
                    std::string& failure) {
  int64_t ok = 0;
  for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
    model::SpanSet request = gen.NextRequest();
    auto res = otlp.Post("/v1/traces", model::convert::EncodeOtlpProto(request.spans()),
                         "application/x-protobuf");
    if (!res.ok()) {
      failure = "transport error (did skua die?): " + std::string(res.status().message());
      return -1;
    }
    if (res->status == want) return ok;
    if (res->status != 200 && res->status != 429 && res->status != 503) {
      failure = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 300);
      return -1;
    }
    ok += res->status == 200;
    if (res->status != 200) std::this_thread::sleep_for(milliseconds(20));
  }
  failure = "no HTTP " + std::to_string(want) + " within the deadline";
  return -1;
}

TEST(EmbeddedDisk, FullDiskRefusesWritesWith503ReadsWorkAndIngestResumes) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("full");
  Tmpfs disk(dir / "mnt", 32 << 20);
  if (!disk.ok()) GTEST_SKIP() << disk.why();
  fs::path data = dir / "mnt" / "data";
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(StoreFlags(data, {"--embedded.head-max-bytes=1MiB"}), dir / "skua.log"))
      << skua.log();
  auto otlp = SkuaProcess::Client(skua.otlp_http());
  std::mt19937_64 rng(19);
  std::vector<TestTrace> early = MakeTraces(rng, 10, 4);
  ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("disk-early", early, {"early"})));

  // Leave ~3 MiB free, then ingest until the store refuses.
  uint64_t free_bytes = disk.FreeBytes();
  ASSERT_GT(free_bytes, uint64_t{8} << 20);
  FillFile(dir / "mnt" / "filler", free_bytes - (uint64_t{3} << 20));
  tracegen::W1Options options;
  options.seed = 77;
  tracegen::W1Generator gen(options);
  std::string failure;
  int64_t accepted = PostW1Until(*otlp, gen, 503, seconds(120), failure);
  ASSERT_GE(accepted, 0) << failure << "\n" << skua.log();
  std::printf("refused with 503 after %lld accepted requests; %llu bytes free\n",
              static_cast<long long>(accepted), static_cast<unsigned long long>(disk.FreeBytes()));
  ASSERT_TRUE(skua.running()) << skua.log();

  // Reads keep working while the disk is full.
  EXPECT_TRUE(FetchNames(skua.query_client(), "/api/services").count("disk-early"));
  std::vector<std::string> problems = MissingSpans(skua.query_client(), early);
  EXPECT_TRUE(problems.empty()) << Summary(problems);

  // Space returns: ingest resumes by itself.
  fs::remove(dir / "mnt" / "filler");
  accepted = PostW1Until(*otlp, gen, 200, seconds(60), failure);
  ASSERT_GE(accepted, 0) << failure << "\n" << skua.log();
  std::vector<TestTrace> late = MakeTraces(rng, 5, 3);
  ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("disk-late", late, {"late"})));
  problems = MissingSpans(skua.query_client(), late);
  EXPECT_TRUE(problems.empty()) << Summary(problems);
  EXPECT_EQ(skua.Stop(), 0) << skua.log();
}

// Ingest is answered 503 (never anything but 200/429/503) and reads work.
void ExpectReadOnlyBehaviour(SkuaProcess& skua, const std::vector<TestTrace>& stored,
                             std::mt19937_64& rng) {
  auto otlp = SkuaProcess::Client(skua.otlp_http());
  std::vector<TestTrace> refused = MakeTraces(rng, 1, 2);
  int status = 0;
  for (int i = 0; i < 5 && status != 503; ++i) {
    status = PostJson(*otlp, OtlpJson("ro-refused", refused, {"x"}));
    EXPECT_TRUE(status == 503 || status == 200 || status == 429) << status;
  }
  EXPECT_EQ(status, 503) << skua.log();
  EXPECT_TRUE(FetchNames(skua.query_client(), "/api/services").count("ro-early"));
  std::vector<std::string> problems = MissingSpans(skua.query_client(), stored);
  EXPECT_TRUE(problems.empty()) << Summary(problems);
}

// Runs a command to completion; its exit status, or -1.
int Run(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = testing::Spawn(args, {}, log);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// An ext4 image mounted through a loop device with errors=remount-ro, so that a file system error
// turns it read-only under a running process (Linux refuses a plain remount,ro while files are
// open for writing). ok() false, with why(), where that cannot be done here.
class Ext4Disk {
 public:
  Ext4Disk(const fs::path& dir, uint64_t bytes) : image_(dir / "disk.img"), mnt_(dir / "mnt") {
    log_ = dir / "ext4.log";
    if (geteuid() != 0) {
      why_ = "needs root to mount a file system";
      return;
    }
    fs::create_directories(mnt_);
    { std::ofstream(image_).flush(); }
    fs::resize_file(image_, bytes);
    if (Run({"/sbin/mkfs.ext4", "-q", "-F", image_.string()}, log_) != 0) {
      why_ = "mkfs.ext4 failed: " + Slurp(log_);
      return;
    }
    if (!Mount()) return;
  }
  ~Ext4Disk() {
    if (mounted_) umount2(mnt_.c_str(), MNT_DETACH);
  }
  bool ok() const { return mounted_; }
  const std::string& why() const { return why_; }
  const fs::path& mnt() const { return mnt_; }

  // Makes the file system read-only as an I/O error would (ext4's trigger_fs_error).
  bool FailToReadOnly() {
    std::string dev = fs::path(device_).filename().string();
    std::ofstream trigger("/sys/fs/ext4/" + dev + "/trigger_fs_error");
    trigger << "skua test: make the disk read-only";
    trigger.flush();
    if (!trigger) why_ = "cannot write /sys/fs/ext4/" + dev + "/trigger_fs_error";
    return static_cast<bool>(trigger);
  }
  // Unmounts, repairs and mounts again, writable.
  bool Repair() {
    if (umount2(mnt_.c_str(), 0) != 0) {
      why_ = std::string("umount: ") + std::strerror(errno);
      return false;
    }
    mounted_ = false;
    int fsck = Run({"/sbin/e2fsck", "-fy", image_.string()}, log_);
    if (fsck < 0 || fsck > 1) {  // 1 = errors corrected
      why_ = "e2fsck failed: " + Slurp(log_);
      return false;
    }
    return Mount();
  }

 private:
  bool Mount() {
    if (Run({"/bin/mount", "-o", "loop,errors=remount-ro", image_.string(), mnt_.string()}, log_) !=
        0) {
      why_ = "mount -o loop failed: " + Slurp(log_);
      return false;
    }
    mounted_ = true;
    std::ifstream mounts("/proc/self/mounts");
    for (std::string source, target, rest;
         mounts >> source >> target && std::getline(mounts, rest);) {
      if (target == mnt_.string()) device_ = source;
    }
    if (device_.empty()) why_ = "the mounted device is not in /proc/self/mounts";
    return !device_.empty();
  }

  fs::path image_, mnt_, log_;
  std::string device_;
  bool mounted_ = false;
  std::string why_;
};

TEST(EmbeddedDisk, ReadOnlyDiskRefusesWritesWith503AndReadsWork) {
  ASSERT_FALSE(SkuaBin().empty()) << "set SKUA_BIN";
  fs::path dir = ScratchDir("readonly");
  Ext4Disk disk(dir, 64 << 20);
  if (!disk.ok()) GTEST_SKIP() << disk.why();
  fs::path data = disk.mnt() / "data";
  std::mt19937_64 rng(23);
  std::vector<TestTrace> early = MakeTraces(rng, 10, 4);
  {
    SkuaProcess skua;
    ASSERT_TRUE(skua.Start(StoreFlags(data), dir / "skua.log")) << skua.log();
    auto otlp = SkuaProcess::Client(skua.otlp_http());
    ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("ro-early", early, {"early"})));
    if (!disk.FailToReadOnly()) GTEST_SKIP() << disk.why();
    ExpectReadOnlyBehaviour(skua, early, rng);
    EXPECT_TRUE(skua.running()) << skua.log();
    EXPECT_EQ(skua.Stop(), 0) << skua.log();
  }
  // The disk repaired and writable again: what was acknowledged is there, and ingest works.
  ASSERT_TRUE(disk.Repair()) << disk.why();
  SkuaProcess skua;
  ASSERT_TRUE(skua.Start(StoreFlags(data), dir / "skua.log")) << skua.log();
  std::vector<std::string> problems = MissingSpans(skua.query_client(), early);
  EXPECT_TRUE(problems.empty()) << Summary(problems);
  auto otlp = SkuaProcess::Client(skua.otlp_http());
  std::vector<TestTrace> late = MakeTraces(rng, 3, 2);
  ASSERT_TRUE(PostJsonAcked(*otlp, OtlpJson("ro-late", late, {"late"}))) << skua.log();
  problems = MissingSpans(skua.query_client(), late);
  EXPECT_TRUE(problems.empty()) << Summary(problems);
  EXPECT_EQ(skua.Stop(), 0) << skua.log();
}

}  // namespace
}  // namespace skua
