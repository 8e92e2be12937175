#include "support/webhook_process.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace piw::testing {

namespace fs = std::filesystem;

// ---- test data --------------------------------------------------------------------------------

std::string test_data(std::string_view name) {
    return read_file(fs::path(PIW_SOURCE_DIR) / "tests" / "data" / name);
}

Json typical_review() {
    Json review = Json::parse(test_data("typical-review.json"), nullptr, false);
    if (review.is_discarded())
        throw std::runtime_error("tests/data/typical-review.json is not JSON");
    return review;
}

std::string default_service_accounts() {
    std::string text = test_data("typical-sa.yaml");
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    text += R"(---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: no-role
  namespace: payments
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: batch
  namespace: payments
)";
    return text;
}

Json make_review(const Json& pod, std::string_view namespace_, std::string_view uid,
                 std::string_view api_version) {
    return Json{{"kind", "AdmissionReview"},
                {"apiVersion", api_version},
                {"request",
                 {{"uid", uid},
                  {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                  {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
                  {"namespace", namespace_},
                  {"operation", "CREATE"},
                  {"userInfo", {{"username", "system:serviceaccount:kube-system:job-controller"}}},
                  {"object", pod},
                  {"oldObject", nullptr},
                  {"dryRun", false}}}};
}

Json simple_pod(std::string_view name, std::string_view service_account) {
    return Json{{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}}},
                {"spec",
                 {{"serviceAccountName", service_account},
                  {"containers", Json::array({{{"name", "app"}, {"image", "busybox"}}})}}}};
}

Json typical_review_for(std::string_view service_account, std::string_view uid) {
    Json review = typical_review();
    review["request"]["uid"] = uid;
    review["request"]["object"]["spec"]["serviceAccountName"] = service_account;
    review["request"]["object"]["spec"]["serviceAccount"] = service_account;
    return review;
}

// ---- admission answers ------------------------------------------------------------------------

Result<std::string> base64_decode(std::string_view text) {
    static constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (text.size() % 4 != 0) return Error{"base64: length is not a multiple of 4"};
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        std::array<unsigned, 4> values{};
        int padding = 0;
        for (std::size_t j = 0; j < 4; ++j) {
            const char c = text[i + j];
            if (c == '=') {
                if (i + 4 != text.size() || j < 2) return Error{"base64: misplaced padding"};
                ++padding;
                values[j] = 0;
                continue;
            }
            if (padding > 0) return Error{"base64: data after padding"};
            const auto position = kAlphabet.find(c);
            if (position == std::string_view::npos) return Error{"base64: invalid character"};
            values[j] = static_cast<unsigned>(position);
        }
        const unsigned group =
            (values[0] << 18U) | (values[1] << 12U) | (values[2] << 6U) | values[3];
        out.push_back(static_cast<char>((group >> 16U) & 0xFFU));
        if (padding < 2) out.push_back(static_cast<char>((group >> 8U) & 0xFFU));
        if (padding < 1) out.push_back(static_cast<char>(group & 0xFFU));
    }
    return out;
}

Result<AdmissionAnswer> parse_admission_answer(const HttpResponseMessage& message) {
    if (message.status != 200) {
        return Error{"HTTP " + std::to_string(message.status) + ": " + message.body};
    }
    AdmissionAnswer answer;
    answer.review = Json::parse(message.body, nullptr, false);
    if (answer.review.is_discarded() || !answer.review.is_object()) {
        return Error{"the answer is not a JSON object: " + message.body};
    }
    if (!answer.review.contains("response") || !answer.review["response"].is_object()) {
        return Error{"the answer has no response object: " + message.body};
    }
    answer.response = answer.review["response"];
    if (answer.response.contains("patch")) {
        if (!answer.response["patch"].is_string()) return Error{"patch is not a string"};
        auto decoded = base64_decode(answer.response["patch"].get<std::string>());
        if (!decoded.ok()) return Error{decoded.error()};
        Json patch = Json::parse(*decoded, nullptr, false);
        if (patch.is_discarded() || !patch.is_array()) {
            return Error{"the patch is not a JSON array: " + *decoded};
        }
        answer.patch = std::move(patch);
    }
    return answer;
}

