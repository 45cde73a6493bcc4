#include "tracegen/corpus.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "simdjson.h"

namespace skua::tracegen {
namespace {

namespace fs = std::filesystem;

constexpr char kManifest[] = "manifest.json";
constexpr char kCorpusFormat[] = "skua-tracegen-corpus";
// Manifests larger than this are not ours (a million files' entries fit in well under 64 MiB).
constexpr uintmax_t kMaxManifestBytes = 64 << 20;

// A payload file name: six or more digits, a dot, an extension of letters. Nothing else is ever
// removed from, or read out of, a corpus directory.
bool IsPayloadName(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot < 6 || dot + 1 >= name.size()) return false;
  for (size_t i = 0; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  for (size_t i = dot + 1; i < name.size(); ++i) {
    if (name[i] < 'a' || name[i] > 'z') return false;
  }
  return true;
}

absl::Status WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// Makes `dir` ready for a new corpus: created if missing, else emptied of an earlier corpus.
absl::Status PrepareDirectory(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      return absl::InternalError(absl::StrCat("cannot create ", dir.string(), ": ", ec.message()));
    return absl::OkStatus();
  }
  if (!fs::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(dir.string(), " is not a directory"));
  }
  bool has_manifest = fs::exists(dir / kManifest, ec);
  std::vector<fs::path> payloads;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name == kManifest) continue;
    if (!has_manifest || !IsPayloadName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(dir.string(),
                                                     " holds files other than a tracegen corpus (",
                                                     name, "); choose a new or empty directory"));
    }
    payloads.push_back(entry.path());
  }
  if (ec)
    return absl::InternalError(absl::StrCat("cannot list ", dir.string(), ": ", ec.message()));
  for (const fs::path& p : payloads) fs::remove(p, ec);
  fs::remove(dir / kManifest, ec);
  return absl::OkStatus();
}

std::string ManifestJson(const CorpusManifest& m) {
  std::string out = "{\"format\":\"";
  absl::StrAppend(&out, kCorpusFormat, "\",\"version\":1,\"protocol\":");
  AppendJsonString(m.protocol, out);
  out += ",\"payload_format\":";
  AppendJsonString(m.payload_format, out);
  absl::StrAppend(&out, ",\"seed\":", m.seed, ",\"repeat_ids\":", m.repeat_ids ? "true" : "false",
                  ",\"start_time_unix_nano\":", m.start_time_unix_nano, ",\"spans\":", m.spans,
                  ",\"bytes\":", m.bytes, ",\"files\":[");
  for (size_t i = 0; i < m.files.size(); ++i) {
    out += i ? ",\n" : "\n";
    out += "{\"name\":";
    AppendJsonString(m.files[i].name, out);
    absl::StrAppend(&out, ",\"spans\":", m.files[i].spans, "}");
  }
  out += "\n]}\n";
  return out;
}

}  // namespace

absl::StatusOr<CorpusManifest> WriteCorpus(const CorpusOptions& options) {
  if (options.dir.empty()) return absl::InvalidArgumentError("corpus directory is required");
  if (options.spans == 0)
    return absl::InvalidArgumentError("a corpus needs a span count (--spans)");
  const ProtocolInfo& info = Info(options.protocol);
  if (!info.supported) {
    return absl::UnimplementedError(
        absl::StrCat("protocol '", std::string(info.name), "' is not supported yet"));
  }
  fs::path dir(options.dir);
  if (absl::Status s = PrepareDirectory(dir); !s.ok()) return s;

  CorpusManifest manifest;
  manifest.protocol = std::string(info.name);
  manifest.payload_format = std::string(info.payload_format);
  manifest.seed = options.workload.seed;
  manifest.repeat_ids = options.workload.repeat_ids;
  manifest.start_time_unix_nano = options.workload.start_time_unix_nano;

  W1Generator gen(options.workload);
  while (manifest.spans < options.spans) {
    model::SpanSet request = gen.NextRequest();
    uint64_t left = options.spans - manifest.spans;
    if (request.size() > left) request.spans().resize(left);
    auto payloads = EncodePayloads(options.protocol, request.spans());
    if (!payloads.ok()) return payloads.status();
    for (const Payload& p : *payloads) {
      char name[32];
      std::snprintf(name, sizeof(name), "%06zu.%s", manifest.files.size(),
                    std::string(info.file_extension).c_str());
      if (absl::Status s = WriteFile(dir / name, p.bytes); !s.ok()) return s;
      manifest.files.push_back({name, p.spans});
      manifest.spans += p.spans;
      manifest.bytes += p.bytes.size();
    }
  }
  // The manifest goes last: a directory without one is an unfinished corpus.
  if (absl::Status s = WriteFile(dir / kManifest, ManifestJson(manifest)); !s.ok()) return s;
  return manifest;
}

absl::StatusOr<CorpusManifest> ReadCorpusManifest(const std::string& dir) {
  fs::path path = fs::path(dir) / kManifest;
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) return absl::NotFoundError(absl::StrCat("no corpus manifest at ", path.string()));
  if (size > kMaxManifestBytes) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), " is too large for a manifest"));
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("corpus manifest ", path.string(), ": ", std::string(why)));
  };
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text).get(root) != simdjson::SUCCESS) return bad("not valid JSON");
  std::string_view format;
  if (root["format"].get(format) != simdjson::SUCCESS || format != kCorpusFormat) {
    return bad("not a skua tracegen corpus");
  }
  CorpusManifest m;
  std::string_view s;
  uint64_t u;
  bool b;
  if (root["protocol"].get(s) != simdjson::SUCCESS) return bad("missing protocol");
  m.protocol = std::string(s);
  if (root["payload_format"].get(s) != simdjson::SUCCESS) return bad("missing payload_format");
  m.payload_format = std::string(s);
  if (root["seed"].get(u) == simdjson::SUCCESS) m.seed = u;
  if (root["repeat_ids"].get(b) == simdjson::SUCCESS) m.repeat_ids = b;
  if (root["start_time_unix_nano"].get(u) == simdjson::SUCCESS) m.start_time_unix_nano = u;
  if (root["bytes"].get(u) == simdjson::SUCCESS) m.bytes = u;
  simdjson::dom::array files;
  if (root["files"].get(files) != simdjson::SUCCESS) return bad("missing files");
  for (simdjson::dom::element f : files) {
    CorpusFile file;
    if (f["name"].get(s) != simdjson::SUCCESS || !IsPayloadName(s)) {
      return bad("a file entry has no valid name");
    }
    file.name = std::string(s);
    if (f["spans"].get(u) != simdjson::SUCCESS || u > UINT32_MAX) {
      return bad(absl::StrCat("file ", file.name, " has no valid span count"));
    }
    file.spans = static_cast<uint32_t>(u);
    m.spans += file.spans;
    m.files.push_back(std::move(file));
  }
  return m;
}

absl::StatusOr<std::string> ReadCorpusFile(const std::string& dir, const CorpusFile& file) {
  if (!IsPayloadName(file.name)) {
    return absl::InvalidArgumentError(absl::StrCat("bad corpus file name '", file.name, "'"));
  }
  fs::path path = fs::path(dir) / file.name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat("cannot read ", path.string()));
  return std::move(buf).str();
}

}  // namespace skua::tracegen
