// index.html rewriting for the web UI (jaeger-compat §2.6): the server fills in the UI
// configuration, the storage capabilities, the version and the <base href> before serving, with
// the placeholders of the official Jaeger UI, so one injector serves skua's UI and Jaeger's.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace skua::ui {

struct IndexInjections {
  // Right-hand side of `JAEGER_CONFIG = DEFAULT_CONFIG;`: a JSON object, already made safe for an
  // inline <script> (see LoadUiConfig). Default: {}.
  std::string config_json = "{}";
  // A JavaScript UI config (a .js --query.ui-config, defining `function UIConfig(){…}`). When not
  // empty it replaces the line holding `// JAEGER_CONFIG_JS` and the line after it, and
  // config_json is left as the default.
  std::string config_js;
  // Right-hand side of `JAEGER_STORAGE_CAPABILITIES = DEFAULT_STORAGE_CAPABILITIES;`.
  std::string storage_capabilities_json = "{\"archiveStorage\":false}";
  // Right-hand side of `JAEGER_VERSION = DEFAULT_VERSION;` (see VersionJson).
  std::string version_json = "{}";
  // The query server's base path ("/" or e.g. "/jaeger", no trailing '/'). When not "/",
  // `<base href="/"` becomes `<base href="<base_path>/"`.
  std::string base_path = "/";
};

// Returns `html` with every placeholder replaced (all occurrences, as Jaeger's regular
// expressions do): `JAEGER_CONFIG *= *DEFAULT_CONFIG;`, `JAEGER_STORAGE_CAPABILITIES *=
// *DEFAULT_STORAGE_CAPABILITIES;`, `JAEGER_VERSION *= *DEFAULT_VERSION;` (" *" = any number of
// spaces) become `NAME = <value>;`, and `<base href="/"` is rewritten as described above.
// Text without placeholders is returned unchanged.
std::string InjectIndexHtml(std::string_view html, const IndexInjections& injections);

// {"gitCommit":…,"gitVersion":…,"buildDate":…}, strings escaped for JSON and an inline <script>.
std::string VersionJson(std::string_view git_commit, std::string_view git_version,
                        std::string_view build_date);

// A --query.ui-config file's contents, ready for IndexInjections.
struct UiConfig {
  std::string json = "{}";  // -> IndexInjections::config_json
  std::string js;           // -> IndexInjections::config_js
};

// Reads a --query.ui-config file. A ".js" file is returned as JavaScript (`js`, trailing blank
// space trimmed, "</script" escaped), anything else must hold one JSON object, returned as `json`,
// compacted, with '<', '>' and '&' escaped as \u003c \u003e \u0026 so that it cannot close the
// <script> it is placed in. NotFound / PermissionDenied when the file cannot be read,
// InvalidArgument when it is not a JSON object or an empty .js (the message names the file),
// ResourceExhausted above 4 MiB.
absl::StatusOr<UiConfig> LoadUiConfig(const std::string& path);

}  // namespace skua::ui