Result<Json> patched_pod(const Json& request_review, const AdmissionAnswer& answer) {
    const Json& pod = request_review.at("request").at("object");
    if (!answer.patch) return pod;
    try {
        return pod.patch(*answer.patch);
    } catch (const Json::exception& error) {
        return Error{std::string("the patch does not apply: ") + error.what()};
    }
}

std::vector<std::pair<std::string, std::string>> env_of(const Json& container) {
    std::vector<std::pair<std::string, std::string>> env;
    if (!container.is_object() || !container.contains("env")) return env;
    for (const Json& entry : container["env"]) {
        const std::string name = entry.value("name", "");
        if (entry.contains("value")) {
            env.emplace_back(name, entry["value"].is_string() ? entry["value"].get<std::string>()
                                                              : entry["value"].dump());
        } else {
            env.emplace_back(name, "<valueFrom>");
        }
    }
    return env;
}

std::optional<std::string> env_value(const Json& container, std::string_view name) {
    for (const auto& [key, value] : env_of(container)) {
        if (key == name) return value;
    }
    return std::nullopt;
}

Json find_named(const Json& array, std::string_view name) {
    if (!array.is_array()) return nullptr;
    for (const Json& item : array) {
        if (item.is_object() && item.value("name", "") == name) return item;
    }
    return nullptr;
}

// ---- metrics ----------------------------------------------------------------------------------

namespace {

// Parses `{a="b",c="d"}` at the start of `text`; advances `text` past it.
std::optional<Labels> parse_labels(std::string_view& text) {
    Labels labels;
    if (text.empty() || text.front() != '{') return labels;
    text.remove_prefix(1);
    while (!text.empty() && text.front() != '}') {
        const auto equals = text.find('=');
        if (equals == std::string_view::npos || equals + 1 >= text.size() ||
            text[equals + 1] != '"') {
            return std::nullopt;
        }
        std::string name(text.substr(0, equals));
        text.remove_prefix(equals + 2);
        std::string value;
        while (!text.empty() && text.front() != '"') {
            if (text.front() == '\\' && text.size() > 1) {
                value.push_back(text[1] == 'n' ? '\n' : text[1]);
                text.remove_prefix(2);
                continue;
            }
            value.push_back(text.front());
            text.remove_prefix(1);
        }
        if (text.empty()) return std::nullopt;
        text.remove_prefix(1);  // closing quote
        labels.emplace_back(std::move(name), std::move(value));
        if (!text.empty() && text.front() == ',') text.remove_prefix(1);
    }
    if (text.empty()) return std::nullopt;
    text.remove_prefix(1);  // '}'
    return labels;
}

std::optional<double> parse_sample_value(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    const auto end = text.find(' ');
    const std::string number(text.substr(0, end));
    if (number == "+Inf") return HUGE_VAL;
    if (number == "-Inf") return -HUGE_VAL;
    char* parse_end = nullptr;
    errno = 0;
    const double value = std::strtod(number.c_str(), &parse_end);
    if (parse_end == number.c_str() || errno != 0) return std::nullopt;
    return value;
}

bool includes(const Labels& have, const Labels& want) {
    for (const auto& label : want) {
        bool found = false;
        for (const auto& candidate : have) found = found || candidate == label;
        if (!found) return false;
    }
    return true;
}

}  // namespace

std::optional<double> metric_sample(std::string_view exposition, std::string_view name,
                                    const Labels& labels) {
    while (!exposition.empty()) {
        const auto end = exposition.find('\n');
        std::string_view line = exposition.substr(0, end);
        exposition =
            end == std::string_view::npos ? std::string_view{} : exposition.substr(end + 1);
        if (line.empty() || line.front() == '#' || !line.starts_with(name)) continue;
        line.remove_prefix(name.size());
        if (line.empty() || (line.front() != '{' && line.front() != ' ')) continue;  // longer name
        auto sample_labels = parse_labels(line);
        if (!sample_labels || !includes(*sample_labels, labels)) continue;
        return parse_sample_value(line);
    }
    return std::nullopt;
}

// ---- the process ------------------------------------------------------------------------------

