#pragma once
// Small helpers shared by the identity suites: a temporary directory, a kubelet-style
// ConfigMap volume, reading one sample out of the Prometheus text, and polling for something a
// background thread does (no fixed sleeps). (identity_tests does not link tests/support, which
// needs the server room and the binary.)

#include <stdlib.h>  // mkdtemp

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace piw::identity::test {

inline void write_file(const std::filesystem::path& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

// A fresh directory under the system temporary directory, removed with its content.
class TempDir {
  public:
    explicit TempDir(const std::string& prefix) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed for " + pattern);
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
        return path_ / name;
    }
    std::filesystem::path write_file(std::string_view name, std::string_view content) const {
        const std::filesystem::path path = path_ / name;
        test::write_file(path, content);
        return path;
    }

  private:
    std::filesystem::path path_;
};

// A directory updated the way kubelet updates ConfigMap and Secret volumes: the data lives in a
// timestamped directory, "..data" points at it, "<key>" points at "..data/<key>", and an update
// renames a new "..data" symlink over the old one (the file the old path resolved to is never
// written).
class KubeletVolume {
  public:
    explicit KubeletVolume(std::filesystem::path dir) : dir_(std::move(dir)) {
        std::filesystem::create_directories(dir_);
    }
    [[nodiscard]] std::filesystem::path path_of(std::string_view key) const { return dir_ / key; }

    void write(const std::map<std::string, std::string>& files) {
        const std::string generation = "..2026_01_01_00_00_00." + std::to_string(++sequence_);
        std::filesystem::create_directory(dir_ / generation);
        for (const auto& [key, content] : files) {
            test::write_file(dir_ / generation / key, content);
        }
        std::filesystem::create_directory_symlink(generation, dir_ / "..data_tmp");
        std::filesystem::rename(dir_ / "..data_tmp", dir_ / "..data");
        for (const auto& [key, content] : files) {
            if (!std::filesystem::is_symlink(dir_ / key)) {
                std::filesystem::create_symlink(std::filesystem::path("..data") / key, dir_ / key);
            }
        }
        if (!current_.empty()) {
            std::filesystem::remove_all(dir_ / current_);
        }
        current_ = generation;
    }

  private:
    std::filesystem::path dir_;
    std::string current_;
    unsigned sequence_ = 0;
};

// The value of the sample `name` whose labels include every `key="value"` given (any order).
inline std::optional<double> metric_value(const std::string& exposition, std::string_view name,
                                          std::initializer_list<std::string_view> labels = {}) {
    std::istringstream lines(exposition);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.starts_with(name)) {
            continue;
        }
        const char next = line.size() > name.size() ? line[name.size()] : '\0';
        if (next != '{' && next != ' ') {
            continue;
        }
        bool all = true;
        for (const std::string_view label : labels) {
            all = all && line.find(label) != std::string::npos;
        }
        if (all) {
            return std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return std::nullopt;
}

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns the last result.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

}  // namespace piw::identity::test
