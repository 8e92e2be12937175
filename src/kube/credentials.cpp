#include "kube/credentials.hpp"
#include "pod_identity_webhook/common/capped_read.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "pod_identity_webhook/common/json_text.hpp"
#include "pod_identity_webhook/logging/log.hpp"

extern char** environ;  // NOLINT: POSIX

namespace piw::kube {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxTokenFileBytes = 1024U * 1024U;

// --- RFC 3339 ---------------------------------------------------------------------------------

bool take_number(std::string_view& text, std::size_t digits, int& out) {
    if (text.size() < digits) return false;
    for (std::size_t i = 0; i < digits; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + digits, out);
    if (ec != std::errc() || end != text.data() + digits) return false;
    text.remove_prefix(digits);
    return true;
}

bool take_char(std::string_view& text, char wanted) {
    if (text.empty() || (text.front() != wanted && !(wanted == 'T' && text.front() == 't'))) {
        return false;
    }
    text.remove_prefix(1);
    return true;
}

// --- JSON helpers -----------------------------------------------------------------------------

const Json* member(const Json& object, std::string_view name) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

// A string member; nullopt when absent or null; Error when it is another type.
Result<std::optional<std::string>> optional_string(const Json& object, std::string_view name,
                                                   std::string_view where) {
    const Json* value = member(object, name);
    if (value == nullptr || value->is_null()) return std::optional<std::string>();
    if (!value->is_string()) {
        return Error{std::string(where) + "." + std::string(name) + " is not a string"};
    }
    return std::optional<std::string>(value->get_ref<const std::string&>());
}

// --- process helpers --------------------------------------------------------------------------

struct Pipe {
    int read_end = -1;
    int write_end = -1;
    Pipe() = default;
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() { close_both(); }
    bool open() {
        int fds[2];
        // O_CLOEXEC: a child spawned concurrently by another thread must not inherit our ends.
        if (::pipe2(fds, O_CLOEXEC) != 0) return false;
        read_end = fds[0];
        write_end = fds[1];
        return true;
    }
    void close_write() {
        if (write_end >= 0) ::close(write_end);
        write_end = -1;
    }
    void close_both() {
        close_write();
        if (read_end >= 0) ::close(read_end);
        read_end = -1;
    }
};

// The process environment with `overrides` replacing or adding variables.
std::vector<std::string> child_environment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::vector<std::string> result;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view variable(*entry);
        const std::string_view name = variable.substr(0, variable.find('='));
        bool overridden = false;
        for (const auto& [override_name, value] : overrides) {
            if (override_name == name) overridden = true;
        }
        if (!overridden) result.emplace_back(variable);
    }
    // A name given twice: the later value wins (KUBERNETES_EXEC_INFO comes last).
    for (std::size_t i = 0; i < overrides.size(); ++i) {
        bool replaced_later = false;
        for (std::size_t j = i + 1; j < overrides.size(); ++j) {
            if (overrides[j].first == overrides[i].first) replaced_later = true;
        }
        if (!replaced_later) result.push_back(overrides[i].first + "=" + overrides[i].second);
    }
    return result;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    pointers.reserve(strings.size() + 1);
    for (std::string& text : strings) pointers.push_back(text.data());
    pointers.push_back(nullptr);
    return pointers;
}

std::string first_line(std::string_view text) {
    while (!text.empty() && (text.front() == '\n' || text.front() == '\r')) text.remove_prefix(1);
    const std::size_t end = text.find_first_of("\r\n");
    std::string line(text.substr(0, end));
    constexpr std::size_t kMaxLine = 512;
    if (line.size() > kMaxLine) {
        line.resize(kMaxLine);
        line += "...";
    }
    return line;
}

Error plugin_error(const ExecCredentialPlugin& plugin, std::string_view why) {
    std::string message = "exec plugin \"" + plugin.command + "\" failed: ";
    message.append(why);
    return Error{message};
}

struct ChildOutput {
    std::string stdout_text;
    std::string stderr_text;
    bool stdout_too_large = false;
    bool timed_out = false;
    int wait_status = 0;
};

