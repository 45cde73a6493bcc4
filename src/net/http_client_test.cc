// net::HttpClient against a real net::HttpServer on port 0.
#include "net/http_client.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "net/http_server.h"

namespace skua::net {
namespace {

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpServerOptions options;
    options.host_port = "127.0.0.1:0";
    options.worker_threads = 2;
    server_ = NewHttpServer(options, [](const HttpRequest& req, HttpResponse& res) {
      if (req.path == "/big") {
        res.body.assign(100'000, 'x');
        return;
      }
      if (req.path == "/busy") {
        res.status = 429;
        res.headers.emplace_back("Retry-After", "3");
        res.body = "slow down";
        return;
      }
      res.content_type = "text/plain";
      std::string ct(req.Header("content-type").value_or(""));
      std::string extra(req.Header("x-extra").value_or(""));
      res.body = req.method + " " + req.path + " " + ct + " " + extra + " " + req.body;
    });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { server_->Stop(); }
  std::string Url() { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpClientTest, PostSendsBodyContentTypeAndHeaders) {
  auto client = NewHttpClient({.base_url = Url()});
  ASSERT_TRUE(client.ok()) << client.status();
  for (int i = 0; i < 3; ++i) {  // the kept-alive connection is reused
    auto res =
        (*client)->Post("/v1/traces", "payload", "application/x-protobuf", {{"X-Extra", "yes"}});
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "POST /v1/traces application/x-protobuf yes payload");
    EXPECT_EQ(res->Header("Content-Type").value_or(""), "text/plain");
  }
}

TEST_F(HttpClientTest, ErrorStatusesAreResponsesNotErrors) {
  auto client = NewHttpClient({.base_url = Url()});
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Get("/busy");
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->status, 429);
  EXPECT_EQ(res->Header("retry-after").value_or(""), "3");
  EXPECT_EQ(res->body, "slow down");
}

TEST_F(HttpClientTest, ResponseLargerThanTheLimitIsRefused) {
  auto client = NewHttpClient({.base_url = Url(), .max_response_bytes = 1000});
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Get("/big");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kResourceExhausted) << res.status();
  auto unlimited = NewHttpClient({.base_url = Url()});
  auto ok = (*unlimited)->Get("/big");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->body.size(), 100'000u);
}

TEST(HttpClient, ConnectionRefusedIsUnavailable) {
  // Bind a port, then close it so nothing listens there.
  int port;
  {
    auto server =
        NewHttpServer({.host_port = "127.0.0.1:0"}, [](const HttpRequest&, HttpResponse&) {});
    ASSERT_TRUE(server->Start().ok());
    port = server->port();
    server->Stop();
  }
  auto client =
      NewHttpClient({.base_url = "127.0.0.1:" + std::to_string(port), .connect_timeout_ms = 1000});
  ASSERT_TRUE(client.ok());
  auto res = (*client)->Post("/", "x", "text/plain");
  EXPECT_EQ(res.status().code(), absl::StatusCode::kUnavailable) << res.status();
}

TEST(HttpClient, SplitUrl) {
  auto a = SplitUrl("http://localhost:4318/v1/traces");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "http://localhost:4318");
  EXPECT_EQ(a->second, "/v1/traces");
  auto b = SplitUrl("collector:4318");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->first, "http://collector:4318");
  EXPECT_EQ(b->second, "");
  auto c = SplitUrl("HTTPS://example.com/x/y");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->first, "https://example.com");
  EXPECT_EQ(c->second, "/x/y");
  EXPECT_FALSE(SplitUrl("ftp://example.com").ok());
  EXPECT_FALSE(SplitUrl("http:///path").ok());
  EXPECT_FALSE(SplitUrl("").ok());
  EXPECT_FALSE(NewHttpClient({.base_url = ""}).ok());
}

}  // namespace
}  // namespace skua::net
