#pragma once
// A fake AWS on 127.0.0.1 (plain HTTP, one ephemeral port) that checks exactly what the real one
// would check of an SDK configured by the webhook's environment, and records every request:
//
//   POST /  Action=AssumeRoleWithWebIdentity   STS (awsQuery): has the web-identity token
//           verified by Node against the issuer's published documents (token_verifier.hpp: kid,
//           signature, issuer, audience, expiry), then checks the role's trust here (RoleArn
//           known, `sub` allowed) and issues temporary credentials. Errors are AWS's XML
//           ErrorResponse (InvalidIdentityToken, ExpiredTokenException: 400; AccessDenied: 403).
//   GET  /  (SigV4-signed)                     S3 ListBuckets: accepts only a request signed with
//           credentials this fake issued — the signature is recomputed from the request as SigV4
//           defines it, with the issued secret — and carrying their session token.
//   GET  /v1/credentials                       the container-credentials endpoint (EKS Pod
//           Identity agent): Authorization must be a token the same Node verifier accepts for
//           the pod-identity audience, whose `sub` has an association; answers {AccessKeyId,
//           SecretAccessKey, Token, Expiration}, 401 otherwise.
//
// The fake knows the cluster's keys only through the published documents, as AWS does: the
// test's signing key never reaches it.
//
// Point the SDK at it with AWS_ENDPOINT_URL=endpoint() and the webhook with
// --container-credentials-full-uri=container_credentials_uri().

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "crypto.hpp"
#include "token_verifier.hpp"

namespace piw::e2e {

struct FakeAwsOptions {
    std::string issuer;  // the only OIDC provider STS trusts (the token's `iss`)
    // Its discovery document and JWKS, read at every token check (a test may change them).
    IssuerDocuments issuer_documents;
    std::string sts_audience = "sts.amazonaws.com";  // the provider's client ID
    std::string pod_identity_audience = "pods.eks.amazonaws.com";
    // Role ARN → the one `sub` its trust policy allows.
    std::map<std::string, std::string> roles;
    // `sub` → role ARN: EKS Pod Identity associations, for the container-credentials endpoint.
    std::map<std::string, std::string> pod_identity_associations;
    std::vector<std::string> buckets{"payments-invoices", "payments-reports"};
};

// What each endpoint saw and decided. `outcome` is "ok" or the error code sent back.
struct StsCall {
    std::string role_arn;
    std::string role_session_name;
    std::string subject;   // the token's `sub` ("" if it could not be read)
    std::string audience;  // the token's `aud`
    std::string outcome;
    std::string failed_check;   // the verifier's refusing check (TokenVerdict::failed), if any
    std::string access_key_id;  // issued, when ok
};
struct S3Call {
    std::string access_key_id;  // from the Authorization header's Credential scope
    std::string region;         // idem
    std::string outcome;
};
struct ContainerCredentialsCall {
    std::string authorization;  // the header, verbatim
    std::string subject;
    std::string outcome;
    std::string failed_check;
    std::string access_key_id;
};

class FakeAws {
  public:
    explicit FakeAws(FakeAwsOptions options);
    ~FakeAws();
    FakeAws(const FakeAws&) = delete;
    FakeAws& operator=(const FakeAws&) = delete;

    [[nodiscard]] unsigned short port() const;
    [[nodiscard]] std::string endpoint() const;  // http://127.0.0.1:<port>
    [[nodiscard]] std::string container_credentials_uri() const;

    [[nodiscard]] std::vector<StsCall> sts_calls() const;
    [[nodiscard]] std::vector<S3Call> s3_calls() const;
    [[nodiscard]] std::vector<ContainerCredentialsCall> container_credentials_calls() const;
    // Requests that matched no endpoint (method and target): none is expected.
    [[nodiscard]] std::vector<std::string> unexpected_requests() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace piw::e2e
