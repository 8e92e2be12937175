#include "fake_aws.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <ctime>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace piw::e2e {

namespace {

using Clock = std::chrono::system_clock;
using Form = std::map<std::string, std::string>;

constexpr std::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// ---- encoding helpers -------------------------------------------------------------------------

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Percent-decoding; `plus_is_space` for application/x-www-form-urlencoded bodies.
std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
            hex_value(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
        } else if (plus_is_space && text[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

// SigV4's UriEncode: everything but A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex).
std::string sigv4_uri_encode(std::string_view text) {
    static constexpr std::string_view kDigits = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kDigits[byte >> 4U]);
            out.push_back(kDigits[byte & 0x0FU]);
        }
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> split_query(std::string_view query,
                                                             bool plus_is_space) {
    std::vector<std::pair<std::string, std::string>> pairs;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view item = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (item.empty()) continue;
        const auto equals = item.find('=');
        pairs.emplace_back(percent_decode(item.substr(0, equals), plus_is_space),
                           equals == std::string_view::npos
                               ? std::string()
                               : percent_decode(item.substr(equals + 1), plus_is_space));
    }
    return pairs;
}

Form parse_form(std::string_view body) {
    Form form;
    for (auto& [name, value] : split_query(body, true)) form[name] = value;
    return form;
}

std::string xml_escape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

std::string iso8601(Clock::time_point when) {
    const std::time_t seconds = Clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string request_id() {
    return random_string(8, "0123456789abcdef") + "-" + random_string(4, "0123456789abcdef") + "-" +
           random_string(4, "0123456789abcdef") + "-" + random_string(4, "0123456789abcdef") + "-" +
           random_string(12, "0123456789abcdef");
}

std::string trim_and_collapse(std::string_view value) {
    std::string out;
    bool space = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t') {
            space = !out.empty();
            continue;
        }
        if (space) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
    return out;
}

// ---- the fake's records -----------------------------------------------------------------------

struct IssuedCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;
    Clock::time_point expiration;
};

IssuedCredentials new_credentials() {
    return {"ASIA" + random_string(16, kUpper), random_string(40, kSecretAlphabet),
            "IQoJb3JpZ2luX2VjE" + random_string(180, kSecretAlphabet),
            Clock::now() + std::chrono::hours(1)};
}

// A refusal: the AWS error code, its HTTP status and message.
struct Refusal {
    int status;
    std::string code;
    std::string message;
};

void send_query_error(httplib::Response& res, const Refusal& refusal) {
    // awsQuery errors, as STS sends them.
    res.status = refusal.status;
    res.set_content(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>" +
            refusal.code + "</Code>\n    <Message>" + xml_escape(refusal.message) +
            "</Message>\n  </Error>\n  <RequestId>" + request_id() +
            "</RequestId>\n</ErrorResponse>\n",
        "text/xml");
}

void send_s3_error(httplib::Response& res, const Refusal& refusal) {
    res.status = refusal.status;
    res.set_content("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + refusal.code +
                        "</Code><Message>" + xml_escape(refusal.message) + "</Message><RequestId>" +
                        random_string(16, "0123456789ABCDEF") + "</RequestId></Error>",
                    "application/xml");
}

// A claim as the fake records it: a string as is, anything else as compact JSON, absent as "".
std::string claim_text(const Json& claim) {
    if (claim.is_null()) return {};
    return claim.is_string() ? claim.get<std::string>() : claim.dump();
}

// What the fake records of a token it checked.
struct TokenFacts {
    std::string subject;   // `sub`, "" if it could not be read
    std::string audience;  // `aud` (a JSON array as its compact text)
    std::string failed_check;
};

long long unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
        .count();
}

