#pragma once
// A temporary directory for one test, removed with everything in it when the object goes away.

#include <filesystem>
#include <string>
#include <string_view>

namespace piw::testing {

class TempDir {
  public:
    // Creates a fresh directory under $TMPDIR (or /tmp) named "<prefix>-XXXXXX".
    explicit TempDir(std::string_view prefix = "piw-test");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }
    [[nodiscard]] std::filesystem::path operator/(std::string_view relative) const {
        return path_ / relative;
    }
    // Writes `content` to a file below the directory (parent directories created) and returns
    // its path.
    std::filesystem::path write_file(std::string_view relative, std::string_view content) const;

  private:
    std::filesystem::path path_;
};

// Whole-file helpers; they throw std::runtime_error on failure (test code only).
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view content);

}  // namespace piw::testing
