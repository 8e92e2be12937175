#include "metrics/process_metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

#include "metrics/exposition.hpp"

namespace piw::metrics {

namespace {

// Small procfs files only; anything larger than the buffer is cut, which is enough for the
// fields we read from the front of them.
std::optional<std::string> read_small_file(const char* path) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string content(8192, '\0');
    std::size_t used = 0;
    while (used < content.size()) {
        ssize_t got = ::read(fd, content.data() + used, content.size() - used);
        if (got < 0) {
            ::close(fd);
            return std::nullopt;
        }
        if (got == 0) break;
        used += static_cast<std::size_t>(got);
    }
    ::close(fd);
    content.resize(used);
    return content;
}

std::optional<double> parse_number(std::string_view text) {
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
    return static_cast<double>(value);
}

// The whitespace-separated fields of /proc/self/stat after "pid (comm)"; the command name may
// itself contain spaces and parentheses, hence the search for the last ')'.
std::vector<std::string_view> stat_fields_after_comm(std::string_view stat) {
    std::vector<std::string_view> fields;
    auto close = stat.rfind(')');
    if (close == std::string_view::npos) return fields;
    std::string_view rest = stat.substr(close + 1);
    while (!rest.empty()) {
        auto start = rest.find_first_not_of(" \n");
        if (start == std::string_view::npos) break;
        rest.remove_prefix(start);
        auto end = rest.find_first_of(" \n");
        fields.push_back(rest.substr(0, end));
        if (end == std::string_view::npos) break;
        rest.remove_prefix(end);
    }
    return fields;
}

std::optional<double> boot_time_seconds() {
    auto stat = read_small_file("/proc/stat");
    if (!stat) return std::nullopt;
    std::string_view text(*stat);
    auto at = text.find("\nbtime ");
    if (at == std::string_view::npos) return std::nullopt;
    text.remove_prefix(at + 7);
    return parse_number(text.substr(0, text.find('\n')));
}

std::optional<double> open_file_descriptors() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return std::nullopt;
    double count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        std::string_view name(entry->d_name);
        if (name != "." && name != "..") count += 1;
    }
    ::closedir(dir);
    return count;
}

using Blocks = std::vector<std::pair<std::string, std::string>>;

void add(Blocks& blocks, const char* name, const char* help, const char* type,
         std::optional<double> value) {
    if (!value) return;
    std::string block;
    render_single_value(block, name, help, type, *value);
    blocks.emplace_back(name, std::move(block));
}

// Field numbers as in proc(5), counted from 1 with "pid" and "comm" as 1 and 2.
std::optional<double> stat_field(const std::vector<std::string_view>& fields, std::size_t number) {
    std::size_t index = number - 3;
    if (index >= fields.size()) return std::nullopt;
    return parse_number(fields[index]);
}

}  // namespace

Blocks render_process_metrics() {
    Blocks blocks;
    auto stat = read_small_file("/proc/self/stat");
    auto fields = stat ? stat_fields_after_comm(*stat) : std::vector<std::string_view>{};
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));

    auto utime = stat_field(fields, 14);
    auto stime = stat_field(fields, 15);
    std::optional<double> cpu;
    if (utime && stime && ticks > 0) cpu = (*utime + *stime) / ticks;
    add(blocks, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        "counter", cpu);

    rlimit files{};
    std::optional<double> max_fds;
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0) max_fds = static_cast<double>(files.rlim_cur);
    add(blocks, "process_max_fds", "Maximum number of open file descriptors.", "gauge", max_fds);
    add(blocks, "process_open_fds", "Number of open file descriptors.", "gauge",
        open_file_descriptors());

    auto rss_pages = stat_field(fields, 24);
    std::optional<double> rss;
    if (rss_pages && page > 0) rss = *rss_pages * page;
    add(blocks, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", rss);

    auto start_ticks = stat_field(fields, 22);
    auto boot = boot_time_seconds();
    std::optional<double> start;
    if (start_ticks && boot && ticks > 0) start = *boot + *start_ticks / ticks;
    add(blocks, "process_start_time_seconds",
        "Start time of the process since unix epoch in seconds.", "gauge", start);

    add(blocks, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
        stat_field(fields, 23));
    return blocks;
}

}  // namespace piw::metrics
