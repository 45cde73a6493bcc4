// Tests of net::HttpServer through real sockets: httplib::Client for well-formed traffic, a raw
// TCP client for traffic a well-behaved client library would never send. Behaviour that is not
// from jaeger-compat cites the HTTP RFC it follows.
#include "net/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/compression.h"

namespace skua::net {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

// Records requests and answers with a configurable response.
class RecordingHandler {
 public:
  HttpHandler AsHandler() {
    return [this](const HttpRequest& req, HttpResponse& res) {
      {
        absl::MutexLock lock(&mu_);
        requests_.push_back(req);
      }
      res.headers.emplace_back("X-Method", req.method);
      res.body = req.method + " " + req.path + " " + std::to_string(req.body.size());
      res.content_type = "text/plain";
    };
  }
  std::vector<HttpRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  size_t count() {
    absl::MutexLock lock(&mu_);
    return requests_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

HttpServerOptions TestOptions() {
  HttpServerOptions o;
  o.host_port = "127.0.0.1:0";
  o.max_body_bytes = 1 << 20;
  o.worker_threads = 4;
  o.keep_alive_timeout_seconds = 60;
  o.read_timeout_seconds = 30;
  o.name = "test";
  return o;
}

std::unique_ptr<HttpServer> StartServer(HttpServerOptions options, HttpHandler handler) {
  auto server = NewHttpServer(std::move(options), std::move(handler));
  absl::Status st = server->Start();
  EXPECT_TRUE(st.ok()) << st;
  EXPECT_GT(server->port(), 0);
  return server;
}

std::unique_ptr<httplib::Client> MakeClient(int port) {
  auto cli = std::make_unique<httplib::Client>("127.0.0.1", port);
  cli->set_connection_timeout(5, 0);
  cli->set_read_timeout(20, 0);
  cli->set_write_timeout(20, 0);
  cli->set_tcp_nodelay(true);
  return cli;
}

// A plain TCP connection for hand-written requests.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { ::close(fd_); }

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until the peer closes or `timeout` passes; `*eof` tells which.
  std::string ReadToEnd(absl::Duration timeout, bool* eof) {
    return ReadUntil([](const std::string&) { return false; }, timeout, eof);
  }

  // Reads until `n` complete responses (headers plus Content-Length bytes of body) arrived.
  std::string ReadResponses(int n, absl::Duration timeout) {
    bool eof = false;
    return ReadUntil([n](const std::string& s) { return CompleteResponses(s) >= n; }, timeout,
                     &eof);
  }

 private:
  static int CompleteResponses(const std::string& s) {
    int complete = 0;
    size_t pos = 0;
    for (;;) {
      size_t end = s.find("\r\n\r\n", pos);
      if (end == std::string::npos) return complete;
      std::string head = absl::AsciiStrToLower(s.substr(pos, end - pos));
      size_t length = 0;
      size_t cl = head.find("content-length:");
      if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
      if (s.size() < end + 4 + length) return complete;
      ++complete;
      pos = end + 4 + length;
    }
  }

  template <typename Done>
  std::string ReadUntil(Done done, absl::Duration timeout, bool* eof) {
    std::string out;
    *eof = false;
    const absl::Time deadline = absl::Now() + timeout;
    while (!done(out)) {
      int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
      if (ms <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, ms) <= 0) break;
      char buf[4096];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        *eof = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

  int fd_ = -1;
  bool connected_ = false;
};

// Streams `total` zero bytes through zlib's gzip encoder without holding them in memory.
std::string GzipZeros(size_t total) {
  z_stream zs{};
  deflateInit2(&zs, 9, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY);
  const std::string chunk(1 << 20, '\0');
  std::string out;
  char buf[1 << 16];
  size_t fed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0 && fed < total) {
      size_t n = std::min(chunk.size(), total - fed);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(chunk.data()));
      zs.avail_in = static_cast<uInt>(n);
      fed += n;
    }
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = deflate(&zs, fed == total ? Z_FINISH : Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  deflateEnd(&zs);
  return out;
}

std::string ZlibCompress(std::string_view data) {
  uLongf len = compressBound(data.size());
  std::string out(len, '\0');
  compress(reinterpret_cast<Bytef*>(out.data()), &len, reinterpret_cast<const Bytef*>(data.data()),
           data.size());
  out.resize(len);
  return out;
}

TEST(ParseHostPortTest, AcceptsAndRejects) {
  EXPECT_EQ(*ParseHostPort(":4318"), std::make_pair(std::string("0.0.0.0"), 4318));
  EXPECT_EQ(*ParseHostPort("localhost:80"), std::make_pair(std::string("localhost"), 80));
  EXPECT_EQ(*ParseHostPort("[::1]:0"), std::make_pair(std::string("::1"), 0));
  EXPECT_EQ(*ParseHostPort("127.0.0.1:65535"), std::make_pair(std::string("127.0.0.1"), 65535));
  for (std::string_view bad : {"", "4318", "host:", "host:65536", "host:-1", "host:12a", "::1:80",
                               "[::1:80", "host:123456"}) {
    auto r = ParseHostPort(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(HttpServerTest, LifecycleErrors) {
  RecordingHandler h;
  HttpServerOptions bad = TestOptions();
  bad.host_port = "nonsense";
  EXPECT_EQ(NewHttpServer(bad, h.AsHandler())->Start().code(), absl::StatusCode::kInvalidArgument);

  auto server = StartServer(TestOptions(), h.AsHandler());
  EXPECT_EQ(server->Start().code(), absl::StatusCode::kFailedPrecondition);

  // The port is taken: a second server must fail to bind rather than share it.
  HttpServerOptions same = TestOptions();
  same.host_port = "127.0.0.1:" + std::to_string(server->port());
  EXPECT_EQ(NewHttpServer(same, h.AsHandler())->Start().code(), absl::StatusCode::kUnavailable);

  server->Stop();
  server->Stop();                                       // idempotent
  NewHttpServer(TestOptions(), h.AsHandler())->Stop();  // never started: no-op
}

TEST(HttpServerTest, EveryMethodReachesTheHandler) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  auto cli = MakeClient(server->port());

  auto get = cli->Get("/g");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "GET /g 0");
  EXPECT_EQ(get->get_header_value("X-Method"), "GET");
  EXPECT_EQ(get->get_header_value("Content-Type"), "text/plain");

  auto post = cli->Post("/p", "hello", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->body, "POST /p 5");
  auto put = cli->Put("/u", "abc", "text/plain");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->body, "PUT /u 3");
  auto patch = cli->Patch("/pa", "abcd", "text/plain");
  ASSERT_TRUE(patch);
  EXPECT_EQ(patch->body, "PATCH /pa 4");
  auto del = cli->Delete("/d");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->body, "DELETE /d 0");
  auto options = cli->Options("/o");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->body, "OPTIONS /o 0");
  auto head = cli->Head("/h");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("X-Method"), "HEAD");
  EXPECT_EQ(head->body, "");  // RFC 9110 §9.3.2: no body in a HEAD response

  std::vector<std::string> methods;
  for (const HttpRequest& r : h.requests()) methods.push_back(r.method);
  EXPECT_THAT(methods, ElementsAre("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"));
}

