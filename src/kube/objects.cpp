#include "pod_identity_webhook/kube/objects.hpp"

#include <simdjson.h>

#include <array>
#include <cstdint>

namespace piw::kube {
namespace {

namespace od = simdjson::ondemand;

constexpr std::size_t kErrorBodyExcerpt = 200;

// simdjson's is_null() changed between releases; the type is stable.
bool is_null(od::value& value) {
    od::json_type type{};
    return !value.type().get(type) && type == od::json_type::null;
}

std::string json_error_text(std::string_view what, simdjson::error_code code) {
    return "cannot decode " + std::string(what) +
           ": invalid JSON: " + simdjson::error_message(code);
}

// Reads the parts of one object the webhook needs. It also collects a Status object's fields,
// so a watch event decodes in one pass whatever the order of "type" and "object".
class ObjectReader {
  public:
    ObjectReader(const DecodeOptions& options, std::string_view what)
        : options_(options), what_(what) {}

    Status read(od::value value, KubeObject& object) {
        od::object fields;
        if (auto code = value.get_object().get(fields)) return error(code);
        for (auto field_result : fields) {
            od::field field;
            std::string_view key;
            if (auto code = std::move(field_result).get(field)) return error(code);
            if (auto code = field.unescaped_key().get(key)) return error(code);
            Status status = Status::success();
            if (key == "metadata") {
                status = metadata(field.value(), object);
            } else if (key == "data") {
                status = string_map(field.value(), options_.keep_data, object.data);
            } else if (key == "code") {
                status = integer(field.value(), status_code);
            } else if (key == "reason") {
                status = string(field.value(), status_reason);
            } else if (key == "message") {
                status = string(field.value(), status_message);
            }
            if (!status.ok()) return status;
        }
        return Status::success();
    }

    std::int64_t status_code = 0;
    std::string status_reason;
    std::string status_message;

  private:
    Status error(simdjson::error_code code) const { return Error{json_error_text(what_, code)}; }

    Status metadata(od::value value, KubeObject& object) {
        od::object fields;
        if (auto code = value.get_object().get(fields)) return error(code);
        for (auto field_result : fields) {
            od::field field;
            std::string_view key;
            if (auto code = std::move(field_result).get(field)) return error(code);
            if (auto code = field.unescaped_key().get(key)) return error(code);
            Status status = Status::success();
            if (key == "name") {
                status = string(field.value(), object.name);
            } else if (key == "namespace") {
                status = string(field.value(), object.namespace_);
            } else if (key == "resourceVersion") {
                status = string(field.value(), object.resource_version);
            } else if (key == "annotations") {
                status = string_map(field.value(), options_.keep_annotation, object.annotations);
            }
            if (!status.ok()) return status;
        }
        return Status::success();
    }

    // A JSON object of strings; null counts as empty (Go's omitempty maps may be null).
    Status string_map(od::value value, const std::function<bool(std::string_view)>& keep,
                      StringPairs& out) {
        if (is_null(value)) return Status::success();
        od::object fields;
        if (auto code = value.get_object().get(fields)) return error(code);
        for (auto field_result : fields) {
            od::field field;
            std::string_view key;
            if (auto code = std::move(field_result).get(field)) return error(code);
            if (auto code = field.unescaped_key().get(key)) return error(code);
            if (!keep || !keep(key)) continue;
            std::string text;
            if (auto status = string(field.value(), text); !status.ok()) return status;
            out.emplace_back(std::string(key), std::move(text));
        }
        return Status::success();
    }

    Status string(od::value value, std::string& out) {
        if (is_null(value)) return Status::success();
        std::string_view text;
        if (auto code = value.get_string().get(text)) return error(code);
        out.assign(text);
        return Status::success();
    }

    Status integer(od::value value, std::int64_t& out) {
        if (auto code = value.get_int64().get(out)) return error(code);
        return Status::success();
    }

    const DecodeOptions& options_;
    std::string_view what_;
};

// Parses `body` into a document, padding it as simdjson requires.
class Document {
  public:
    explicit Document(std::string_view body) : padded_(body) {}
    simdjson::error_code open(od::document& document) {
        return parser_.iterate(padded_).get(document);
    }

