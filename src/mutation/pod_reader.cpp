#include "pod_identity_webhook/mutation/pod_reader.hpp"

#include <array>
#include <span>
#include <string>

#include "pod_identity_webhook/mutation/annotations.hpp"

namespace piw::mutation {
namespace {

namespace od = simdjson::ondemand;

constexpr std::string_view kWindows = "windows";
constexpr std::string_view kOsLabel = "kubernetes.io/os";
constexpr std::string_view kBetaOsLabel = "beta.kubernetes.io/os";

std::string_view type_name(od::json_type type) {
    switch (type) {
        case od::json_type::array: return "an array";
        case od::json_type::object: return "an object";
        case od::json_type::number: return "a number";
        case od::json_type::string: return "a string";
        case od::json_type::boolean: return "a boolean";
        case od::json_type::null: return "null";
    }
    return "a value";
}

std::uint32_t env_flag_for(std::string_view name) {
    if (name.size() < 10 || name.substr(0, 4) != "AWS_") return 0;
    if (name == "AWS_ROLE_ARN") return kEnvRoleArn;
    if (name == "AWS_WEB_IDENTITY_TOKEN_FILE") return kEnvWebIdentityTokenFile;
    if (name == "AWS_CONTAINER_CREDENTIALS_FULL_URI") return kEnvContainerCredentialsUri;
    if (name == "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") return kEnvContainerAuthTokenFile;
    if (name == "AWS_REGION") return kEnvRegion;
    if (name == "AWS_DEFAULT_REGION") return kEnvDefaultRegion;
    if (name == "AWS_STS_REGIONAL_ENDPOINTS") return kEnvStsRegionalEndpoints;
    return 0;
}

// Builds "spec.containers[3].env" style paths for error messages, only when an error happens.
struct Path {
    const Path* parent = nullptr;
    std::string_view name;
    std::size_t index = 0;
    bool is_index = false;

    [[nodiscard]] Path child(std::string_view field) const { return Path{this, field, 0, false}; }
    [[nodiscard]] Path at(std::size_t i) const { return Path{this, {}, i, true}; }
    [[nodiscard]] std::string str() const {
        std::string prefix = parent != nullptr ? parent->str() : std::string();
        if (is_index) return prefix + "[" + std::to_string(index) + "]";
        if (prefix.empty()) return std::string(name);
        return prefix + "." + std::string(name);
    }
};

// One pass over the pod. Every reader returns false after recording an error; null is accepted
// wherever Go's encoding/json accepts it (it leaves the field empty).
class PodParser {
public:
    PodParser(const std::string& token_expiration_key, const std::string& skip_containers_key,
              const std::string& prefix, const std::string& cc_volume_name, PodFacts& facts)
        : token_expiration_key_(token_expiration_key),
          skip_containers_key_(skip_containers_key),
          prefix_(prefix),
          cc_volume_name_(cc_volume_name),
          facts_(facts) {}

    bool pod(od::value value, const Path& path) {
        od::object object;
        if (!as_object(value, path, object)) return false;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            if (key == "metadata") {
                if (!metadata(field.value(), path.child("metadata"))) return false;
            } else if (key == "spec") {
                if (!spec(field.value(), path.child("spec"))) return false;
            }
        }
        return true;
    }

    std::string error;

private:
    bool fail(const Path& path, std::string_view what) {
        error = path.str() + " " + std::string(what);
        return false;
    }
    bool fail_json(const Path& path, simdjson::error_code code) {
        error = "invalid JSON at " + path.str() + ": " + simdjson::error_message(code);
        return false;
    }

    // Type of the value; false on a JSON error.
    bool type_of(od::value& value, const Path& path, od::json_type& type) {
        if (auto code = value.type().get(type)) return fail_json(path, code);
        return true;
    }

    // Reads an object; `present` is false for null. Any other type is an error.
    bool nullable_object(od::value& value, const Path& path, od::object& out, bool& present) {
        od::json_type type{};
        if (!type_of(value, path, type)) return false;
        present = type == od::json_type::object;
        if (type == od::json_type::null) return true;
        if (!present) return fail(path, std::string("is ") + std::string(type_name(type)) + ", expected an object");
        if (auto code = value.get_object().get(out)) return fail_json(path, code);
        return true;
    }

