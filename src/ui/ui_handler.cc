#include "ui/ui_handler.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status.h"
#include "net/compression.h"
#include "ui/index_html.h"

namespace skua::ui {
namespace {

constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kNoCache[] = "no-cache";
constexpr char kHtml[] = "text/html; charset=utf-8";
// Largest file served from --query.static-files (a UI bundle's files are far smaller).
constexpr size_t kMaxFileBytes = 64 << 20;

// The page served in place of index.html by a binary built without the UI. It goes through the
// same injections, so its links honour the base path.
constexpr char kNotBuiltPage[] = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<base href="/">
<title>skua: web UI not built</title>
</head>
<body style="font-family: sans-serif; max-width: 44em; margin: 3em auto; line-height: 1.5">
<h1>The skua web UI was not built</h1>
<p>This skua binary was built without its web UI (<code>web/dist</code> did not exist), so it serves
only the Jaeger HTTP API, e.g. <a href="api/services">api/services</a>.</p>
<p>To build the UI, install Node.js (20 or later) and npm, then run <code>scripts/build.sh</code>
from the skua source tree: it runs <code>npm ci</code> and <code>npm run build</code> in
<code>web/</code> and embeds <code>web/dist</code> in the binary. Or serve another UI build (for
example the official Jaeger UI) from a directory with <code>--query.static-files</code>
(<code>QUERY_STATIC_FILES</code>).</p>
</body>
</html>
)html";

// A file ready to send.
struct Representation {
  std::string content_type;
  std::string identity;
  std::string gzip;  // empty when there is no gzip variant
  std::string etag;  // strong, quoted, of `identity`
  bool immutable = false;
};

// The gzip variant has its own strong tag (RFC 9110 §8.8.3: a different content coding is a
// different representation).
std::string GzipEtag(std::string_view etag) {
  if (etag.size() >= 2 && etag.back() == '"') {
    return absl::StrCat(ToAbsl(etag.substr(0, etag.size() - 1)), "-gzip\"");
  }
  return std::string(etag);
}

// 64-bit FNV-1a; names a version of the injected index.html in its ETag.
uint64_t Fnv1a64(std::string_view data) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Accept-Encoding (RFC 9110 §12.5.3): gzip is acceptable when listed, or covered by "*", with a
// non-zero q-value.
bool AcceptsGzip(const net::HttpRequest& req) {
  double gzip_q = -1;
  double star_q = -1;
  for (const auto& [name, value] : req.headers) {
    if (name != "accept-encoding") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      size_t semi = item.find(';');
      std::string_view coding = Trim(item.substr(0, semi));
      double q = 1;
      while (semi != std::string_view::npos) {
        item = item.substr(semi + 1);
        semi = item.find(';');
        std::string_view param = Trim(item.substr(0, semi));
        if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
          std::string v(param.substr(2));
          char* end = nullptr;
          q = std::strtod(v.c_str(), &end);
          if (v.empty() || end != v.c_str() + v.size() || !(q >= 0 && q <= 1)) q = 0;
        }
      }
      if (absl::EqualsIgnoreCase(ToAbsl(coding), "gzip") ||
          absl::EqualsIgnoreCase(ToAbsl(coding), "x-gzip")) {
        gzip_q = std::max(gzip_q, q);
      } else if (coding == "*") {
        star_q = std::max(star_q, q);
      }
    }
  }
  double q = gzip_q >= 0 ? gzip_q : star_q;
  return q > 0;
}

// If-None-Match (RFC 9110 §13.1.2) with the weak comparison: "*" or any listed tag whose opaque
// part equals `etag`'s.
bool NoneMatchHits(const net::HttpRequest& req, std::string_view etag) {
  auto strip_weak = [](std::string_view t) { return t.starts_with("W/") ? t.substr(2) : t; };
  std::string_view want = strip_weak(etag);
  for (const auto& [name, value] : req.headers) {
    if (name != "if-none-match") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view tag = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (tag == "*" || (!tag.empty() && strip_weak(tag) == want)) return true;
    }
  }
  return false;
}

void PlainError(net::HttpResponse& res, int status, std::string_view text) {
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.body = absl::StrCat(status, " ", ToAbsl(text), "\n");
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
}

void NotFound(net::HttpResponse& res) { PlainError(res, 404, "page not found"); }