TEST(HttpServerTest, PathQueryAndHeadersAreDecoded) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  auto cli = MakeClient(server->port());
  cli->set_url_encode(false);  // send the target exactly as written
  auto res = cli->Get("/api/traces/a%20b%2Fc+d?service=x%26y&tag=a&tag=b+c&flag&&empty=",
                      {{"X-Custom-Header", "Value"}, {"x-other", "2"}});
  ASSERT_TRUE(res);
  ASSERT_EQ(h.count(), 1u);
  HttpRequest req = h.requests()[0];
  EXPECT_EQ(req.path, "/api/traces/a b/c+d");  // '+' is literal in a path
  EXPECT_EQ(req.raw_path, "/api/traces/a%20b%2Fc+d");
  EXPECT_THAT(req.query, ElementsAre(Pair("service", "x&y"), Pair("tag", "a"), Pair("tag", "b c"),
                                     Pair("flag", ""), Pair("empty", "")));
  EXPECT_EQ(req.QueryParam("tag"), "a");
  EXPECT_THAT(req.QueryParams("tag"), ElementsAre("a", "b c"));
  EXPECT_EQ(req.QueryParam("missing"), std::nullopt);
  EXPECT_THAT(req.headers, Contains(Pair("x-custom-header", "Value")));
  EXPECT_THAT(req.headers, Contains(Pair("x-other", "2")));
  EXPECT_EQ(req.Header("X-CUSTOM-HEADER"), "Value");
  for (const auto& [name, value] : req.headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
    EXPECT_NE(name, "remote_addr");  // httplib's pseudo-headers are not exposed
  }
  EXPECT_THAT(req.remote_address, StartsWith("127.0.0.1:"));
}

