#include "config/flags.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "config/duration.h"

namespace skua::config {

void FlagSet::Define(std::string name, std::string default_value, std::string help) {
  Flag f;
  f.value = default_value;
  f.default_value = std::move(default_value);
  f.help = std::move(help);
  flags_[std::move(name)] = std::move(f);
}

void FlagSet::AddEnvAlias(std::string_view name, std::string env) {
  auto it = flags_.find(name);
  if (it != flags_.end()) it->second.env_aliases.push_back(std::move(env));
}

std::string FlagSet::EnvName(std::string_view flag) {
  std::string out(flag);
  for (char& c : out) {
    if (c == '.' || c == '-') c = '_';
    else c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> FlagSet::Parse(
    const std::vector<std::string>& args,
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional.push_back(arg);
      continue;
    }
    std::string_view body = arg;
    body.remove_prefix(body.size() > 2 && body[1] == '-' ? 2 : 1);
    std::string name, value;
    bool has_value = false;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      name = std::string(body.substr(0, eq));
      value = std::string(body.substr(eq + 1));
      has_value = true;
    } else {
      name = std::string(body);
    }
    auto it = flags_.find(name);
    if (it == flags_.end()) return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", name));
    if (!has_value) {
      bool is_bool = it->second.default_value == "true" || it->second.default_value == "false";
      if (is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag needs a value: --", name));
      }
    }
    it->second.value = value;
    it->second.set = true;
  }
  for (auto& [name, flag] : flags_) {
    if (flag.set) continue;
    std::optional<std::string> v = env(EnvName(name));
    for (size_t i = 0; !v && i < flag.env_aliases.size(); ++i) v = env(flag.env_aliases[i]);
    if (v) {
      flag.value = *v;
      flag.set = true;
    }
  }
  return positional;
}

std::string FlagSet::GetString(std::string_view name) const {
  auto it = flags_.find(name);
  return it == flags_.end() ? std::string() : it->second.value;
}

bool FlagSet::IsSet(std::string_view name) const {
  auto it = flags_.find(name);
  return it != flags_.end() && it->second.set;
}

absl::StatusOr<int64_t> FlagSet::GetInt(std::string_view name) const {
  int64_t v;
  std::string s = GetString(name);
  if (!absl::SimpleAtoi(s, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(name), ": not an integer: '", s, "'"));
  }
  return v;
}

absl::StatusOr<bool> FlagSet::GetBool(std::string_view name) const {
  bool v;
  std::string s = GetString(name);
  if (!absl::SimpleAtob(s, &v)) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(name), ": not a boolean: '", s, "'"));
  }
  return v;
}

absl::StatusOr<int64_t> FlagSet::GetDurationNanos(std::string_view name) const {
  std::string s = GetString(name);
  int64_t seconds;
  if (absl::SimpleAtoi(s, &seconds)) return seconds * 1'000'000'000;
  absl::StatusOr<int64_t> d = ParseGoDuration(s);
  if (!d.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(name), ": ", d.status().message()));
  }
  return d;
}

absl::StatusOr<uint64_t> FlagSet::GetBytes(std::string_view name) const {
  std::string s = std::string(absl::StripAsciiWhitespace(GetString(name)));
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
  uint64_t n;
  if (digits == 0 || !absl::SimpleAtoi(s.substr(0, digits), &n)) {
    return absl::InvalidArgumentError(absl::StrCat("--", std::string(name), ": not a size: '", s, "'"));
  }
  std::string unit = absl::AsciiStrToLower(absl::StripAsciiWhitespace(s.substr(digits)));
  uint64_t mult;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kb" || unit == "kib") mult = 1ull << 10;
  else if (unit == "m" || unit == "mb" || unit == "mib") mult = 1ull << 20;
  else if (unit == "g" || unit == "gb" || unit == "gib") mult = 1ull << 30;
  else if (unit == "t" || unit == "tb" || unit == "tib") mult = 1ull << 40;
  else return absl::InvalidArgumentError(absl::StrCat("--", std::string(name), ": unknown size unit in '", s, "'"));
  return n * mult;
}

std::string FlagSet::Usage() const {
  std::string out;
  for (const auto& [name, flag] : flags_) {
    absl::StrAppend(&out, "  --", name, " (env ", EnvName(name));
    for (const std::string& alias : flag.env_aliases) absl::StrAppend(&out, " or ", alias);
    absl::StrAppend(&out, ", default \"", flag.default_value, "\")\n      ", flag.help, "\n");
  }
  return out;
}

}  // namespace skua::config