    bool as_object(od::value& value, const Path& path, od::object& out) {
        bool present = false;
        if (!nullable_object(value, path, out, present)) return false;
        if (!present) return fail(path, "is null, expected an object");
        return true;
    }

    bool nullable_array(od::value& value, const Path& path, od::array& out, bool& present) {
        od::json_type type{};
        if (!type_of(value, path, type)) return false;
        present = type == od::json_type::array;
        if (type == od::json_type::null) return true;
        if (!present) return fail(path, std::string("is ") + std::string(type_name(type)) + ", expected an array");
        if (auto code = value.get_array().get(out)) return fail_json(path, code);
        return true;
    }

    // A string or null (→ empty).
    bool string_value(od::value value, const Path& path, std::string_view& out) {
        od::json_type type{};
        if (!type_of(value, path, type)) return false;
        if (type == od::json_type::null) {
            out = {};
            return true;
        }
        if (type != od::json_type::string) return fail(path, std::string("is ") + std::string(type_name(type)) + ", expected a string");
        if (auto code = value.get_string().get(out)) return fail_json(path, code);
        return true;
    }

    bool string_into(od::value value, const Path& path, std::string& out) {
        std::string_view view;
        if (!string_value(value, path, view)) return false;
        out.assign(view);
        return true;
    }

    bool field_parts(simdjson::simdjson_result<od::field>& result, const Path& path,
                     od::field& field, std::string_view& key) {
        if (auto code = std::move(result).get(field)) return fail_json(path, code);
        if (auto code = field.unescaped_key().get(key)) return fail_json(path, code);
        return true;
    }

    bool element(simdjson::simdjson_result<od::value>& result, const Path& path,
                 od::value& value) {
        if (auto code = std::move(result).get(value)) return fail_json(path, code);
        return true;
    }