  private:
    simdjson::padded_string padded_;
    od::parser parser_;
};

Status read_list_metadata(od::value value, ListPage& page) {
    od::object fields;
    if (auto code = value.get_object().get(fields)) return Error{json_error_text("list", code)};
    for (auto field_result : fields) {
        od::field field;
        std::string_view key;
        if (auto code = std::move(field_result).get(field))
            return Error{json_error_text("list", code)};
        if (auto code = field.unescaped_key().get(key)) return Error{json_error_text("list", code)};
        std::string* target = key == "resourceVersion" ? &page.resource_version
                              : key == "continue"      ? &page.continue_token
                                                       : nullptr;
        if (target == nullptr) continue;
        std::string_view text;
        if (auto code = field.value().get_string().get(text))
            return Error{json_error_text("list", code)};
        target->assign(text);
    }
    return Status::success();
}

Status read_list_items(od::value value, const DecodeOptions& options, ListPage& page) {
    if (is_null(value)) return Status::success();
    od::array items;
    if (auto code = value.get_array().get(items)) return Error{json_error_text("list", code)};
    for (auto item_result : items) {
        od::value item;
        if (auto code = std::move(item_result).get(item))
            return Error{json_error_text("list", code)};
        ObjectReader reader(options, "list item");
        KubeObject object;
        if (auto status = reader.read(item, object); !status.ok()) return status;
        page.items.push_back(std::move(object));
    }
    return Status::success();
}

std::optional<WatchEventType> event_type(std::string_view text) {
    if (text == "ADDED") return WatchEventType::added;
    if (text == "MODIFIED") return WatchEventType::modified;
    if (text == "DELETED") return WatchEventType::deleted;
    if (text == "BOOKMARK") return WatchEventType::bookmark;
    if (text == "ERROR") return WatchEventType::error;
    return std::nullopt;
}

}  // namespace

Result<ListPage> decode_list(std::string_view body, const DecodeOptions& options) {
    Document parsed(body);
    od::document document;
    if (auto code = parsed.open(document)) return Error{json_error_text("list", code)};
    od::object root;
    if (auto code = document.get_object().get(root)) return Error{json_error_text("list", code)};
    ListPage page;
    bool has_items = false;
    for (auto field_result : root) {
        od::field field;
        std::string_view key;
        if (auto code = std::move(field_result).get(field))
            return Error{json_error_text("list", code)};
        if (auto code = field.unescaped_key().get(key)) return Error{json_error_text("list", code)};
        Status status = Status::success();
        if (key == "metadata") {
            status = read_list_metadata(field.value(), page);
        } else if (key == "items") {
            has_items = true;
            status = read_list_items(field.value(), options, page);
        }
        if (!status.ok()) return Error{status.error()};
    }
    if (!has_items) return Error{"cannot decode list: no \"items\""};
    return page;
}

Result<KubeObject> decode_object(std::string_view body, const DecodeOptions& options) {
    Document parsed(body);
    od::document document;
    if (auto code = parsed.open(document)) return Error{json_error_text("object", code)};
    od::value root;
    if (auto code = document.get_value().get(root)) return Error{json_error_text("object", code)};
    ObjectReader reader(options, "object");
    KubeObject object;
    if (auto status = reader.read(root, object); !status.ok()) return Error{status.error()};
    if (object.name.empty()) return Error{"cannot decode object: no metadata.name"};
    return object;
}

Result<WatchEvent> decode_watch_event(std::string_view line, const DecodeOptions& options) {
    Document parsed(line);
    od::document document;
    if (auto code = parsed.open(document)) return Error{json_error_text("watch event", code)};
    od::object root;
    if (auto code = document.get_object().get(root)) {
        return Error{json_error_text("watch event", code)};
    }
    WatchEvent event;
    std::optional<WatchEventType> type;
    bool has_object = false;
    ObjectReader reader(options, "watch event");
    for (auto field_result : root) {
        od::field field;
        std::string_view key;
        if (auto code = std::move(field_result).get(field))
            return Error{json_error_text("watch event", code)};
        if (auto code = field.unescaped_key().get(key))
            return Error{json_error_text("watch event", code)};
        if (key == "type") {
            std::string_view text;
            if (auto code = field.value().get_string().get(text))
                return Error{json_error_text("watch event", code)};
            type = event_type(text);
            if (!type) return Error{"unknown watch event type \"" + std::string(text) + "\""};
        } else if (key == "object") {
            has_object = true;
            if (auto status = reader.read(field.value(), event.object); !status.ok())
                return Error{status.error()};
        }
    }
    if (!type) return Error{"cannot decode watch event: no \"type\""};
    if (!has_object) return Error{"cannot decode watch event: no \"object\""};
    event.type = *type;
    event.status_code = static_cast<int>(reader.status_code);
    event.status_reason = std::move(reader.status_reason);
    event.status_message = std::move(reader.status_message);
    return event;
}

std::string describe_error_body(std::string_view body) {
    Document parsed(body);
    od::document document;
    od::value root;
    DecodeOptions options;
    ObjectReader reader(options, "status");
    KubeObject ignored;
    if (!parsed.open(document) && !document.get_value().get(root) &&
        reader.read(root, ignored).ok() && !reader.status_message.empty()) {
        std::string text = reader.status_message;
        if (!reader.status_reason.empty()) text += " (" + reader.status_reason + ")";
        return text;
    }
    std::string excerpt(body.substr(0, kErrorBodyExcerpt));
    for (char& c : excerpt) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return excerpt;
}

std::string query_escape(std::string_view value) {
    static constexpr std::array<char, 16> kHex{'0', '1', '2', '3', '4', '5', '6', '7',
                                               '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                                (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' ||
                                byte == '_' || byte == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4U]);
            out.push_back(kHex[byte & 0x0FU]);
        }
    }
    return out;
}

}  // namespace piw::kube
