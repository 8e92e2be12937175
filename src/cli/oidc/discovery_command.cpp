// `oidc discovery` (spec/oidc.md §6.2): the two issuer-discovery documents rendered offline from
// the service-account keys, or fetched from the API server byte for byte, or read back from a
// directory or the public URL — and always checked.

#include <ostream>
#include <sstream>

#include "cli/oidc/commands.hpp"
#include "cli/oidc/published_documents.hpp"
#include "cli/oidc/report.hpp"
#include "cli/oidc/sources.hpp"
#include "pod_identity_webhook/oidc/discovery.hpp"
#include "pod_identity_webhook/oidc/keys.hpp"
#include "pod_identity_webhook/oidc/trust_policy.hpp"

namespace piw::cli::oidc_cli {
namespace {

using oidc::Finding;
using oidc::Severity;

constexpr const char* kCommand = "oidc discovery";

std::vector<FlagSpec> flags() {
    std::vector<FlagSpec> specs = {{"from-key", true, true, true},
                                   {"from-apiserver", false},
                                   {"check"},
                                   {"compare-apiserver", false},
                                   {"issuer"},
                                   {"jwks-uri"},
                                   {"out-dir"},
                                   {"url-ca-file"},
                                   {"connect-to"}};
    specs.insert(specs.end(), kApiServerFlags.begin(), kApiServerFlags.end());
    return with_common_flags(std::move(specs));
}

struct Context {
    const Arguments& arguments;
    OutputOptions output;
    Io io;
};

// Errors after --strict: documents with errors are not written.
bool blocks_writing(const Report& report, const OutputOptions& output) {
    for (const auto& finding : report.findings) {
        if (finding.severity == Severity::error ||
            (output.strict && finding.severity == Severity::warning))
            return true;
    }
    return false;
}

// --out-dir: both files byte for byte; otherwise both documents on stdout.
Status emit_documents(const Context& context, const std::string& discovery, const std::string& jwks,
                      Report& report) {
    report.data["openid_configuration"] = discovery;
    report.data["jwks"] = jwks;
    const std::string dir = context.arguments.value("out-dir");
    if (dir.empty()) {
        report.text += "# " + std::string(oidc::kDiscoveryPath) + "\n" + discovery + "\n# " +
                       std::string(oidc::kJwksPath) + "\n" + jwks + "\n";
        return Status::success();
    }
    if (blocks_writing(report, context.output)) {
        report.text += "Nothing written to " + dir + ": the documents have errors.\n";
        return Status::success();
    }
    const std::string discovery_path = dir + std::string(oidc::kDiscoveryPath);
    const std::string jwks_path = dir + std::string(oidc::kJwksPath);
    if (auto written = write_file(discovery_path, discovery); !written) return written;
    if (auto written = write_file(jwks_path, jwks); !written) return written;
    report.data["written"] = {discovery_path, jwks_path};
    report.text += "Wrote " + discovery_path + " (" + std::to_string(discovery.size()) +
                   " bytes)\nWrote " + jwks_path + " (" + std::to_string(jwks.size()) +
                   " bytes)\n\nUpload both, keeping the layout and the JSON content type:\n"
                   "  aws s3 cp --recursive " +
                   dir + " s3://BUCKET/PREFIX --content-type application/json\n";
    return Status::success();
}

std::string describe_key(const oidc::PublicKey& key, const std::string& file) {
    std::string text =
        key.kid + "  " + key.alg + "  " +
        (key.type == oidc::KeyType::rsa ? "RSA " + std::to_string(key.bits) : "EC " + key.crv) +
        "  " + file;
    if (key.from_private_key) text += " (private key: public half only)";
    return text;
}

// Every key of every --from-key file, in order; an unreadable file is an I/O error.
Result<std::vector<oidc::PublicKey>> load_keys(const Context& context, Report& report) {
    std::vector<oidc::PublicKey> keys;
    report.data["keys"] = nlohmann::ordered_json::array();
    for (const std::string& file : context.arguments.values("from-key")) {
        auto pem = read_capped(file, oidc::kMaxKeyFileBytes, context.io.in);
        if (!pem) return Error{pem.error()};
        auto loaded = oidc::load_pem_keys(*pem);
        if (!loaded) {
            report.add({Severity::error, "key-invalid", file + ": " + loaded.error(),
                        "give the API server's --service-account-key-file (PEM, RSA or ECDSA "
                        "P-256/P-384/P-521)"});
            continue;
        }
        for (const auto& label : loaded->skipped_blocks) {
            report.add({Severity::info, "pem-block-skipped",
                        file + ": skipped a \"" + label + "\" block (not a key)", ""});
        }
        for (auto& key : loaded->keys) {
            report.text += "Key " + describe_key(key, file) + "\n";
            report.data["keys"].push_back({{"kid", key.kid},
                                           {"alg", key.alg},
                                           {"file", file},
                                           {"from_private_key", key.from_private_key}});
            keys.push_back(std::move(key));
        }
    }
    return keys;
}

int from_keys(const Context& context) {
    const auto& arguments = context.arguments;
    if (!arguments.has("issuer"))
        return fail_usage("--from-key needs --issuer", kCommand, context.io.err);
    Report report;
    auto keys = load_keys(context, report);
    if (!keys) return fail_io(keys.error(), context.output, context.io.out, context.io.err);
    if (oidc::has_errors(report.findings)) {
        return finish(std::move(report), context.output, context.io.out, context.io.err);
    }
    const std::string issuer = arguments.value("issuer");
    const std::string jwks_uri = arguments.value("jwks-uri", oidc::default_jwks_uri(issuer));
    const std::string discovery = oidc::render_openid_configuration(issuer, jwks_uri, *keys);
    const std::string jwks = oidc::render_jwks(*keys);
    check_document_bytes(discovery, jwks, issuer, report);
    report.text += "\n";
    if (auto emitted = emit_documents(context, discovery, jwks, report); !emitted) {
        return fail_io(emitted.error(), context.output, context.io.out, context.io.err);
    }
    return finish(std::move(report), context.output, context.io.out, context.io.err);
}

// An issuer only the cluster can reach: the API server flags have not been changed yet.
void check_issuer_is_public(const oidc::DiscoveryDocument& discovery, Report& report) {
    const std::string host_path = oidc::provider_host_path(discovery.issuer);
    const std::string host = host_path.substr(0, host_path.find('/'));
    const bool internal = host.find('.') == std::string::npos || host.ends_with(".svc") ||
                          host.ends_with(".local") || host.ends_with(".internal");
    if (!internal) return;
    report.add({Severity::warning, "issuer-cluster-internal",
                "the API server's issuer \"" + discovery.issuer +
                    "\" is not a public URL: STS cannot fetch anything from it",
                "set --service-account-issuer and --service-account-jwks-uri to the public "
                "location first (oidc plan --platform … prints the flags), then fetch again"});
}

int from_apiserver(const Context& context) {
    auto fetched = fetch_from_apiserver(context.arguments, oidc::kMaxDocumentBytes);
    if (!fetched) return fail_io(fetched.error(), context.output, context.io.out, context.io.err);
    Report report;
    report.data["apiserver"] = fetched->description;
    report.add(apiserver_fetch_findings(fetched->discovery, fetched->description));
    if (fetched->discovery.status == 200) {
        report.add(apiserver_fetch_findings(fetched->jwks, fetched->description));
    }
    if (oidc::has_errors(report.findings)) {
        return finish(std::move(report), context.output, context.io.out, context.io.err);
    }
    const auto parsed = check_document_bytes(fetched->discovery.body, fetched->jwks.body,
                                             context.arguments.value("issuer"), report);
    if (parsed.discovery) check_issuer_is_public(*parsed.discovery, report);
    report.text += "From " + fetched->description + "\n";
    if (auto emitted = emit_documents(context, fetched->discovery.body, fetched->jwks.body, report);
        !emitted) {
        return fail_io(emitted.error(), context.output, context.io.out, context.io.err);
    }
    return finish(std::move(report), context.output, context.io.out, context.io.err);
}

bool is_url(const std::string& target) {
    return target.rfind("https://", 0) == 0 || target.rfind("http://", 0) == 0;
}

// --compare-apiserver: the published set against what the API server serves now.
Status compare_with_apiserver(const Context& context, const ParsedDocuments& published,
                              Report& report) {
    auto fetched = fetch_from_apiserver(context.arguments, oidc::kMaxDocumentBytes);
    if (!fetched) return Error{fetched.error()};
    report.add(apiserver_fetch_findings(fetched->discovery, fetched->description));
    report.add(apiserver_fetch_findings(fetched->jwks, fetched->description));
    if (fetched->discovery.status != 200 || fetched->jwks.status != 200) return Status::success();
    auto apiserver_discovery = oidc::parse_openid_configuration(fetched->discovery.body);
    auto apiserver_jwks = oidc::parse_jwks(fetched->jwks.body);
    if (!apiserver_discovery || !apiserver_jwks) {
        report.add({Severity::error, "apiserver-documents-invalid",
                    "the API server's documents do not parse", ""});
        return Status::success();
    }
    if (published.discovery && apiserver_discovery->issuer != published.discovery->issuer) {
        report.add({Severity::error, "issuer-differs-from-apiserver",
                    "the published issuer \"" + published.discovery->issuer +
                        "\" is not the API server's \"" + apiserver_discovery->issuer + "\"",
                    "tokens carry the API server's issuer; publish its documents again"});
    }
    if (published.jwks) report.add(oidc::compare_with_apiserver(*published.jwks, *apiserver_jwks));
    return Status::success();
}

int check_published(const Context& context) {
    const std::string target = context.arguments.value("check");
    Report report;
    std::optional<std::string> discovery;
    std::optional<std::string> jwks;
    std::string expected_issuer = context.arguments.value("issuer");
    if (is_url(target)) {
        auto fetched = fetch_published_documents(
            target, fetch_options(context.arguments, "url-ca-file"), report);
        if (!fetched)
            return fail_io(fetched.error(), context.output, context.io.out, context.io.err);
        discovery = std::move(fetched->discovery);
        jwks = std::move(fetched->jwks);
        if (expected_issuer.empty()) expected_issuer = fetched->issuer_url;
    } else {
        auto read = read_document_dir(target, context.io.in);
        if (!read) return fail_io(read.error(), context.output, context.io.out, context.io.err);
        discovery = std::move(read->discovery);
        jwks = std::move(read->jwks);
    }
    const auto parsed = check_document_bytes(discovery, jwks, expected_issuer, report);
    if (context.arguments.has("compare-apiserver")) {
        if (auto compared = compare_with_apiserver(context, parsed, report); !compared) {
            return fail_io(compared.error(), context.output, context.io.out, context.io.err);
        }
    }
    report.data["checked"] = target;
    if (parsed.discovery) report.data["issuer"] = parsed.discovery->issuer;
    if (parsed.jwks) report.data["keys"] = parsed.jwks->size();
    report.text = "Checked " + target + "\n";
    return finish(std::move(report), context.output, context.io.out, context.io.err);
}

}  // namespace

int run_discovery(const Words& args, Io io) {
    int exit_code = kExitOk;
    auto invocation = start(args, flags(), "discovery", io, exit_code);
    if (!invocation) return exit_code;
    const Arguments& arguments = invocation->arguments;
    const OutputOptions& output = invocation->output;
    const int modes = static_cast<int>(arguments.has("from-key")) +
                      static_cast<int>(arguments.has("from-apiserver")) +
                      static_cast<int>(arguments.has("check"));
    if (modes != 1) {
        return fail_usage("give exactly one of --from-key, --from-apiserver, --check", kCommand,
                          io.err);
    }
    if (arguments.has("compare-apiserver") && !arguments.has("check")) {
        return fail_usage("--compare-apiserver goes with --check", kCommand, io.err);
    }
    const Context context{arguments, output, io};
    if (arguments.has("from-key")) return from_keys(context);
    if (arguments.has("from-apiserver")) return from_apiserver(context);
    return check_published(context);
}

}  // namespace piw::cli::oidc_cli
