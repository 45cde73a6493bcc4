// The web UI's build output (web/dist), embedded in the binary at build time by
// cmake/EmbedWebAssets.cmake. The table is generated (target skua::ui_embedded); it is empty when
// skua was built without a UI build, and the UI handler then serves a "UI not built" page.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace skua::ui {

// One file of the UI build. Every view points into static storage that lives as long as the
// program.
struct EmbeddedFile {
  // Relative to the build's root, '/'-separated, no leading '/': "index.html",
  // "static/index-3f2a9c.js".
  std::string_view path;
  // The file's bytes: gzip-compressed (RFC 1952) when `gzipped`, else exactly as in the file.
  // Files that gzip does not shrink by at least a tenth (images, fonts) are stored as they are.
  std::string_view data;
  bool gzipped = false;
  // The file's size before compression.
  uint64_t size = 0;
  // A strong entity tag, quotes included: a prefix of the SHA-256 of the uncompressed bytes.
  std::string_view etag;
};

// The embedded files, in no particular order; empty when the binary was built without a UI.
// Defined in the generated embedded_ui_files.cc.
std::span<const EmbeddedFile> EmbeddedUiFiles();

}  // namespace skua::ui
