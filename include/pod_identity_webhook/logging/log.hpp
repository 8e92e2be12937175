#pragma once
// Structured logs on spdlog (decision S6): `--log-format=text|json`, klog's -v mapped to levels.
// Records go through an asynchronous logger so that a slow stderr reader never blocks a server
// thread; if the queue is full the oldest records are dropped rather than waiting.

#include <spdlog/spdlog.h>

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace piw::logging {

enum class LogFormat { text, json };

struct LogSettings {
    LogFormat format = LogFormat::text;
    // klog verbosity: 0-3 → info, 4 → debug, >= 5 → trace.
    int verbosity = 0;
    // --log-level, overrides verbosity when set: trace|debug|info|warn|error.
    std::string_view level;
};

// Parses "text" / "json".
bool parse_log_format(std::string_view text, LogFormat& out);
bool parse_log_level(std::string_view text, spdlog::level::level_enum& out);

// Installs the process logger. Safe to call more than once (tests).
void init_logging(const LogSettings& settings);
// Flushes and stops the async logger (at exit).
void shutdown_logging();

using Field = std::pair<std::string_view, std::string_view>;

// One record: a message and key/value fields.
//   text: 2026-11-30T06:47:03.123Z info  pod mutated namespace=payments pod=api-7d9 sa="my sa"
//   json: {"ts":"2026-11-30T06:47:03.123Z","level":"info","msg":"pod mutated","namespace":...}
void log(spdlog::level::level_enum level, std::string_view message,
         std::initializer_list<Field> fields = {});
// The same with fields assembled at run time (e.g. leaving out empty ones).
void log(spdlog::level::level_enum level, std::string_view message, std::span<const Field> fields);

inline void info(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(spdlog::level::info, message, fields);
}
inline void warn(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(spdlog::level::warn, message, fields);
}
inline void error(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(spdlog::level::err, message, fields);
}
inline void debug(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(spdlog::level::debug, message, fields);
}
inline bool enabled(spdlog::level::level_enum level) {
    const spdlog::logger* logger = spdlog::default_logger_raw();
    return logger != nullptr && logger->should_log(level);
}

// Formatting only (no I/O), for tests.
std::string format_record(LogFormat format, spdlog::level::level_enum level,
                          std::string_view message, std::initializer_list<Field> fields);

}  // namespace piw::logging