TEST(HttpServerTest, ResponseFieldsAreApplied) {
  auto server = StartServer(TestOptions(), [](const HttpRequest&, HttpResponse& res) {
    res.status = 202;
    res.content_type = "application/x-protobuf";
    res.body = std::string("\x00\x01", 2);
    res.headers.emplace_back("X-Extra", "yes");
    res.headers.emplace_back("Content-Type", "ignored/duplicate");
  });
  auto cli = MakeClient(server->port());
  auto res = cli->Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(res->get_header_value_count("Content-Type"), 1u);
  EXPECT_EQ(res->get_header_value("X-Extra"), "yes");
  EXPECT_EQ(res->body, std::string("\x00\x01", 2));
}

// jaeger-compat §1.3 (4 MiB default receive limit on OTLP): a Content-Length over the limit is
// answered 413 from the headers alone, before any body byte is read.
TEST(HttpServerTest, ContentLengthOverLimitIs413WithoutReadingBody) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.connected());
  // Headers only: if the server waited for the 100 MB body it would never answer.
  ASSERT_TRUE(
      conn.Send("POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
  bool eof = false;
  std::string response = conn.ReadToEnd(absl::Seconds(10), &eof);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 413"));
  EXPECT_THAT(response, HasSubstr("Connection: close"));
  EXPECT_TRUE(eof) << "the server must close a connection whose body it did not read";
  EXPECT_EQ(h.count(), 0u);
}

// RFC 9110 §10.1.1: with "Expect: 100-continue" the final status replaces the interim response.
TEST(HttpServerTest, ExpectContinueOverLimitGetsFinalStatus) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.Send(
      "PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n"));
  bool eof = false;
  std::string response = conn.ReadToEnd(absl::Seconds(10), &eof);
  EXPECT_THAT(response, StartsWith("HTTP/1.1 413"));
  EXPECT_EQ(response.find("100 Continue"), std::string::npos);
  EXPECT_EQ(h.count(), 0u);
}

TEST(HttpServerTest, OversizeBodyFromRealClientGets413) {
  RecordingHandler h;
  HttpServerOptions o = TestOptions();
  o.max_body_bytes = 64 * 1024;
  auto server = StartServer(o, h.AsHandler());
  auto cli = MakeClient(server->port());
  auto res = cli->Post("/v1/traces", std::string(1 << 20, 'x'), "application/x-protobuf");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(h.count(), 0u);
  // A body exactly at the limit is fine.
  auto ok = cli->Post("/v1/traces", std::string(64 * 1024, 'x'), "application/x-protobuf");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "POST /v1/traces 65536");
}

