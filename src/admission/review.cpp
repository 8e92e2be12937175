#include "pod_identity_webhook/admission/review.hpp"

#include <memory>

#include "pod_identity_webhook/common/json_text.hpp"

namespace piw::admission {
namespace {

namespace od = simdjson::ondemand;

// Bodies above this size get a parser of their own, so that one huge review does not leave
// tens of megabytes of parser buffers behind on a server thread.
constexpr std::size_t kLargeBody = 1U << 20U;
constexpr std::string_view kBadContent =
    "bad content: the body is not an AdmissionReview with a request";

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

std::string describe_type(od::json_type type) {
    return std::string(mutation::json_type_name(type));
}

// Reads the AdmissionReview envelope; the pod itself goes to the PodReader.
class ReviewParser {
  public:
    ReviewParser(const mutation::PodReader& pod_reader, DecodedReview& out)
        : pod_reader_(pod_reader), out_(out) {}

    void document(od::document& document) {
        od::json_type type{};
        if (auto code = document.type().get(type)) return json_error(code);
        if (type == od::json_type::null) return set_error(std::string(kBadContent));
        if (type != od::json_type::object) {
            return set_error("cannot decode the AdmissionReview: the body is " +
                             describe_type(type) + ", expected a JSON object");
        }
        od::object root;
        if (auto code = document.get_object().get(root)) return json_error(code);
        for (auto field_result : root) {
            od::field field;
            std::string_view key;
            if (auto code = std::move(field_result).get(field)) return json_error(code);
            if (auto code = field.unescaped_key().get(key)) return json_error(code);
            if (key == "kind") {
                if (!string_field(field.value(), "kind", out_.type_meta.kind)) return;
            } else if (key == "apiVersion") {
                if (!string_field(field.value(), "apiVersion", out_.type_meta.api_version)) return;
            } else if (key == "request") {
                if (!request(field.value())) return;
            }
        }
        if (!out_.has_request && out_.error.empty()) set_error(std::string(kBadContent));
        if (out_.error.empty() && mutation::has_trailing_content(document)) {
            set_error("cannot decode the AdmissionReview: unexpected data after the JSON object");
        }
    }

  private:
    void set_error(std::string message) {
        if (out_.error.empty()) out_.error = std::move(message);
    }
    // Broken JSON is the root cause of anything else found so far: it replaces earlier errors.
    void json_error(simdjson::error_code code) {
        out_.error = std::string("cannot decode the AdmissionReview: invalid JSON: ") +
                     simdjson::error_message(code);
    }

    bool string_field(od::value value, std::string_view name, std::string& out) {
        od::json_type type{};
        if (auto code = value.type().get(type)) return json_error(code), false;
        if (type == od::json_type::null) return true;
        if (type != od::json_type::string) {
            set_error("cannot decode the AdmissionReview: " + std::string(name) + " is " +
                      describe_type(type) + ", expected a string");
            return false;
        }
        std::string_view text;
        if (auto code = value.get_string().get(text)) return json_error(code), false;
        out.assign(text);
        return true;
    }

    bool request(od::value value) {
        od::json_type type{};
        if (auto code = value.type().get(type)) return json_error(code), false;
        if (type == od::json_type::null) return true;
        if (type != od::json_type::object) {
            set_error("cannot decode the AdmissionReview: request is " + describe_type(type) +
                      ", expected an object");
            return false;
        }
        od::object object;
        if (auto code = value.get_object().get(object)) return json_error(code), false;
        out_.has_request = true;
        bool saw_object = false;
        for (auto field_result : object) {
            od::field field;
            std::string_view key;
            if (auto code = std::move(field_result).get(field)) return json_error(code), false;
            if (auto code = field.unescaped_key().get(key)) return json_error(code), false;
            bool ok = true;
            if (key == "uid") {
                ok = string_field(field.value(), "request.uid", out_.uid);
            } else if (key == "namespace") {
                ok = string_field(field.value(), "request.namespace", out_.namespace_);
            } else if (key == "operation") {
                ok = string_field(field.value(), "request.operation", out_.operation);
            } else if (key == "dryRun") {
                ok = dry_run(field.value());
            } else if (key == "object") {
                saw_object = true;
                pod(field.value());  // a bad pod still lets us read the uid that may follow
            }
            if (!ok) return false;
        }
        if (!saw_object) set_error("cannot decode the pod: request.object is missing");
        return true;
    }