// Reads both pipes until EOF, the deadline or the stdout cap; the child is killed in the two
// last cases. Always reaps the child.
ChildOutput collect_child(pid_t pid, Pipe& out, Pipe& err, const ExecLimits& limits) {
    ChildOutput result;
    const auto deadline = Clock::now() + limits.timeout;
    bool out_open = true;
    bool err_open = true;
    std::array<char, 16384> buffer{};
    while (out_open || err_open) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            break;
        }
        std::array<pollfd, 2> fds{};
        nfds_t count = 0;
        if (out_open) fds[count++] = pollfd{out.read_end, POLLIN, 0};
        if (err_open) fds[count++] = pollfd{err.read_end, POLLIN, 0};
        const int ready = ::poll(fds.data(), count, static_cast<int>(left.count()));
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        for (nfds_t i = 0; i < count; ++i) {
            if (fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            const bool is_out = fds[i].fd == out.read_end;
            if (n <= 0) {
                (is_out ? out_open : err_open) = false;
                continue;
            }
            const auto size = static_cast<std::size_t>(n);
            if (is_out) {
                if (result.stdout_text.size() + size > limits.max_output_bytes) {
                    result.stdout_too_large = true;
                    out_open = false;
                    err_open = false;
                    break;
                }
                result.stdout_text.append(buffer.data(), size);
            } else if (result.stderr_text.size() < limits.max_stderr_bytes) {
                // stderr beyond the cap is read and dropped, so the plugin never blocks on it.
                result.stderr_text.append(
                    buffer.data(),
                    std::min(size, limits.max_stderr_bytes - result.stderr_text.size()));
            }
        }
    }
    if (result.timed_out || result.stdout_too_large) ::kill(pid, SIGKILL);
    while (::waitpid(pid, &result.wait_status, 0) < 0 && errno == EINTR) {
    }
    return result;
}

Result<ExecCredential> interpret_child(const ExecCredentialPlugin& plugin, const ExecLimits& limits,
                                       const ChildOutput& output) {
    if (output.timed_out) {
        return plugin_error(
            plugin, "no answer within " + std::to_string(limits.timeout.count()) + "ms (killed)");
    }
    if (output.stdout_too_large) {
        return plugin_error(
            plugin, "output larger than " + std::to_string(limits.max_output_bytes) + " bytes");
    }
    if (WIFSIGNALED(output.wait_status)) {
        return plugin_error(plugin,
                            "killed by signal " + std::to_string(WTERMSIG(output.wait_status)));
    }
    const int code = WIFEXITED(output.wait_status) ? WEXITSTATUS(output.wait_status) : -1;
    if (code != 0) {
        std::string why = "exit status " + std::to_string(code);
        const std::string line = first_line(output.stderr_text);
        if (!line.empty()) why += ": " + line;
        return plugin_error(plugin, why);
    }
    auto credential = parse_exec_credential(output.stdout_text, plugin.api_version);
    if (!credential.ok()) return plugin_error(plugin, credential.error());
    return credential;
}

std::string not_found_message(const ExecCredentialPlugin& plugin) {
    std::string why = "executable \"" + plugin.command + "\" not found";
    if (!plugin.install_hint.empty()) why += "; " + plugin.install_hint;
    return why;
}