// True when `rel` (a path relative to the UI root) must never be served: a ".." or hidden segment,
// a backslash or a NUL.
bool Forbidden(std::string_view rel) {
  if (rel.find('\\') != std::string_view::npos || rel.find('\0') != std::string_view::npos) {
    return true;
  }
  size_t start = 0;
  while (start <= rel.size()) {
    size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    std::string_view segment = rel.substr(start, end - start);
    if (!segment.empty() && segment[0] == '.') return true;  // also "." and ".."
    start = end + 1;
  }
  return false;
}

// True for a percent-encoded '/', '\' or NUL in the raw path: they would let a single segment
// name a nested path after decoding.
bool HasEncodedSeparator(std::string_view raw) {
  for (size_t i = 0; i + 2 < raw.size(); ++i) {
    if (raw[i] != '%') continue;
    char a = raw[i + 1];
    char b = static_cast<char>(absl::ascii_tolower(static_cast<unsigned char>(raw[i + 2])));
    if ((a == '2' && b == 'f') || (a == '5' && b == 'c') || (a == '0' && b == '0')) return true;
  }
  return false;
}

// A file name that can name a file: no empty segment.
bool IsFileName(std::string_view rel) {
  return !rel.empty() && rel.back() != '/' && rel.find("//") == std::string_view::npos;
}

bool UnderStatic(std::string_view rel) { return rel == "static" || rel.starts_with("static/"); }

enum class DiskResult { kServed, kMissing, kForbidden };

class UiHandler {
 public:
  static absl::StatusOr<std::shared_ptr<const UiHandler>> Create(
      UiHandlerOptions options, std::span<const EmbeddedFile> embedded) {
    auto h = std::shared_ptr<UiHandler>(new UiHandler());
    SKUA_RETURN_IF_ERROR(h->Init(std::move(options), embedded));
    return std::shared_ptr<const UiHandler>(std::move(h));
  }

  void Handle(const net::HttpRequest& req, net::HttpResponse& res) const {
    if (req.method != "GET" && req.method != "HEAD") {
      PlainError(res, 405, "method not allowed");
      res.headers.emplace_back("Allow", "GET, HEAD");
      return;
    }
    std::string_view path = req.path;
    if (HasEncodedSeparator(req.raw_path)) return NotFound(res);
    std::string_view rel;
    if (base_path_ == "/") {
      if (!path.starts_with('/')) return NotFound(res);
      rel = path.substr(1);
    } else if (path == base_path_) {
      rel = "";
    } else if (path.starts_with(base_path_) && path.size() > base_path_.size() &&
               path[base_path_.size()] == '/') {
      rel = path.substr(base_path_.size() + 1);
    } else if (path == "/") {
      // The UI lives under the base path; send browsers there.
      res.status = 302;
      res.content_type = "";
      res.headers.emplace_back("Location", base_path_ + "/");
      return;
    } else {
      return NotFound(res);
    }
    if (Forbidden(rel)) return NotFound(res);
    if (rel.empty() || rel == "index.html") return Send(req, index_, res);
    if (IsFileName(rel)) {
      if (!static_root_.empty()) {
        switch (ServeFromDisk(req, rel, res)) {
          case DiskResult::kServed:
            return;
          case DiskResult::kForbidden:
            return NotFound(res);
          case DiskResult::kMissing:
            break;
        }
      } else if (auto it = files_.find(ToAbsl(rel)); it != files_.end()) {
        return Send(req, it->second, res);
      }
    }
    // A missing script or stylesheet must not turn into an HTML page.
    if (UnderStatic(rel)) return NotFound(res);
    Send(req, index_, res);
  }

 private:
  UiHandler() = default;

