#include "pod_identity_webhook/oidc/trust_policy.hpp"

#include "pod_identity_webhook/oidc/discovery.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace piw::oidc {
namespace {

constexpr std::string_view kSubjectPrefix = "system:serviceaccount:";
constexpr std::size_t kMaxPolicyBytes = 64 * 1024;

Finding error(std::string code, std::string message, std::string hint = {}) {
    return {Severity::error, std::move(code), std::move(message), std::move(hint)};
}

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// RFC 1123 label as Kubernetes checks namespaces: [a-z0-9]([-a-z0-9]*[a-z0-9])?, ≤ 63.
bool is_dns_label(std::string_view text) {
    if (text.empty() || text.size() > 63) return false;
    if (!is_lower_alnum(text.front()) || !is_lower_alnum(text.back())) return false;
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return is_lower_alnum(c) || c == '-'; });
}

// RFC 1123 subdomain as Kubernetes checks ServiceAccount names: dot-separated labels, ≤ 253.
bool is_dns_subdomain(std::string_view text) {
    if (text.empty() || text.size() > 253) return false;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = text.find('.', start);
        if (!is_dns_label(text.substr(start, dot - start))) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

bool has_wildcard(std::string_view text) {
    return text.find_first_of("*?") != std::string_view::npos;
}

// One "NAMESPACE:NAME" as a sub pattern, or findings saying why not.
void add_subject(const TrustPolicyRequest& request, std::string_view ns, std::string_view name,
                 std::vector<std::string>& subjects, std::vector<Finding>& findings) {
    const std::string subject =
        std::string(kSubjectPrefix) + std::string(ns) + ":" + std::string(name);
    if (ns == "*" && name == "*") {
        if (!request.allow_all) {
            findings.push_back(error("trust-policy-all-service-accounts",
                                     subject + " admits every ServiceAccount of the cluster",
                                     "name the namespaces, or pass --allow-all if you mean it"));
            return;
        }
    }
    const bool ns_ok =
        ns == "*" || is_dns_label(ns) || (request.allow_partial_wildcards && has_wildcard(ns));
    const bool name_ok = name == "*" || is_dns_subdomain(name) ||
                         (request.allow_partial_wildcards && has_wildcard(name));
    if (!ns_ok) {
        findings.push_back(error("trust-policy-namespace",
                                 "\"" + std::string(ns) + "\" is not a namespace name",
                                 has_wildcard(ns) ? "wildcards stand for whole parts only unless "
                                                    "--allow-partial-wildcards"
                                                  : "a DNS-1123 label: lowercase letters, digits, "
                                                    "'-', at most 63 characters"));
    }
    if (!name_ok) {
        findings.push_back(error("trust-policy-service-account",
                                 "\"" + std::string(name) + "\" is not a ServiceAccount name",
                                 has_wildcard(name) ? "wildcards stand for whole parts only unless "
                                                      "--allow-partial-wildcards"
                                                    : "a DNS-1123 subdomain, at most 253 "
                                                      "characters"));
    }
    if (ns_ok && name_ok) subjects.push_back(subject);
}

std::vector<std::string> subjects_of(const TrustPolicyRequest& request,
                                     std::vector<Finding>& findings) {
    std::vector<std::string> subjects;
    for (const std::string& entry : request.service_accounts) {
        const std::size_t colon = entry.find(':');
        if (colon == std::string::npos || entry.find(':', colon + 1) != std::string::npos) {
            findings.push_back(
                error("trust-policy-service-account", "\"" + entry + "\" is not NAMESPACE:NAME"));
            continue;
        }
        add_subject(request, std::string_view(entry).substr(0, colon),
                    std::string_view(entry).substr(colon + 1), subjects, findings);
    }
    for (const std::string& ns : request.namespaces)
        add_subject(request, ns, "*", subjects, findings);
    if (subjects.empty() && findings.empty()) {
        findings.push_back(
            error("trust-policy-no-subjects", "no ServiceAccount or namespace given"));
    }
    return subjects;
}

bool is_account_id(std::string_view account) {
    return account.size() == 12 &&
           std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; });
}