Result<ExecCredential> spawn_and_collect(const ExecCredentialPlugin& plugin,
                                         const std::optional<ExecClusterInfo>& cluster,
                                         const ExecLimits& limits) {
    Pipe out;
    Pipe err;
    if (!out.open() || !err.open()) {
        return plugin_error(plugin, std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    std::vector<std::pair<std::string, std::string>> overrides = plugin.env;
    overrides.emplace_back("KUBERNETES_EXEC_INFO", exec_info_json(plugin, cluster));
    std::vector<std::string> environment = child_environment(overrides);
    std::vector<char*> envp = pointers_to(environment);
    std::vector<std::string> arguments;
    arguments.push_back(plugin.command);
    arguments.insert(arguments.end(), plugin.args.begin(), plugin.args.end());
    std::vector<char*> argv = pointers_to(arguments);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write_end, 1);
    posix_spawn_file_actions_adddup2(&actions, err.write_end, 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // The plugin starts with default signal dispositions even if this process ignores SIGPIPE.
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    sigset_t no_mask;
    sigemptyset(&no_mask);
    posix_spawnattr_setsigmask(&attributes, &no_mask);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    pid_t pid = -1;
    const int spawn_error = ::posix_spawnp(&pid, plugin.command.c_str(), &actions, &attributes,
                                           argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (spawn_error == ENOENT) return plugin_error(plugin, not_found_message(plugin));
    if (spawn_error != 0) {
        return plugin_error(plugin, std::string("cannot start: ") + std::strerror(spawn_error));
    }
    out.close_write();
    err.close_write();
    const ChildOutput output = collect_child(pid, out, err, limits);
    return interpret_child(plugin, limits, output);
}

}  // namespace

// --- public helpers ---------------------------------------------------------------------------

Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
    const std::string original(text);
    const Error invalid{"invalid RFC 3339 time \"" + original + "\""};
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!take_number(text, 4, year) || !take_char(text, '-') || !take_number(text, 2, month) ||
        !take_char(text, '-') || !take_number(text, 2, day) || !take_char(text, 'T') ||
        !take_number(text, 2, hour) || !take_char(text, ':') || !take_number(text, 2, minute) ||
        !take_char(text, ':') || !take_number(text, 2, second)) {
        return invalid;
    }
    std::chrono::nanoseconds fraction{0};
    if (!text.empty() && text.front() == '.') {
        text.remove_prefix(1);
        std::int64_t scale = 100000000;
        std::size_t digits = 0;
        while (!text.empty() && text.front() >= '0' && text.front() <= '9') {
            fraction += std::chrono::nanoseconds((text.front() - '0') * scale);
            scale /= 10;
            text.remove_prefix(1);
            ++digits;
        }
        if (digits == 0) return invalid;
    }
    std::chrono::minutes offset{0};
    if (!text.empty() && (text.front() == 'Z' || text.front() == 'z')) {
        text.remove_prefix(1);
    } else if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        const int sign = text.front() == '-' ? -1 : 1;
        text.remove_prefix(1);
        int offset_hours = 0;
        int offset_minutes = 0;
        if (!take_number(text, 2, offset_hours) || !take_char(text, ':') ||
            !take_number(text, 2, offset_minutes) || offset_hours > 23 || offset_minutes > 59) {
            return invalid;
        }
        offset = std::chrono::minutes(sign * (offset_hours * 60 + offset_minutes));
    } else {
        return invalid;
    }
    if (!text.empty()) return invalid;
    const std::chrono::year_month_day date{std::chrono::year(year),
                                           std::chrono::month(static_cast<unsigned>(month)),
                                           std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok() || hour > 23 || minute > 59 || second > 60) return invalid;
    const std::chrono::seconds since_epoch =
        std::chrono::sys_days(date).time_since_epoch() + std::chrono::hours(hour) +
        std::chrono::minutes(minute) + std::chrono::seconds(second) - offset;
    // system_clock counts nanoseconds: years after 2262 do not fit and mean "never expires".
    using Duration = std::chrono::system_clock::duration;
    constexpr auto kLimit =
        std::chrono::duration_cast<std::chrono::seconds>(Duration::max()) - std::chrono::seconds(1);
    if (since_epoch >= kLimit) return std::chrono::system_clock::time_point::max();
    if (since_epoch <= -kLimit) return std::chrono::system_clock::time_point::min();
    return std::chrono::system_clock::time_point(std::chrono::duration_cast<Duration>(since_epoch) +
                                                 std::chrono::duration_cast<Duration>(fraction));
}