// AWS's answer to a refused token: its code and message where we know them, the verifier's
// reason otherwise. A verifier that gave no verdict is our failure, not the token's.
Refusal token_refusal(const TokenVerdict& verdict) {
    if (verdict.failed == "verifier") return Refusal{500, "InternalFailure", verdict.reason};
    if (verdict.failed == "issuer") {
        return Refusal{
            400, "InvalidIdentityToken",
            "No OpenIDConnect provider found in your account for " + claim_text(verdict.iss)};
    }
    if (verdict.failed == "audience") {
        return Refusal{400, "InvalidIdentityToken", "Incorrect token audience"};
    }
    if (verdict.failed == "expired") {
        return Refusal{400, "ExpiredTokenException",
                       "Token expired: current date/time " + iso8601(Clock::now()) +
                           " must be before the expiration date/time"};
    }
    return Refusal{400, "InvalidIdentityToken", verdict.reason};
}

// Parsed `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request,
// SignedHeaders=a;b;c, Signature=hex`.
struct SigV4Authorization {
    std::string access_key_id, date, region, service, signed_headers, signature;
};

std::optional<SigV4Authorization> parse_sigv4_authorization(std::string_view header) {
    constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
    if (!header.starts_with(kAlgorithm)) return std::nullopt;
    header.remove_prefix(kAlgorithm.size());
    std::map<std::string, std::string> fields;
    while (!header.empty()) {
        while (!header.empty() && (header.front() == ' ' || header.front() == ',')) {
            header.remove_prefix(1);
        }
        const auto comma = header.find(',');
        const std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        const auto equals = item.find('=');
        if (equals == std::string_view::npos) continue;
        fields[std::string(item.substr(0, equals))] = std::string(item.substr(equals + 1));
    }
    SigV4Authorization out;
    std::vector<std::string> scope;
    std::stringstream credential(fields["Credential"]);
    for (std::string part; std::getline(credential, part, '/');) scope.push_back(part);
    if (scope.size() != 5 || scope[4] != "aws4_request") return std::nullopt;
    out.access_key_id = scope[0];
    out.date = scope[1];
    out.region = scope[2];
    out.service = scope[3];
    out.signed_headers = fields["SignedHeaders"];
    out.signature = fields["Signature"];
    if (out.signed_headers.empty() || out.signature.empty()) return std::nullopt;
    return out;
}

// The canonical query string: every name and value URI-encoded, sorted by name then value.
std::string canonical_query(std::string_view raw_query) {
    auto pairs = split_query(raw_query, false);
    std::vector<std::pair<std::string, std::string>> encoded;
    for (auto& [name, value] : pairs) {
        encoded.emplace_back(sigv4_uri_encode(name), sigv4_uri_encode(value));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out.push_back('&');
        out += name + "=" + value;
    }
    return out;
}

}  // namespace

// ---- the server -------------------------------------------------------------------------------

struct FakeAws::State {
    FakeAwsOptions options;
    httplib::Server server;
    std::thread listener;
    unsigned short port = 0;

    mutable std::mutex mutex;
    std::map<std::string, IssuedCredentials> issued;  // by access key ID
    std::vector<StsCall> sts_calls;
    std::vector<S3Call> s3_calls;
    std::vector<ContainerCredentialsCall> container_calls;
    std::vector<std::string> unexpected;

    explicit State(FakeAwsOptions fake_options) : options(std::move(fake_options)) {}

    void route(const httplib::Request& req, httplib::Response& res) {
        const std::string path = req.target.substr(0, req.target.find('?'));
        if (req.method == "POST" && path == "/") {
            const Form form = parse_form(req.body);
            const auto action = form.find("Action");
            if (action != form.end() && action->second == "AssumeRoleWithWebIdentity") {
                assume_role_with_web_identity(form, res);
                return;
            }
        } else if (req.method == "GET" && path == "/v1/credentials") {
            container_credentials(req, res);
            return;
        } else if (req.method == "GET" && path == "/" && req.has_header("Authorization")) {
            list_buckets(req, res);
            return;
        }
        {
            const std::lock_guard lock(mutex);
            unexpected.push_back(req.method + " " + req.target);
        }
        res.status = 404;
        res.set_content("fake AWS: no such endpoint", "text/plain");
    }

