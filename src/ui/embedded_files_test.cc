// Checks what cmake/EmbedWebAssets.cmake generates, on the hand-written build in testdata/dist
// (this test links the table generated from it, not the real UI's).
#include "ui/embedded_files.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/compression.h"
#include "ui/ui_handler.h"

namespace skua::ui {
namespace {

std::string ReadSource(std::string_view rel) {
  const char* root = std::getenv("SKUA_SOURCE_DIR");
  std::string path =
      absl::StrCat(root != nullptr ? root : ".", "/src/ui/testdata/dist/", std::string(rel));
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const EmbeddedFile* Find(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedUiFiles()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

TEST(EmbeddedFilesTest, EveryVisibleFileIsEmbeddedWithItsBytes) {
  std::set<std::string> paths;
  for (const EmbeddedFile& f : EmbeddedUiFiles()) paths.insert(std::string(f.path));
  // Hidden files and directories (.hidden, .vite/) are left out.
  EXPECT_EQ(paths, (std::set<std::string>{"index.html", "static/app-0a1b2c.js", "static/empty.txt",
                                          "static/noise-3d4e5f.bin"}));
  std::set<std::string> etags;
  for (const EmbeddedFile& f : EmbeddedUiFiles()) {
    std::string source = ReadSource(f.path);
    EXPECT_EQ(f.size, source.size()) << f.path;
    if (f.gzipped) {
      ASSERT_GE(f.data.size(), 10u);
      // A gzip member whose header carries no modification time (reproducible output).
      EXPECT_EQ(f.data.substr(0, 2), "\x1f\x8b") << f.path;
      EXPECT_EQ(f.data.substr(4, 4), std::string(4, '\0')) << f.path;
      auto plain = net::Inflate(f.data, f.size + 1);
      ASSERT_TRUE(plain.ok()) << f.path << ": " << plain.status();
      EXPECT_EQ(*plain, source) << f.path;
    } else {
      EXPECT_EQ(f.data, source) << f.path;
    }
    EXPECT_THAT(std::string(f.etag), ::testing::MatchesRegex("\"[0-9a-f]{32}\"")) << f.path;
    etags.insert(std::string(f.etag));
  }
  EXPECT_EQ(etags.size(), paths.size()) << "different contents, different tags";
}

TEST(EmbeddedFilesTest, CompressesOnlyWhenItPays) {
  const EmbeddedFile* js = Find("static/app-0a1b2c.js");
  ASSERT_NE(js, nullptr);
  EXPECT_TRUE(js->gzipped);
  EXPECT_LT(js->data.size(), js->size / 5);
  const EmbeddedFile* noise = Find("static/noise-3d4e5f.bin");
  ASSERT_NE(noise, nullptr);
  EXPECT_FALSE(noise->gzipped);
  const EmbeddedFile* empty = Find("static/empty.txt");
  ASSERT_NE(empty, nullptr);
  EXPECT_FALSE(empty->gzipped);
  EXPECT_EQ(empty->data, "");
}

TEST(EmbeddedFilesTest, TheHandlerServesTheGeneratedTable) {
  auto handler = NewUiHandler(UiHandlerOptions{.git_version = "v-test"}, EmbeddedUiFiles());
  ASSERT_TRUE(handler.ok()) << handler.status();
  net::HttpRequest req;
  req.method = "GET";
  req.path = req.raw_path = "/static/app-0a1b2c.js";
  net::HttpResponse res;
  (*handler)(req, res);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, ReadSource("static/app-0a1b2c.js"));
  req.path = req.raw_path = "/trace/abc";
  net::HttpResponse index;
  (*handler)(req, index);
  EXPECT_THAT(index.body, ::testing::HasSubstr("\"gitVersion\":\"v-test\""));
}

}  // namespace
}  // namespace skua::ui
