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

}  // namespace

std::string_view json_type_name(od::json_type type) {
    switch (type) {
        case od::json_type::array:
            return "an array";
        case od::json_type::object:
            return "an object";
        case od::json_type::number:
            return "a number";
        case od::json_type::string:
            return "a string";
        case od::json_type::boolean:
            return "a boolean";
        case od::json_type::null:
            return "null";
    }
    return "a value";
}

namespace {

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
        bool present = false;
        if (!for_each_field(value, path, present,
                            [this, &path](std::string_view key, od::value field) {
                                if (key == "metadata") return metadata(field, path.child(key));
                                if (key == "spec") return spec(field, path.child(key));
                                return true;
                            })) {
            return false;
        }
        return present || fail(path, "is null, expected an object");
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
    bool fail_type(const Path& path, od::json_type type, std::string_view expected) {
        return fail(path, "is " + std::string(json_type_name(type)) + ", expected " +
                              std::string(expected));
    }

    // Type of the value; false on a JSON error.
    bool type_of(od::value& value, const Path& path, od::json_type& type) {
        if (auto code = value.type().get(type)) return fail_json(path, code);
        return true;
    }

    // Calls on_field(key, value) for each member of an object; `present` is false for null, any
    // other type is an error. Keys are compared unescaped.
    template <class OnField>
    bool for_each_field(od::value value, const Path& path, bool& present, OnField&& on_field) {
        od::json_type type{};
        if (!type_of(value, path, type)) return false;
        present = type == od::json_type::object;
        if (type == od::json_type::null) return true;
        if (!present) return fail_type(path, type, "an object");
        od::object object;
        if (auto code = value.get_object().get(object)) return fail_json(path, code);
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (auto code = std::move(field_result).get(field)) return fail_json(path, code);
            if (auto code = field.unescaped_key().get(key)) return fail_json(path, code);
            if (!on_field(key, field.value())) return false;
        }
        return true;
    }

    // Calls on_element(value, path) for each element of an array; `present` is false for null.
    template <class OnElement>
    bool for_each_element(od::value value, const Path& path, bool& present,
                          OnElement&& on_element) {
        od::json_type type{};
        if (!type_of(value, path, type)) return false;
        present = type == od::json_type::array;
        if (type == od::json_type::null) return true;
        if (!present) return fail_type(path, type, "an array");
        od::array array;
        if (auto code = value.get_array().get(array)) return fail_json(path, code);
        std::size_t index = 0;
        for (auto element_result : array) {
            const Path element_path = path.at(index++);
            od::value element;
            if (auto code = std::move(element_result).get(element)) {
                return fail_json(element_path, code);
            }
            if (!on_element(element, element_path)) return false;
        }
        return true;
    }

    // An object that must not be null (a container, a volume, a list element).
    template <class OnField>
    bool object_fields(od::value value, const Path& path, OnField&& on_field) {
        bool present = false;
        if (!for_each_field(value, path, present, std::forward<OnField>(on_field))) return false;
        return present || fail(path, "is null, expected an object");
    }

    // A string or null (→ empty).
    bool string_value(od::value value, const Path& path, std::string_view& out) {
        od::json_type type{};
        if (!type_of(value, path, type)) return false;
        out = {};
        if (type == od::json_type::null) return true;
        if (type != od::json_type::string) return fail_type(path, type, "a string");
        if (auto code = value.get_string().get(out)) return fail_json(path, code);
        return true;
    }

    bool string_into(od::value value, const Path& path, std::string& out) {
        std::string_view view;
        if (!string_value(value, path, view)) return false;
        out.assign(view);
        return true;
    }

    // Each element is a string: on_string(text).
    template <class OnString>
    bool strings(od::value value, const Path& path, OnString&& on_string) {
        bool present = false;
        return for_each_element(value, path, present,
                                [this, &on_string](od::value element, const Path& element_path) {
                                    std::string_view text;
                                    if (!string_value(element, element_path, text)) return false;
                                    on_string(text);
                                    return true;
                                });
    }

    bool metadata(od::value value, const Path& path) {
        return for_each_field(value, path, facts_.metadata_present,
                              [this, &path](std::string_view key, od::value field) {
                                  if (key == "name")
                                      return string_into(field, path.child(key), facts_.name);
                                  if (key == "generateName") {
                                      return string_into(field, path.child(key),
                                                         facts_.generate_name);
                                  }
                                  if (key == "namespace") {
                                      return string_into(field, path.child(key), facts_.namespace_);
                                  }
                                  if (key == "labels") return labels(field, path.child(key));
                                  if (key == "annotations")
                                      return annotations(field, path.child(key));
                                  return true;
                              });
    }

    bool labels(od::value value, const Path& path) {
        facts_.pod_identity_label.reset();
        return for_each_field(value, path, facts_.labels_present,
                              [this, &path](std::string_view key, od::value field) {
                                  std::string_view label;
                                  if (!string_value(field, path.child(key), label)) return false;
                                  if (key == kPodIdentityLabel)
                                      facts_.pod_identity_label = std::string(label);
                                  return true;
                              });
    }

    bool annotations(od::value value, const Path& path) {
        facts_.token_expiration_annotation.reset();
        facts_.skip_containers_annotation.reset();
        facts_.near_miss_annotation_keys.clear();
        bool present = false;
        return for_each_field(value, path, present,
                              [this, &path](std::string_view key, od::value field) {
                                  std::string_view text;
                                  if (!string_value(field, path.child(key), text)) return false;
                                  note_annotation(key, text);
                                  return true;
                              });
    }

    void note_annotation(std::string_view key, std::string_view value) {
        if (key == token_expiration_key_) {
            facts_.token_expiration_annotation = std::string(value);
        } else if (key == skip_containers_key_) {
            facts_.skip_containers_annotation = std::string(value);
        } else if (annotations::near_miss_of(key, prefix_)) {
            facts_.near_miss_annotation_keys.emplace_back(key);
        }
    }

    bool spec(od::value value, const Path& path) {
        return for_each_field(value, path, facts_.spec_present,
                              [this, &path](std::string_view key, od::value field) {
                                  return spec_field(key, field, path.child(key));
                              });
    }

    bool spec_field(std::string_view key, od::value field, const Path& path) {
        if (key == "serviceAccountName")
            return string_into(field, path, facts_.service_account_name);
        if (key == "containers") return containers(field, path, facts_.containers);
        if (key == "initContainers") return containers(field, path, facts_.init_containers);
        if (key == "volumes") return volumes(field, path);
        if (key == "nodeSelector") return node_selector(field, path);
        if (key == "os") return pod_os(field, path);
        if (key == "affinity") return affinity(field, path);
        return true;
    }

    bool containers(od::value value, const Path& path, std::vector<ContainerFacts>& out) {
        out.clear();
        bool present = false;
        return for_each_element(value, path, present,
                                [this, &out](od::value element, const Path& element_path) {
                                    return container(element, element_path, out.emplace_back());
                                });
    }

    bool container(od::value value, const Path& path, ContainerFacts& out) {
        return object_fields(value, path,
                             [this, &path, &out](std::string_view key, od::value field) {
                                 if (key == "name")
                                     return string_into(field, path.child(key), out.name);
                                 if (key == "env") return environment(field, path.child(key), out);
                                 if (key == "volumeMounts")
                                     return volume_mounts(field, path.child(key), out);
                                 return true;
                             });
    }

    // The "name" of each object in a list of named objects (env, volumeMounts).
    template <class OnName>
    bool item_names(od::value value, const Path& path, bool& present, OnName&& on_name) {
        return for_each_element(
            value, path, present, [this, &on_name](od::value element, const Path& element_path) {
                return object_fields(
                    element, element_path,
                    [this, &on_name, &element_path](std::string_view key, od::value field) {
                        if (key != "name") return true;
                        std::string_view name;
                        if (!string_value(field, element_path.child(key), name)) return false;
                        on_name(name);
                        return true;
                    });
            });
    }

    bool environment(od::value value, const Path& path, ContainerFacts& out) {
        out.env_flags = 0;
        return item_names(value, path, out.env_present,
                          [&out](std::string_view name) { out.env_flags |= env_flag_for(name); });
    }

    bool volume_mounts(od::value value, const Path& path, ContainerFacts& out) {
        out.has_web_identity_mount = false;
        out.has_container_credentials_mount = false;
        const std::string& cc_name = cc_volume_name_;
        return item_names(value, path, out.mounts_present, [&out, &cc_name](std::string_view name) {
            if (name == kWebIdentityVolumeName) out.has_web_identity_mount = true;
            if (name == cc_name) out.has_container_credentials_mount = true;
        });
    }

    bool volumes(od::value value, const Path& path) {
        facts_.web_identity_volume = {};
        facts_.container_credentials_volume = {};
        return for_each_element(value, path, facts_.volumes_present,
                                [this](od::value element, const Path& element_path) {
                                    return volume(element, element_path);
                                });
    }

    bool volume(od::value value, const Path& path) {
        std::string name;
        bool projected_token = false;
        if (!object_fields(
                value, path,
                [this, &path, &name, &projected_token](std::string_view key, od::value field) {
                    if (key == "name") return string_into(field, path.child(key), name);
                    if (key == "projected") {
                        return projected_has_token(field, path.child(key), projected_token);
                    }
                    return true;
                })) {
            return false;
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

    // projected.sources[] has a serviceAccountToken object.
    bool projected_has_token(od::value value, const Path& path, bool& has_token) {
        has_token = false;
        bool present = false;
        return for_each_field(value, path, present,
                              [this, &path, &has_token](std::string_view key, od::value field) {
                                  if (key != "sources") return true;
                                  return sources_have_token(field, path.child(key), has_token);
                              });
    }

    bool sources_have_token(od::value value, const Path& path, bool& has_token) {
        bool present = false;
        return for_each_element(
            value, path, present, [this, &has_token](od::value source, const Path& source_path) {
                bool source_present = false;
                return for_each_field(
                    source, source_path, source_present,
                    [this, &has_token, &source_path](std::string_view key, od::value field) {
                        if (key != "serviceAccountToken") return true;
                        od::json_type type{};
                        if (!type_of(field, source_path.child(key), type)) return false;
                        has_token = has_token || type == od::json_type::object;
                        return true;
                    });
            });
    }

    bool node_selector(od::value value, const Path& path) {
        facts_.windows_node_selector = false;
        bool present = false;
        return for_each_field(
            value, path, present, [this, &path](std::string_view key, od::value field) {
                std::string_view selector;
                if (!string_value(field, path.child(key), selector)) return false;
                if ((key == kOsLabel || key == kBetaOsLabel) && selector == kWindows) {
                    facts_.windows_node_selector = true;
                }
                return true;
            });
    }

    bool pod_os(od::value value, const Path& path) {
        facts_.windows_os_name = false;
        bool present = false;
        return for_each_field(value, path, present,
                              [this, &path](std::string_view key, od::value field) {
                                  if (key != "name") return true;
                                  std::string_view name;
                                  if (!string_value(field, path.child(key), name)) return false;
                                  facts_.windows_os_name = name == kWindows;
                                  return true;
                              });
    }

    // Walks down a chain of nested objects by key, e.g. affinity → nodeAffinity → required...
    // `on_leaf` receives the value of the last key.
    template <class OnLeaf>
    bool descend(od::value value, const Path& path, std::span<const std::string_view> keys,
                 OnLeaf&& on_leaf) {
        if (keys.empty()) return on_leaf(value, path);
        bool present = false;
        return for_each_field(value, path, present,
                              [this, &path, keys, &on_leaf](std::string_view key, od::value field) {
                                  if (key != keys.front()) return true;
                                  return descend(field, path.child(key), keys.subspan(1), on_leaf);
                              });
    }

    bool affinity(od::value value, const Path& path) {
        facts_.windows_node_affinity = false;
        static constexpr std::array<std::string_view, 3> kTermsPath = {
            "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"};
        return descend(value, path, kTermsPath, [this](od::value terms, const Path& terms_path) {
            return node_selector_terms(terms, terms_path);
        });
    }

    // Decision M5: every required term has a kubernetes.io/os (or beta) In expression whose
    // values are all "windows".
    bool node_selector_terms(od::value value, const Path& path) {
        std::size_t count = 0;
        bool all_windows = true;
        bool present = false;
        if (!for_each_element(value, path, present,
                              [this, &count, &all_windows](od::value term, const Path& term_path) {
                                  ++count;
                                  bool term_windows = false;
                                  if (!term_pins_windows(term, term_path, term_windows))
                                      return false;
                                  all_windows = all_windows && term_windows;
                                  return true;
                              })) {
            return false;
        }
        facts_.windows_node_affinity = count > 0 && all_windows;
        return true;
    }

    bool term_pins_windows(od::value term, const Path& path, bool& windows) {
        static constexpr std::array<std::string_view, 1> kExpressionsPath = {"matchExpressions"};
        return descend(
            term, path, kExpressionsPath,
            [this, &windows](od::value expressions, const Path& expressions_path) {
                bool present = false;
                return for_each_element(
                    expressions, expressions_path, present,
                    [this, &windows](od::value expression, const Path& expression_path) {
                        bool pins = false;
                        if (!expression_pins_windows(expression, expression_path, pins)) {
                            return false;
                        }
                        windows = windows || pins;
                        return true;
                    });
            });
    }

    bool expression_pins_windows(od::value value, const Path& path, bool& windows) {
        std::string key_name;
        std::string operator_name;
        std::size_t value_count = 0;
        bool all_values_windows = true;
        bool present = false;
        const auto on_field = [this, &path, &key_name, &operator_name, &value_count,
                               &all_values_windows](std::string_view key, od::value field) {
            if (key == "key") return string_into(field, path.child(key), key_name);
            if (key == "operator") return string_into(field, path.child(key), operator_name);
            if (key != "values") return true;
            return strings(field, path.child(key),
                           [&value_count, &all_values_windows](std::string_view text) {
                               ++value_count;
                               all_values_windows = all_values_windows && text == kWindows;
                           });
        };
        if (!for_each_field(value, path, present, on_field)) return false;
        windows = (key_name == kOsLabel || key_name == kBetaOsLabel) && operator_name == "In" &&
                  value_count > 0 && all_values_windows;
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
      token_expiration_key_(
          annotations::key(settings.annotation_prefix, annotations::kTokenExpiration)),
      skip_containers_key_(
          annotations::key(settings.annotation_prefix, annotations::kSkipContainers)),
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