    // Checks a projected ServiceAccount token the way the receiving service would — kid,
    // signature, issuer, audience, time window — with Node against the published documents, for
    // STS and the container-credentials endpoint alike: one trust anchor, as in AWS, and none of
    // our C++ in the check.
    std::optional<Refusal> check_token(std::string_view token, std::string_view audience,
                                       TokenFacts& facts) const {
        const TokenVerdict verdict = verify_token_with_node(options.issuer_documents, token,
                                                            options.issuer, audience, unix_now());
        facts.subject = verdict.sub.is_string() ? verdict.sub.get<std::string>() : "";
        facts.audience = claim_text(verdict.aud);
        facts.failed_check = verdict.failed;
        if (verdict.ok) return std::nullopt;
        return token_refusal(verdict);
    }

    void assume_role_with_web_identity(const Form& form, httplib::Response& res) {
        StsCall call;
        const auto field = [&form](const char* name) {
            const auto it = form.find(name);
            return it == form.end() ? std::string() : it->second;
        };
        call.role_arn = field("RoleArn");
        call.role_session_name = field("RoleSessionName");
        std::optional<Refusal> refusal;
        if (field("Version") != "2011-06-15" || call.role_session_name.empty()) {
            refusal = Refusal{400, "ValidationError", "missing Version or RoleSessionName"};
        } else {
            TokenFacts facts;
            refusal = check_token(field("WebIdentityToken"), options.sts_audience, facts);
            call.subject = std::move(facts.subject);
            call.audience = std::move(facts.audience);
            call.failed_check = std::move(facts.failed_check);
        }
        // The role's trust policy (which `sub` may assume it) is IAM's part: checked here.
        if (!refusal) {
            const auto role = options.roles.find(call.role_arn);
            if (role == options.roles.end() || role->second != call.subject) {
                refusal = Refusal{403, "AccessDenied",
                                  "Not authorized to perform sts:AssumeRoleWithWebIdentity"};
            }
        }
        if (refusal) {
            call.outcome = refusal->code;
            record(std::move(call));
            send_query_error(res, *refusal);
            return;
        }
        const IssuedCredentials credentials = issue();
        call.outcome = "ok";
        call.access_key_id = credentials.access_key_id;
        const std::string role_name = call.role_arn.substr(call.role_arn.rfind('/') + 1);
        const std::string account = call.role_arn.substr(13, 12);  // arn:aws:iam::<account>:
        std::string body =
            "<AssumeRoleWithWebIdentityResponse "
            "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
            "  <AssumeRoleWithWebIdentityResult>\n"
            "    <SubjectFromWebIdentityToken>" +
            xml_escape(call.subject) +
            "</SubjectFromWebIdentityToken>\n"
            "    <Audience>" +
            xml_escape(call.audience) +
            "</Audience>\n"
            "    <AssumedRoleUser>\n"
            "      <Arn>arn:aws:sts::" +
            account + ":assumed-role/" + xml_escape(role_name) + "/" +
            xml_escape(call.role_session_name) +
            "</Arn>\n"
            "      <AssumedRoleId>AROA" +
            random_string(17, kUpper) + ":" + xml_escape(call.role_session_name) +
            "</AssumedRoleId>\n"
            "    </AssumedRoleUser>\n"
            "    <Credentials>\n"
            "      <SessionToken>" +
            credentials.session_token +
            "</SessionToken>\n"
            "      <SecretAccessKey>" +
            credentials.secret_access_key +
            "</SecretAccessKey>\n"
            "      <Expiration>" +
            iso8601(credentials.expiration) +
            "</Expiration>\n"
            "      <AccessKeyId>" +
            credentials.access_key_id +
            "</AccessKeyId>\n"
            "    </Credentials>\n"
            "    <Provider>" +
            xml_escape(options.issuer) +
            "</Provider>\n"
            "  </AssumeRoleWithWebIdentityResult>\n"
            "  <ResponseMetadata>\n"
            "    <RequestId>" +
            request_id() +
            "</RequestId>\n"
            "  </ResponseMetadata>\n"
            "</AssumeRoleWithWebIdentityResponse>\n";
        record(std::move(call));
        res.set_content(body, "text/xml");
    }

