#include "pod_identity_webhook/identity/role_arn_composition.hpp"

#include <httplib.h>

#include <array>
#include <cstdlib>
#include <utility>

#include "pod_identity_webhook/common/manifests.hpp"

namespace piw::identity {
namespace {

constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kDocumentPath = "/latest/dynamic/instance-identity/document";
constexpr std::string_view kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr std::string_view kTokenHeader = "X-aws-ec2-metadata-token";
constexpr std::string_view kTokenTtlSeconds = "21600";
constexpr std::string_view kErrorPrefix = "Error getting instance identity document: ";
// The identity document is ~500 bytes and a token ~60; anything far larger is not IMDS.
constexpr std::size_t kMaxResponseBytes = 64U * 1024U;

struct Partition {
    std::string_view region_prefix;
    std::string_view partition;
};

constexpr std::array<Partition, 5> kPartitions = {{
    {"cn-", "aws-cn"},
    {"us-gov-", "aws-us-gov"},
    {"us-iso-", "aws-iso"},
    {"us-isob-", "aws-iso-b"},
    {"eusc-", "aws-eusc"},
}};

Error imds_error(const std::string& detail) {
    return Error{std::string(kErrorPrefix) + detail};
}

void set_timeouts(httplib::Client& client, std::chrono::milliseconds timeout) {
    const auto seconds = static_cast<time_t>(timeout.count() / 1000);
    const auto microseconds = static_cast<time_t>((timeout.count() % 1000) * 1000);
    client.set_connection_timeout(seconds, microseconds);
    client.set_read_timeout(seconds, microseconds);
    client.set_write_timeout(seconds, microseconds);
}

// Describes a failed exchange: the transport error, or the HTTP status.
std::string failure(std::string_view what, const httplib::Result& result) {
    if (!result) {
        return std::string(what) + ": " + httplib::to_string(result.error());
    }
    return std::string(what) + ": HTTP " + std::to_string(result->status);
}

Result<std::string> fetch_token(httplib::Client& client) {
    const httplib::Headers headers = {
        {std::string(kTokenTtlHeader), std::string(kTokenTtlSeconds)}};
    httplib::Result result = client.Put(std::string(kTokenPath), headers, "", "text/plain");
    if (!result || result->status != 200) {
        return imds_error(failure("fetching an IMDSv2 token", result));
    }
    if (result->body.empty() || result->body.size() > kMaxResponseBytes) {
        return imds_error("fetching an IMDSv2 token: unexpected response size");
    }
    return result->body;
}

Result<std::string> fetch_document(httplib::Client& client, const std::string& token) {
    const httplib::Headers headers = {{std::string(kTokenHeader), token}};
    std::string body;
    httplib::Result result = client.Get(std::string(kDocumentPath), headers,
                                        [&body](const char* data, std::size_t length) {
                                            if (body.size() + length > kMaxResponseBytes) {
                                                return false;
                                            }
                                            body.append(data, length);
                                            return true;
                                        });
    if (!result || result->status != 200) {
        return imds_error(failure("fetching the instance identity document", result));
    }
    return body;
}

Result<RoleArnComposition> parse_document(const std::string& body) {
    Result<manifests::Json> document = manifests::parse_json(body);
    if (!document.ok()) {
        return imds_error("invalid JSON: " + document.error());
    }
    if (!document->is_object()) {
        return imds_error("the document is not a JSON object");
    }
    const auto account = document->find("accountId");
    const auto region = document->find("region");
    if (account == document->end() || !account->is_string() ||
        account->get_ref<const std::string&>().empty()) {
        return imds_error("the document has no accountId");
    }
    if (region == document->end() || !region->is_string() ||
        region->get_ref<const std::string&>().empty()) {
        return imds_error("the document has no region");
    }
    RoleArnComposition composition;
    composition.account_id = account->get<std::string>();
    composition.partition = partition_for_region(region->get_ref<const std::string&>());
    return composition;
}

}  // namespace

std::string partition_for_region(std::string_view region) {
    for (const Partition& entry : kPartitions) {
        if (region.starts_with(entry.region_prefix)) {
            return std::string(entry.partition);
        }
    }
    return "aws";
}

Result<RoleArnComposition> composition_from_instance_metadata(std::string endpoint,
                                                              std::chrono::milliseconds timeout) {
    // Like the AWS SDKs, the environment wins over the configured endpoint.
    if (const char* from_environment = std::getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        from_environment != nullptr && *from_environment != '\0') {
        endpoint = from_environment;
    }
    while (endpoint.ends_with('/')) {
        endpoint.pop_back();
    }
    httplib::Client client(endpoint);
    if (!client.is_valid()) {
        return imds_error("invalid metadata endpoint \"" + endpoint + "\"");
    }
    set_timeouts(client, timeout);
    Result<std::string> token = fetch_token(client);
    if (!token.ok()) {
        return Error{token.error()};
    }
    Result<std::string> body = fetch_document(client, *token);
    if (!body.ok()) {
        return Error{body.error()};
    }
    return parse_document(*body);
}

}  // namespace piw::identity
