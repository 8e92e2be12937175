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

// Calls `visit(key, value)` for every field of the JSON object `value`, in document order; stops
// at the first error. Fields the visitor does not consume are skipped by simdjson unparsed.
template <class Visit>
Status for_each_field(od::value value, std::string_view what, Visit&& visit) {
    od::object fields;
    if (auto code = value.get_object().get(fields)) return Error{json_error_text(what, code)};
    for (auto field_result : fields) {
        od::field field;
        std::string_view key;
        if (auto code = std::move(field_result).get(field)) {
            return Error{json_error_text(what, code)};
        }
        if (auto code = field.unescaped_key().get(key)) return Error{json_error_text(what, code)};
        if (auto status = visit(key, field.value()); !status.ok()) return status;
    }
    return Status::success();
}

// A string, or null (left as is).
Status read_string(od::value value, std::string_view what, std::string& out) {
    if (is_null(value)) return Status::success();
    std::string_view text;
    if (auto code = value.get_string().get(text)) return Error{json_error_text(what, code)};
    out.assign(text);
    return Status::success();
}

// Reads the parts of one object the webhook needs. It also collects a Status object's fields,
// so a watch event decodes in one pass whatever the order of "type" and "object".
class ObjectReader {
  public:
    ObjectReader(const DecodeOptions& options, std::string_view what)
        : options_(options), what_(what) {}

    Status read(od::value value, KubeObject& object) {
        return for_each_field(value, what_, [this, &object](std::string_view key, od::value item) {
            if (key == "metadata") return metadata(item, object);
            if (key == "data") return string_map(item, options_.keep_data, object.data);
            if (key == "code") return integer(item, status_code);
            if (key == "reason") return read_string(item, what_, status_reason);
            if (key == "message") return read_string(item, what_, status_message);
            return Status::success();
        });
    }

    std::int64_t status_code = 0;
    std::string status_reason;
    std::string status_message;

  private:
    Status metadata(od::value value, KubeObject& object) {
        return for_each_field(value, what_, [this, &object](std::string_view key, od::value item) {
            if (key == "name") return read_string(item, what_, object.name);
            if (key == "namespace") return read_string(item, what_, object.namespace_);
            if (key == "resourceVersion") return read_string(item, what_, object.resource_version);
            if (key == "annotations") {
                return string_map(item, options_.keep_annotation, object.annotations);
            }
            return Status::success();
        });
    }

    // A JSON object of strings; null counts as empty (Go's omitempty maps may be null).
    Status string_map(od::value value, const std::function<bool(std::string_view)>& keep,
                      StringPairs& out) {
        if (is_null(value)) return Status::success();
        return for_each_field(value, what_,
                              [this, &keep, &out](std::string_view key, od::value item) {
                                  if (!keep || !keep(key)) return Status::success();
                                  std::string text;
                                  if (auto status = read_string(item, what_, text); !status.ok())
                                      return status;
                                  out.emplace_back(std::string(key), std::move(text));
                                  return Status::success();
                              });
    }

    Status integer(od::value value, std::int64_t& out) const {
        if (auto code = value.get_int64().get(out)) return Error{json_error_text(what_, code)};
        return Status::success();
    }

    const DecodeOptions& options_;
    std::string_view what_;
};

// Parses `body` into a document, padding it as simdjson requires.
class Document {
  public:
    explicit Document(std::string_view body) : padded_(body) {}
    // The root value (objects and arrays only: simdjson cannot take a scalar document as a value).
    simdjson::error_code open(od::value& root) {
        if (auto code = parser_.iterate(padded_).get(document_)) return code;
        return document_.get_value().get(root);
    }

  private:
    simdjson::padded_string padded_;
    od::parser parser_;
    od::document document_;
};

Status read_list_metadata(od::value value, ListPage& page) {
    return for_each_field(value, "list", [&page](std::string_view key, od::value item) {
        if (key == "resourceVersion") return read_string(item, "list", page.resource_version);
        if (key == "continue") return read_string(item, "list", page.continue_token);
        return Status::success();
    });
}

Status read_list_items(od::value value, const DecodeOptions& options, ListPage& page) {
    if (is_null(value)) return Status::success();
    od::array items;
    if (auto code = value.get_array().get(items)) return Error{json_error_text("list", code)};
    for (auto item_result : items) {
        od::value item;
        if (auto code = std::move(item_result).get(item)) {
            return Error{json_error_text("list", code)};
        }
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
    od::value root;
    if (auto code = parsed.open(root)) return Error{json_error_text("list", code)};
    ListPage page;
    bool has_items = false;
    auto status = for_each_field(
        root, "list", [&page, &has_items, &options](std::string_view key, od::value item) {
            if (key == "metadata") return read_list_metadata(item, page);
            if (key != "items") return Status::success();
            has_items = true;
            return read_list_items(item, options, page);
        });
    if (!status.ok()) return Error{status.error()};
    if (!has_items) return Error{"cannot decode list: no \"items\""};
    return page;
}

Result<KubeObject> decode_object(std::string_view body, const DecodeOptions& options) {
    Document parsed(body);
    od::value root;
    if (auto code = parsed.open(root)) return Error{json_error_text("object", code)};
    ObjectReader reader(options, "object");
    KubeObject object;
    if (auto status = reader.read(root, object); !status.ok()) return Error{status.error()};
    if (object.name.empty()) return Error{"cannot decode object: no metadata.name"};
    return object;
}

Result<WatchEvent> decode_watch_event(std::string_view line, const DecodeOptions& options) {
    Document parsed(line);
    od::value root;
    if (auto code = parsed.open(root)) return Error{json_error_text("watch event", code)};
    WatchEvent event;
    std::optional<WatchEventType> type;
    std::string type_text;
    bool has_object = false;
    ObjectReader reader(options, "watch event");
    auto status = for_each_field(root, "watch event", [&](std::string_view key, od::value item) {
        if (key == "type") {
            if (auto read = read_string(item, "watch event", type_text); !read.ok()) return read;
            type = event_type(type_text);
            if (!type) return Status{Error{"unknown watch event type \"" + type_text + "\""}};
            return Status::success();
        }
        if (key != "object") return Status::success();
        has_object = true;
        return reader.read(item, event.object);
    });
    if (!status.ok()) return Error{status.error()};
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
    od::value root;
    DecodeOptions options;
    ObjectReader reader(options, "status");
    KubeObject ignored;
    if (!parsed.open(root) && reader.read(root, ignored).ok() && !reader.status_message.empty()) {
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
