#include "ui/ui_handler.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/compression.h"

namespace skua::ui {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kIndex[] = R"(<!doctype html><html><head><base href="/" />
<script>var DEFAULT_CONFIG = {}; var DEFAULT_STORAGE_CAPABILITIES = {"archiveStorage":false};
var DEFAULT_VERSION = {};
window.JAEGER_CONFIG = JAEGER_CONFIG = DEFAULT_CONFIG;
window.JAEGER_STORAGE_CAPABILITIES = JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;
window.JAEGER_VERSION = JAEGER_VERSION = DEFAULT_VERSION;</script>
</head><body><div id="root"></div><script type="module" src="./static/app-1a2b.js"></script>
</body></html>
)";

// A script large and repetitive enough that gzip pays off.
std::string AppJs() {
  std::string js;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&js, "console.log('row ", i, "');\n");
  return js;
}

// Embedded files as the generated table would hold them; owns the bytes.
class FakeBuild {
 public:
  void Add(std::string path, std::string contents, bool gzip) {
    auto& e = entries_.emplace_back();
    e.path = std::move(path);
    e.size = contents.size();
    e.etag = absl::StrCat("\"etag-", entries_.size(), "\"");
    e.gzipped = gzip;
    e.data = gzip ? net::GzipCompress(contents, 9) : std::move(contents);
  }
  // Stores damaged "compressed" bytes.
  void AddRaw(std::string path, std::string data, bool gzipped, uint64_t size) {
    auto& e = entries_.emplace_back();
    e.path = std::move(path);
    e.data = std::move(data);
    e.gzipped = gzipped;
    e.size = size;
    e.etag = "\"raw\"";
  }
  std::vector<EmbeddedFile> files() const {
    std::vector<EmbeddedFile> out;
    for (const auto& e : entries_) out.push_back({e.path, e.data, e.gzipped, e.size, e.etag});
    return out;
  }

 private:
  struct Entry {
    std::string path, data, etag;
    bool gzipped = false;
    uint64_t size = 0;
  };
  std::vector<Entry> entries_;
};

FakeBuild StandardBuild() {
  FakeBuild b;
  b.Add("index.html", kIndex, true);
  b.Add("static/app-1a2b.js", AppJs(), true);
  b.Add("static/logo-9f9f.png", "\x89PNG\r\n\x1a\n-not-compressible", false);
  b.Add("favicon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", false);
  return b;
}

struct Result {
  int status = 0;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (absl::EqualsIgnoreCase(k, ToAbsl(name))) return v;
    }
    return std::nullopt;
  }
  // The body after undoing Content-Encoding.
  std::string Decoded() const {
    if (Header("Content-Encoding") == "gzip") {
      auto plain = net::Inflate(body, 64 << 20);
      EXPECT_TRUE(plain.ok()) << plain.status();
      return plain.ok() ? *plain : "";
    }
    return body;
  }
};

Result Get(const net::HttpHandler& h, std::string raw_path,
           std::vector<std::pair<std::string, std::string>> headers = {},
           std::string method = "GET") {
  net::HttpRequest req;
  req.method = std::move(method);
  req.raw_path = raw_path;
  // The server decodes the path the same way (percent-decoding, '+' kept).
  std::string decoded;
  for (size_t i = 0; i < raw_path.size(); ++i) {
    auto hex = [](char c) {
      return c >= '0' && c <= '9'   ? c - '0'
             : c >= 'a' && c <= 'f' ? c - 'a' + 10
             : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                    : -1;
    };
    if (raw_path[i] == '%' && i + 2 < raw_path.size() && hex(raw_path[i + 1]) >= 0 &&
        hex(raw_path[i + 2]) >= 0) {
      decoded += static_cast<char>(hex(raw_path[i + 1]) * 16 + hex(raw_path[i + 2]));
      i += 2;
    } else {
      decoded += raw_path[i];
    }
  }
  req.path = decoded;
  req.headers = std::move(headers);
  net::HttpResponse res;
  h(req, res);
  return {res.status, res.content_type, res.body, res.headers};
}

const std::vector<std::pair<std::string, std::string>> kGzip = {
    {"accept-encoding", "gzip, deflate, br"}};

net::HttpHandler MustHandler(UiHandlerOptions options, const std::vector<EmbeddedFile>& files) {
  auto h = NewUiHandler(std::move(options), files);
  EXPECT_TRUE(h.ok()) << h.status();
  return h.ok() ? *h : net::HttpHandler();
}