nlohmann::ordered_json one_or_many(const std::vector<std::string>& values) {
    if (values.size() == 1) return values.front();
    return values;
}

std::size_t length_without_whitespace(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return std::isspace(static_cast<unsigned char>(c)) == 0;
    }));
}

// ---------------------------------------------------------------------------------------------
// Evaluation

bool matches(std::string_view op, const nlohmann::json& values, std::string_view actual) {
    const auto test = [&](const nlohmann::json& value) {
        if (!value.is_string()) return false;
        const auto& pattern = value.get_ref<const std::string&>();
        return op == "StringEquals" ? pattern == actual : string_like(pattern, actual);
    };
    if (values.is_array()) return std::any_of(values.begin(), values.end(), test);  // OR
    return test(values);
}

bool is_web_identity_action(const nlohmann::json& action) {
    const auto is_web_identity = [](const nlohmann::json& a) {
        return a.is_string() && (a == "sts:AssumeRoleWithWebIdentity" || a == "sts:*" || a == "*");
    };
    return is_web_identity(action) ||
           (action.is_array() && std::any_of(action.begin(), action.end(), is_web_identity));
}

// Whether `statement` has this Effect, covers AssumeRoleWithWebIdentity and its conditions hold
// for the request {sub, aud}.
Result<bool> statement_applies(const nlohmann::json& statement, std::string_view wanted_effect,
                               std::string_view sub, std::string_view aud) {
    if (!statement.is_object()) return false;
    const auto effect = statement.find("Effect");
    if (effect == statement.end() || *effect != wanted_effect) return false;
    const auto action = statement.find("Action");
    if (action == statement.end() || !is_web_identity_action(*action)) return false;
    const auto condition = statement.find("Condition");
    if (condition == statement.end()) return true;
    if (!condition->is_object()) return Error{"Condition is not an object"};
    for (const auto& [op, keys] : condition->items()) {  // every operator AND'ed
        if (op != "StringEquals" && op != "StringLike") {
            return Error{"operator " + op + " is not evaluated (only StringEquals and StringLike)"};
        }
        if (!keys.is_object()) return Error{"Condition." + op + " is not an object"};
        for (const auto& [key, values] : keys.items()) {  // every key AND'ed
            const bool is_sub = key.size() > 4 && key.compare(key.size() - 4, 4, ":sub") == 0;
            const bool is_aud = key.size() > 4 && key.compare(key.size() - 4, 4, ":aud") == 0;
            if (!is_sub && !is_aud) return false;  // a key the request does not have
            if (!matches(op, values, is_sub ? sub : aud)) return false;
        }
    }
    return true;
}

// The policy's statements (one object, or an array of them) in place. Nothing here copies a JSON
// value: a copy recurses once per nesting level, and a 64 KiB policy can nest 32,000 deep (found
// by fuzz/fuzz_trust_policy).
std::vector<const nlohmann::json*> statements_of(const nlohmann::json& statements) {
    if (!statements.is_array()) return {&statements};
    std::vector<const nlohmann::json*> out;
    for (const auto& statement : statements) out.push_back(&statement);
    return out;
}

}  // namespace

std::vector<Finding> validate_audience(std::string_view audience) {
    const bool printable =
        std::all_of(audience.begin(), audience.end(), [](char c) { return c > ' ' && c < 0x7f; });
    if (!audience.empty() && audience.size() <= kMaxClientIdLength && printable) return {};
    return {error("audience-invalid",
                  "the audience \"" + std::string(audience.substr(0, 64)) +
                      "\" is not a client ID IAM accepts",
                  "1 to 255 printable ASCII characters; IRSA uses sts.amazonaws.com")};
}

