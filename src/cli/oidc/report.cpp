#include "cli/oidc/report.hpp"

#include <ostream>

namespace piw::cli::oidc_cli {
namespace {

void print_finding(const oidc::Finding& finding, std::ostream& err) {
    err << oidc::to_string(finding.severity) << ": " << finding.message << " [" << finding.code
        << "]\n";
    if (!finding.hint.empty()) err << "  hint: " << finding.hint << "\n";
}

nlohmann::ordered_json to_json(const oidc::Finding& finding) {
    return {{"severity", oidc::to_string(finding.severity)},
            {"code", finding.code},
            {"message", finding.message},
            {"hint", finding.hint}};
}

}  // namespace

Result<OutputOptions> output_options(const Arguments& arguments) {
    OutputOptions options;
    const std::string output = arguments.value("output", "text");
    if (output != "text" && output != "json") {
        return Error{"--output must be text or json, not \"" + output + "\""};
    }
    options.json = output == "json";
    options.strict = arguments.has("strict");
    return options;
}

void Report::add(const std::vector<oidc::Finding>& more) {
    findings.insert(findings.end(), more.begin(), more.end());
}

void Report::add(oidc::Finding finding) {
    findings.push_back(std::move(finding));
}

int finish(Report report, const OutputOptions& options, std::ostream& out, std::ostream& err) {
    if (options.strict) {
        for (auto& finding : report.findings) {
            if (finding.severity == oidc::Severity::warning) {
                finding.severity = oidc::Severity::error;
            }
        }
    }
    const bool failed = oidc::has_errors(report.findings);
    if (options.json) {
        auto findings = nlohmann::ordered_json::array();
        for (const auto& finding : report.findings) findings.push_back(to_json(finding));
        report.data["ok"] = !failed;
        report.data["findings"] = std::move(findings);
        out << report.data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        out << report.text;
        for (const auto& finding : report.findings) print_finding(finding, err);
    }
    out.flush();
    return failed ? kExitFindings : kExitOk;
}

int fail_io(const std::string& message, const OutputOptions& options, std::ostream& out,
            std::ostream& err) {
    err << "error: " << message << "\n";
    if (options.json) {
        const nlohmann::ordered_json data = {{"ok", false}, {"error", message}};
        out << data.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    return kExitIo;
}

int fail_usage(const std::string& message, const std::string& command, std::ostream& err) {
    err << "Error: " << message << "\nRun 'pod-identity-webhook " << command
        << " --help' for usage.\n";
    return kExitUsage;
}

}  // namespace piw::cli::oidc_cli
