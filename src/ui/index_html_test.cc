#include "ui/index_html.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skua::ui {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The shape skua's own web/index.html uses (docs/ui.md, the UI contract).
constexpr char kSkuaIndex[] = R"(<!doctype html>
<html><head><base href="/" />
<script>// skua-ui-config
var DEFAULT_CONFIG = {}; var DEFAULT_STORAGE_CAPABILITIES = {"archiveStorage":false}; var DEFAULT_VERSION = {};
window.JAEGER_CONFIG = JAEGER_CONFIG = DEFAULT_CONFIG;
window.JAEGER_STORAGE_CAPABILITIES = JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;
window.JAEGER_VERSION = JAEGER_VERSION = DEFAULT_VERSION;
</script></head><body><div id="root"></div><script type="module" src="./static/index-1a2b.js"></script></body></html>
)";

// The placeholders as the official Jaeger UI's index.html writes them (functions with const
// declarations, a data attribute on <base>, a JS config marker).
constexpr char kJaegerIndex[] = R"(<!doctype html>
<html lang="en">
  <head>
    <base href="/" data-inject-target="BASE_URL" />
    <script>
      // JAEGER_CONFIG_JS
      // the line above may be replaced by a user-provided file defining UIConfig()
      function getJaegerUiConfig() {
        if (typeof window.UIConfig === 'function') {
          return UIConfig();
        }
        const DEFAULT_CONFIG = null;
        const JAEGER_CONFIG = DEFAULT_CONFIG;
        return JAEGER_CONFIG;
      }
      function getJaegerStorageCapabilities() {
        const DEFAULT_STORAGE_CAPABILITIES = { "archiveStorage": false };
        const JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;
        return JAEGER_STORAGE_CAPABILITIES;
      }
      function getJaegerVersion() {
        const DEFAULT_VERSION = {"gitCommit":"", "gitVersion":"", "buildDate":0};
        const JAEGER_VERSION = DEFAULT_VERSION;
        return JAEGER_VERSION;
      }
    </script>
  </head>
  <body><div id="jaeger-ui-root"></div></body>
</html>
)";

IndexInjections Sample() {
  IndexInjections in;
  in.config_json = R"({"dependencies":{"menuEnabled":true}})";
  in.storage_capabilities_json = R"({"archiveStorage":false})";
  in.version_json = VersionJson("abc123", "v1.2.3", "2025-01-02T03:04:05Z");
  return in;
}

TEST(InjectIndexHtmlTest, FillsSkuaPlaceholders) {
  IndexInjections in = Sample();
  std::string out = InjectIndexHtml(kSkuaIndex, in);
  EXPECT_THAT(
      out, HasSubstr(absl::StrCat("window.JAEGER_CONFIG = JAEGER_CONFIG = ", in.config_json, ";")));
  EXPECT_THAT(out, HasSubstr("JAEGER_STORAGE_CAPABILITIES = {\"archiveStorage\":false};"));
  EXPECT_THAT(out, HasSubstr("JAEGER_VERSION = {\"gitCommit\":\"abc123\",\"gitVersion\":"
                             "\"v1.2.3\",\"buildDate\":\"2025-01-02T03:04:05Z\"};"));
  // The declarations of the defaults stay; only the assignments change.
  EXPECT_THAT(out, HasSubstr("var DEFAULT_CONFIG = {};"));
  EXPECT_THAT(out, Not(HasSubstr("= DEFAULT_CONFIG;")));
  EXPECT_THAT(out, Not(HasSubstr("= DEFAULT_VERSION;")));
  EXPECT_THAT(out, Not(HasSubstr("= DEFAULT_STORAGE_CAPABILITIES;")));
  // Base path "/": <base> untouched, rest of the page identical.
  EXPECT_THAT(out, HasSubstr("<base href=\"/\" />"));
  EXPECT_THAT(out, HasSubstr("src=\"./static/index-1a2b.js\""));
}

TEST(InjectIndexHtmlTest, FillsOfficialJaegerUiPlaceholders) {
  IndexInjections in = Sample();
  in.base_path = "/jaeger";
  std::string out = InjectIndexHtml(kJaegerIndex, in);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("const JAEGER_CONFIG = ", in.config_json, ";")));
  EXPECT_THAT(out, HasSubstr("const JAEGER_STORAGE_CAPABILITIES = {\"archiveStorage\":false};"));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("const JAEGER_VERSION = ", in.version_json, ";")));
  EXPECT_THAT(out, HasSubstr("<base href=\"/jaeger/\" data-inject-target=\"BASE_URL\" />"));
  // Without a JS config the marker stays.
  EXPECT_THAT(out, HasSubstr("// JAEGER_CONFIG_JS"));
}