  absl::Status Init(UiHandlerOptions options, std::span<const EmbeddedFile> embedded) {
    base_path_ = options.base_path.empty() ? "/" : options.base_path;
    if (base_path_[0] != '/') {
      return absl::InvalidArgumentError("the UI base path must start with '/'");
    }
    while (base_path_.size() > 1 && base_path_.back() == '/') base_path_.pop_back();

    IndexInjections injections;
    injections.base_path = base_path_;
    injections.storage_capabilities_json =
        absl::StrCat("{\"archiveStorage\":", options.archive_storage ? "true" : "false", "}");
    injections.version_json =
        VersionJson(options.git_commit, options.git_version, options.build_date);
    if (!options.ui_config_file.empty()) {
      SKUA_ASSIGN_OR_RETURN(UiConfig config, LoadUiConfig(options.ui_config_file));
      injections.config_json = std::move(config.json);
      injections.config_js = std::move(config.js);
    }

    std::string index_html;
    if (!options.static_files.empty()) {
      SKUA_ASSIGN_OR_RETURN(index_html, OpenStaticRoot(options.static_files));
    } else {
      for (const EmbeddedFile& f : embedded) {
        SKUA_ASSIGN_OR_RETURN(Representation rep, FromEmbedded(f));
        if (f.path == "index.html") {
          index_html = std::move(rep.identity);
          continue;
        }
        files_.emplace(std::string(f.path), std::move(rep));
      }
      if (index_html.empty()) {
        files_.clear();  // assets without their page are of no use
        index_html = kNotBuiltPage;
      }
    }
    index_.content_type = kHtml;
    index_.identity = InjectIndexHtml(index_html, injections);
    index_.etag = absl::StrFormat("\"%016x\"", Fnv1a64(index_.identity));
    std::string gz = net::GzipCompress(index_.identity, 9);
    if (!gz.empty() && gz.size() < index_.identity.size()) index_.gzip = std::move(gz);
    return absl::OkStatus();
  }

  static absl::StatusOr<Representation> FromEmbedded(const EmbeddedFile& f) {
    Representation rep;
    rep.content_type = ContentTypeFor(f.path);
    rep.etag = std::string(f.etag);
    rep.immutable = UnderStatic(f.path);
    if (f.gzipped) {
      auto plain = net::Inflate(f.data, f.size + 1);
      if (!plain.ok() || plain->size() != f.size) {
        return absl::DataLossError(absl::StrCat("embedded UI file ", ToAbsl(f.path),
                                                " does not decompress to ", f.size, " bytes"));
      }
      rep.identity = std::move(*plain);
      rep.gzip = std::string(f.data);
    } else {
      rep.identity = std::string(f.data);
    }
    return rep;
  }