    void container_credentials(const httplib::Request& req, httplib::Response& res) {
        ContainerCredentialsCall call;
        call.authorization = req.get_header_value("Authorization");
        TokenFacts facts;
        std::optional<Refusal> refusal =
            check_token(call.authorization, options.pod_identity_audience, facts);
        call.subject = std::move(facts.subject);
        call.failed_check = std::move(facts.failed_check);
        if (!refusal && !options.pod_identity_associations.contains(call.subject)) {
            refusal = Refusal{401, "AccessDenied", "no Pod Identity association for the subject"};
        }
        if (refusal) {
            call.outcome = refusal->code;
            {
                const std::lock_guard lock(mutex);
                container_calls.push_back(std::move(call));
            }
            res.status = 401;
            res.set_content(Json{{"code", refusal->code}, {"message", refusal->message}}.dump(),
                            "application/json");
            return;
        }
        const IssuedCredentials credentials = issue();
        call.outcome = "ok";
        call.access_key_id = credentials.access_key_id;
        {
            const std::lock_guard lock(mutex);
            container_calls.push_back(std::move(call));
        }
        res.set_content(Json{{"AccessKeyId", credentials.access_key_id},
                             {"SecretAccessKey", credentials.secret_access_key},
                             {"Token", credentials.session_token},
                             {"Expiration", iso8601(credentials.expiration)}}
                            .dump(),
                        "application/json");
    }

    // Verifies SigV4 the way S3 does: the canonical request rebuilt from what arrived, signed
    // with the secret of the access key named in the scope.
    std::optional<Refusal> check_signature(const httplib::Request& req, S3Call& call) const {
        const auto authorization = parse_sigv4_authorization(req.get_header_value("Authorization"));
        if (!authorization) {
            return Refusal{400, "AuthorizationHeaderMalformed", "not an AWS4-HMAC-SHA256 header"};
        }
        call.access_key_id = authorization->access_key_id;
        call.region = authorization->region;
        IssuedCredentials credentials;
        {
            const std::lock_guard lock(mutex);
            const auto it = issued.find(authorization->access_key_id);
            if (it == issued.end()) {
                return Refusal{403, "InvalidAccessKeyId",
                               "The AWS Access Key Id you provided does not exist in our records."};
            }
            credentials = it->second;
        }
        if (Clock::now() >= credentials.expiration) {
            return Refusal{400, "ExpiredToken", "The provided token has expired."};
        }
        if (req.get_header_value("x-amz-security-token") != credentials.session_token) {
            return Refusal{400, "InvalidToken",
                           "The provided token is malformed or otherwise invalid."};
        }
        const std::string amz_date = req.get_header_value("x-amz-date");
        if (authorization->service != "s3" || amz_date.size() != 16 ||
            amz_date.substr(0, 8) != authorization->date) {
            return Refusal{403, "SignatureDoesNotMatch", "bad credential scope or x-amz-date"};
        }
        const std::string payload_hash = req.get_header_value("x-amz-content-sha256");
        if (payload_hash != "UNSIGNED-PAYLOAD" && payload_hash != hex(sha256(req.body))) {
            return Refusal{400, "XAmzContentSHA256Mismatch",
                           "The provided 'x-amz-content-sha256' header does not match what was "
                           "computed."};
        }

        const auto question = req.target.find('?');
        const std::string raw_path = req.target.substr(0, question);
        const std::string raw_query =
            question == std::string::npos ? std::string() : req.target.substr(question + 1);
        std::string canonical_headers;
        std::stringstream names(authorization->signed_headers);
        for (std::string name; std::getline(names, name, ';');) {
            if (!req.has_header(name.c_str())) {
                return Refusal{403, "SignatureDoesNotMatch", "signed header missing: " + name};
            }
            canonical_headers +=
                name + ":" + trim_and_collapse(req.get_header_value(name.c_str())) + "\n";
        }
        if (authorization->signed_headers.find("host") == std::string::npos) {
            return Refusal{403, "SignatureDoesNotMatch", "host is not signed"};
        }
        const std::string canonical_request =
            req.method + "\n" + raw_path + "\n" + canonical_query(raw_query) + "\n" +
            canonical_headers + "\n" + authorization->signed_headers + "\n" + payload_hash;
        const std::string scope = authorization->date + "/" + authorization->region + "/" +
                                  authorization->service + "/aws4_request";
        const std::string string_to_sign =
            "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + hex(sha256(canonical_request));
        std::string signing_key =
            hmac_sha256("AWS4" + credentials.secret_access_key, authorization->date);
        signing_key = hmac_sha256(signing_key, authorization->region);
        signing_key = hmac_sha256(signing_key, authorization->service);
        signing_key = hmac_sha256(signing_key, "aws4_request");
        if (hex(hmac_sha256(signing_key, string_to_sign)) != authorization->signature) {
            return Refusal{403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature you "
                           "provided. Check your key and signing method."};
        }
        return std::nullopt;
    }