TEST(InjectIndexHtmlTest, SpacingVariantsFollowJaegersPattern) {
  IndexInjections in;
  in.config_json = "{\"x\":1}";
  // " *" around '=': zero or more spaces match; a tab, a missing ';' or a different name do not.
  EXPECT_EQ(InjectIndexHtml("a JAEGER_CONFIG=DEFAULT_CONFIG; b", in),
            "a JAEGER_CONFIG = {\"x\":1}; b");
  EXPECT_EQ(InjectIndexHtml("JAEGER_CONFIG    =   DEFAULT_CONFIG;", in),
            "JAEGER_CONFIG = {\"x\":1};");
  EXPECT_EQ(InjectIndexHtml("JAEGER_CONFIG\t= DEFAULT_CONFIG;", in),
            "JAEGER_CONFIG\t= DEFAULT_CONFIG;");
  EXPECT_EQ(InjectIndexHtml("JAEGER_CONFIG = DEFAULT_CONFIG", in),
            "JAEGER_CONFIG = DEFAULT_CONFIG");
  EXPECT_EQ(InjectIndexHtml("JAEGER_CONFIG = DEFAULT_CONFIGX;", in),
            "JAEGER_CONFIG = DEFAULT_CONFIGX;");
  EXPECT_EQ(InjectIndexHtml("JAEGER_CONFIG_JS = DEFAULT_CONFIG;", in),
            "JAEGER_CONFIG_JS = DEFAULT_CONFIG;");
  // Every occurrence, including a near miss followed by a match.
  EXPECT_EQ(InjectIndexHtml("JAEGER_CONFIG = 1; JAEGER_CONFIG = DEFAULT_CONFIG; "
                            "JAEGER_CONFIG = DEFAULT_CONFIG;",
                            in),
            "JAEGER_CONFIG = 1; JAEGER_CONFIG = {\"x\":1}; JAEGER_CONFIG = {\"x\":1};");
  // A placeholder at the very end of the text.
  EXPECT_EQ(InjectIndexHtml("JAEGER_VERSION =", in), "JAEGER_VERSION =");
  EXPECT_EQ(InjectIndexHtml("", in), "");
}

TEST(InjectIndexHtmlTest, BaseHrefOnlyRewrittenForANonRootBasePath) {
  IndexInjections in;
  const std::string page = "<base href=\"/\"><base href=\"/\" /><base href=\"/x/\">";
  EXPECT_EQ(InjectIndexHtml(page, in), page);
  in.base_path = "/a/b";
  EXPECT_EQ(InjectIndexHtml(page, in),
            "<base href=\"/a/b/\"><base href=\"/a/b/\" /><base href=\"/x/\">");
  // An operator's odd base path cannot break out of the attribute.
  in.base_path = "/x\"><script>";
  EXPECT_THAT(InjectIndexHtml(page, in), HasSubstr("<base href=\"/x&quot;&gt;&lt;script&gt;/\""));
}

TEST(InjectIndexHtmlTest, JsConfigReplacesTheMarkerLineAndTheNextOne) {
  IndexInjections in;
  in.config_js = "function UIConfig() { return {a: 1}; }";
  std::string out = InjectIndexHtml(kJaegerIndex, in);
  EXPECT_THAT(out, Not(HasSubstr("JAEGER_CONFIG_JS")));
  EXPECT_THAT(out, Not(HasSubstr("the line above may be replaced")));
  EXPECT_THAT(out, HasSubstr("<script>\nfunction UIConfig() { return {a: 1}; }\n"
                             "      function getJaegerUiConfig() {"));
  // Marker on the last line, lower case.
  EXPECT_EQ(InjectIndexHtml("a\n  //jaeger_config_js", in), absl::StrCat("a\n", in.config_js));
}

TEST(VersionJsonTest, EscapesForJsonAndScript) {
  EXPECT_EQ(VersionJson("c", "v", "d"), R"({"gitCommit":"c","gitVersion":"v","buildDate":"d"})");
  std::string v = VersionJson("a\"b", "</script>", "\n");
  EXPECT_EQ(v, R"({"gitCommit":"a\"b","gitVersion":"\u003c/script\u003e","buildDate":"\n"})");
}

class TempFile {
 public:
  explicit TempFile(std::string_view suffix, std::string_view contents) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = absl::StrCat(base != nullptr && *base != '\0' ? base : "/tmp",
                                    "/skua_ui_config_XXXXXX", std::string(suffix));
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = ::mkstemps(buf.data(), static_cast<int>(suffix.size()));
    if (fd < 0) {
      ADD_FAILURE() << "mkstemps: " << std::strerror(errno);
      return;
    }
    path_ = buf.data();
    EXPECT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
    ::close(fd);
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadUiConfigTest, JsonObjectIsCompactedAndScriptSafe) {
  TempFile f(".json", R"({
    "dependencies": { "menuEnabled": false },
    "menu": [ { "label": "</script><script>alert(1)</script>", "url": "http://x/?a=1&b=2" } ]
  })");
  auto config = LoadUiConfig(f.path());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->js, "");
  EXPECT_EQ(config->json,
            R"({"dependencies":{"menuEnabled":false},"menu":[{"label":"\u003c/script\u003e)"
            R"(\u003cscript\u003ealert(1)\u003c/script\u003e","url":"http://x/?a=1\u0026b=2"}]})");
}

TEST(LoadUiConfigTest, RejectsWhatIsNotAJsonObject) {
  for (const char* text : {"", "[1,2]", "\"str\"", "{\"a\":", "{} {}", "{\"a\":1,}"}) {
    TempFile f(".json", text);
    auto config = LoadUiConfig(f.path());
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(std::string(config.status().message()), HasSubstr(f.path())) << text;
  }
  auto missing = LoadUiConfig("/nonexistent/skua-ui-config.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(LoadUiConfigTest, JsFileIsKeptAsScript) {
  TempFile f(".js", "function UIConfig() { return {s: '</script>'}; }\n\n");
  auto config = LoadUiConfig(f.path());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->js, "function UIConfig() { return {s: '<\\/script>'}; }");
  EXPECT_EQ(config->json, "{}");
  TempFile empty(".js", " \n");
  EXPECT_EQ(LoadUiConfig(empty.path()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoadUiConfigTest, RejectsOversizeFiles) {
  std::string big = absl::StrCat("{\"a\":\"", std::string(5 << 20, 'x'), "\"}");
  TempFile f(".json", big);
  EXPECT_EQ(LoadUiConfig(f.path()).status().code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace skua::ui