    bool dry_run(od::value value) {
        od::json_type type{};
        if (auto code = value.type().get(type)) return json_error(code), false;
        if (type != od::json_type::boolean) return true;
        bool flag = false;
        if (auto code = value.get_bool().get(flag)) return json_error(code), false;
        out_.dry_run = flag;
        return true;
    }

    void pod(od::value value) {
        od::json_type type{};
        if (auto code = value.type().get(type)) return json_error(code);
        if (type == od::json_type::null)
            return set_error("cannot decode the pod: request.object is null");
        if (type != od::json_type::object) {
            return set_error("cannot decode the pod: request.object is " + describe_type(type) +
                             ", expected a Pod object");
        }
        auto facts = pod_reader_.read(value);
        if (!facts.ok()) return set_error("cannot decode the pod: " + facts.error());
        out_.pod = std::move(facts).value();
    }

    const mutation::PodReader& pod_reader_;
    DecodedReview& out_;
};

void decode_with(od::parser& parser, const mutation::PodReader& pod_reader, std::string_view body,
                 std::size_t capacity, DecodedReview& out) {
    od::document document;
    if (auto code = parser.iterate(body.data(), body.size(), capacity).get(document)) {
        out.error = std::string("cannot decode the AdmissionReview: invalid JSON: ") +
                    simdjson::error_message(code);
        return;
    }
    ReviewParser(pod_reader, out).document(document);
}

}  // namespace

ReviewDecoder::ReviewDecoder(const mutation::MutationSettings& settings) : pod_reader_(settings) {}

DecodedReview ReviewDecoder::decode(std::string_view body, std::size_t capacity) const {
    DecodedReview out;
    if (is_blank(body)) {
        out.error = std::string(kBadContent);
        return out;
    }
    if (body.size() > kLargeBody) {
        od::parser parser;
        decode_with(parser, pod_reader_, body, capacity, out);
    } else {
        // One parser per thread: its buffers are reused across requests (no allocation per
        // request once warm).
        thread_local od::parser parser;
        decode_with(parser, pod_reader_, body, capacity, out);
    }
    if (!out.has_request) {
        out.uid.clear();
    } else if (out.ok()) {
        // The request's namespace always wins over the object's (upstream MutatePod).
        out.pod.namespace_ = out.namespace_;
    }
    return out;
}

DecodedReview ReviewDecoder::decode_copy(std::string_view body) const {
    simdjson::padded_string padded(body);
    return decode(std::string_view(padded.data(), padded.size()),
                  padded.size() + simdjson::SIMDJSON_PADDING);
}

std::string encode_response(const TypeMeta& type_meta, std::string_view uid,
                            const AdmissionResponse& response) {
    std::string out;
    out.reserve(160 + response.patch.size() * 4 / 3 + response.message.size());
    out.push_back('{');
    if (!type_meta.kind.empty()) {
        out.append(R"("kind":)");
        json::append_string(out, type_meta.kind);
        out.push_back(',');
    }
    if (!type_meta.api_version.empty()) {
        out.append(R"("apiVersion":)");
        json::append_string(out, type_meta.api_version);
        out.push_back(',');
    }
    out.append(R"("response":{"uid":)");
    json::append_string(out, uid);
    out.append(response.allowed ? R"(,"allowed":true)" : R"(,"allowed":false)");
    if (!response.message.empty()) {
        out.append(R"(,"status":{"metadata":{},"message":)");
        json::append_string(out, response.message);
        out.push_back('}');
    }
    if (!response.patch.empty()) {
        out.append(R"(,"patch":")");
        json::append_base64(out, response.patch);
        out.append(R"(","patchType":"JSONPatch")");
    }
    if (!response.warnings.empty()) {
        out.append(R"(,"warnings":[)");
        for (std::size_t i = 0; i < response.warnings.size(); ++i) {
            if (i > 0) out.push_back(',');
            json::append_string(out, response.warnings[i]);
        }
        out.push_back(']');
    }
    out.append("}}");
    return out;
}

}  // namespace piw::admission