    bool metadata(od::value value, const Path& path) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        facts_.metadata_present = present;
        if (!present) return true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            bool ok = true;
            if (key == "name") {
                ok = string_into(field.value(), path.child("name"), facts_.name);
            } else if (key == "generateName") {
                ok = string_into(field.value(), path.child("generateName"), facts_.generate_name);
            } else if (key == "namespace") {
                ok = string_into(field.value(), path.child("namespace"), facts_.namespace_);
            } else if (key == "labels") {
                ok = labels(field.value(), path.child("labels"));
            } else if (key == "annotations") {
                ok = annotations(field.value(), path.child("annotations"));
            }
            if (!ok) return false;
        }
        return true;
    }

    bool labels(od::value value, const Path& path) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        facts_.labels_present = present;
        facts_.pod_identity_label.reset();
        if (!present) return true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            std::string_view label_value;
            if (!string_value(field.value(), path.child(key), label_value)) return false;
            if (key == kPodIdentityLabel) facts_.pod_identity_label = std::string(label_value);
        }
        return true;
    }

    bool annotations(od::value value, const Path& path) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        facts_.token_expiration_annotation.reset();
        facts_.skip_containers_annotation.reset();
        facts_.near_miss_annotation_keys.clear();
        if (!present) return true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            std::string_view annotation_value;
            if (!string_value(field.value(), path.child(key), annotation_value)) return false;
            if (key == token_expiration_key_) {
                facts_.token_expiration_annotation = std::string(annotation_value);
            } else if (key == skip_containers_key_) {
                facts_.skip_containers_annotation = std::string(annotation_value);
            } else if (annotations::near_miss_of(key, prefix_)) {
                facts_.near_miss_annotation_keys.emplace_back(key);
            }
        }
        return true;
    }

    bool spec(od::value value, const Path& path) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        facts_.spec_present = present;
        if (!present) return true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            bool ok = true;
            if (key == "serviceAccountName") {
                ok = string_into(field.value(), path.child(key), facts_.service_account_name);
            } else if (key == "containers") {
                ok = containers(field.value(), path.child(key), facts_.containers);
            } else if (key == "initContainers") {
                ok = containers(field.value(), path.child(key), facts_.init_containers);
            } else if (key == "volumes") {
                ok = volumes(field.value(), path.child(key));
            } else if (key == "nodeSelector") {
                ok = node_selector(field.value(), path.child(key));
            } else if (key == "os") {
                ok = pod_os(field.value(), path.child(key));
            } else if (key == "affinity") {
                ok = affinity(field.value(), path.child(key));
            }
            if (!ok) return false;
        }
        return true;
    }

    bool containers(od::value value, const Path& path, std::vector<ContainerFacts>& out) {
        od::array array;
        bool present = false;
        if (!nullable_array(value, path, array, present)) return false;
        out.clear();
        if (!present) return true;
        std::size_t index = 0;
        for (auto element_result : array) {
            const Path element_path = path.at(index++);
            od::value element_value;
            if (!element(element_result, element_path, element_value)) return false;
            if (!container(element_value, element_path, out.emplace_back())) return false;
        }
        return true;
    }

    bool container(od::value value, const Path& path, ContainerFacts& out) {
        od::object object;
        if (!as_object(value, path, object)) return false;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            bool ok = true;
            if (key == "name") {
                ok = string_into(field.value(), path.child(key), out.name);
            } else if (key == "env") {
                ok = environment(field.value(), path.child(key), out);
            } else if (key == "volumeMounts") {
                ok = volume_mounts(field.value(), path.child(key), out);
            }
            if (!ok) return false;
        }
        return true;
    }

    // Reads the "name" of each object in a list of named objects (env, volumeMounts) and hands
    // it to `on_name`.
    template <class OnName>
    bool named_items(od::value value, const Path& path, bool& present, OnName&& on_name) {
        od::array array;
        if (!nullable_array(value, path, array, present)) return false;
        if (!present) return true;
        std::size_t index = 0;
        for (auto element_result : array) {
            const Path element_path = path.at(index++);
            od::value element_value;
            if (!element(element_result, element_path, element_value)) return false;
            od::object object;
            if (!as_object(element_value, element_path, object)) return false;
            for (auto field_result : object) {
                od::field field;
                std::string_view key;
                if (!field_parts(field_result, element_path, field, key)) return false;
                if (key != "name") continue;
                std::string_view name;
                if (!string_value(field.value(), element_path.child(key), name)) return false;
                on_name(name);
            }
        }
        return true;
    }

    bool environment(od::value value, const Path& path, ContainerFacts& out) {
        out.env_flags = 0;
        return named_items(value, path, out.env_present,
                           [&out](std::string_view name) { out.env_flags |= env_flag_for(name); });
    }

    bool volume_mounts(od::value value, const Path& path, ContainerFacts& out) {
        out.has_web_identity_mount = false;
        out.has_container_credentials_mount = false;
        const std::string& cc_name = cc_volume_name_;
        return named_items(value, path, out.mounts_present, [&out, &cc_name](std::string_view name) {
            if (name == kWebIdentityVolumeName) out.has_web_identity_mount = true;
            if (name == cc_name) out.has_container_credentials_mount = true;
        });
    }

    bool volumes(od::value value, const Path& path) {
        od::array array;
        bool present = false;
        if (!nullable_array(value, path, array, present)) return false;
        facts_.volumes_present = present;
        facts_.web_identity_volume = {};
        facts_.container_credentials_volume = {};
        if (!present) return true;
        std::size_t index = 0;
        for (auto element_result : array) {
            const Path element_path = path.at(index++);
            od::value element_value;
            if (!element(element_result, element_path, element_value)) return false;
            if (!volume(element_value, element_path)) return false;
        }
        return true;
    }

    bool volume(od::value value, const Path& path) {
        od::object object;
        if (!as_object(value, path, object)) return false;
        std::string name;
        bool projected_token = false;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            bool ok = true;
            if (key == "name") {
                ok = string_into(field.value(), path.child(key), name);
            } else if (key == "projected") {
                ok = projected_has_token(field.value(), path.child(key), projected_token);
            }
            if (!ok) return false;
        }
        // Upstream matches by name only; the first volume of that name is the one that counts.
        if (name == kWebIdentityVolumeName && !facts_.web_identity_volume.present) {
            facts_.web_identity_volume = {true, projected_token};
        }
        if (name == cc_volume_name_ && !facts_.container_credentials_volume.present) {
            facts_.container_credentials_volume = {true, projected_token};
        }
        return true;
    }

    bool projected_has_token(od::value value, const Path& path, bool& has_token) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        has_token = false;
        if (!present) return true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            if (key != "sources") continue;
            od::array sources;
            bool sources_present = false;
            od::value sources_value = field.value();
            if (!nullable_array(sources_value, path.child(key), sources, sources_present)) {
                return false;
            }
            if (!sources_present) continue;
            for (auto source_result : sources) {
                od::value source_value;
                if (!element(source_result, path.child(key), source_value)) return false;
                od::object source;
                bool source_present = false;
                if (!nullable_object(source_value, path.child(key), source, source_present)) {
                    return false;
                }
                if (!source_present) continue;
                for (auto source_field_result : source) {
                    od::field source_field;
                    std::string_view source_key;
                    if (!field_parts(source_field_result, path, source_field, source_key)) {
                        return false;
                    }
                    if (source_key != "serviceAccountToken") continue;
                    od::json_type type{};
                    od::value token_value = source_field.value();
                    if (!type_of(token_value, path.child(source_key), type)) return false;
                    if (type == od::json_type::object) has_token = true;
                }
            }
        }
        return true;
    }

    bool node_selector(od::value value, const Path& path) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        facts_.windows_node_selector = false;
        if (!present) return true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            std::string_view selector_value;
            if (!string_value(field.value(), path.child(key), selector_value)) return false;
            if ((key == kOsLabel || key == kBetaOsLabel) && selector_value == kWindows) {
                facts_.windows_node_selector = true;
            }
        }
        return true;
    }

    bool pod_os(od::value value, const Path& path) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        facts_.windows_os_name = false;
        if (!present) return true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            if (key != "name") continue;
            std::string_view name;
            if (!string_value(field.value(), path.child(key), name)) return false;
            facts_.windows_os_name = name == kWindows;
        }
        return true;
    }

    // Walks down a chain of nested objects by key, e.g. affinity → nodeAffinity → required...
    // `on_leaf` receives the value of the last key.
    template <class OnLeaf>
    bool descend(od::value value, const Path& path, std::span<const std::string_view> keys,
                 OnLeaf&& on_leaf) {
        if (keys.empty()) return on_leaf(value, path);
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        if (!present) return true;
        const std::string_view wanted = keys.front();
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            if (key != wanted) continue;
            if (!descend(field.value(), path.child(key), keys.subspan(1), on_leaf)) return false;
        }
        return true;
    }

    bool affinity(od::value value, const Path& path) {
        facts_.windows_node_affinity = false;
        static constexpr std::array<std::string_view, 3> kTermsPath = {
            "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"};
        return descend(value, path, kTermsPath,
                       [this](od::value terms, const Path& terms_path) {
                           return node_selector_terms(terms, terms_path);
                       });
    }

    // Decision M5: every required term has a kubernetes.io/os (or beta) In expression whose
    // values are all "windows".
    bool node_selector_terms(od::value value, const Path& path) {
        od::array terms;
        bool present = false;
        if (!nullable_array(value, path, terms, present)) return false;
        if (!present) return true;
        std::size_t count = 0;
        bool all_windows = true;
        for (auto term_result : terms) {
            const Path term_path = path.at(count++);
            od::value term;
            if (!element(term_result, term_path, term)) return false;
            bool term_windows = false;
            static constexpr std::array<std::string_view, 1> kExpressionsPath = {"matchExpressions"};
            if (!descend(term, term_path, kExpressionsPath,
                         [this, &term_windows](od::value expressions, const Path& expressions_path) {
                             return expressions_pin_windows(expressions, expressions_path,
                                                            term_windows);
                         })) {
                return false;
            }
            all_windows = all_windows && term_windows;
        }
        facts_.windows_node_affinity = count > 0 && all_windows;
        return true;
    }

    bool expressions_pin_windows(od::value value, const Path& path, bool& pins_windows) {
        od::array expressions;
        bool present = false;
        if (!nullable_array(value, path, expressions, present)) return false;
        if (!present) return true;
        std::size_t index = 0;
        for (auto expression_result : expressions) {
            const Path expression_path = path.at(index++);
            od::value expression;
            if (!element(expression_result, expression_path, expression)) return false;
            bool windows = false;
            if (!expression_pins_windows(expression, expression_path, windows)) return false;
            pins_windows = pins_windows || windows;
        }
        return true;
    }

    bool expression_pins_windows(od::value value, const Path& path, bool& windows) {
        od::object object;
        bool present = false;
        if (!nullable_object(value, path, object, present)) return false;
        if (!present) return true;
        std::string key_name;
        std::string operator_name;
        std::size_t value_count = 0;
        bool all_values_windows = true;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (!field_parts(field_result, path, field, key)) return false;
            bool ok = true;
            if (key == "key") {
                ok = string_into(field.value(), path.child(key), key_name);
            } else if (key == "operator") {
                ok = string_into(field.value(), path.child(key), operator_name);
            } else if (key == "values") {
                bool values_present = false;
                ok = named_strings(field.value(), path.child(key), values_present,
                                   [&value_count, &all_values_windows](std::string_view v) {
                                       ++value_count;
                                       all_values_windows = all_values_windows && v == kWindows;
                                   });
            }
            if (!ok) return false;
        }
        windows = (key_name == kOsLabel || key_name == kBetaOsLabel) && operator_name == "In" &&
                  value_count > 0 && all_values_windows;
        return true;
    }

    template <class OnString>
    bool named_strings(od::value value, const Path& path, bool& present, OnString&& on_string) {
        od::array array;
        if (!nullable_array(value, path, array, present)) return false;
        if (!present) return true;
        std::size_t index = 0;
        for (auto element_result : array) {
            const Path element_path = path.at(index++);
            od::value element_value;
            if (!element(element_result, element_path, element_value)) return false;
            std::string_view text;
            if (!string_value(element_value, element_path, text)) return false;
            on_string(text);
        }
        return true;
    }

    const std::string& token_expiration_key_;
    const std::string& skip_containers_key_;
    const std::string& prefix_;
    const std::string& cc_volume_name_;
    PodFacts& facts_;
};

}  // namespace

