#pragma once
// A directory laid out the way kubelet projects a Secret or ConfigMap volume, and updated the way
// kubelet updates it (pkg/volume/util/atomic_writer.go):
//
//   dir/..2024_05_01_10_00_00.000000001/tls.crt   the data, in a timestamped directory
//   dir/..data -> ..2024_05_01_10_00_00.000000001
//   dir/tls.crt -> ..data/tls.crt                  one symlink per key
//
// An update writes a new timestamped directory, points a temporary symlink "..data_tmp" at it,
// renames that over "..data" (the atomic step), adds/removes the per-key symlinks and deletes the
// old directory. A watcher on dir/tls.crt therefore sees the path resolve to a new file while the
// file it used to resolve to is never modified.

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace piw::testing {

class KubeletSecretDir {
  public:
    // Creates `dir` if needed; nothing is projected until the first write().
    explicit KubeletSecretDir(std::filesystem::path dir);

    // Projects `files` (key → content): the first call lays out the volume, later calls swap
    // atomically. Throws std::runtime_error / std::filesystem::filesystem_error on failure.
    void write(const std::map<std::string, std::string>& files);

    // dir/<key>: the path a program is configured with.
    [[nodiscard]] std::filesystem::path path_of(std::string_view key) const { return dir_ / key; }
    [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  private:
    std::string next_timestamp_name();

    std::filesystem::path dir_;
    std::string current_;  // name of the timestamped directory ..data points to
    unsigned long long sequence_ = 0;
};

}  // namespace piw::testing
