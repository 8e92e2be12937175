#include "support/kubelet_secret_dir.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "support/temp_dir.hpp"

namespace piw::testing {

namespace fs = std::filesystem;

KubeletSecretDir::KubeletSecretDir(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
}

std::string KubeletSecretDir::next_timestamp_name() {
    // kubelet: "..2006_01_02_15_04_05.<nanoseconds>"; the sequence keeps names unique even
    // within one clock tick.
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "..%04d_%02d_%02d_%02d_%02d_%02d.%09llu", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, ++sequence_);
    return text;
}

void KubeletSecretDir::write(const std::map<std::string, std::string>& files) {
    const std::string fresh = next_timestamp_name();
    fs::create_directory(dir_ / fresh);
    for (const auto& [key, content] : files) write_file(dir_ / fresh / key, content);

    const fs::path data_link = dir_ / "..data";
    const fs::path temporary_link = dir_ / "..data_tmp";
    fs::remove(temporary_link);
    fs::create_directory_symlink(fresh, temporary_link);
    fs::rename(temporary_link, data_link);  // rename(2): atomically replaces the old symlink

    // Per-key symlinks: add the new keys, drop the keys that went away.
    for (const auto& [key, content] : files) {
        const fs::path link = dir_ / key;
        if (!fs::is_symlink(fs::symlink_status(link))) {
            fs::create_symlink(fs::path("..data") / key, link);
        }
    }
    for (const auto& entry : fs::directory_iterator(dir_)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("..")) continue;
        if (fs::is_symlink(entry.symlink_status()) && !files.contains(name))
            fs::remove(entry.path());
    }

    if (!current_.empty()) fs::remove_all(dir_ / current_);
    current_ = fresh;
}

}  // namespace piw::testing
