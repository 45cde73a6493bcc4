// The run loop against an in-process OTLP/HTTP stand-in that decodes every request it accepts,
// so "acknowledged" is checked against spans the receiver really got. Retry behaviour follows
// the OTLP exporter rules skua's receivers rely on (jaeger-compat §1.2, §1.3).
#include "tracegen/runner.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "model/convert/otlp.h"
#include "net/http_server.h"
#include "tracegen/corpus.h"

namespace skua::tracegen {
namespace {

struct Answer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class Receiver {
 public:
  // `script(n)` answers the n-th request (from 0).
  explicit Receiver(std::function<Answer(size_t)> script = nullptr) : script_(std::move(script)) {
    server_ = net::NewHttpServer({.host_port = "127.0.0.1:0", .worker_threads = 4},
                                 [this](const net::HttpRequest& req, net::HttpResponse& res) {
                                   size_t n;
                                   {
                                     absl::MutexLock lock(&mu_);
                                     n = requests_++;
                                     bodies_.push_back(req.body);
                                   }
                                   Answer a = script_ ? script_(n) : Answer{};
                                   res.status = a.status;
                                   res.body = a.body;
                                   res.headers = a.headers;
                                   if (a.status == 200) {
                                     auto decoded = req.Header("content-type").value_or("") ==
                                                            "application/json"
                                                        ? model::convert::DecodeOtlpJson(req.body)
                                                        : model::convert::DecodeOtlpProto(req.body);
                                     absl::MutexLock lock(&mu_);
                                     if (decoded.ok()) {
                                       accepted_spans_ += decoded->size();
                                     } else {
                                       ++undecodable_;
                                     }
                                   }
                                 });
    EXPECT_TRUE(server_->Start().ok());
  }
  ~Receiver() { server_->Stop(); }

