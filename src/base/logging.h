// Minimal leveled logging to stderr: `SKUA_LOG(INFO) << "listening on " << port;`.
// One line per statement, prefixed with an RFC 3339 UTC timestamp and the level. Thread-safe.
#pragma once

#include <sstream>
#include <string_view>

namespace skua {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Lines below this level are dropped. Default kInfo. Set from --log-level / LOG_LEVEL.
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
// Parses "debug", "info", "warn"/"warning", "error"; false on anything else.
bool ParseLogLevel(std::string_view name, LogLevel* out);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};

}  // namespace skua

#define SKUA_LOG_LEVEL_DEBUG ::skua::LogLevel::kDebug
#define SKUA_LOG_LEVEL_INFO ::skua::LogLevel::kInfo
#define SKUA_LOG_LEVEL_WARNING ::skua::LogLevel::kWarning
#define SKUA_LOG_LEVEL_ERROR ::skua::LogLevel::kError
#define SKUA_LOG(severity)                                           \
  if (SKUA_LOG_LEVEL_##severity < ::skua::MinLogLevel()) {           \
  } else                                                             \
    ::skua::LogMessage(SKUA_LOG_LEVEL_##severity, __FILE__, __LINE__).stream()

// Aborts with a message when an unrecoverable startup/environment condition fails. Never use it on
// anything derived from network input or stored data.
#define SKUA_CHECK(cond) \
  if (cond) {            \
  } else                 \
    ::skua::internal::CheckFailed(#cond, __FILE__, __LINE__)

namespace skua::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace skua::internal
