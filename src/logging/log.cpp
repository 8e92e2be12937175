#include "pod_identity_webhook/logging/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

#include "logging/batching_sink.hpp"
#include "logging/format.hpp"

namespace piw::logging {

namespace {

constexpr const char* kLoggerName = "pod-identity-webhook";

// The process logger's state beside spdlog's registry: which format records are written in,
// and the loggers replaced by init_logging/shutdown_logging. Those are kept alive because a
// thread may have fetched the raw default-logger pointer just before the swap.
struct LoggerState {
    std::atomic<LogFormat> format{LogFormat::text};
    std::mutex lifecycle;
    std::vector<std::shared_ptr<spdlog::logger>> retired;
};

LoggerState& state() {
    static LoggerState instance;
    return instance;
}

spdlog::level::level_enum level_for(const LogSettings& settings) {
    spdlog::level::level_enum level = spdlog::level::info;
    if (!settings.level.empty() && parse_log_level(settings.level, level)) return level;
    if (settings.verbosity >= 5) return spdlog::level::trace;
    if (settings.verbosity == 4) return spdlog::level::debug;
    return spdlog::level::info;
}

// Must be called with the lifecycle lock held.
void install(LoggerState& current, std::shared_ptr<spdlog::logger> logger) {
    if (auto previous = spdlog::default_logger()) current.retired.push_back(std::move(previous));
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace

bool parse_log_format(std::string_view text, LogFormat& out) {
    if (text == "text") {
        out = LogFormat::text;
        return true;
    }
    if (text == "json") {
        out = LogFormat::json;
        return true;
    }
    return false;
}

bool parse_log_level(std::string_view text, spdlog::level::level_enum& out) {
    struct Name {
        std::string_view text;
        spdlog::level::level_enum level;
    };
    static constexpr Name kNames[] = {{"trace", spdlog::level::trace},
                                      {"debug", spdlog::level::debug},
                                      {"info", spdlog::level::info},
                                      {"warn", spdlog::level::warn},
                                      {"error", spdlog::level::err}};
    for (const auto& name : kNames) {
        if (text == name.text) {
            out = name.level;
            return true;
        }
    }
    return false;
}

void init_logging(const LogSettings& settings) {
    auto& current = state();
    std::lock_guard lock(current.lifecycle);
    // Records arrive fully formatted (format_record); the batching sink adds the line end and
    // writes from its own thread, so request threads never wait for stderr.
    auto logger = std::make_shared<spdlog::logger>(
        kLoggerName, std::make_shared<BatchingSink>(STDERR_FILENO, settings.format));
    logger->set_level(level_for(settings));
    current.format.store(settings.format, std::memory_order_relaxed);
    install(current, std::move(logger));
}

void shutdown_logging() {
    auto& current = state();
    std::lock_guard lock(current.lifecycle);
    auto previous = spdlog::default_logger();
    // Whatever is logged after this point (late threads, destructors) is written synchronously.
    auto logger = std::make_shared<spdlog::logger>(
        kLoggerName, std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%v");
    logger->set_level(previous ? previous->level() : spdlog::level::info);
    install(current, std::move(logger));
    // Everything the batching sink holds reaches stderr before we return.
    if (previous) previous->flush();
    std::fflush(stderr);
}

void log(spdlog::level::level_enum level, std::string_view message,
         std::initializer_list<Field> fields) {
    log(level, message, std::span<const Field>(fields.begin(), fields.size()));
}

void log(spdlog::level::level_enum level, std::string_view message, std::span<const Field> fields) {
    spdlog::logger* logger = spdlog::default_logger_raw();
    if (logger == nullptr || !logger->should_log(level)) return;
    std::string record;
    record.reserve(64 + message.size() + fields.size() * 32);
    format_record_to(record, state().format.load(std::memory_order_relaxed), level, Clock::now(),
                     message, fields);
    logger->log(spdlog::source_loc{}, level, spdlog::string_view_t(record.data(), record.size()));
}

std::string format_record(LogFormat format, spdlog::level::level_enum level,
                          std::string_view message, std::initializer_list<Field> fields) {
    std::string record;
    format_record_to(record, format, level, Clock::now(), message,
                     std::span<const Field>(fields.begin(), fields.size()));
    return record;
}

}  // namespace piw::logging
