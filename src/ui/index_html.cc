#include "ui/index_html.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status.h"
#include "simdjson.h"

namespace skua::ui {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

// Replaces every `<lhs> *= *<placeholder>;` with `<lhs> = <value>;`.
std::string ReplaceAssignment(std::string_view in, std::string_view lhs,
                              std::string_view placeholder, std::string_view value) {
  std::string out;
  out.reserve(in.size() + value.size());
  size_t pos = 0;
  while (true) {
    size_t hit = in.find(lhs, pos);
    if (hit == std::string_view::npos) break;
    size_t i = hit + lhs.size();
    while (i < in.size() && in[i] == ' ') ++i;
    bool match = i < in.size() && in[i] == '=';
    if (match) {
      ++i;
      while (i < in.size() && in[i] == ' ') ++i;
      match = in.substr(i).starts_with(placeholder) &&
              in.substr(i + placeholder.size()).starts_with(";");
    }
    if (!match) {
      out.append(in.substr(pos, hit + lhs.size() - pos));
      pos = hit + lhs.size();
      continue;
    }
    out.append(in.substr(pos, hit - pos));
    absl::StrAppend(&out, ToAbsl(lhs), " = ", ToAbsl(value), ";");
    pos = i + placeholder.size() + 1;
  }
  out.append(in.substr(pos));
  return out;
}

std::string ReplaceAll(std::string_view in, std::string_view from, std::string_view to) {
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = in.find(from, pos)) != std::string_view::npos; pos = hit + from.size()) {
    out.append(in.substr(pos, hit - pos));
    out.append(to);
  }
  out.append(in.substr(pos));
  return out;
}

// Replaces the line holding `// JAEGER_CONFIG_JS` (optional spaces around "//", any case) and the
// line after it with `js`; only the first such line, as the marker appears once.
std::string ReplaceConfigJs(std::string_view in, std::string_view js) {
  size_t line = 0;
  while (line < in.size()) {
    size_t end = in.find('\n', line);
    if (end == std::string_view::npos) end = in.size();
    std::string_view text = in.substr(line, end - line);
    size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r')) ++i;
    if (text.substr(i).starts_with("//")) {
      i += 2;
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
      std::string_view rest = text.substr(i);
      constexpr std::string_view kMarker = "JAEGER_CONFIG_JS";
      bool marker = rest.size() >= kMarker.size();
      for (size_t k = 0; marker && k < kMarker.size(); ++k) {
        char c = rest[k];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        marker = c == kMarker[k];
      }
      if (marker) {
        size_t next_end = end < in.size() ? in.find('\n', end + 1) : std::string_view::npos;
        if (end >= in.size()) next_end = in.size();
        if (next_end == std::string_view::npos) next_end = in.size();
        return absl::StrCat(ToAbsl(in.substr(0, line)), ToAbsl(js), ToAbsl(in.substr(next_end)));
      }
    }
    line = end + 1;
  }
  return std::string(in);
}

// Makes JSON text safe inside an inline <script>: '<', '>' and '&' can only occur inside JSON
// strings, where their \u escapes mean the same characters.
std::string EscapeJsonForScript(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// HTML attribute text for the base path (an operator's flag, but still escaped).
std::string EscapeAttribute(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "&quot;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    std::string msg = absl::StrCat("cannot read the UI config file ", path, ": ", std::strerror(e));
    if (e == ENOENT || e == ENOTDIR) return absl::NotFoundError(msg);
    if (e == EACCES || e == EPERM) return absl::PermissionDeniedError(msg);
    return absl::UnavailableError(msg);
  }
  std::string data;
  char buf[65536];
  absl::Status status;
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = absl::UnavailableError(
          absl::StrCat("cannot read the UI config file ", path, ": ", std::strerror(errno)));
      break;
    }
    if (n == 0) break;
    if (data.size() + static_cast<size_t>(n) > kMaxConfigBytes) {
      status = absl::ResourceExhaustedError(
          absl::StrCat("the UI config file ", path, " is larger than 4 MiB"));
      break;
    }
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!status.ok()) return status;
  return data;
}

}  // namespace

std::string InjectIndexHtml(std::string_view html, const IndexInjections& in) {
  std::string out = std::string(html);
  if (!in.config_js.empty()) out = ReplaceConfigJs(out, in.config_js);
  out = ReplaceAssignment(out, "JAEGER_CONFIG", "DEFAULT_CONFIG", in.config_json);
  out = ReplaceAssignment(out, "JAEGER_STORAGE_CAPABILITIES", "DEFAULT_STORAGE_CAPABILITIES",
                          in.storage_capabilities_json);
  out = ReplaceAssignment(out, "JAEGER_VERSION", "DEFAULT_VERSION", in.version_json);
  if (in.base_path != "/" && !in.base_path.empty()) {
    out = ReplaceAll(out, "<base href=\"/\"",
                     absl::StrCat("<base href=\"", EscapeAttribute(in.base_path), "/\""));
  }
  return out;
}

std::string VersionJson(std::string_view git_commit, std::string_view git_version,
                        std::string_view build_date) {
  std::string out = "{\"gitCommit\":";
  AppendJsonString(git_commit, out);
  out += ",\"gitVersion\":";
  AppendJsonString(git_version, out);
  out += ",\"buildDate\":";
  AppendJsonString(build_date, out);
  out += "}";
  return out;
}

absl::StatusOr<UiConfig> LoadUiConfig(const std::string& path) {
  auto data = ReadSmallFile(path);
  if (!data.ok()) return data.status();
  UiConfig config;
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, ".js") == 0) {
    // Keep it from closing the surrounding <script> early.
    config.js = ReplaceAll(*data, "</script", "<\\/script");
    while (!config.js.empty() && (config.js.back() == '\n' || config.js.back() == '\r' ||
                                  config.js.back() == ' ' || config.js.back() == '\t')) {
      config.js.pop_back();
    }
    if (config.js.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("the UI config file ", path, " is empty"));
    }
    return config;
  }
  simdjson::dom::parser parser;
  simdjson::padded_string padded(*data);
  simdjson::dom::element root;
  if (auto error = parser.parse(padded).get(root); error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the UI config file ", path, " is not valid JSON: ", simdjson::error_message(error)));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the UI config file ", path, " must hold a JSON object"));
  }
  config.json = EscapeJsonForScript(simdjson::minify(root));
  return config;
}

}  // namespace skua::ui