// jaeger-compat §1.3: gzip request bodies are decompressed; the size limit applies to the
// decompressed size, so a small bomb cannot expand to unbounded memory.
TEST(HttpServerTest, GzipBombIs413) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());  // 1 MiB limit
  const std::string bomb = GzipZeros(100 << 20);
  ASSERT_LT(bomb.size(), 1u << 20);  // the compressed form itself is under the limit
  auto cli = MakeClient(server->port());
  auto res = cli->Post("/v1/traces", {{"Content-Encoding", "gzip"}}, bomb, "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(h.count(), 0u);
  // The body was read completely, so the same connection still works.
  auto next = cli->Get("/after");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST(HttpServerTest, GzipRequestBodyFromClientLibraryIsDecompressed) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  auto cli = MakeClient(server->port());
  cli->set_compress(true);  // httplib's client gzips the body and sets Content-Encoding
  std::string payload;
  for (int i = 0; i < 5000; ++i) payload += "{\"span\":" + std::to_string(i) + "}";
  auto res = cli->Post("/v1/traces", payload, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  ASSERT_EQ(h.count(), 1u);
  HttpRequest req = h.requests()[0];
  EXPECT_EQ(req.body, payload);
  EXPECT_EQ(req.Header("content-encoding"), std::nullopt);  // the body is no longer encoded
  EXPECT_EQ(req.Header("content-type"), "application/json");
}

TEST(HttpServerTest, DeflateRequestBodyIsDecompressed) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  auto cli = MakeClient(server->port());
  const std::string payload(50000, 'z');
  auto res = cli->Post("/x", {{"Content-Encoding", "deflate"}}, ZlibCompress(payload),
                       "application/x-protobuf");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  ASSERT_EQ(h.count(), 1u);
  EXPECT_EQ(h.requests()[0].body, payload);
}

TEST(HttpServerTest, CorruptOrTruncatedGzipIs400) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  auto cli = MakeClient(server->port());
  std::string gz = GzipCompress(std::string(10000, 'a') + "tail");
  auto truncated = cli->Post("/x", {{"Content-Encoding", "gzip"}}, gz.substr(0, gz.size() / 2),
                             "application/json");
  ASSERT_TRUE(truncated);
  EXPECT_EQ(truncated->status, 400);
  auto garbage =
      cli->Post("/x", {{"Content-Encoding", "gzip"}}, "definitely not gzip", "application/json");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(h.count(), 0u);
}

TEST(HttpServerTest, UnknownContentEncodingIs415) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  auto cli = MakeClient(server->port());
  for (const char* enc : {"br", "zstd", "gzip, gzip", "snappy"}) {
    auto res = cli->Post("/x", {{"Content-Encoding", enc}}, "payload", "application/json");
    ASSERT_TRUE(res) << enc;
    EXPECT_EQ(res->status, 415) << enc;
  }
  auto identity = cli->Post("/x", {{"Content-Encoding", "identity"}}, "plain", "text/plain");
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->status, 200);
  EXPECT_EQ(h.count(), 1u);
}

// RFC 9112 §7.1: chunked bodies are reassembled; the limit counts bytes as they arrive.
TEST(HttpServerTest, ChunkedUploadIsReassembled) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  auto cli = MakeClient(server->port());
  std::string expected;
  for (int i = 0; i < 40; ++i) expected += std::string(5000, static_cast<char>('a' + i % 26));
  auto res = cli->Post(
      "/chunked",
      [&expected](size_t offset, httplib::DataSink& sink) {
        if (offset < expected.size()) {
          size_t n = std::min<size_t>(5000, expected.size() - offset);
          sink.write(expected.data() + offset, n);
        } else {
          sink.done();
        }
        return true;
      },
      "application/octet-stream");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  ASSERT_EQ(h.count(), 1u);
  HttpRequest req = h.requests()[0];
  EXPECT_EQ(req.Header("transfer-encoding"), "chunked");
  EXPECT_EQ(req.body, expected);
}

TEST(HttpServerTest, ChunkedUploadOverLimitIs413) {
  RecordingHandler h;
  HttpServerOptions o = TestOptions();
  o.max_body_bytes = 100 * 1000;
  auto server = StartServer(o, h.AsHandler());
  auto cli = MakeClient(server->port());
  const std::string piece(10000, 'x');
  auto res = cli->Post(
      "/chunked",
      [&piece](size_t offset, httplib::DataSink& sink) {
        if (offset < 500 * 1000) {
          sink.write(piece.data(), piece.size());
        } else {
          sink.done();
        }
        return true;
      },
      "application/octet-stream");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(h.count(), 0u);
}

