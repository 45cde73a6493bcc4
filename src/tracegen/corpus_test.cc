// Corpus files: byte-identical for the same options (workload-and-targets.md §1: a deterministic
// generator whose corpus can be written to files for replay), decodable, and safe to rewrite.
#include "tracegen/corpus.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "model/convert/otlp.h"

namespace skua::tracegen {
namespace {

namespace fs = std::filesystem;

// A directory path under the test's temporary directory, removed when the test ends.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::path(::testing::TempDir()) /
              ("tracegen_corpus_" + std::to_string(::getpid()) + "_" + name)) {
    fs::remove_all(path_);
  }
  ~ScratchDir() { fs::remove_all(path_); }
  operator std::string() const { return path_.string(); }
  fs::path path() const { return path_; }

 private:
  fs::path path_;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

CorpusOptions Options(const std::string& dir, uint64_t spans, uint64_t seed = 3) {
  CorpusOptions o;
  o.dir = dir;
  o.protocol = Protocol::kOtlpHttpProto;
  o.workload.seed = seed;
  o.workload.repeat_ids = true;
  o.workload.start_time_unix_nano = 1'700'000'000'000'000'000ull;
  o.spans = spans;
  return o;
}

TEST(Corpus, SameOptionsWriteIdenticalDirectories) {
  ScratchDir a_dir("a"), b_dir("b"), c_dir("c");
  std::string a = a_dir, b = b_dir, c = c_dir;
  ASSERT_TRUE(WriteCorpus(Options(a, 5000)).ok());
  ASSERT_TRUE(WriteCorpus(Options(b, 5000)).ok());
  ASSERT_TRUE(WriteCorpus(Options(c, 5000, /*seed=*/4)).ok());
  size_t files = 0;
  bool any_difference_from_c = false;
  for (const auto& entry : fs::directory_iterator(a)) {
    std::string name = entry.path().filename().string();
    ASSERT_TRUE(fs::exists(fs::path(b) / name)) << name;
    EXPECT_EQ(Slurp(entry.path()), Slurp(fs::path(b) / name)) << name;
    if (name != "manifest.json" &&
        (!fs::exists(fs::path(c) / name) || Slurp(entry.path()) != Slurp(fs::path(c) / name))) {
      any_difference_from_c = true;
    }
    ++files;
  }
  EXPECT_GT(files, 10u);
  EXPECT_EQ(files, static_cast<size_t>(std::distance(fs::directory_iterator(b), {})));
  EXPECT_TRUE(any_difference_from_c);
}

TEST(Corpus, ManifestDescribesDecodableFiles) {
  for (Protocol protocol : {Protocol::kOtlpHttpProto, Protocol::kOtlpHttpJson}) {
    ScratchDir scratch{std::string(Info(protocol).name)};
    std::string dir = scratch;
    CorpusOptions o = Options(dir, 3001);
    o.protocol = protocol;
    auto written = WriteCorpus(o);
    ASSERT_TRUE(written.ok()) << written.status();
    auto read = ReadCorpusManifest(dir);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(read->spans, 3001u);
    EXPECT_EQ(read->protocol, Info(protocol).name);
    EXPECT_EQ(read->payload_format, Info(protocol).payload_format);
    EXPECT_EQ(read->seed, 3u);
    EXPECT_TRUE(read->repeat_ids);
    EXPECT_EQ(read->files.size(), written->files.size());
    uint64_t bytes = 0;
    for (const CorpusFile& f : read->files) {
      auto payload = ReadCorpusFile(dir, f);
      ASSERT_TRUE(payload.ok()) << payload.status();
      bytes += payload->size();
      auto decoded = protocol == Protocol::kOtlpHttpJson
                         ? model::convert::DecodeOtlpJson(*payload)
                         : model::convert::DecodeOtlpProto(*payload);
      ASSERT_TRUE(decoded.ok()) << f.name << ": " << decoded.status();
      EXPECT_EQ(decoded->size(), f.spans) << f.name;
      EXPECT_LE(f.spans, 256u);
    }
    EXPECT_EQ(bytes, read->bytes);
  }
}

TEST(Corpus, RewritingReplacesAnEarlierCorpus) {
  ScratchDir scratch("rewrite");
  std::string dir = scratch;
  auto big = WriteCorpus(Options(dir, 6000));
  ASSERT_TRUE(big.ok());
  auto small = WriteCorpus(Options(dir, 300));
  ASSERT_TRUE(small.ok()) << small.status();
  size_t entries = std::distance(fs::directory_iterator(dir), {});
  EXPECT_EQ(entries, small->files.size() + 1);  // + manifest.json
  EXPECT_EQ(ReadCorpusManifest(dir)->spans, 300u);
}

TEST(Corpus, RefusesDirectoriesHoldingOtherFiles) {
  ScratchDir scratch("other");
  std::string dir = scratch;
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / "precious.txt") << "keep me";
  auto s = WriteCorpus(Options(dir, 100));
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::exists(fs::path(dir) / "precious.txt"));
  ScratchDir zero("zero");
  EXPECT_EQ(WriteCorpus(Options(zero, 0)).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Corpus, BadManifests) {
  ScratchDir scratch("bad");
  std::string dir = scratch;
  fs::create_directories(dir);
  EXPECT_EQ(ReadCorpusManifest(dir).status().code(), absl::StatusCode::kNotFound);
  auto write = [&](const std::string& text) {
    std::ofstream(fs::path(dir) / "manifest.json", std::ios::trunc) << text;
  };
  write("not json");
  EXPECT_EQ(ReadCorpusManifest(dir).status().code(), absl::StatusCode::kInvalidArgument);
  write(R"({"format":"something-else"})");
  EXPECT_EQ(ReadCorpusManifest(dir).status().code(), absl::StatusCode::kInvalidArgument);
  // A file entry escaping the directory is refused.
  write(R"({"format":"skua-tracegen-corpus","protocol":"otlp-grpc","payload_format":"otlp-proto",
            "files":[{"name":"../../etc/passwd","spans":1}]})");
  EXPECT_EQ(ReadCorpusManifest(dir).status().code(), absl::StatusCode::kInvalidArgument);
  write(R"({"format":"skua-tracegen-corpus","protocol":"otlp-grpc","payload_format":"otlp-proto",
            "files":[{"name":"000000.pb","spans":-1}]})");
  EXPECT_EQ(ReadCorpusManifest(dir).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadCorpusFile(dir, {"../x.pb", 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skua::tracegen