Result<ExecCredential> parse_exec_credential(std::string_view text,
                                             std::string_view expected_api_version) {
    Json document = Json::parse(text.begin(), text.end(), nullptr, false);
    if (document.is_discarded() || !document.is_object()) {
        return Error{"output is not an ExecCredential JSON object"};
    }
    auto kind = optional_string(document, "kind", "ExecCredential");
    if (!kind.ok()) return Error{kind.error()};
    if (*kind != std::optional<std::string>("ExecCredential")) {
        return Error{"output is not an ExecCredential (kind \"" + kind->value_or("") + "\")"};
    }
    auto api_version = optional_string(document, "apiVersion", "ExecCredential");
    if (!api_version.ok()) return Error{api_version.error()};
    if (api_version->value_or("") != expected_api_version) {
        return Error{"ExecCredential apiVersion \"" + api_version->value_or("") +
                     "\" does not match the kubeconfig's \"" + std::string(expected_api_version) +
                     "\""};
    }
    const Json* status = member(document, "status");
    if (status == nullptr || !status->is_object()) {
        return Error{"ExecCredential has no status"};
    }
    ExecCredential credential;
    auto token = optional_string(*status, "token", "status");
    auto certificate = optional_string(*status, "clientCertificateData", "status");
    auto key = optional_string(*status, "clientKeyData", "status");
    auto expiration = optional_string(*status, "expirationTimestamp", "status");
    for (const auto* field : {&token, &certificate, &key, &expiration}) {
        if (!field->ok()) return Error{field->error()};
    }
    credential.token = token->value_or("");
    credential.client_certificate_pem = certificate->value_or("");
    credential.client_key_pem = key->value_or("");
    if (credential.client_certificate_pem.empty() != credential.client_key_pem.empty()) {
        return Error{
            "ExecCredential status has only one of clientCertificateData and clientKeyData"};
    }
    if (credential.token.empty() && credential.client_certificate_pem.empty()) {
        return Error{"ExecCredential status has neither a token nor a client certificate"};
    }
    if (expiration->has_value() && !expiration->value().empty()) {
        auto when = parse_rfc3339(expiration->value());
        if (!when.ok()) return Error{"status.expirationTimestamp: " + when.error()};
        credential.expiration = *when;
    }
    return credential;
}

std::string exec_info_json(const ExecCredentialPlugin& plugin,
                           const std::optional<ExecClusterInfo>& cluster) {
    std::string out = R"({"kind":"ExecCredential","apiVersion":)";
    json::append_string(out, plugin.api_version);
    out += R"(,"spec":{"interactive":false)";
    if (plugin.provide_cluster_info && cluster.has_value()) {
        out += R"(,"cluster":{"server":)";
        json::append_string(out, cluster->server);
        if (!cluster->tls_server_name.empty()) {
            out += R"(,"tls-server-name":)";
            json::append_string(out, cluster->tls_server_name);
        }
        if (cluster->insecure_skip_tls_verify) out += R"(,"insecure-skip-tls-verify":true)";
        if (!cluster->certificate_authority_pem.empty()) {
            out += R"(,"certificate-authority-data":")";
            json::append_base64(out, cluster->certificate_authority_pem);
            out += '"';
        }
        out += '}';
    }
    out += "}}";
    return out;
}

Result<ExecCredential> run_exec_plugin(const ExecCredentialPlugin& plugin,
                                       const std::optional<ExecClusterInfo>& cluster,
                                       const ExecLimits& limits) {
    try {
        return spawn_and_collect(plugin, cluster, limits);
    } catch (const std::exception& error) {
        return plugin_error(plugin, error.what());
    }
}

Result<std::string> read_token_file(const std::string& path) {
    try {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            return Error{"cannot read token file " + path + ": " + std::strerror(errno)};
        }
        std::string content;
        const CappedRead read = read_capped(in, kMaxTokenFileBytes, content);
        if (read == CappedRead::too_large) {
            return Error{"token file " + path + " is larger than 1 MiB"};
        }
        if (read == CappedRead::failed) return Error{"cannot read token file " + path};
        const std::size_t begin = content.find_first_not_of(" \t\r\n");
        if (begin == std::string::npos) return Error{"token file " + path + " is empty"};
        const std::size_t end = content.find_last_not_of(" \t\r\n");
        return content.substr(begin, end - begin + 1);
    } catch (const std::exception& error) {
        return Error{"cannot read token file " + path + ": " + error.what()};
    }
}

// --- CredentialSource -------------------------------------------------------------------------

