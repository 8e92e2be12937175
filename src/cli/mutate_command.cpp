// `pod-identity-webhook mutate` (decision C2): what the webhook would do to a manifest, offline.
// Pods and the pod templates of workloads go through the same pure core as the server; the
// patch is rebased onto the template and applied, and warnings go to stderr.

#include <istream>
#include <iterator>
#include <ostream>

#include "pod_identity_webhook/cli/commands.hpp"
#include "pod_identity_webhook/common/capped_read.hpp"
#include "pod_identity_webhook/common/manifests.hpp"
#include "pod_identity_webhook/identity/container_credentials_config.hpp"
#include "pod_identity_webhook/identity/service_account_file_source.hpp"
#include "pod_identity_webhook/identity/static_service_account_source.hpp"
#include "pod_identity_webhook/mutation/build_patch.hpp"
#include "pod_identity_webhook/mutation/pod_reader.hpp"

namespace piw::cli {
namespace {

using Json = manifests::Json;

struct Input {
    std::string name;  // file path or "<stdin>"
    std::vector<manifests::Document> documents;
};

struct Context {
    mutation::MutationSettings settings;
    mutation::PodReader reader{settings};
    identity::IdentityResolver* resolver = nullptr;
    mutation::RandomJitter jitter;
    std::string default_namespace;
    std::ostream& err;
};

std::string string_at(const Json& object, const char* key) {
    if (!object.is_object()) return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Where a manifest keeps its pod: "" for a Pod, the template for workloads, nothing otherwise.
std::optional<std::string> pod_pointer(const Json& document) {
    const std::string kind = string_at(document, "kind");
    std::string pointer;
    if (kind == "Pod") {
        return std::string();
    } else if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" ||
               kind == "ReplicaSet" || kind == "Job") {
        pointer = "/spec/template";
    } else if (kind == "CronJob") {
        pointer = "/spec/jobTemplate/spec/template";
    } else {
        return std::nullopt;
    }
    const Json::json_pointer json_pointer(pointer);
    if (!document.contains(json_pointer) || !document.at(json_pointer).is_object()) {
        return std::nullopt;
    }
    return pointer;
}

std::string describe(const Json& document, const std::string& namespace_) {
    return string_at(document, "kind") + " " + namespace_ + "/" +
           string_at(document.value("metadata", Json::object()), "name");
}

Result<Input> read_input(const std::string& name, std::istream& in) {
    if (name != "-") {
        auto documents = manifests::load_file(name);
        if (!documents.ok()) return Error{documents.error()};
        return Input{name, std::move(documents).value()};
    }
    std::string text;
    const CappedRead read = read_capped(in, manifests::kMaxManifestBytes, text);
    if (read == CappedRead::too_large) return Error{"<stdin>: input too large"};
    if (read == CappedRead::failed) return Error{"<stdin>: read failed"};
    auto documents = manifests::parse_documents(text);
    if (!documents.ok()) return Error{"<stdin>: " + documents.error()};
    return Input{"<stdin>", std::move(documents).value()};
}

// ServiceAccounts from --service-accounts-file, then those found in the manifests themselves
// (a bundle usually ships its ServiceAccount), the latter winning.
Result<std::vector<identity::ServiceAccountEntry>> collect_service_accounts(
    const Options& options, const identity::AnnotationSettings& annotations,
    const std::vector<Input>& inputs) {
    std::vector<identity::ServiceAccountEntry> entries;
    if (!options.service_accounts_file.empty()) {
        auto source = identity::ServiceAccountFileSource::open(options.service_accounts_file,
                                                               annotations, nullptr);
        if (!source.ok()) return Error{source.error()};
        for (const auto& entry : (*source)->entries()) entries.push_back(*entry);
    }
    for (const auto& input : inputs) {
        for (const Json& document : manifests::flatten_lists(input.documents)) {
            if (string_at(document, "kind") != "ServiceAccount") continue;
            auto parsed = identity::parse_service_accounts(document.dump(), annotations);
            if (!parsed.ok()) return Error{input.name + ": " + parsed.error()};
            for (auto& entry : *parsed) entries.push_back(std::move(entry));
        }
    }
    return entries;
}

// The pod as the webhook would see it: the ServiceAccount admission plugin has already filled in
// serviceAccountName (from the deprecated serviceAccount field, else "default").
Json admitted_pod(Json pod) {
    Json& spec = pod["spec"];
    if (!spec.is_object()) spec = Json::object();
    if (string_at(spec, "serviceAccountName").empty()) {
        const std::string legacy = string_at(spec, "serviceAccount");
        spec["serviceAccountName"] = legacy.empty() ? "default" : legacy;
    }
    return pod;
}

struct DocumentResult {
    bool changed = false;
    Json report;  // for -o patch: what was done to one pod
};

Result<DocumentResult> mutate_document(Json& document, Context& context, Json& reports);

// A `kind: List` (what `kubectl get -o yaml` prints): each item on its own.
Result<DocumentResult> mutate_list(Json& list, Context& context, Json& reports) {
    DocumentResult out;
    auto items = list.find("items");
    if (items == list.end() || !items->is_array()) return out;
    for (Json& item : *items) {
        auto result = mutate_document(item, context, reports);
        if (!result.ok()) return result;
        out.changed = out.changed || result->changed;
    }
    return out;
}

Result<DocumentResult> mutate_document(Json& document, Context& context, Json& reports) {
    if (string_at(document, "kind") == "List") return mutate_list(document, context, reports);
    DocumentResult out;
    auto pointer = pod_pointer(document);
    if (!pointer) return out;
    const Json metadata = document.value("metadata", Json::object());
    std::string namespace_ = string_at(metadata, "namespace");
    if (namespace_.empty()) namespace_ = context.default_namespace;
    const std::string name = describe(document, namespace_);

    const Json pod = admitted_pod(document.at(Json::json_pointer(*pointer)));
    auto facts = context.reader.read_json(pod.dump());
    if (!facts.ok()) return Error{name + ": " + facts.error()};
    facts->namespace_ = namespace_;
    std::optional<Identity> identity =
        context.resolver->try_resolve(namespace_, facts->service_account_name);
    if (!identity)
        identity = context.resolver->from_lookup(namespace_, facts->service_account_name, {});
    auto result = mutation::build_patch(*facts, *identity, context.settings, context.jitter);
    for (const auto& warning : result.warnings)
        context.err << "Warning: " << name << ": " << warning << "\n";

    Json patch = result.patch.empty() ? Json::array() : Json::parse(result.patch);
    for (Json& operation : patch)
        operation["path"] = *pointer + operation["path"].get<std::string>();
    out.report = {{"kind", string_at(document, "kind")},
                  {"namespace", namespace_},
                  {"name", string_at(metadata, "name")},
                  {"serviceAccountName", facts->service_account_name},
                  {"mode", to_string(result.mode)},
                  {"outcome", mutation::to_string(result.outcome)},
                  {"patch", patch},
                  {"warnings", result.warnings}};
    reports.push_back(out.report);
    if (patch.empty()) return out;
    try {
        document = document.patch(patch);
    } catch (const nlohmann::json::exception& error) {
        return Error{name + ": the patch does not apply: " + error.what()};
    }
    out.changed = true;
    return out;
}

std::string with_newline(std::string text) {
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    return text;
}

void write_output(const std::string& format, const std::vector<Input>& inputs,
                  const std::vector<std::vector<Json>>& values,
                  const std::vector<std::vector<bool>>& changed, const Json& reports,
                  std::ostream& out) {
    if (format == "patch") {
        out << reports.dump(2) << "\n";
        return;
    }
    if (format == "json") {
        Json items = Json::array();
        for (const auto& document_values : values) {
            for (const Json& value : document_values) {
                if (!value.is_null()) items.push_back(value);
            }
        }
        if (items.size() == 1) {
            out << items[0].dump(2) << "\n";
        } else {
            out << Json{{"apiVersion", "v1"}, {"kind", "List"}, {"items", items}}.dump(2) << "\n";
        }
        return;
    }
    bool first = true;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        for (std::size_t j = 0; j < inputs[i].documents.size(); ++j) {
            const std::string text =
                changed[i][j] ? manifests::to_yaml(values[i][j]) : inputs[i].documents[j].source;
            if (!changed[i][j] && values[i][j].is_null()) continue;  // empty document
            if (!first) out << "---\n";
            first = false;
            out << with_newline(text);
        }
    }
}

}  // namespace

