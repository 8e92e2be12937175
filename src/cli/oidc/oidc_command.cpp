// `pod-identity-webhook oidc …`: the self-hosted IRSA toolkit (spec/oidc.md §6). Dispatches to
// the subcommands and holds their usage texts.

#include <istream>
#include <ostream>

#include "cli/oidc/commands.hpp"
#include "cli/oidc/report.hpp"
#include "pod_identity_webhook/cli/commands.hpp"

namespace piw::cli {
namespace oidc_cli {
namespace {

constexpr const char* kOidcUsage =
    R"(pod-identity-webhook oidc: the other half of IRSA on a self-managed cluster — the issuer,
the discovery documents, the IAM OIDC provider and the role trust policy — rendered, checked and
explained. Offline except `check` (and URLs given to `discovery --check` / `verify-token`).

Usage:
  pod-identity-webhook oidc plan          --bucket B --region R [--prefix P] [--account ID] [--platform P]
  pod-identity-webhook oidc discovery     --from-key FILE… --issuer URL [--out-dir DIR]
  pod-identity-webhook oidc discovery     --from-apiserver [--kubeconfig F | --server URL --token-file F --ca-file F] [--out-dir DIR]
  pod-identity-webhook oidc discovery     --check DIR|URL [--issuer URL] [--compare-apiserver]
  pod-identity-webhook oidc trust-policy  --issuer URL --account ID (--service-account NS:NAME | --namespace NS)…
  pod-identity-webhook oidc verify-token  --token FILE|- (--jwks FILE|URL | --discovery DIR|FILE|URL)
  pod-identity-webhook oidc check         --issuer URL [--ca-file F] [--token FILE]

Every subcommand takes --output text|json (-o) and --strict (warnings count as errors).
Exit codes: 0 ok, 1 findings with errors, 2 usage, 3 I/O or network.
Run 'pod-identity-webhook oidc SUBCOMMAND --help' for its flags.
)";

constexpr const char* kPlanUsage =
    R"(pod-identity-webhook oidc plan: where the issuer lives in S3 and everything that follows from it.

Usage:
  pod-identity-webhook oidc plan --bucket B --region R [flags]

Flags:
      --bucket string               S3 bucket holding the two documents (required)
      --region string               the bucket's Region (required)
      --prefix string               key prefix inside the bucket, without leading/trailing '/', e.g. my-cluster
      --url-style string            regional (https://B.s3.R.amazonaws.com/P, default), path
                                    (https://s3.R.amazonaws.com/B/P) or global (https://B.s3.amazonaws.com/P)
      --account string              12-digit AWS account ID (for the provider ARN)
      --partition string            aws (default), aws-cn or aws-us-gov
      --audience string             the tokens' audience / the provider's client ID (default sts.amazonaws.com)
      --platform string             charmed, canonical-k8s, kubeadm, k3s, rke2 or microk8s: print the
                                    kube-apiserver flag change for that distribution
      --current-extra-args string   charmed: today's `juju config kubernetes-control-plane api-extra-args`
                                    (juju replaces the whole value, so it is merged)
  -o, --output string               text (default) or json
      --strict                      warnings count as errors
)";

constexpr const char* kDiscoveryUsage =
    R"(pod-identity-webhook oidc discovery: the two issuer-discovery documents, byte for byte as
kube-apiserver serves them, ready for `aws s3 cp --recursive`, and their checks.

Usage:
  pod-identity-webhook oidc discovery --from-key FILE… --issuer URL [--jwks-uri URL] [--out-dir DIR]
  pod-identity-webhook oidc discovery --from-apiserver [connection flags] [--issuer URL] [--out-dir DIR]
  pod-identity-webhook oidc discovery --check DIR|URL [--issuer URL] [--url-ca-file F] [--compare-apiserver [connection flags]]

Flags:
      --from-key FILE…         the API server's --service-account-key-file(s): PEM, RSA or ECDSA, public or
                               private (only the public half is published); repeat or list several
      --from-apiserver         fetch /.well-known/openid-configuration and /openid/v1/jwks from the API server
      --check DIR|URL          read back a directory (as written by --out-dir) or the published issuer URL
      --issuer URL             the issuer (required with --from-key; otherwise the one expected)
      --jwks-uri URL           with --from-key: jwks_uri (default ISSUER/openid/v1/jwks)
      --out-dir DIR            write DIR/.well-known/openid-configuration and DIR/openid/v1/jwks
                               (nothing is written when the documents have errors)
      --compare-apiserver      with --check: report keys the API server has that the published JWKS lacks
      --url-ca-file FILE       CA bundle for --check URL (default: the system's)
      --connect-to HOST:PORT   with --check URL: connect there instead, still verifying the URL's host name
Connection flags (--from-apiserver, --compare-apiserver):
      --kubeconfig FILE        default $KUBECONFIG, then ~/.kube/config, then the in-cluster config
      --context NAME           kubeconfig context
      --server URL             the API server, with --token-file and --ca-file instead of a kubeconfig
      --token-file FILE        bearer token (e.g. from `kubectl create token default`)
      --ca-file FILE           the API server's CA bundle
  -o, --output string          text (default) or json
      --strict                 warnings count as errors
)";

constexpr const char* kTrustPolicyUsage =
    R"(pod-identity-webhook oidc trust-policy: the IRSA role trust policy, and whether a policy
admits a ServiceAccount.

Usage:
  pod-identity-webhook oidc trust-policy --issuer URL --account ID (--service-account NS:NAME | --namespace NS)… [flags]
  pod-identity-webhook oidc trust-policy --policy FILE --evaluate SUB… [--issuer URL]
  pod-identity-webhook oidc trust-policy --provider-input --issuer URL

Flags:
      --issuer URL                 the IAM OIDC provider URL (the tokens' iss)
      --account string             12-digit AWS account ID
      --partition string           aws (default), aws-cn or aws-us-gov
      --audience string            :aud value and the provider's client ID (default sts.amazonaws.com)
      --service-account NS:NAME    a ServiceAccount ('*' allowed as a whole part); repeatable
      --namespace NS               every ServiceAccount of a namespace; repeatable
      --no-aud                     leave out the :aud condition
      --allow-partial-wildcards    allow wildcards inside a name (e.g. api-*)
      --allow-all                  allow system:serviceaccount:* (every ServiceAccount of the cluster)
      --evaluate SUB               does the policy admit this subject (system:serviceaccount:NS:NAME)?
                                   Repeatable; exit 1 when one is not admitted
      --policy FILE                evaluate / check an existing policy instead of rendering one
      --provider-input             print the CreateOpenIDConnectProvider input
                                   (aws iam create-open-id-connect-provider --cli-input-json file://…)
  -o, --output string              text (default) or json
      --strict                     warnings count as errors
)";

constexpr const char* kVerifyTokenUsage =
    R"(pod-identity-webhook oidc verify-token: check a projected ServiceAccount token the way STS
does, and say everything that is wrong with it. Prints the header and claims, never the signature.

Usage:
  pod-identity-webhook oidc verify-token --token FILE|- (--jwks FILE|URL | --discovery DIR|FILE|URL) [flags]

Flags:
      --token FILE|-           the token (e.g. kubectl exec POD -- cat $AWS_WEB_IDENTITY_TOKEN_FILE)
      --jwks FILE|URL          the JWKS to verify against
      --discovery DIR|FILE|URL the published documents: a directory from `discovery --out-dir`, a
                               discovery file (its jwks_uri is fetched unless --jwks is given), or the issuer URL
      --issuer URL             the expected iss (default: the discovery document's issuer)
      --audience string        the expected aud (default sts.amazonaws.com)
      --trust-policy FILE      also check the role's trust policy admits the token
      --now TIME               the clock: seconds since the epoch or 2026-11-30T12:00:00Z (default: now)
      --skew SECONDS           grace after exp (default 300, as IAM)
      --ca-file FILE           CA bundle for URLs (default: the system's)
      --connect-to HOST:PORT   connect there instead of the URLs' host, still verifying its name
  -o, --output string          text (default) or json
      --strict                 warnings count as errors
)";

constexpr const char* kCheckUsage =
    R"(pod-identity-webhook oidc check: fetch what STS would fetch from the issuer and check it.

Usage:
  pod-identity-webhook oidc check --issuer URL [--ca-file F] [--token FILE] [flags]

Flags:
      --issuer URL         the issuer (the IAM provider URL)
      --ca-file FILE       CA bundle (default: the system's; STS uses public CAs)
      --connect-to HOST:PORT  connect there instead of the issuer's host (a local stand-in),
                           still verifying the certificate for the issuer's host
      --token FILE|-       also verify this token against the published JWKS
      --audience string    the expected aud with --token (default sts.amazonaws.com)
      --now TIME           the clock for --token (default: now)
  -o, --output string      text (default) or json
      --strict             warnings count as errors
)";

}  // namespace

std::optional<Invocation> start(const Words& args, const std::vector<FlagSpec>& flags,
                                const std::string& subcommand, Io io, int& exit_code) {
    const std::string command = "oidc " + subcommand;
    auto arguments = Arguments::parse(args, flags);
    if (!arguments) {
        exit_code = fail_usage(arguments.error(), command, io.err);
        return std::nullopt;
    }
    if (arguments->has("help")) {
        io.out << usage(subcommand);
        exit_code = kExitOk;
        return std::nullopt;
    }
    auto output = output_options(*arguments);
    if (!output) {
        exit_code = fail_usage(output.error(), command, io.err);
        return std::nullopt;
    }
    return Invocation{std::move(*arguments), *output};
}

std::string usage(const std::string& subcommand) {
    if (subcommand == "plan") return kPlanUsage;
    if (subcommand == "discovery") return kDiscoveryUsage;
    if (subcommand == "trust-policy") return kTrustPolicyUsage;
    if (subcommand == "verify-token") return kVerifyTokenUsage;
    if (subcommand == "check") return kCheckUsage;
    return kOidcUsage;
}

}  // namespace oidc_cli

int run_oidc(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
             std::ostream& err) {
    using namespace oidc_cli;
    const Io io{in, out, err};
    if (args.empty()) {
        err << "Error: a subcommand is required\n" << usage("");
        return kExitUsage;
    }
    const std::string& subcommand = args.front();
    const Words rest(args.begin() + 1, args.end());
    if (subcommand == "--help" || subcommand == "-h" || subcommand == "help") {
        out << usage("");
        return kExitOk;
    }
    if (subcommand == "plan") return run_plan(rest, io);
    if (subcommand == "discovery") return run_discovery(rest, io);
    if (subcommand == "trust-policy") return run_trust_policy(rest, io);
    if (subcommand == "verify-token") return run_verify_token(rest, io);
    if (subcommand == "check") return run_check(rest, io);
    err << "Error: unknown oidc subcommand \"" << subcommand << "\"\n" << usage("");
    return kExitUsage;
}

}  // namespace piw::cli
