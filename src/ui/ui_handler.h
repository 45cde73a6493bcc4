// Serves the web UI on the query HTTP server (jaeger-compat §2.6): the files of a UI build, either
// embedded in the binary or read from a --query.static-files directory, with an SPA fallback to
// index.html and the index.html injections (UI config, storage capabilities, version, base href).
// It receives every request the /api/* handler does not take (query::http::NewQueryApiHandler).
#pragma once

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "net/http_server.h"
#include "ui/embedded_files.h"

namespace skua::ui {

struct UiHandlerOptions {
  // The query server's base path (--query.base-path), "/" or e.g. "/jaeger" (no trailing '/').
  // Paths outside it answer 404. Default: "/". Restart required.
  std::string base_path = "/";
  // A directory holding another UI build (index.html plus assets, e.g. the official Jaeger UI)
  // served instead of the embedded files (--query.static-files). index.html is read once at start
  // (restart to pick up a new build); other files are read on each request. Default: "" (the
  // embedded UI).
  std::string static_files;
  // A --query.ui-config file (JSON object, or .js defining UIConfig()); read once at start.
  // Default: "" (the config is {}).
  std::string ui_config_file;
  // JAEGER_STORAGE_CAPABILITIES.archiveStorage. Default: false (skua has no archive store).
  bool archive_storage = false;
  // JAEGER_VERSION.
  std::string git_commit;
  std::string git_version;
  std::string build_date;
};

// Builds the handler. `embedded` is used unless options.static_files is set; it may be empty (the
// binary was built without the UI), and then every page is a short "UI not built" HTML page
// saying how to build it, while asset paths answer 404.
//
// Per request (GET and HEAD; other methods 405):
//  - a file of the build: its bytes with its Content-Type, an ETag (If-None-Match → 304), and
//    `Cache-Control: public, max-age=31536000, immutable` under static/ (hashed names) or
//    `no-cache` elsewhere. Embedded files are stored gzip-compressed and sent as they are to
//    clients accepting gzip (Content-Encoding: gzip, Vary: Accept-Encoding), decompressed
//    otherwise; files from --query.static-files are compressed by the HTTP server.
//  - index.html, the base path itself, and any other path that names no file and is not under
//    static/ (the SPA's routes): the injected index.html, `text/html; charset=utf-8`, no-cache.
//  - a missing file under static/: 404 (never HTML in place of a script).
//  - paths with a ".." or hidden ("."-prefixed) segment, an encoded '/' or '\', a '\' or a NUL,
//    and --query.static-files paths resolving (through symlinks) outside the directory: 404.
// Errors at construction: InvalidArgument for a bad base path, a static_files path that is not a
// directory holding index.html, or a bad UI config file (LoadUiConfig's codes). Thread-safe.
absl::StatusOr<net::HttpHandler> NewUiHandler(UiHandlerOptions options,
                                              std::span<const EmbeddedFile> embedded);

// The Content-Type served for a file name, from its extension ("application/octet-stream" when
// unknown). Text types carry "; charset=utf-8".
std::string ContentTypeFor(std::string_view path);

}  // namespace skua::ui