int run_mutate(const CommandLine& command_line, std::istream& in, std::ostream& out,
               std::ostream& err) {
    const Options& options = command_line.options;
    const MutateOptions& mutate = command_line.mutate;
    // Findings reach the user as "Warning:" lines below; the log only says more when asked.
    auto logs = log_settings(options);
    if (!logs.ok()) {
        err << "Error: " << logs.error() << "\n";
        return 2;
    }
    if (options.log_level.empty() && options.verbosity == 0) logs->level = "error";
    logging::init_logging(*logs);
    std::vector<Input> inputs;
    for (const auto& file : mutate.files) {
        auto input = read_input(file, in);
        if (!input.ok()) {
            err << "Error: " << input.error() << "\n";
            return 1;
        }
        inputs.push_back(std::move(input).value());
    }
    auto annotations = annotation_settings(options);
    if (!annotations.ok()) {
        err << "Error: " << annotations.error() << "\n";
        return 1;
    }
    auto entries = collect_service_accounts(options, *annotations, inputs);
    if (!entries.ok()) {
        err << "Error: " << entries.error() << "\n";
        return 1;
    }
    identity::StaticServiceAccountSource service_accounts(std::move(entries).value(),
                                                          "manifests and --service-accounts-file");
    std::unique_ptr<identity::ContainerCredentialsConfigFile> container_credentials;
    if (!options.watch_container_credentials_config.empty()) {
        container_credentials = std::make_unique<identity::ContainerCredentialsConfigFile>(
            options.watch_container_credentials_config, nullptr);
        if (auto status = container_credentials->reload(); !status.ok()) {
            err << "Error: " << status.error() << "\n";
            return 1;
        }
    }
    identity::IdentityResolver resolver(
        service_accounts, container_credentials ? &container_credentials->config() : nullptr,
        identity_defaults(options));
    Context context{mutation_settings(options),
                    mutation::PodReader(mutation_settings(options)),
                    &resolver,
                    {},
                    mutate.default_namespace,
                    err};

    std::vector<std::vector<Json>> values(inputs.size());
    std::vector<std::vector<bool>> changed(inputs.size());
    Json reports = Json::array();
    int exit_code = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        for (const auto& document : inputs[i].documents) {
            Json value = document.value;
            auto result = mutate_document(value, context, reports);
            if (!result.ok()) {
                err << "Error: " << inputs[i].name << ": " << result.error() << "\n";
                exit_code = 1;
            }
            changed[i].push_back(result.ok() && result->changed);
            values[i].push_back(std::move(value));
        }
    }
    write_output(mutate.output, inputs, values, changed, reports, out);
    return exit_code;
}

}  // namespace piw::cli