bool has_trailing_content(simdjson::ondemand::document& document) {
    // current_location() fails with OUT_OF_BOUNDS once the whole input has been consumed.
    const char* location = nullptr;
    return document.current_location().get(location) == simdjson::SUCCESS;
}

PodReader::PodReader(const MutationSettings& settings)
    : prefix_(settings.annotation_prefix),
      token_expiration_key_(annotations::key(settings.annotation_prefix, annotations::kTokenExpiration)),
      skip_containers_key_(annotations::key(settings.annotation_prefix, annotations::kSkipContainers)),
      container_credentials_volume_name_(settings.container_credentials_volume_name) {}

Result<PodFacts> PodReader::read(simdjson::ondemand::value pod) const {
    PodFacts facts;
    PodParser parser(token_expiration_key_, skip_containers_key_, prefix_,
                     container_credentials_volume_name_, facts);
    if (!parser.pod(pod, Path{nullptr, "pod", 0, false})) return Error{parser.error};
    return facts;
}

Result<PodFacts> PodReader::read_json(std::string_view json) const {
    simdjson::padded_string padded(json);
    od::parser parser;
    od::document document;
    if (auto code = parser.iterate(padded).get(document)) {
        return Error{std::string("invalid JSON: ") + simdjson::error_message(code)};
    }
    od::value root;
    if (auto code = document.get_value().get(root)) {
        return Error{std::string("invalid JSON: ") + simdjson::error_message(code)};
    }
    auto facts = read(root);
    if (facts.ok() && has_trailing_content(document)) {
        return Error{"invalid JSON: unexpected data after the pod"};
    }
    return facts;
}

}  // namespace piw::mutation