WebhookProcess::WebhookProcess(WebhookOptions options)
    : options_(std::move(options)), dir_("piw-binary"), certificates_(dir_ / "certs") {
    ca_.write_certificate(dir_ / "ca.crt");
    rotate_certificate(options_.certificate_cn);
    write_file(service_accounts_file(),
               options_.service_accounts.value_or(default_service_accounts()));
}

namespace {

// What AddressSanitizer, LeakSanitizer and UBSan print when the binary is built with
// -DPIW_SANITIZERS=ON; always absent otherwise.
void expect_no_sanitizer_report(std::string_view output, std::string_view what) {
    for (const std::string_view marker :
         {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
        const auto at = output.find(marker);
        if (at != std::string_view::npos) {
            ADD_FAILURE() << what << " reported \"" << marker << "\":\n"
                          << output.substr(at > 2000 ? at - 2000 : 0, 12000);
        }
    }
}

}  // namespace

// Ends every run the way Kubernetes does (SIGTERM), so that an unclean exit, a hang, or a
// sanitizer finding (leaks are only reported at exit) fails the test that caused it.
WebhookProcess::~WebhookProcess() {
    if (!process_) return;
    if (process_->running()) {
        process_->signal(SIGTERM);
        const auto exit_code = process_->wait_exit(15s);
        if (!exit_code) {
            ADD_FAILURE() << "the webhook did not exit within 15 s of SIGTERM at the end of the "
                             "test; stderr:\n"
                          << log();
        } else if (*exit_code != 0) {
            ADD_FAILURE() << "the webhook exited with " << *exit_code
                          << " on SIGTERM at the end of the test; stderr:\n"
                          << log();
        }
    }
    expect_no_sanitizer_report(log(), "the webhook");
}

bool WebhookProcess::start() {
    std::vector<std::string> arguments{
        "--port=0",
        "--metrics-port=0",
        "--bind-address=127.0.0.1",
        "--in-cluster=false",
        "--tls-cert=" + certificate_file().string(),
        "--tls-key=" + key_file().string(),
    };
    if (options_.service_accounts_file) {
        arguments.push_back("--service-accounts-file=" + service_accounts_file().string());
    }
    arguments.insert(arguments.end(), options_.arguments.begin(), options_.arguments.end());
    ChildProcessOptions child;
    child.executable = PIW_BINARY_PATH;
    child.arguments = std::move(arguments);
    child.output_directory = dir_ / "output";
    fs::create_directories(child.output_directory);  // ChildProcess opens its logs there
    process_ = std::make_unique<ChildProcess>(std::move(child));
    // Text: `serving webhook_port=1 metrics_port=2`; JSON: `"webhook_port":"1","metrics_port":"2"`.
    auto ports = process_->wait_for_output(R"(webhook_port\W+(\d+)\W+metrics_port\W+(\d+))", 10s,
                                           OutputStream::stderr_stream);
    if (!ports) {
        start_error_ = "the webhook did not start serving";
        if (auto code = process_->wait_exit(0ms)) {
            start_error_ += " (exit code " + std::to_string(*code) + ")";
        }
        start_error_ += "; stderr:\n" + process_->stderr_text();
        return false;
    }
    port_ = static_cast<unsigned short>(std::stoul((*ports)[1]));
    metrics_port_ = static_cast<unsigned short>(std::stoul((*ports)[2]));
    return true;
}

std::string WebhookProcess::log() const {
    return process_ ? process_->stderr_text() : std::string();
}

void WebhookProcess::write_service_accounts(std::string_view content) const {
    const fs::path staging = dir_ / "service-accounts.yaml.tmp";
    write_file(staging, content);
    fs::rename(staging, service_accounts_file());
}

fs::path WebhookProcess::certificate_file() const {
    return options_.kubelet_certificates ? certificates_.path_of("tls.crt")
                                         : dir_ / "plain-certs" / "tls.crt";
}

fs::path WebhookProcess::key_file() const {
    return options_.kubelet_certificates ? certificates_.path_of("tls.key")
                                         : dir_ / "plain-certs" / "tls.key";
}

void WebhookProcess::rotate_certificate(const std::string& common_name) {
    const PemPair pair = ca_.issue({.common_name = common_name});
    project_certificate_files(pair.certificate, pair.key);
}

void WebhookProcess::project_certificate_files(const std::string& certificate,
                                               const std::string& key) {
    if (options_.kubelet_certificates) {
        certificates_.write({{"tls.crt", certificate}, {"tls.key", key}});
        return;
    }
    fs::create_directories(certificate_file().parent_path());
    write_file(certificate_file(), certificate);
    write_file(key_file(), key);
}

ClientTlsOptions WebhookProcess::tls() const {
    ClientTlsOptions options;
    options.ca_file = ca_file();
    options.server_name = "localhost";
    return options;
}

Result<TestConnection> WebhookProcess::connect(std::chrono::milliseconds timeout) const {
    auto connection = TestConnection::connect(port_, timeout);
    if (!connection.ok()) return connection;
    if (auto status = connection->start_tls(tls(), timeout); !status.ok()) {
        return Error{status.error()};
    }
    return connection;
}

Result<HttpResponseMessage> WebhookProcess::request(std::string_view method,
                                                    std::string_view target, std::string_view body,
                                                    const Headers& headers,
                                                    std::chrono::milliseconds timeout) const {
    return one_request(port_, method, target, body, headers, tls(), timeout);
}

Result<HttpResponseMessage> WebhookProcess::post_review(std::string_view body,
                                                        std::chrono::milliseconds timeout) const {
    return request("POST", "/mutate", body, {{"Content-Type", "application/json"}}, timeout);
}

Result<AdmissionAnswer> WebhookProcess::admit(const Json& review) const {
    auto message = post_review(review.dump());
    if (!message.ok()) return Error{message.error()};
    return parse_admission_answer(*message);
}

Result<HttpResponseMessage> WebhookProcess::metrics_get(std::string_view target) const {
    return http_get(metrics_port_, target);
}

std::optional<double> WebhookProcess::metric(std::string_view name, const Labels& labels) const {
    auto message = metrics_get("/metrics");
    if (!message.ok() || message->status != 200) return std::nullopt;
    return metric_sample(message->body, name, labels);
}

bool WebhookProcess::wait_for_metric_at_least(std::string_view name, const Labels& labels,
                                              double minimum,
                                              std::chrono::milliseconds timeout) const {
    return eventually(
        [&] {
            const auto value = metric(name, labels);
            return value && *value >= minimum;
        },
        timeout);
}

bool WebhookProcess::wait_for_log(std::string_view needle,
                                  std::chrono::milliseconds timeout) const {
    return eventually([&] { return log().find(needle) != std::string::npos; }, timeout);
}

// ---- one-shot runs ----------------------------------------------------------------------------

namespace {

RunResult run_to_exit(std::string executable, std::vector<std::string> arguments,
                      std::chrono::milliseconds timeout) {
    ChildProcessOptions options;
    options.executable = std::move(executable);
    options.arguments = std::move(arguments);
    ChildProcess process(std::move(options));
    RunResult result;
    result.exit_code = process.wait_exit(timeout);
    result.out = process.stdout_text();
    result.err = process.stderr_text();
    expect_no_sanitizer_report(result.err, "the binary");
    return result;  // a process still running is killed by ~ChildProcess
}

}  // namespace

RunResult run_binary(const std::vector<std::string>& arguments, std::chrono::milliseconds timeout) {
    return run_to_exit(PIW_BINARY_PATH, arguments, timeout);
}

RunResult run_binary_with_stdin(const std::vector<std::string>& arguments,
                                const fs::path& stdin_file, std::chrono::milliseconds timeout) {
    // sh -c SCRIPT $0 $1 ...: $0 is the binary, $1 the input file, the rest its arguments.
    std::vector<std::string> shell_arguments{"-c", R"(input=$1; shift; exec "$0" "$@" < "$input")",
                                             PIW_BINARY_PATH, stdin_file.string()};
    shell_arguments.insert(shell_arguments.end(), arguments.begin(), arguments.end());
    return run_to_exit("/bin/sh", std::move(shell_arguments), timeout);
}

}  // namespace piw::testing