CredentialSource::CredentialSource(const ClientConfig& config, CredentialSourceOptions options)
    : options_(options),
      static_token_(config.bearer_token),
      static_certificate_pem_(config.client_certificate_pem),
      static_key_pem_(config.client_key_pem),
      token_file_(config.bearer_token_file),
      exec_(config.exec),
      current_certificate_pem_(config.client_certificate_pem),
      current_key_pem_(config.client_key_pem) {
    if (exec_.has_value() && exec_->provide_cluster_info) {
        exec_cluster_ =
            ExecClusterInfo{config.server, config.tls_server_name, config.insecure_skip_tls_verify,
                            config.certificate_authority_pem};
    }
}

Result<Credentials> CredentialSource::current() {
    try {
        std::lock_guard<std::mutex> lock(mutex_);
        if (exec_.has_value()) return exec_credentials();
        if (!token_file_.empty()) return token_file_credentials();
        return Credentials{static_token_, current_certificate_pem_, current_key_pem_,
                           certificate_generation_};
    } catch (const std::exception& error) {
        return Error{std::string("credentials unavailable: ") + error.what()};
    }
}

Result<Credentials> CredentialSource::token_file_credentials() {
    struct stat info {};
    if (::stat(token_file_.c_str(), &info) == 0) {
        const FileIdentity identity{
            info.st_dev, info.st_ino, info.st_size,
            static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
        if (!file_identity_.has_value() || *file_identity_ != identity) {
            auto token = read_token_file(token_file_);
            if (token.ok()) {
                file_token_ = std::move(*token);
                file_identity_ = identity;
            } else if (file_token_.empty() && static_token_.empty()) {
                return Error{token.error()};
            } else {
                logging::warn("kube token file unreadable, keeping the previous token",
                              {{"file", token_file_}, {"error", token.error()}});
            }
        }
    } else if (file_token_.empty() && static_token_.empty()) {
        return Error{"cannot read token file " + token_file_ + ": " + std::strerror(errno)};
    }
    const std::string& token = file_token_.empty() ? static_token_ : file_token_;
    return Credentials{token, current_certificate_pem_, current_key_pem_, certificate_generation_};
}

void CredentialSource::adopt_certificate(const std::string& certificate_pem,
                                         const std::string& key_pem) {
    if (certificate_pem == current_certificate_pem_ && key_pem == current_key_pem_) return;
    current_certificate_pem_ = certificate_pem;
    current_key_pem_ = key_pem;
    ++certificate_generation_;
}

Result<Credentials> CredentialSource::exec_credentials() {
    const auto now = std::chrono::system_clock::now();
    const bool fresh = exec_cached_.has_value() &&
                       (!exec_cached_->expiration.has_value() ||
                        now + options_.refresh_before_expiry < *exec_cached_->expiration);
    if (!fresh) {
        auto credential = run_exec_plugin(*exec_, exec_cluster_, options_.exec_limits);
        if (!credential.ok()) {
            exec_cached_.reset();
            return Error{credential.error()};
        }
        exec_cached_ = std::move(*credential);
        logging::debug("kube exec credential obtained", {{"command", exec_->command}});
    }
    if (!exec_cached_->client_certificate_pem.empty()) {
        adopt_certificate(exec_cached_->client_certificate_pem, exec_cached_->client_key_pem);
    } else {
        adopt_certificate(static_certificate_pem_, static_key_pem_);
    }
    Credentials result{exec_cached_->token, current_certificate_pem_, current_key_pem_,
                       certificate_generation_};
    // A credential that is already (almost) expired is used for this request only.
    if (exec_cached_->expiration.has_value() &&
        now + options_.refresh_before_expiry >= *exec_cached_->expiration) {
        exec_cached_.reset();
    }
    return result;
}

void CredentialSource::reject(const Credentials& rejected) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (exec_.has_value()) {
        if (exec_cached_.has_value() && exec_cached_->token == rejected.bearer_token &&
            rejected.certificate_generation == certificate_generation_) {
            exec_cached_.reset();
        }
        return;
    }
    if (!token_file_.empty()) file_identity_.reset();
}

}  // namespace piw::kube