    void list_buckets(const httplib::Request& req, httplib::Response& res) {
        S3Call call;
        const std::optional<Refusal> refusal = check_signature(req, call);
        call.outcome = refusal ? refusal->code : "ok";
        {
            const std::lock_guard lock(mutex);
            s3_calls.push_back(call);
        }
        if (refusal) {
            send_s3_error(res, *refusal);
            return;
        }
        std::string body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult "
            "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Owner><ID>" +
            random_string(64, "0123456789abcdef") + "</ID></Owner><Buckets>";
        for (const std::string& bucket : options.buckets) {
            body += "<Bucket><Name>" + xml_escape(bucket) +
                    "</Name><CreationDate>2024-05-01T10:00:00.000Z</CreationDate></Bucket>";
        }
        body += "</Buckets></ListAllMyBucketsResult>";
        res.set_content(body, "application/xml");
    }

    IssuedCredentials issue() {
        IssuedCredentials credentials = new_credentials();
        const std::lock_guard lock(mutex);
        issued[credentials.access_key_id] = credentials;
        return credentials;
    }

    void record(StsCall call) {
        const std::lock_guard lock(mutex);
        sts_calls.push_back(std::move(call));
    }
};

FakeAws::FakeAws(FakeAwsOptions options) : state_(std::make_unique<State>(std::move(options))) {
    // A client going away mid-answer must be a failed write, not a signal that ends the test.
    static const bool sigpipe_ignored = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
    (void)sigpipe_ignored;
    State& s = *state_;
    s.server.set_tcp_nodelay(true);
    s.server.set_keep_alive_timeout(1);  // node keeps connections open; stop() waits for them
    s.server.set_read_timeout(10);
    s.server.set_write_timeout(10);
    State* state = state_.get();
    const auto handler = [state](const httplib::Request& req, httplib::Response& res) {
        state->route(req, res);
    };
    s.server.Get(".*", handler);
    s.server.Post(".*", handler);
    s.server.Put(".*", handler);
    s.server.Delete(".*", handler);
    const int port = s.server.bind_to_any_port("127.0.0.1");
    if (port <= 0) throw std::runtime_error("fake AWS: cannot listen on 127.0.0.1");
    s.port = static_cast<unsigned short>(port);
    s.listener = std::thread([state] { state->server.listen_after_bind(); });
    // stop() does nothing until the accept loop runs.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!s.server.is_running() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!s.server.is_running()) {
        s.server.stop();
        s.listener.join();
        throw std::runtime_error("fake AWS: the listener did not start");
    }
}

FakeAws::~FakeAws() {
    state_->server.stop();
    state_->listener.join();
}

unsigned short FakeAws::port() const {
    return state_->port;
}

std::string FakeAws::endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port());
}

std::string FakeAws::container_credentials_uri() const {
    return endpoint() + "/v1/credentials";
}

std::vector<StsCall> FakeAws::sts_calls() const {
    const std::lock_guard lock(state_->mutex);
    return state_->sts_calls;
}

std::vector<S3Call> FakeAws::s3_calls() const {
    const std::lock_guard lock(state_->mutex);
    return state_->s3_calls;
}

std::vector<ContainerCredentialsCall> FakeAws::container_credentials_calls() const {
    const std::lock_guard lock(state_->mutex);
    return state_->container_calls;
}

std::vector<std::string> FakeAws::unexpected_requests() const {
    const std::lock_guard lock(state_->mutex);
    return state_->unexpected;
}

}  // namespace piw::e2e
