// `skua tracegen` in-process: flags, usage errors (exit 2), the report and its exit status.
#include "tracegen/command.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/http_server.h"
#include "tracegen/corpus.h"

namespace skua::tracegen {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) s.append(buf, n);
  std::fclose(f);
  return s;
}

Outcome Tracegen(std::vector<std::string> args) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  int code = TracegenMain(args, out, err);
  return {code, ReadAll(out), ReadAll(err)};
}

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::path(::testing::TempDir()) /
              ("tracegen_cmd_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(TracegenCommand, HelpListsFlagsAndProtocols) {
  Outcome o = Tracegen({"--help"});
  EXPECT_EQ(o.code, 0);
  for (const char* want : {"--protocol",
                           "--endpoint",
                           "--rate",
                           "--spans",
                           "--duration",
                           "--concurrency",
                           "--seed",
                           "--repeat-ids",
                           "--gzip",
                           "--write-corpus",
                           "--replay",
                           "--max-retries",
                           "--json",
                           "otlp-grpc",
                           "otlp-http-proto",
                           "otlp-http-json",
                           "jaeger-grpc",
                           "zipkin-json",
                           "http://localhost:9411/api/v2/spans",
                           "SKUA_TRACEGEN_"}) {
    EXPECT_NE(o.out.find(want), std::string::npos) << want;
  }
}

TEST(TracegenCommand, UsageErrorsExitTwo) {
  const std::vector<std::vector<std::string>> cases = {
      {"--no-such-flag"},
      {"--rate=-5"},
      {"--rate=fast"},
      {"--concurrency=0"},
      {"--spans=-1"},
      {"--duration=soon"},
      {"--max-spans-per-request=0"},
      {"--protocol=carrier-pigeon"},
      {"--start-time=yesterday"},
      {"--write-corpus=/tmp/x"},  // no --spans
      {"--write-corpus=/tmp/x", "--replay=/tmp/y", "--spans=10"},
      {"--replay=/nonexistent/corpus"},
      {"stray-argument"},
  };
  for (const auto& args : cases) {
    Outcome o = Tracegen(args);
    EXPECT_EQ(o.code, 2) << args[0] << "\n" << o.out << o.err;
    EXPECT_NE(o.err.find("skua tracegen:"), std::string::npos) << args[0];
    EXPECT_TRUE(o.out.empty()) << args[0];
  }
}

TEST(TracegenCommand, WritesACorpusAndReportsItAsJson) {
  ScratchDir dir("write");
  Outcome o = Tracegen({"--write-corpus", dir.str(), "--spans", "1000", "--protocol",
                        "otlp-http-json", "--repeat-ids", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_NE(o.out.find("\"spans\":1000"), std::string::npos) << o.out;
  auto manifest = ReadCorpusManifest(dir.str());
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->spans, 1000u);
  EXPECT_EQ(manifest->protocol, "otlp-http-json");
  // --repeat-ids without --start-time fixes the start time (2024-01-01T00:00:00Z).
  EXPECT_EQ(manifest->start_time_unix_nano, 1'704'067'200'000'000'000ull);
}

TEST(TracegenCommand, FlagsFallBackToPrefixedEnvironmentVariables) {
  ScratchDir dir("env");
  setenv("SKUA_TRACEGEN_SPANS", "321", 1);
  setenv("SPANS", "999", 1);  // unprefixed names are not ours
  Outcome o = Tracegen({"--write-corpus", dir.str()});
  unsetenv("SKUA_TRACEGEN_SPANS");
  unsetenv("SPANS");
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(ReadCorpusManifest(dir.str())->spans, 321u);
}

// A receiver answering every request with one status.
class Receiver {
 public:
  explicit Receiver(int status) {
    server_ = net::NewHttpServer(
        {.host_port = "127.0.0.1:0", .worker_threads = 2},
        [status](const net::HttpRequest&, net::HttpResponse& res) { res.status = status; });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Receiver() { server_->Stop(); }
  std::string endpoint() { return "127.0.0.1:" + std::to_string(server_->port()); }

 private:
  std::unique_ptr<net::HttpServer> server_;
};

TEST(TracegenCommand, ReplayReportsAndExitsZeroWhenAllAcknowledged) {
  ScratchDir dir("replay");
  ASSERT_EQ(
      Tracegen({"--write-corpus", dir.str(), "--spans", "700", "--protocol", "otlp-http-proto"})
          .code,
      0);
  Receiver ok(200);
  // The protocol comes from the corpus manifest.
  Outcome o = Tracegen({"--replay", dir.str(), "--endpoint", ok.endpoint()});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("otlp-http-proto"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("acknowledged           700 spans"), std::string::npos) << o.out;
}

// jaeger-compat §1.7: Zipkin's collector answers 202 Accepted; that is an acknowledgement.
TEST(TracegenCommand, ZipkinJsonSendsAndCountsAcceptedAsAcknowledged) {
  Receiver zipkin(202);
  Outcome o = Tracegen(
      {"--protocol", "zipkin-json", "--endpoint", zipkin.endpoint(), "--spans", "600", "--json"});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_NE(o.out.find("\"spans_acknowledged\":600"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"spans_failed\":0"), std::string::npos) << o.out;

  // A Zipkin corpus replays over the same protocol.
  ScratchDir dir("zipkin");
  ASSERT_EQ(
      Tracegen({"--write-corpus", dir.str(), "--spans", "300", "--protocol", "zipkin-json"}).code,
      0);
  EXPECT_EQ(ReadCorpusManifest(dir.str())->payload_format, "zipkin-json");
  Outcome replay = Tracegen({"--replay", dir.str(), "--endpoint", zipkin.endpoint(), "--json"});
  ASSERT_EQ(replay.code, 0) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("\"spans_acknowledged\":300"), std::string::npos) << replay.out;
}

TEST(TracegenCommand, FailedSpansExitOne) {
  Receiver bad(400);
  Outcome o = Tracegen(
      {"--protocol", "otlp-http-proto", "--endpoint", bad.endpoint(), "--spans", "300", "--json"});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_NE(o.out.find("\"ok\":false"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("\"spans_failed\":300"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("HTTP 400"), std::string::npos) << o.out;
}

}  // namespace
}  // namespace skua::tracegen