std::string provider_host_path(std::string_view issuer) {
    constexpr std::string_view kHttps = "https://";
    if (issuer.substr(0, kHttps.size()) == kHttps) issuer.remove_prefix(kHttps.size());
    return std::string(issuer);
}

std::string provider_arn(std::string_view partition, std::string_view account,
                         std::string_view issuer) {
    return "arn:" + std::string(partition) + ":iam::" + std::string(account) + ":oidc-provider/" +
           provider_host_path(issuer);
}

TrustPolicy render_trust_policy(const TrustPolicyRequest& request) {
    TrustPolicy policy;
    policy.findings = validate_issuer(request.issuer);
    for (Finding& finding : validate_audience(request.audience))
        policy.findings.push_back(std::move(finding));
    if (!is_account_id(request.account)) {
        policy.findings.push_back(
            error("account-invalid", "\"" + request.account + "\" is not a 12-digit account ID"));
    }
    if (request.partition != "aws" && request.partition != "aws-cn" &&
        request.partition != "aws-us-gov") {
        policy.findings.push_back(error("partition-invalid",
                                        "unknown partition \"" + request.partition + "\"",
                                        "aws, aws-cn or aws-us-gov"));
    }
    const std::vector<std::string> subjects = subjects_of(request, policy.findings);
    if (has_errors(policy.findings)) return policy;

    const std::string prefix = provider_host_path(request.issuer);
    const bool like = std::any_of(subjects.begin(), subjects.end(),
                                  [](const std::string& s) { return has_wildcard(s); });
    nlohmann::ordered_json condition = nlohmann::ordered_json::object();
    if (request.include_aud) condition["StringEquals"][prefix + ":aud"] = request.audience;
    // Every sub pattern under one operator: the same key under two operators would be AND'ed.
    condition[like ? "StringLike" : "StringEquals"][prefix + ":sub"] = one_or_many(subjects);
    nlohmann::ordered_json statement = {
        {"Effect", "Allow"},
        {"Principal",
         {{"Federated", provider_arn(request.partition, request.account, request.issuer)}}},
        {"Action", "sts:AssumeRoleWithWebIdentity"},
        {"Condition", condition}};
    const nlohmann::ordered_json document = {
        {"Version", "2012-10-17"}, {"Statement", nlohmann::ordered_json::array({statement})}};
    // Every input was validated above; replacing stray bytes keeps a slip there from throwing.
    policy.json = document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    const std::size_t length = length_without_whitespace(
        document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (length > kTrustPolicyQuota) {
        policy.findings.push_back(
            {Severity::warning, "trust-policy-too-long",
             "the policy is " + std::to_string(length) + " characters without whitespace",
             "IAM's default trust-policy quota is 2048; use namespace "
             "wildcards or ask for the 4096 quota"});
    }
    return policy;
}

bool string_like(std::string_view pattern, std::string_view value) {
    // Iterative glob matching with backtracking to the last '*': linear in practice, no recursion.
    std::size_t p = 0;
    std::size_t v = 0;
    std::size_t star = std::string_view::npos;
    std::size_t resume = 0;
    while (v < value.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == value[v])) {
            ++p;
            ++v;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = v;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            v = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

Result<bool> evaluate_trust_policy(std::string_view policy_json, std::string_view sub,
                                   std::string_view aud) {
    if (policy_json.size() > kMaxPolicyBytes) return Error{"the policy is too large"};
    const auto policy = nlohmann::json::parse(policy_json, nullptr, false);
    if (policy.is_discarded() || !policy.is_object())
        return Error{"the policy is not a JSON object"};
    const auto statements = policy.find("Statement");
    if (statements == policy.end()) return Error{"the policy has no Statement"};
    bool allowed = false;
    for (const nlohmann::json* statement : statements_of(*statements)) {
        // An applicable Deny wins over any Allow.
        auto denied = statement_applies(*statement, "Deny", sub, aud);
        if (!denied) return Error{denied.error()};
        if (*denied) return false;
        auto admitted = statement_applies(*statement, "Allow", sub, aud);
        if (!admitted) return Error{admitted.error()};
        allowed = allowed || *admitted;
    }
    return allowed;
}

namespace {

std::vector<std::string> federated_principals(const nlohmann::json& statement) {
    std::vector<std::string> arns;
    const auto principal = statement.find("Principal");
    if (principal == statement.end() || !principal->is_object()) return arns;
    const auto federated = principal->find("Federated");
    if (federated == principal->end()) return arns;
    if (federated->is_string()) arns.push_back(federated->get<std::string>());
    if (federated->is_array()) {
        for (const auto& arn : *federated)
            if (arn.is_string()) arns.push_back(arn.get<std::string>());
    }
    return arns;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The condition keys of a statement, by operator.
void check_condition_keys(const nlohmann::json& statement, const std::string& provider,
                          std::vector<Finding>& findings) {
    const auto condition = statement.find("Condition");
    if (condition == statement.end() || !condition->is_object()) return;
    std::vector<std::string> sub_operators;
    for (const auto& [op, keys] : condition->items()) {
        if (!keys.is_object()) continue;
        for (const auto& [key, values] : keys.items()) {
            const auto colon = key.rfind(':');
            const std::string prefix = key.substr(0, colon == std::string::npos ? 0 : colon);
            if (prefix != provider && (ends_with(key, ":sub") || ends_with(key, ":aud"))) {
                findings.push_back(
                    error("trust-policy-condition-key-mismatch",
                          "the condition key \"" + key + "\" is not for the issuer's provider \"" +
                              provider + "\"",
                          "the request has no such key, so the condition is false; keys are the "
                          "issuer without https://, then :sub or :aud"));
            }
            if (ends_with(key, ":sub")) sub_operators.push_back(op);
        }
    }
    if (sub_operators.size() > 1) {
        findings.push_back(error("trust-policy-sub-two-operators",
                                 "the :sub key appears under both " + sub_operators[0] + " and " +
                                     sub_operators[1] + ", which IAM ANDs together",
                                 "put every sub pattern under one operator (StringLike accepts "
                                 "exact strings too)"));
    }
}

}  // namespace

std::vector<Finding> check_trust_policy_for_issuer(std::string_view policy_json,
                                                   std::string_view issuer) {
    std::vector<Finding> findings;
    const auto policy = policy_json.size() > kMaxPolicyBytes
                            ? nlohmann::json(nlohmann::json::value_t::discarded)
                            : nlohmann::json::parse(policy_json, nullptr, false);
    if (policy.is_discarded() || !policy.is_object()) {
        findings.push_back(error("trust-policy-invalid",
                                 "the trust policy is not a JSON object (at most 64 KiB)"));
        return findings;
    }
    const std::string provider = provider_host_path(issuer);
    bool provider_found = false;
    std::vector<std::string> seen;
    const auto statements = policy.find("Statement");
    const auto in_place = statements == policy.end() ? std::vector<const nlohmann::json*>{}
                                                     : statements_of(*statements);
    for (const nlohmann::json* statement : in_place) {
        const auto action = statement->is_object() ? statement->find("Action") : statement->end();
        if (action == statement->end() || !is_web_identity_action(*action)) continue;
        for (const auto& arn : federated_principals(*statement)) {
            seen.push_back(arn);
            provider_found = provider_found || ends_with(arn, ":oidc-provider/" + provider);
        }
        check_condition_keys(*statement, provider, findings);
    }
    if (!provider_found) {
        findings.push_back(error(
            "trust-policy-provider-mismatch",
            "no statement trusts the provider of issuer \"" + std::string(issuer) + "\"" +
                (seen.empty() ? std::string(" (no Federated principal)")
                              : " (Federated: " + seen.front() + ")"),
            "Principal.Federated must be arn:PARTITION:iam::ACCOUNT:oidc-provider/" + provider));
    }
    return findings;
}

}  // namespace piw::oidc