UiHandlerOptions VersionedOptions() {
  UiHandlerOptions o;
  o.git_commit = "c0ffee";
  o.git_version = "v9.8.7";
  o.build_date = "2025-06-07T08:09:10Z";
  return o;
}

TEST(UiHandlerTest, ServesHashedAssetsGzippedAndImmutable) {
  FakeBuild build = StandardBuild();
  auto h = MustHandler(VersionedOptions(), build.files());
  Result r = Get(h, "/static/app-1a2b.js", kGzip);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(r.Header("Content-Encoding"), "gzip");
  EXPECT_EQ(r.Header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.Header("Vary"), "Accept-Encoding");
  EXPECT_EQ(r.Header("ETag"), "\"etag-2-gzip\"");
  EXPECT_LT(r.body.size(), AppJs().size());
  EXPECT_EQ(r.Decoded(), AppJs());
}

TEST(UiHandlerTest, DecompressesForClientsWithoutGzip) {
  FakeBuild build = StandardBuild();
  auto h = MustHandler(VersionedOptions(), build.files());
  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {},
           {{"accept-encoding", "identity"}},
           {{"accept-encoding", "gzip;q=0, deflate"}},
           {{"accept-encoding", "*;q=0"}},
           {{"accept-encoding", "br"}}}) {
    Result r = Get(h, "/static/app-1a2b.js", headers);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("Content-Encoding"), std::nullopt);
    EXPECT_EQ(r.body, AppJs());
    EXPECT_EQ(r.Header("ETag"), "\"etag-2\"");
    EXPECT_EQ(r.Header("Vary"), "Accept-Encoding");
  }
  // "*" and q-values > 0 accept gzip; case does not matter.
  for (const char* ae : {"*", "GZIP;q=0.5", "x-gzip", "br;q=1, gzip ; q=0.001"}) {
    Result r = Get(h, "/static/app-1a2b.js", {{"accept-encoding", ae}});
    EXPECT_EQ(r.Header("Content-Encoding"), "gzip") << ae;
    EXPECT_EQ(r.Decoded(), AppJs()) << ae;
  }
}

TEST(UiHandlerTest, IncompressibleFilesHaveOneRepresentation) {
  FakeBuild build = StandardBuild();
  auto h = MustHandler(VersionedOptions(), build.files());
  Result r = Get(h, "/static/logo-9f9f.png", kGzip);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "image/png");
  EXPECT_EQ(r.Header("Content-Encoding"), std::nullopt);
  EXPECT_EQ(r.Header("Vary"), std::nullopt);
  EXPECT_EQ(r.body, std::string("\x89PNG\r\n\x1a\n-not-compressible"));
  // Files outside static/ have no hashed names: revalidate every time.
  Result svg = Get(h, "/favicon.svg", kGzip);
  EXPECT_EQ(svg.status, 200);
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(svg.Header("Cache-Control"), "no-cache");
}

TEST(UiHandlerTest, IfNoneMatchAnswers304) {
  FakeBuild build = StandardBuild();
  auto h = MustHandler(VersionedOptions(), build.files());
  Result first = Get(h, "/static/app-1a2b.js", kGzip);
  std::string tag = *first.Header("ETag");
  for (const std::string& inm :
       {tag, absl::StrCat("W/", tag), absl::StrCat("\"other\", ", tag), std::string("*")}) {
    auto headers = kGzip;
    headers.emplace_back("if-none-match", inm);
    Result r = Get(h, "/static/app-1a2b.js", headers);
    EXPECT_EQ(r.status, 304) << inm;
    EXPECT_EQ(r.body, "") << inm;
    EXPECT_EQ(r.content_type, "") << inm;
    EXPECT_EQ(r.Header("ETag"), tag) << inm;
    EXPECT_EQ(r.Header("Cache-Control"), "public, max-age=31536000, immutable");
  }
  // The identity representation has another tag: a gzip tag does not validate it.
  Result identity = Get(h, "/static/app-1a2b.js", {{"if-none-match", tag}});
  EXPECT_EQ(identity.status, 200);
  EXPECT_EQ(identity.body, AppJs());
  Result stale = Get(h, "/static/app-1a2b.js", {{"if-none-match", "\"etag-1\""}});
  EXPECT_EQ(stale.status, 200);

  // index.html too.
  Result index = Get(h, "/", kGzip);
  auto headers = kGzip;
  headers.emplace_back("if-none-match", *index.Header("ETag"));
  EXPECT_EQ(Get(h, "/search", headers).status, 304);
}