  // Resolves the --query.static-files directory and reads its index.html.
  absl::StatusOr<std::string> OpenStaticRoot(const std::string& dir) {
    std::error_code ec;
    std::filesystem::path root = std::filesystem::canonical(dir, ec);
    if (ec || !std::filesystem::is_directory(root, ec)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--query.static-files: ", dir, " is not a directory",
                       ec ? absl::StrCat(" (", ec.message(), ")") : std::string()));
    }
    static_root_ = root.string();
    std::string index;
    absl::Status read = ReadRegularFile("index.html", index);
    if (!read.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--query.static-files: cannot read ", dir,
                                                     "/index.html: ", ToAbsl(StatusMessage(read))));
    }
    return index;
  }

  // Opens `rel` under static_root_ if it resolves inside it. NotFound when missing or not a
  // regular file, PermissionDenied when it resolves outside the directory.
  absl::Status OpenUnderRoot(std::string_view rel, int& fd, struct stat& st) const {
    std::error_code ec;
    std::filesystem::path resolved =
        std::filesystem::canonical(std::filesystem::path(static_root_) / std::string(rel), ec);
    if (ec) return absl::NotFoundError(ec.message());
    const std::string& r = resolved.native();
    if (!(r.size() > static_root_.size() && r.starts_with(static_root_) &&
          (static_root_.back() == '/' || r[static_root_.size()] == '/'))) {
      return absl::PermissionDeniedError("outside the UI directory");
    }
    fd = ::open(r.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return absl::NotFoundError(std::strerror(errno));
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      fd = -1;
      return absl::NotFoundError("not a regular file");
    }
    return absl::OkStatus();
  }

  static absl::Status ReadAll(int fd, size_t size, std::string& out) {
    if (size > kMaxFileBytes) return absl::ResourceExhaustedError("file larger than 64 MiB");
    out.resize(size);
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::read(fd, out.data() + done, size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return absl::UnavailableError(std::strerror(errno));
      if (n == 0) break;  // the file shrank meanwhile
      done += static_cast<size_t>(n);
    }
    out.resize(done);
    return absl::OkStatus();
  }

  absl::Status ReadRegularFile(std::string_view rel, std::string& out) const {
    int fd = -1;
    struct stat st {};
    SKUA_RETURN_IF_ERROR(OpenUnderRoot(rel, fd, st));
    absl::Status s = ReadAll(fd, static_cast<size_t>(st.st_size), out);
    ::close(fd);
    return s;
  }

  DiskResult ServeFromDisk(const net::HttpRequest& req, std::string_view rel,
                           net::HttpResponse& res) const {
    int fd = -1;
    struct stat st {};
    absl::Status opened = OpenUnderRoot(rel, fd, st);
    if (absl::IsPermissionDenied(opened)) return DiskResult::kForbidden;
    if (!opened.ok()) return DiskResult::kMissing;
    // A weak tag from size and modification time (as file servers do): the HTTP server may
    // compress the body, so the same tag can name both codings.
    std::string etag = absl::StrFormat("W/\"%x-%x\"", static_cast<uint64_t>(st.st_size),
                                       static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL +
                                           static_cast<uint64_t>(st.st_mtim.tv_nsec));
    res.headers.emplace_back("Cache-Control", UnderStatic(rel) ? kImmutable : kNoCache);
    res.headers.emplace_back("ETag", etag);
    res.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (NoneMatchHits(req, etag)) {
      ::close(fd);
      res.status = 304;
      res.content_type = "";
      return DiskResult::kServed;
    }
    std::string body;
    absl::Status read = ReadAll(fd, static_cast<size_t>(st.st_size), body);
    ::close(fd);
    if (!read.ok()) {
      res.headers.clear();
      PlainError(res, 500,
                 absl::StrCat("cannot read ", ToAbsl(rel), ": ", ToAbsl(StatusMessage(read))));
      return DiskResult::kServed;
    }
    res.status = 200;
    res.content_type = ContentTypeFor(rel);
    res.body = std::move(body);
    return DiskResult::kServed;
  }

  static void Send(const net::HttpRequest& req, const Representation& rep, net::HttpResponse& res) {
    const bool gzip = !rep.gzip.empty() && AcceptsGzip(req);
    std::string etag = gzip ? GzipEtag(rep.etag) : rep.etag;
    res.headers.emplace_back("Cache-Control", rep.immutable ? kImmutable : kNoCache);
    if (!rep.gzip.empty()) res.headers.emplace_back("Vary", "Accept-Encoding");
    res.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (NoneMatchHits(req, etag)) {
      res.status = 304;
      res.content_type = "";
      res.headers.emplace_back("ETag", std::move(etag));
      return;
    }
    res.headers.emplace_back("ETag", std::move(etag));
    res.status = 200;
    res.content_type = rep.content_type;
    if (gzip) {
      res.headers.emplace_back("Content-Encoding", "gzip");
      res.body = rep.gzip;
    } else {
      res.body = rep.identity;
    }
  }

  std::string base_path_;
  std::string static_root_;  // canonical; "" when serving the embedded files
  Representation index_;
  absl::flat_hash_map<std::string, Representation> files_;
};

}  // namespace

std::string ContentTypeFor(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext = absl::AsciiStrToLower(ToAbsl(name.substr(dot + 1)));
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"html", "text/html; charset=utf-8"},
      {"htm", "text/html; charset=utf-8"},
      {"js", "text/javascript; charset=utf-8"},
      {"mjs", "text/javascript; charset=utf-8"},
      {"css", "text/css; charset=utf-8"},
      {"json", "application/json"},
      {"map", "application/json"},
      {"webmanifest", "application/manifest+json"},
      {"txt", "text/plain; charset=utf-8"},
      {"xml", "application/xml"},
      {"svg", "image/svg+xml"},
      {"png", "image/png"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"gif", "image/gif"},
      {"webp", "image/webp"},
      {"avif", "image/avif"},
      {"ico", "image/x-icon"},
      {"woff2", "font/woff2"},
      {"woff", "font/woff"},
      {"ttf", "font/ttf"},
      {"otf", "font/otf"},
      {"wasm", "application/wasm"},
  };
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return std::string(type);
  }
  return "application/octet-stream";
}

absl::StatusOr<net::HttpHandler> NewUiHandler(UiHandlerOptions options,
                                              std::span<const EmbeddedFile> embedded) {
  SKUA_ASSIGN_OR_RETURN(std::shared_ptr<const UiHandler> handler,
                        UiHandler::Create(std::move(options), embedded));
  return net::HttpHandler([handler](const net::HttpRequest& req, net::HttpResponse& res) {
    handler->Handle(req, res);
  });
}

}  // namespace skua::ui