TEST(HttpServerTest, LargeResponsesAreGzippedWhenAccepted) {
  std::string big;
  for (int i = 0; i < 1000; ++i) big += "{\"traceID\":\"" + std::to_string(i) + "\"},";
  auto server = StartServer(TestOptions(), [&big](const HttpRequest& req, HttpResponse& res) {
    res.body = req.path == "/small" ? "{}" : big;
  });
  auto cli = MakeClient(server->port());
  cli->set_decompress(false);  // inspect the bytes on the wire

  auto gz = cli->Get("/big", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->get_header_value("Content-Type"), "application/json");
  EXPECT_LT(gz->body.size(), big.size());
  absl::StatusOr<std::string> plain = Inflate(gz->body, big.size());
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(*plain, big);

  auto small = cli->Get("/small", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(small);
  EXPECT_FALSE(small->has_header("Content-Encoding"));
  EXPECT_EQ(small->body, "{}");

  // RFC 9110 §12.5.3: q=0 means "not acceptable".
  for (const char* ae : {"identity", "gzip;q=0", "br", "*;q=0"}) {
    auto res = cli->Get("/big", {{"Accept-Encoding", ae}});
    ASSERT_TRUE(res) << ae;
    EXPECT_FALSE(res->has_header("Content-Encoding")) << ae;
    EXPECT_EQ(res->body, big) << ae;
  }
  auto star = cli->Get("/big", {{"Accept-Encoding", "*"}});
  ASSERT_TRUE(star);
  EXPECT_EQ(star->get_header_value("Content-Encoding"), "gzip");
}

TEST(HttpServerTest, GzipResponsesCanBeDisabled) {
  HttpServerOptions o = TestOptions();
  o.gzip_responses = false;
  auto server = StartServer(
      o, [](const HttpRequest&, HttpResponse& res) { res.body = std::string(10000, 'a'); });
  auto cli = MakeClient(server->port());
  cli->set_decompress(false);
  auto res = cli->Get("/", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->has_header("Content-Encoding"));
  EXPECT_EQ(res->body.size(), 10000u);
}

// RFC 9112 §6.3: a request without Content-Length or Transfer-Encoding has an empty body.
TEST(HttpServerTest, PostWithoutFramingHasEmptyBody) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  RawConnection conn(server->port());
  ASSERT_TRUE(conn.Send("POST /nobody HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string response = conn.ReadResponses(1, absl::Seconds(10));
  EXPECT_THAT(response, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(response, HasSubstr("POST /nobody 0"));
}

TEST(HttpServerTest, MalformedFramingIs400) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  for (const char* framing :
       {"Content-Length: abc\r\n", "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Transfer-Encoding: gzip\r\n", "Content-Length: -1\r\n"}) {
    RawConnection conn(server->port());
    ASSERT_TRUE(conn.Send(std::string("POST /x HTTP/1.1\r\nHost: x\r\n") + framing + "\r\n"));
    bool eof = false;
    std::string response = conn.ReadToEnd(absl::Seconds(10), &eof);
    EXPECT_THAT(response, StartsWith("HTTP/1.1 400")) << framing;
  }
  EXPECT_EQ(h.count(), 0u);
}

TEST(HttpServerTest, PipelinedRequestsOnOneConnection) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  RawConnection conn(server->port());
  ASSERT_TRUE(
      conn.Send("GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                "POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                "GET /three HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string responses = conn.ReadResponses(3, absl::Seconds(10));
  size_t one = responses.find("GET /one 0");
  size_t two = responses.find("POST /two 3");
  size_t three = responses.find("GET /three 0");
  ASSERT_NE(one, std::string::npos) << responses;
  ASSERT_NE(two, std::string::npos) << responses;
  ASSERT_NE(three, std::string::npos) << responses;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
}

TEST(HttpServerTest, HugeHeaderIsRejectedAndServerSurvives) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());
  {
    RawConnection conn(server->port());
    std::string flood = "GET / HTTP/1.1\r\nX-Flood: " + std::string(1 << 20, 'a') + "\r\n\r\n";
    conn.Send(flood);  // may fail part-way once the server gives up: that is fine
    bool eof = false;
    std::string response = conn.ReadToEnd(absl::Seconds(10), &eof);
    EXPECT_TRUE(eof) << "the server must drop the connection";
    EXPECT_EQ(response.find("HTTP/1.1 200"), std::string::npos);
  }
  auto cli = MakeClient(server->port());
  auto res = cli->Get("/still-alive");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(h.count(), 1u);
}

TEST(HttpServerTest, RequestsAreServedConcurrently) {
  constexpr int kParallel = 4;
  absl::Mutex mu;
  int inside = 0;
  HttpServerOptions o = TestOptions();
  o.worker_threads = kParallel;
  // Each request waits until all kParallel requests are inside the handler at once; with fewer
  // workers than that, the wait times out and the request fails.
  auto server = StartServer(o, [&](const HttpRequest&, HttpResponse& res) {
    absl::MutexLock lock(&mu);
    ++inside;
    bool all = mu.AwaitWithTimeout(absl::Condition(
                                       +[](int* n) { return *n >= kParallel; }, &inside),
                                   absl::Seconds(10));
    res.status = all ? 200 : 503;
  });
  std::vector<int> statuses(kParallel, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kParallel; ++i) {
    threads.emplace_back([&, i] {
      auto cli = MakeClient(server->port());
      auto res = cli->Get("/wait");
      statuses[i] = res ? res->status : -1;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_THAT(statuses, ::testing::Each(200));
}

TEST(HttpServerTest, ManyClientsManyRequests) {
  RecordingHandler h;
  HttpServerOptions o = TestOptions();
  o.worker_threads = 3;  // fewer workers than clients: idle keep-alive connections must yield
  auto server = StartServer(o, h.AsHandler());
  constexpr int kClients = 6;
  constexpr int kRequests = 30;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      auto cli = MakeClient(server->port());
      cli->set_keep_alive(true);
      for (int i = 0; i < kRequests; ++i) {
        std::string body(static_cast<size_t>(c * 100 + i), 'b');
        auto res = cli->Post("/c" + std::to_string(c), body, "text/plain");
        if (res && res->status == 200 &&
            res->body == "POST /c" + std::to_string(c) + " " + std::to_string(body.size())) {
          ok.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
}

TEST(HttpServerTest, StopDuringIdleKeepAliveDoesNotHang) {
  RecordingHandler h;
  auto server = StartServer(TestOptions(), h.AsHandler());  // keep-alive timeout 60 s
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(MakeClient(server->port()));
    clients.back()->set_keep_alive(true);
    auto res = clients.back()->Get("/warm");
    ASSERT_TRUE(res);
  }
  RawConnection silent(server->port());  // connected, never sends a byte
  ASSERT_TRUE(silent.connected());
  const absl::Time start = absl::Now();
  server->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  // Every idle connection was closed.
  bool eof = false;
  silent.ReadToEnd(absl::Seconds(5), &eof);
  EXPECT_TRUE(eof);
  RawConnection refused(server->port());
  EXPECT_FALSE(refused.connected());
}

TEST(HttpServerTest, StopFinishesInFlightRequest) {
  absl::Notification entered;
  absl::Notification release;
  auto server = StartServer(TestOptions(), [&](const HttpRequest&, HttpResponse& res) {
    entered.Notify();
    release.WaitForNotification();
    res.body = "finished";
  });
  const int port = server->port();
  int status = 0;
  std::string body;
  std::thread client([&] {
    auto cli = MakeClient(port);
    auto res = cli->Get("/slow");
    if (res) {
      status = res->status;
      body = res->body;
    }
  });
  entered.WaitForNotification();
  absl::Notification stopped;
  std::thread stopper([&] {
    server->Stop();
    stopped.Notify();
  });
  // Stop has begun once new connections are refused.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline && RawConnection(port).connected()) {
    std::this_thread::yield();
  }
  EXPECT_FALSE(stopped.HasBeenNotified()) << "Stop must wait for the running handler";
  release.Notify();
  client.join();
  stopper.join();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "finished");
}

}  // namespace
}  // namespace skua::net