  std::string url() { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  uint64_t accepted_spans() {
    absl::MutexLock lock(&mu_);
    return accepted_spans_;
  }
  size_t requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  size_t undecodable() {
    absl::MutexLock lock(&mu_);
    return undecodable_;
  }
  std::vector<std::string> bodies() {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }

 private:
  std::function<Answer(size_t)> script_;
  std::unique_ptr<net::HttpServer> server_;
  absl::Mutex mu_;
  size_t requests_ = 0;
  uint64_t accepted_spans_ = 0;
  size_t undecodable_ = 0;
  std::vector<std::string> bodies_;
};

RunOptions Options(Receiver& receiver) {
  RunOptions o;
  o.protocol = Protocol::kOtlpHttpProto;
  o.sender.endpoint = receiver.url();
  o.initial_backoff_ms = 1;
  o.max_backoff_ms = 5;
  return o;
}

TEST(Run, SendsExactlyTheSpanBudget) {
  Receiver receiver;
  RunOptions o = Options(receiver);
  o.max_spans = 2'345;
  o.concurrency = 3;
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->spans_sent, 2'345u);
  EXPECT_EQ(stats->spans_acknowledged, 2'345u);
  EXPECT_EQ(receiver.accepted_spans(), 2'345u);
  EXPECT_EQ(stats->requests_sent, receiver.requests());
  EXPECT_EQ(stats->spans_failed, 0u);
  EXPECT_EQ(stats->spans_refused, 0u);
  EXPECT_TRUE(stats->errors.empty());
  EXPECT_EQ(receiver.undecodable(), 0u);
}

TEST(Run, RetriesRefusedRequestsUntilAccepted) {
  // Every other request is refused (alternating 429 and 503) before the retry goes through.
  Receiver receiver([](size_t n) {
    if (n % 2 == 1) return Answer{200};
    return Answer{n % 4 == 0 ? 429 : 503, "", {{"Retry-After", "0"}}};
  });
  RunOptions o = Options(receiver);
  o.max_spans = 3'000;
  o.protocol = Protocol::kOtlpHttpJson;
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->spans_acknowledged, 3'000u);
  EXPECT_EQ(receiver.accepted_spans(), 3'000u);
  EXPECT_EQ(stats->spans_refused, 3'000u);  // each request refused exactly once
  EXPECT_EQ(stats->requests_refused, stats->requests_sent);
  EXPECT_EQ(stats->retries, stats->requests_sent);
  EXPECT_EQ(stats->spans_failed, 0u);
}

TEST(Run, GivesUpAfterMaxRetries) {
  Receiver receiver([](size_t) { return Answer{429}; });
  RunOptions o = Options(receiver);
  o.max_spans = 600;
  o.max_retries = 2;
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->spans_acknowledged, 0u);
  EXPECT_EQ(stats->spans_failed, 600u);
  EXPECT_EQ(stats->requests_failed, stats->requests_sent);
  EXPECT_EQ(receiver.requests(), 3 * stats->requests_sent);  // first attempt + 2 retries
  EXPECT_EQ(stats->requests_refused, receiver.requests());
  ASSERT_EQ(stats->errors.size(), 1u);
  EXPECT_NE(stats->errors.begin()->first.find("retries exhausted"), std::string::npos);
}

TEST(Run, NonRetryableAnswersFailAtOnce) {
  Receiver receiver([](size_t n) { return n == 0 ? Answer{400, "malformed"} : Answer{200}; });
  RunOptions o = Options(receiver);
  o.max_spans = 1'000;
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->requests_failed, 1u);
  EXPECT_GT(stats->spans_failed, 0u);
  EXPECT_EQ(stats->spans_acknowledged + stats->spans_failed, 1'000u);
  EXPECT_EQ(stats->spans_acknowledged, receiver.accepted_spans());
  EXPECT_EQ(stats->retries, 0u);
  ASSERT_EQ(stats->errors.size(), 1u);
  EXPECT_NE(stats->errors.begin()->first.find("HTTP 400"), std::string::npos);
}

TEST(Run, PartialSuccessCountsRejectedSpansAsFailed) {
  Receiver receiver([](size_t) {
    return Answer{200, R"({"partialSuccess":{"rejectedSpans":"1"}})"};
  });
  RunOptions o = Options(receiver);
  o.protocol = Protocol::kOtlpHttpJson;
  o.max_spans = 1'000;
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->spans_failed, stats->requests_sent);
  EXPECT_EQ(stats->spans_acknowledged, 1'000u - stats->requests_sent);
}

TEST(Run, DurationEndsTheRun) {
  Receiver receiver;
  RunOptions o = Options(receiver);
  o.duration_ns = 200'000'000;
  o.concurrency = 2;
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok());
  EXPECT_GE(stats->seconds, 0.2);
  EXPECT_GT(stats->spans_acknowledged, 0u);
  EXPECT_EQ(stats->spans_acknowledged, receiver.accepted_spans());
}

TEST(Run, StopFlagEndsTheRun) {
  Receiver receiver;
  RunOptions o = Options(receiver);
  std::atomic<bool> stop{true};
  o.stop = &stop;
  auto stats = tracegen::Run(o);  // no budget, no duration: only the flag can end it
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->requests_sent, 0u);
}

TEST(Run, RateLimitsThePace) {
  Receiver receiver;
  RunOptions o = Options(receiver);
  o.max_spans = 1'500;
  o.rate = 3'000;  // 1,500 spans take at least ~0.4 s (the first request goes at once)
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->spans_acknowledged, 1'500u);
  EXPECT_GE(stats->seconds, 0.3);
}

TEST(Run, ReplaySendsTheCorpusFilesVerbatim) {
  const std::filesystem::path root = std::filesystem::path(::testing::TempDir()) /
                                     ("tracegen_replay_" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  // Removed however the test ends.
  std::unique_ptr<const std::filesystem::path, void (*)(const std::filesystem::path*)> cleanup(
      &root, [](const std::filesystem::path* p) { std::filesystem::remove_all(*p); });
  const std::string dir = root.string();
  CorpusOptions c;
  c.dir = dir;
  c.protocol = Protocol::kOtlpGrpc;  // same payload format as otlp-http-proto
  c.spans = 2'000;
  auto manifest = WriteCorpus(c);
  ASSERT_TRUE(manifest.ok()) << manifest.status();

  Receiver receiver;
  RunOptions o = Options(receiver);
  o.replay_dir = dir;
  auto stats = tracegen::Run(o);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->spans_acknowledged, 2'000u);
  EXPECT_EQ(receiver.accepted_spans(), 2'000u);
  auto bodies = receiver.bodies();
  ASSERT_EQ(bodies.size(), manifest->files.size());
  for (size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(bodies[i], *ReadCorpusFile(dir, manifest->files[i])) << i;
  }

  // A budget smaller than the corpus stops before the first file that would exceed it.
  Receiver partial;
  RunOptions p = Options(partial);
  p.replay_dir = dir;
  p.max_spans = manifest->files[0].spans + 1;
  auto cut = tracegen::Run(p);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->spans_acknowledged, manifest->files[0].spans);

  // JSON cannot carry a protobuf corpus.
  RunOptions wrong = Options(receiver);
  wrong.protocol = Protocol::kOtlpHttpJson;
  wrong.replay_dir = dir;
  EXPECT_EQ(tracegen::Run(wrong).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Run, SetupErrors) {
  RunOptions o;
  o.protocol = Protocol::kOtlpHttpProto;
  o.sender.endpoint = "ftp://nowhere";
  EXPECT_EQ(tracegen::Run(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.sender.endpoint = "";
  o.concurrency = 0;
  EXPECT_EQ(tracegen::Run(o).status().code(), absl::StatusCode::kInvalidArgument);
  o.concurrency = 1;
  o.replay_dir = "/nonexistent/corpus";
  EXPECT_EQ(tracegen::Run(o).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace skua::tracegen