TEST(UiHandlerTest, IndexIsInjectedAndNotCached) {
  FakeBuild build = StandardBuild();
  UiHandlerOptions options = VersionedOptions();
  auto h = MustHandler(options, build.files());
  Result r = Get(h, "/", kGzip);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.Header("Cache-Control"), "no-cache");
  ASSERT_TRUE(r.Header("ETag").has_value());
  std::string html = r.Decoded();
  EXPECT_THAT(html, HasSubstr("window.JAEGER_CONFIG = JAEGER_CONFIG = {};"));
  EXPECT_THAT(html, HasSubstr("JAEGER_STORAGE_CAPABILITIES = {\"archiveStorage\":false};"));
  EXPECT_THAT(html, HasSubstr("JAEGER_VERSION = {\"gitCommit\":\"c0ffee\",\"gitVersion\":"
                              "\"v9.8.7\",\"buildDate\":\"2025-06-07T08:09:10Z\"};"));
  EXPECT_THAT(html, HasSubstr("<base href=\"/\" />"));
  // The raw index.html is never served.
  Result direct = Get(h, "/index.html");
  EXPECT_EQ(direct.body, html);
  EXPECT_EQ(direct.Header("Cache-Control"), "no-cache");
}

TEST(UiHandlerTest, SpaFallbackServesIndexForRoutes) {
  FakeBuild build = StandardBuild();
  auto h = MustHandler(VersionedOptions(), build.files());
  std::string index = Get(h, "/").body;
  for (const char* path :
       {"/search", "/trace/4fc3395655fbd260f7ccfe75e9ec1b83", "/compare/a/b", "/dependencies",
        "/open", "/search/", "/deep/nested/route", "/no.such.file"}) {
    Result r = Get(h, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(r.body, index) << path;
  }
  // A missing asset under static/ is a 404, not HTML.
  for (const char* path : {"/static/missing-0000.js", "/static/", "/static", "/static/a/b.css"}) {
    Result r = Get(h, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_THAT(r.content_type, StartsWith("text/plain")) << path;
  }
  EXPECT_EQ(Get(h, "/", {}, "HEAD").status, 200);
  Result post = Get(h, "/search", {}, "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("Allow"), "GET, HEAD");
}

TEST(UiHandlerTest, BasePath) {
  FakeBuild build = StandardBuild();
  UiHandlerOptions options = VersionedOptions();
  options.base_path = "/jaeger";
  auto h = MustHandler(options, build.files());
  for (const char* path :
       {"/jaeger", "/jaeger/", "/jaeger/search", "/jaeger/trace/abc", "/jaeger/index.html"}) {
    Result r = Get(h, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_THAT(r.body, HasSubstr("<base href=\"/jaeger/\" />")) << path;
    EXPECT_THAT(r.body, HasSubstr("\"gitVersion\":\"v9.8.7\"")) << path;
  }
  Result js = Get(h, "/jaeger/static/app-1a2b.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, AppJs());
  // Outside the base path: nothing, except a redirect from the root.
  for (const char* path : {"/static/app-1a2b.js", "/search", "/jaegerx", "/jaegerx/search"}) {
    EXPECT_EQ(Get(h, path).status, 404) << path;
  }
  Result root = Get(h, "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.Header("Location"), "/jaeger/");
  // A trailing '/' on the option is ignored; a relative one is refused.
  options.base_path = "/jaeger/";
  auto h2 = MustHandler(options, build.files());
  EXPECT_THAT(Get(h2, "/jaeger/search").body, HasSubstr("<base href=\"/jaeger/\" />"));
  options.base_path = "jaeger";
  EXPECT_EQ(NewUiHandler(options, build.files()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(UiHandlerTest, TraversalAndHiddenPathsAre404) {
  FakeBuild build = StandardBuild();
  build.Add("static/.secret", "hidden", false);
  auto h = MustHandler(VersionedOptions(), build.files());
  for (const char* path :
       {"/static/../index.html", "/../etc/passwd", "/static/%2e%2e/index.html",
        "/%2e%2e/%2e%2e/etc/passwd", "/static%2Fapp-1a2b.js", "/static%2fapp-1a2b.js",
        "/static/app-1a2b.js%00.png", "/static\\app-1a2b.js", "/static/%5capp-1a2b.js",
        "/static/.secret", "/.git/config", "/./index.html", "/search/../../x"}) {
    Result r = Get(h, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_THAT(r.body, Not(HasSubstr("hidden"))) << path;
  }
}

TEST(UiHandlerTest, WithoutABuildServesANotBuiltPage) {
  UiHandlerOptions options = VersionedOptions();
  options.base_path = "/jaeger";
  auto h = MustHandler(options, {});
  for (const char* path : {"/jaeger/", "/jaeger/search", "/jaeger/index.html"}) {
    Result r = Get(h, path);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_THAT(r.body, HasSubstr("web UI was not built"));
    EXPECT_THAT(r.body, HasSubstr("npm run build"));
    EXPECT_THAT(r.body, HasSubstr("<base href=\"/jaeger/\">"));
  }
  EXPECT_EQ(Get(h, "/jaeger/static/app-1a2b.js").status, 404);
  // Assets without an index.html are just as unusable.
  FakeBuild partial;
  partial.Add("static/app-1a2b.js", AppJs(), true);
  auto h2 = MustHandler(VersionedOptions(), partial.files());
  EXPECT_THAT(Get(h2, "/").body, HasSubstr("web UI was not built"));
  EXPECT_EQ(Get(h2, "/static/app-1a2b.js").status, 404);
}

TEST(UiHandlerTest, DamagedEmbeddedDataIsRefusedAtStart) {
  FakeBuild build = StandardBuild();
  build.AddRaw("static/bad.js", "\x1f\x8b not really gzip", true, 100);
  EXPECT_EQ(NewUiHandler(VersionedOptions(), build.files()).status().code(),
            absl::StatusCode::kDataLoss);
  FakeBuild wrong_size;
  wrong_size.AddRaw("static/bad.js", net::GzipCompress("12345"), true, 4);
  EXPECT_EQ(NewUiHandler(VersionedOptions(), wrong_size.files()).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(UiHandlerTest, UiConfigFileIsInjected) {
  FakeBuild build = StandardBuild();
  const char* base = std::getenv("TMPDIR");
  std::string path = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                                  "/skua_ui_handler_config_", ::getpid(), ".json");
  { std::ofstream(path) << R"({"dependencies": {"menuEnabled": true}})"; }
  UiHandlerOptions options = VersionedOptions();
  options.ui_config_file = path;
  options.archive_storage = true;
  auto h = MustHandler(options, build.files());
  std::string html = Get(h, "/").body;
  EXPECT_THAT(html, HasSubstr("JAEGER_CONFIG = {\"dependencies\":{\"menuEnabled\":true}};"));
  EXPECT_THAT(html, HasSubstr("JAEGER_STORAGE_CAPABILITIES = {\"archiveStorage\":true};"));
  { std::ofstream(path) << "[]"; }
  EXPECT_EQ(NewUiHandler(options, build.files()).status().code(),
            absl::StatusCode::kInvalidArgument);
  fs::remove(path);
  EXPECT_EQ(NewUiHandler(options, build.files()).status().code(), absl::StatusCode::kNotFound);
}

TEST(ContentTypeForTest, KnownAndUnknownExtensions) {
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("static/a.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("static/a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("static/a.js.map"), "application/json");
  EXPECT_EQ(ContentTypeFor("static/f.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("static.dir/noext"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("x.unknown"), "application/octet-stream");
}

// --query.static-files: another UI build read from disk.
class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp", "/skua_ui_static_XXXXXX");
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    ASSERT_NE(::mkdtemp(buf.data()), nullptr) << std::strerror(errno);
    top_ = buf.data();
    root_ = top_ + "/ui";
    fs::create_directories(root_ + "/static");
    fs::create_directories(root_ + "/assets");
    Write(root_ + "/index.html",
          "<html><head><base href=\"/\" data-inject-target=\"BASE_URL\" /><script>\n"
          "const JAEGER_CONFIG = DEFAULT_CONFIG;\n"
          "const JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;\n"
          "const JAEGER_VERSION = DEFAULT_VERSION;\n</script></head></html>\n");
    Write(root_ + "/static/main.abc.js", AppJs());
    Write(root_ + "/static/.hidden.js", "hidden");
    Write(root_ + "/favicon.ico", "ICO");
    Write(top_ + "/outside.txt", "SECRET OUTSIDE");
    fs::create_symlink(top_ + "/outside.txt", root_ + "/static/link-out.js");
    fs::create_symlink(top_, root_ + "/static/dir-out");
    fs::create_symlink(root_ + "/static/main.abc.js", root_ + "/static/link-in.js");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(top_, ec);
  }
  static void Write(const std::string& path, const std::string& contents) {
    std::ofstream(path, std::ios::binary) << contents;
  }
  net::HttpHandler Handler(std::string base_path = "/") {
    UiHandlerOptions options = VersionedOptions();
    options.static_files = root_;
    options.base_path = std::move(base_path);
    // Embedded files are ignored when a directory is given.
    FakeBuild build = StandardBuild();
    return MustHandler(options, build.files());
  }

  std::string top_;
  std::string root_;
};

TEST_F(StaticFilesTest, ServesFilesWithInjectedIndex) {
  auto h = Handler("/jaeger");
  Result index = Get(h, "/jaeger/search", kGzip);
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  std::string html = index.Decoded();
  EXPECT_THAT(html, HasSubstr("<base href=\"/jaeger/\" data-inject-target=\"BASE_URL\" />"));
  EXPECT_THAT(html, HasSubstr("const JAEGER_CONFIG = {};"));
  EXPECT_THAT(html, HasSubstr("const JAEGER_STORAGE_CAPABILITIES = {\"archiveStorage\":false};"));
  EXPECT_THAT(html, HasSubstr("const JAEGER_VERSION = {\"gitCommit\":\"c0ffee\""));
  EXPECT_EQ(Get(h, "/jaeger/index.html").body, Get(h, "/jaeger/").body);

  Result js = Get(h, "/jaeger/static/main.abc.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, AppJs());
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.Header("Cache-Control"), "public, max-age=31536000, immutable");
  ASSERT_TRUE(js.Header("ETag").has_value());
  EXPECT_THAT(*js.Header("ETag"), StartsWith("W/\""));
  Result again = Get(h, "/jaeger/static/main.abc.js", {{"if-none-match", *js.Header("ETag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");

  Result ico = Get(h, "/jaeger/favicon.ico");
  EXPECT_EQ(ico.status, 200);
  EXPECT_EQ(ico.body, "ICO");
  EXPECT_EQ(ico.Header("Cache-Control"), "no-cache");
  // A symlink that stays inside the directory is fine.
  EXPECT_EQ(Get(h, "/jaeger/static/link-in.js").body, AppJs());
  // The embedded build is not consulted.
  EXPECT_EQ(Get(h, "/jaeger/static/app-1a2b.js").status, 404);
  EXPECT_EQ(Get(h, "/jaeger/assets").status, 200);  // a directory: an SPA route
  EXPECT_EQ(Get(h, "/jaeger/static/missing.js").status, 404);
}

TEST_F(StaticFilesTest, NothingOutsideTheDirectoryIsServed) {
  auto h = Handler();
  for (const char* path : {
           "/static/link-out.js",
           "/static/dir-out/outside.txt",
           "/../outside.txt",
           "/static/%2e%2e/%2e%2e/outside.txt",
           "/static/..%2f..%2foutside.txt",
           "/static%2F..%2F..%2Foutside.txt",
           "/static/.hidden.js",
           "/%2e%2e/outside.txt",
       }) {
    Result r = Get(h, path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_THAT(r.body, Not(HasSubstr("SECRET"))) << path;
    EXPECT_THAT(r.body, Not(HasSubstr("hidden"))) << path;
  }
  // Outside-pointing symlinks outside static/ are refused too, not turned into the SPA page.
  fs::create_symlink(top_ + "/outside.txt", root_ + "/robots.txt");
  EXPECT_EQ(Get(h, "/robots.txt").status, 404);
}

TEST_F(StaticFilesTest, BadDirectoryFailsAtStart) {
  UiHandlerOptions options;
  options.static_files = top_ + "/missing";
  EXPECT_EQ(NewUiHandler(options, {}).status().code(), absl::StatusCode::kInvalidArgument);
  options.static_files = top_ + "/outside.txt";  // a file
  EXPECT_EQ(NewUiHandler(options, {}).status().code(), absl::StatusCode::kInvalidArgument);
  fs::remove(root_ + "/index.html");
  options.static_files = root_;
  auto no_index = NewUiHandler(options, {});
  EXPECT_EQ(no_index.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(no_index.status().message()), HasSubstr("index.html"));
  // An index.html that is a symlink leaving the directory is refused as well.
  fs::create_symlink(top_ + "/outside.txt", root_ + "/index.html");
  EXPECT_EQ(NewUiHandler(options, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skua::ui
