// The pure mutation core against upstream's rules (upstream-behaviour §3.5, §4) and our
// decisions M1–M7. Every test applies the patch and asserts on the resulting pod.

#include "pod_identity_webhook/mutation/build_patch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mutation_fixtures.hpp"

namespace piw::mutation {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace piw::mutation::testing;

constexpr const char* kTokenFile = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token";
constexpr const char* kMountPath = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
constexpr const char* kRole = "arn:aws:iam::111122223333:role/s3-reader";

TEST(BuildPatch, CanonicalUpstreamExampleGivesTheSamePod) {
    // upstream handler_test validPatchIfNoVolumesPresent (SA token-expiration 3600)
    auto m = mutate(simple_pod(), web_identity(kRole, "sts.amazonaws.com", false, 3600));
    EXPECT_EQ(m.result.outcome, Outcome::mutated);
    const Json expected_volumes = Json::parse(R"([{"name":"aws-iam-token","projected":{"sources":[
        {"serviceAccountToken":{"audience":"sts.amazonaws.com","expirationSeconds":3600,"path":"token"}}]}}])");
    EXPECT_EQ(m.pod_after["spec"]["volumes"], expected_volumes);
    const Json expected_container = Json::parse(R"({"name":"balajilovesoreos","image":"amazonlinux",
        "env":[{"name":"AWS_ROLE_ARN","value":"arn:aws:iam::111122223333:role/s3-reader"},
               {"name":"AWS_WEB_IDENTITY_TOKEN_FILE","value":"/var/run/secrets/eks.amazonaws.com/serviceaccount/token"}],
        "volumeMounts":[{"name":"aws-iam-token","readOnly":true,"mountPath":"/var/run/secrets/eks.amazonaws.com/serviceaccount"}]})");
    EXPECT_EQ(m.pod_after["spec"]["containers"][0], expected_container);
}

TEST(BuildPatch, PatchIsFineGrainedNeverReplacingContainerArrays) {
    auto m = mutate(simple_pod(), web_identity());
    std::vector<std::string> paths;
    for (const auto& op : m.patch) {
        EXPECT_EQ(op["op"], "add");
        paths.push_back(op["path"].get<std::string>());
    }
    EXPECT_THAT(paths, ElementsAre("/spec/volumes", "/spec/containers/0/env",
                                   "/spec/containers/0/volumeMounts"));
}

TEST(BuildPatch, EnvOrderWithoutRegionAndRegionalSts) {
    auto m = mutate(simple_pod(), web_identity());
    EXPECT_THAT(env_names(m.pod_after["spec"]["containers"][0]),
                ElementsAre("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"));
}

TEST(BuildPatch, EnvOrderWithRegionAndRegionalSts) {
    MutationSettings settings;
    settings.aws_default_region = "eu-west-1";
    auto m = mutate(simple_pod(), web_identity(kRole, "sts.amazonaws.com", true), settings);
    const Json& container = m.pod_after["spec"]["containers"][0];
    EXPECT_THAT(env_names(container),
                ElementsAre("AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_REGION", "AWS_REGION",
                            "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"));
    EXPECT_EQ(env_value(container, "AWS_STS_REGIONAL_ENDPOINTS"), "regional");
    EXPECT_EQ(env_value(container, "AWS_DEFAULT_REGION"), "eu-west-1");
    EXPECT_EQ(env_value(container, "AWS_REGION"), "eu-west-1");
    EXPECT_EQ(env_value(container, "AWS_WEB_IDENTITY_TOKEN_FILE"), kTokenFile);
}

TEST(BuildPatch, EnvIsAppendedAfterExistingEntriesWhichStayUntouched) {
    Json pod = simple_pod();
    pod["spec"]["containers"][0]["env"] = Json::parse(
        R"([{"name":"FOO","value":"bar"},{"name":"SECRET","valueFrom":{"secretKeyRef":{"name":"s","key":"k"}}}])");
    auto m = mutate(pod, web_identity());
    const Json& env = m.pod_after["spec"]["containers"][0]["env"];
    ASSERT_EQ(env.size(), 4U);
    EXPECT_EQ(env[0], pod["spec"]["containers"][0]["env"][0]);
    EXPECT_EQ(env[1], pod["spec"]["containers"][0]["env"][1]);
    EXPECT_EQ(env[2]["name"], "AWS_ROLE_ARN");
    for (const auto& op : m.patch) {
        if (op["path"].get<std::string>().find("/env") != std::string::npos) {
            EXPECT_EQ(op["path"], "/spec/containers/0/env/-");
        }
    }
}

TEST(BuildPatch, RegionPairIsAllOrNothing) {
    MutationSettings settings;
    settings.aws_default_region = "us-west-2";
    Json pod = simple_pod();
    pod["spec"]["containers"][0]["env"] =
        Json::parse(R"([{"name":"AWS_REGION","value":"eu-central-1"}])");
    auto m = mutate(pod, web_identity(), settings);
    EXPECT_THAT(env_names(m.pod_after["spec"]["containers"][0]),
                ElementsAre("AWS_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"));
    EXPECT_EQ(env_value(m.pod_after["spec"]["containers"][0], "AWS_REGION"), "eu-central-1");
}

TEST(BuildPatch, OneKeyOfThePairSuppressesBoth) {
    // upstream fixture rawPodSkip: AWS_ROLE_ARN=already-defined gets no token-file variable
    Json pod = simple_pod();
    pod["spec"]["containers"][0]["env"] =
        Json::parse(R"([{"name":"AWS_ROLE_ARN","value":"already-defined"}])");
    auto m = mutate(pod, web_identity());
    const Json& container = m.pod_after["spec"]["containers"][0];
    EXPECT_THAT(env_names(container), ElementsAre("AWS_ROLE_ARN"));
    EXPECT_EQ(env_value(container, "AWS_ROLE_ARN"), "already-defined");
    // ... but the mount is still added: the early exit needs region and STS keys too.
    ASSERT_TRUE(container.contains("volumeMounts"));
    EXPECT_EQ(container["volumeMounts"][0]["name"], "aws-iam-token");
}

TEST(BuildPatch, EarlyExitLeavesTheContainerWithoutAMount) {
    // upstream fixture rawPodHasAll: evaluated whether or not region/STS injection is enabled
    Json pod = simple_pod();
    pod["spec"]["containers"][0]["env"] = Json::parse(R"([
        {"name":"AWS_WEB_IDENTITY_TOKEN_FILE","value":"/x"},
        {"name":"AWS_DEFAULT_REGION","value":"us-east-1"},
        {"name":"AWS_STS_REGIONAL_ENDPOINTS","value":"legacy"}])");
    auto m = mutate(pod, web_identity());
    EXPECT_EQ(m.pod_after["spec"]["containers"][0], pod["spec"]["containers"][0]);
    EXPECT_TRUE(m.pod_after["spec"].contains("volumes"));  // the volume is still added
    EXPECT_EQ(m.result.outcome, Outcome::mutated);
}

TEST(BuildPatch, ExistingMountByNameIsReusedWhateverItsPath) {
    Json pod = simple_pod();
    pod["spec"]["containers"][0]["volumeMounts"] =
        Json::parse(R"([{"name":"aws-iam-token","mountPath":"/elsewhere"}])");
    auto m = mutate(pod, web_identity());
    EXPECT_EQ(m.pod_after["spec"]["containers"][0]["volumeMounts"].size(), 1U);
    EXPECT_EQ(m.pod_after["spec"]["containers"][0]["volumeMounts"][0]["mountPath"], "/elsewhere");
}

TEST(BuildPatch, MountIsAppendedToExistingMounts) {
    Json pod = simple_pod();
    pod["spec"]["containers"][0]["volumeMounts"] =
        Json::parse(R"([{"name":"scratch","mountPath":"/scratch"}])");
    auto m = mutate(pod, web_identity());
    const Json& mounts = m.pod_after["spec"]["containers"][0]["volumeMounts"];
    ASSERT_EQ(mounts.size(), 2U);
    EXPECT_EQ(mounts[0]["name"], "scratch");
    EXPECT_EQ(
        mounts[1],
        Json::parse(
            R"({"name":"aws-iam-token","readOnly":true,"mountPath":"/var/run/secrets/eks.amazonaws.com/serviceaccount"})"));
}

TEST(BuildPatch, VolumesAbsentNullAndEmptyChooseDifferentPaths) {
    Json absent = simple_pod();
    Json null_volumes = simple_pod();
    null_volumes["spec"]["volumes"] = nullptr;
    Json empty = simple_pod();
    empty["spec"]["volumes"] = Json::array();
    Json existing = simple_pod();
    existing["spec"]["volumes"] = Json::parse(R"([{"name":"scratch","emptyDir":{}}])");

    EXPECT_EQ(mutate(absent, web_identity()).patch[0]["path"], "/spec/volumes");
    EXPECT_EQ(mutate(null_volumes, web_identity()).patch[0]["path"], "/spec/volumes");
    EXPECT_EQ(mutate(empty, web_identity()).patch[0]["path"], "/spec/volumes/0");
    auto m = mutate(existing, web_identity());
    EXPECT_EQ(m.patch[0]["path"], "/spec/volumes/0");
    // prepended, as upstream does
    EXPECT_EQ(m.pod_after["spec"]["volumes"][0]["name"], "aws-iam-token");
    EXPECT_EQ(m.pod_after["spec"]["volumes"][1]["name"], "scratch");
}

TEST(BuildPatch, ExistingVolumeOfTheSameNameIsReusedAndAWarningExplainsAClash) {
    Json pod = simple_pod();
    pod["spec"]["volumes"] = Json::parse(R"([{"name":"aws-iam-token","emptyDir":{}}])");
    auto m = mutate(pod, web_identity());
    EXPECT_EQ(m.pod_after["spec"]["volumes"].size(), 1U);
    EXPECT_EQ(m.pod_after["spec"]["volumes"][0]["emptyDir"], Json::object());
    ASSERT_EQ(m.result.warnings.size(), 1U);
    EXPECT_THAT(m.result.warnings[0], HasSubstr("aws-iam-token"));
    EXPECT_THAT(m.result.warnings[0], HasSubstr("will not work"));

    Json projected = simple_pod();
    projected["spec"]["volumes"] = Json::parse(R"([{"name":"aws-iam-token","projected":{"sources":[
        {"serviceAccountToken":{"audience":"x","expirationSeconds":3600,"path":"token"}}]}}])");
    EXPECT_TRUE(mutate(projected, web_identity()).result.warnings.empty());
}

TEST(BuildPatch, EmptyAudienceIsOmittedFromTheProjection) {
    auto m = mutate(simple_pod(), web_identity(kRole, ""));
    const Json& token =
        m.pod_after["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"];
    EXPECT_FALSE(token.contains("audience"));
    EXPECT_EQ(token["path"], "token");
}

TEST(BuildPatch, InitContainersAndNativeSidecarsArePatchedAndUnknownFieldsSurvive) {
    Json pod = Json::parse(R"({
      "metadata": {"name": "p"},
      "spec": {
        "initContainers": [
          {"name": "migrate", "image": "m", "futureField": {"x": [1, 2]}},
          {"name": "proxy", "image": "envoy", "restartPolicy": "Always",
           "resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"}],
           "startupProbe": {"grpc": {"port": 9000}}}
        ],
        "containers": [{"name": "app", "image": "a", "resources": {"limits": {"cpu": "0.5"}}}]
      }})");
    auto m = mutate(pod, web_identity());
    const Json& init = m.pod_after["spec"]["initContainers"];
    EXPECT_EQ(init[0]["futureField"], pod["spec"]["initContainers"][0]["futureField"]);
    EXPECT_EQ(init[1]["restartPolicy"], "Always");
    EXPECT_EQ(init[1]["resizePolicy"], pod["spec"]["initContainers"][1]["resizePolicy"]);
    EXPECT_EQ(init[1]["startupProbe"], pod["spec"]["initContainers"][1]["startupProbe"]);
    EXPECT_EQ(m.pod_after["spec"]["containers"][0]["resources"]["limits"]["cpu"], "0.5");
    for (const auto& container : {init[0], init[1], m.pod_after["spec"]["containers"][0]}) {
        EXPECT_THAT(env_names(container),
                    ElementsAre("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"));
    }
}

TEST(BuildPatch, SkipContainersUsesCsvWithQuotesAndNoTrimming) {
    Json pod = Json::parse(R"({
      "metadata": {"name": "p", "annotations": {"eks.amazonaws.com/skip-containers": "\"side,car\",init, app2"}},
      "spec": {
        "initContainers": [{"name": "init"}],
        "containers": [{"name": "side,car"}, {"name": "app2"}, {"name": " app2"}, {"name": "app"}]
      }})");
    auto m = mutate(pod, web_identity());
    const Json& containers = m.pod_after["spec"]["containers"];
    EXPECT_FALSE(containers[0].contains("env"));  // "side,car" skipped (quoted comma)
    EXPECT_TRUE(containers[1].contains("env"));   // "app2" is not " app2"
    EXPECT_FALSE(containers[2].contains("env"));  // " app2" skipped (no trimming)
    EXPECT_TRUE(containers[3].contains("env"));
    EXPECT_FALSE(m.pod_after["spec"]["initContainers"][0].contains("env"));
    EXPECT_FALSE(m.pod_after["spec"]["initContainers"][0].contains("volumeMounts"));
    EXPECT_THAT(m.result.skipped_containers, ElementsAre(" app2", "init", "side,car"));
}

TEST(BuildPatch, UnparsableSkipContainersSkipsNothingAndWarns) {
    for (const char* value : {"a\"b", "\"unterminated", ""}) {
        Json pod = simple_pod();
        pod["metadata"]["annotations"] = {{"eks.amazonaws.com/skip-containers", value}};
        auto m = mutate(pod, web_identity());
        EXPECT_TRUE(m.pod_after["spec"]["containers"][0].contains("env")) << value;
        ASSERT_EQ(m.result.warnings.size(), 1U) << value;
        EXPECT_THAT(m.result.warnings[0], HasSubstr("no container is skipped"));
    }
}

TEST(BuildPatch, SkippingANameThatIsNotInThePodWarns) {
    Json pod = simple_pod();
    pod["metadata"]["annotations"] = {{"eks.amazonaws.com/skip-containers", "sidecar"}};
    auto m = mutate(pod, web_identity());
    ASSERT_EQ(m.result.warnings.size(), 1U);
    EXPECT_THAT(m.result.warnings[0], HasSubstr("\"sidecar\""));
}

TEST(BuildPatch, PodExpirationAnnotationWinsAndIsClampedTo600) {
    struct Case {
        std::optional<std::string> annotation;
        std::int64_t identity_expiration;
        std::int64_t expected;
        std::size_t warnings;
    };
    const std::vector<Case> cases = {
        {std::nullopt, 3600, 3600, 0},  // SA (or flag) value when the pod says nothing
        {"7200", 3600, 7200, 0},        // pod beats SA
        {"100000", 86400, 100000, 0},   // no upper clamp
        {"599", 3600, 600, 1},          // floor, with a warning
        {"-5", 3600, 600, 1},          {"0", 3600, 600, 1},
        {"abc", 3600, 3600, 1},    // invalid → ignored, with a warning
        {" 7200", 3600, 3600, 1},  // Go ParseInt does not trim
        {"+7200", 3600, 7200, 0},
    };
    for (const auto& c : cases) {
        Json pod = simple_pod();
        if (c.annotation)
            pod["metadata"]["annotations"] = {
                {"eks.amazonaws.com/token-expiration", *c.annotation}};
        auto m =
            mutate(pod, web_identity(kRole, "sts.amazonaws.com", false, c.identity_expiration));
        EXPECT_EQ(m.pod_after["spec"]["volumes"][0]["projected"]["sources"][0]
                             ["serviceAccountToken"]["expirationSeconds"],
                  c.expected)
            << c.annotation.value_or("<none>");
        EXPECT_EQ(m.result.warnings.size(), c.warnings) << c.annotation.value_or("<none>");
    }
}

TEST(BuildPatch, AnnotationPrefixIsConfigurable) {
    MutationSettings settings;
    settings.annotation_prefix = "example.com";
    Json pod = simple_pod();
    pod["metadata"]["annotations"] = {{"example.com/token-expiration", "1200"},
                                      {"eks.amazonaws.com/token-expiration", "5000"}};
    auto m = mutate(pod, web_identity(), settings);
    EXPECT_EQ(m.pod_after["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
                         ["expirationSeconds"],
              1200);
}

TEST(BuildPatch, WindowsTokenPathByNodeSelector) {
    for (const char* key : {"kubernetes.io/os", "beta.kubernetes.io/os"}) {
        Json pod = simple_pod();
        pod["spec"]["nodeSelector"] = {{key, "windows"}};
        auto m = mutate(pod, web_identity());
        const Json& container = m.pod_after["spec"]["containers"][0];
        EXPECT_EQ(env_value(container, "AWS_WEB_IDENTITY_TOKEN_FILE"),
                  "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token")
            << key;
        // Only the env value changes: the mount path stays POSIX.
        EXPECT_EQ(container["volumeMounts"][0]["mountPath"], kMountPath);
    }
    Json linux_pod = simple_pod();
    linux_pod["spec"]["nodeSelector"] = {{"kubernetes.io/os", "Windows"}};  // case-sensitive
    EXPECT_EQ(env_value(mutate(linux_pod, web_identity()).pod_after["spec"]["containers"][0],
                        "AWS_WEB_IDENTITY_TOKEN_FILE"),
              kTokenFile);
}

TEST(BuildPatch, WindowsTokenPathBySpecOsName) {
    Json pod = simple_pod();
    pod["spec"]["os"] = {{"name", "windows"}};
    EXPECT_EQ(env_value(mutate(pod, web_identity()).pod_after["spec"]["containers"][0],
                        "AWS_WEB_IDENTITY_TOKEN_FILE"),
              "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token");
}

TEST(BuildPatch, WindowsTokenPathByRequiredNodeAffinityOnly) {
    const auto pod_with_terms = [](const char* terms) {
        Json pod = simple_pod();
        pod["spec"]["affinity"] = {{"nodeAffinity",
                                    {{"requiredDuringSchedulingIgnoredDuringExecution",
                                      {{"nodeSelectorTerms", Json::parse(terms)}}}}}};
        return env_value(mutate(pod, web_identity()).pod_after["spec"]["containers"][0],
                         "AWS_WEB_IDENTITY_TOKEN_FILE");
    };
    const std::string windows = "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token";
    EXPECT_EQ(
        pod_with_terms(
            R"([{"matchExpressions":[{"key":"kubernetes.io/os","operator":"In","values":["windows"]}]}])"),
        windows);
    EXPECT_EQ(
        pod_with_terms(
            R"([{"matchExpressions":[{"key":"kubernetes.io/arch","operator":"In","values":["amd64"]},
        {"key":"beta.kubernetes.io/os","operator":"In","values":["windows","windows"]}]},
        {"matchExpressions":[{"key":"kubernetes.io/os","operator":"In","values":["windows"]}]}])"),
        windows);
    // one term that could land on Linux → not Windows
    EXPECT_EQ(
        pod_with_terms(
            R"([{"matchExpressions":[{"key":"kubernetes.io/os","operator":"In","values":["windows"]}]},
        {"matchExpressions":[{"key":"kubernetes.io/arch","operator":"In","values":["amd64"]}]}])"),
        kTokenFile);
    EXPECT_EQ(
        pod_with_terms(
            R"([{"matchExpressions":[{"key":"kubernetes.io/os","operator":"In","values":["windows","linux"]}]}])"),
        kTokenFile);
    EXPECT_EQ(
        pod_with_terms(
            R"([{"matchExpressions":[{"key":"kubernetes.io/os","operator":"NotIn","values":["linux"]}]}])"),
        kTokenFile);
    EXPECT_EQ(pod_with_terms(R"([])"), kTokenFile);
    // preferred terms do not count
    Json preferred = simple_pod();
    preferred["spec"]["affinity"] =
        Json::parse(R"({"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[
        {"weight":1,"preference":{"matchExpressions":[{"key":"kubernetes.io/os","operator":"In","values":["windows"]}]}}]}})");
    EXPECT_EQ(env_value(mutate(preferred, web_identity()).pod_after["spec"]["containers"][0],
                        "AWS_WEB_IDENTITY_TOKEN_FILE"),
              kTokenFile);
}

TEST(BuildPatch, TokenPathIsJoinedAndCleanedLikeGo) {
    EXPECT_EQ(token_file_path("/var/run/x/", "token", false), "/var/run/x/token");
    EXPECT_EQ(token_file_path("/var//run/./x/../y", "token", false), "/var/run/y/token");
    EXPECT_EQ(token_file_path("", "token", false), "token");
    EXPECT_EQ(token_file_path("/a", "", false), "/a");
    EXPECT_EQ(token_file_path("/a/b", "t", true), "C:\\a\\b\\t");
}

TEST(BuildPatch, CustomMountPathIsMountedVerbatimButJoinedForTheEnv) {
    MutationSettings settings;
    settings.token_mount_path = "/custom//path/";
    auto m = mutate(simple_pod(), web_identity(), settings);
    const Json& container = m.pod_after["spec"]["containers"][0];
    EXPECT_EQ(container["volumeMounts"][0]["mountPath"], "/custom//path/");
    EXPECT_EQ(env_value(container, "AWS_WEB_IDENTITY_TOKEN_FILE"), "/custom/path/token");
}

TEST(BuildPatch, ContainerCredentialsModeInjectsItsOwnVariablesVolumeAndLabel) {
    MutationSettings settings;
    settings.aws_default_region = "us-east-1";
    Json pod = simple_pod();
    pod["spec"]["containers"][0]["env"] =
        Json::parse(R"([{"name":"AWS_ROLE_ARN","value":"arn:aws:iam::1:role/x"}])");
    FixedJitter jitter(80000);
    auto m = mutate(pod, container_credentials(true), settings, &jitter);
    const Json& container = m.pod_after["spec"]["containers"][0];
    // role env left as-is (upstream fixture containercredentials/rawPodWithRoleArn)
    EXPECT_THAT(env_names(container),
                ElementsAre("AWS_ROLE_ARN", "AWS_STS_REGIONAL_ENDPOINTS", "AWS_DEFAULT_REGION",
                            "AWS_REGION", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"));
    EXPECT_EQ(env_value(container, "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
              "http://169.254.170.23/v1/credentials");
    EXPECT_EQ(env_value(container, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
              "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token");
    EXPECT_EQ(container["volumeMounts"][0],
              Json::parse(R"({"name":"eks-pod-identity-token","readOnly":true,
        "mountPath":"/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"})"));
    EXPECT_EQ(m.pod_after["spec"]["volumes"][0],
              Json::parse(R"({"name":"eks-pod-identity-token","projected":{"sources":[
        {"serviceAccountToken":{"audience":"pods.eks.amazonaws.com","expirationSeconds":80000,"path":"eks-pod-identity-token"}}]}})"));
    EXPECT_EQ(m.pod_after["metadata"]["labels"]["eks.amazonaws.com/pod-identity"], "enabled");
}

TEST(BuildPatch, ContainerCredentialsLabelPathDependsOnLabelsPresence) {
    Json absent = simple_pod();
    Json null_labels = simple_pod();
    null_labels["metadata"]["labels"] = nullptr;
    Json empty = simple_pod();
    empty["metadata"]["labels"] = Json::object();
    Json other = simple_pod();
    other["metadata"]["labels"] = {{"app", "x"}, {"eks.amazonaws.com/pod-identity", "disabled"}};

    EXPECT_EQ(
        mutate(absent, container_credentials()).patch[0],
        Json::parse(
            R"({"op":"add","path":"/metadata/labels","value":{"eks.amazonaws.com/pod-identity":"enabled"}})"));
    EXPECT_EQ(mutate(null_labels, container_credentials()).patch[0]["path"], "/metadata/labels");
    EXPECT_EQ(
        mutate(empty, container_credentials()).patch[0],
        Json::parse(
            R"({"op":"add","path":"/metadata/labels/eks.amazonaws.com~1pod-identity","value":"enabled"})"));
    auto m = mutate(other, container_credentials());
    EXPECT_EQ(m.pod_after["metadata"]["labels"]["eks.amazonaws.com/pod-identity"],
              "enabled");  // overwritten
    EXPECT_EQ(m.pod_after["metadata"]["labels"]["app"], "x");
}

TEST(BuildPatch, WebIdentityModeAddsNoLabel) {
    auto m = mutate(simple_pod(), web_identity());
    EXPECT_FALSE(m.pod_after["metadata"].contains("labels"));
}

TEST(BuildPatch, JitterOnlyForTheDefaultExpirationInContainerCredentialsMode) {
    FixedJitter jitter(79999);
    auto jittered = mutate(simple_pod(), container_credentials(false, 86400), {}, &jitter);
    EXPECT_EQ(jitter.calls, 1);
    EXPECT_EQ(jitter.last_low, 79200);
    EXPECT_EQ(jitter.last_high, 86400);
    EXPECT_EQ(jittered.result.token_expiration, 79999);

    FixedJitter unused(1);
    EXPECT_EQ(mutate(simple_pod(), container_credentials(false, 3600), {}, &unused)
                  .result.token_expiration,
              3600);
    EXPECT_EQ(mutate(simple_pod(), web_identity(kRole, "a", false, 86400), {}, &unused)
                  .result.token_expiration,
              86400);
    EXPECT_EQ(unused.calls, 0);

    // an explicit pod annotation of exactly 86400 is jittered too (upstream)
    Json pod = simple_pod();
    pod["metadata"]["annotations"] = {{"eks.amazonaws.com/token-expiration", "86400"}};
    FixedJitter explicit_default(80001);
    EXPECT_EQ(mutate(pod, container_credentials(false, 3600), {}, &explicit_default)
                  .result.token_expiration,
              80001);
}

TEST(BuildPatch, RandomJitterStaysInRange) {
    RandomJitter jitter;
    std::int64_t low_seen = 86400;
    std::int64_t high_seen = 79200;
    for (int i = 0; i < 20000; ++i) {
        const std::int64_t value = jitter.uniform(79200, 86400);
        ASSERT_GE(value, 79200);
        ASSERT_LE(value, 86400);
        low_seen = std::min(low_seen, value);
        high_seen = std::max(high_seen, value);
    }
    // 20k draws over 7201 values: the extremes of the range are reached (or nearly).
    EXPECT_LT(low_seen, 79200 + 50);
    EXPECT_GT(high_seen, 86400 - 50);
}

TEST(BuildPatch, SecondPassOverAMutatedPodYieldsNoPatch) {
    MutationSettings settings;
    settings.aws_default_region = "eu-west-1";
    Json pod = Json::parse(R"({
      "metadata": {"name": "p", "labels": {}},
      "spec": {"volumes": [], "initContainers": [{"name": "i"}, {"name": "s", "restartPolicy": "Always"}],
               "containers": [{"name": "a", "env": [{"name":"X","value":"1"}]}, {"name": "b", "volumeMounts": []}]}})");
    for (const Identity& identity :
         {web_identity(kRole, "sts.amazonaws.com", true), container_credentials(true)}) {
        auto first = mutate(pod, identity, settings);
        EXPECT_EQ(first.result.outcome, Outcome::mutated);
        auto second = mutate(first.pod_after, identity, settings);
        EXPECT_EQ(second.result.outcome, Outcome::already_mutated) << second.result.patch;
        EXPECT_TRUE(second.result.patch.empty());
        EXPECT_EQ(second.pod_after, first.pod_after);
    }
}

TEST(BuildPatch, NoRoleMeansNoPatch) {
    Identity none;
    none.service_account_found = true;
    auto m = mutate(simple_pod(), none);
    EXPECT_EQ(m.result.outcome, Outcome::no_role);
    EXPECT_TRUE(m.result.patch.empty());
    none.service_account_found = false;
    EXPECT_EQ(mutate(simple_pod(), none).result.outcome, Outcome::service_account_not_found);
}

TEST(BuildPatch, PodWithoutContainersStillGetsTheVolume) {
    Json pod = Json::parse(R"({"metadata":{"name":"p"},"spec":{}})");
    auto m = mutate(pod, web_identity());
    EXPECT_EQ(m.pod_after["spec"]["volumes"][0]["name"], "aws-iam-token");
    Json no_spec = Json::parse(R"({"metadata":{"name":"p"}})");
    EXPECT_EQ(mutate(no_spec, web_identity()).pod_after["spec"]["volumes"][0]["name"],
              "aws-iam-token");
    Json no_metadata = Json::parse(R"({"spec":{}})");
    EXPECT_EQ(mutate(no_metadata, container_credentials())
                  .pod_after["metadata"]["labels"]["eks.amazonaws.com/pod-identity"],
              "enabled");
}

TEST(BuildPatch, ValuesAreEscapedIntoValidJson) {
    auto m = mutate(simple_pod(), web_identity("arn:aws:iam::111122223333:role/a\"b\\c<&>\n"));
    EXPECT_EQ(env_value(m.pod_after["spec"]["containers"][0], "AWS_ROLE_ARN"),
              "arn:aws:iam::111122223333:role/a\"b\\c<&>\n");
}

TEST(BuildPatch, NearMissAnnotationsOnPodAndServiceAccountWarn) {
    Json pod = simple_pod();
    pod["metadata"]["annotations"] = {{"eks.amazonaws.com/token_expiration", "3600"},
                                      {"eks.amazonaws.com/skip-containers", "balajilovesoreos"}};
    Identity identity = web_identity();
    identity.findings.near_miss_keys = {"eks.amazon.com/role-arn"};
    auto m = mutate(pod, identity);
    ASSERT_EQ(m.result.warnings.size(), 2U);
    EXPECT_EQ(m.result.warnings[0],
              "pod annotation \"eks.amazonaws.com/token_expiration\" is ignored; did you mean "
              "\"eks.amazonaws.com/token-expiration\"?");
    EXPECT_EQ(m.result.warnings[1],
              "ServiceAccount annotation \"eks.amazon.com/role-arn\" is ignored; did you mean "
              "\"eks.amazonaws.com/role-arn\"?");
}

TEST(BuildPatch, ServiceAccountFindingsWarnEvenWhenThePodIsNotMutated) {
    Identity none;
    none.service_account_found = true;
    none.findings.near_miss_keys = {"eks.amazonaws.com/Role-Arn"};
    auto m = mutate(simple_pod(), none);
    EXPECT_EQ(m.result.outcome, Outcome::no_role);
    ASSERT_EQ(m.result.warnings.size(), 1U);
    EXPECT_THAT(m.result.warnings[0], HasSubstr("did you mean \"eks.amazonaws.com/role-arn\""));
}

TEST(BuildPatch, InvalidRoleArnAndClampedServiceAccountExpirationWarn) {
    Identity identity = web_identity("s3-reader");
    identity.findings.role_arn_invalid = true;
    identity.findings.clamped_expiration = 60;
    identity.token_expiration = 600;
    auto m = mutate(simple_pod(), identity);
    ASSERT_EQ(m.result.warnings.size(), 2U);
    EXPECT_THAT(m.result.warnings[0], HasSubstr("\"s3-reader\""));
    EXPECT_THAT(m.result.warnings[1], HasSubstr("token-expiration 60"));
    // The ARN is still used (upstream: warning only).
    EXPECT_EQ(env_value(m.pod_after["spec"]["containers"][0], "AWS_ROLE_ARN"), "s3-reader");
}

TEST(BuildPatch, WarningsStayWithin120CharactersWhateverTheInput) {
    Json pod = simple_pod();
    const std::string long_value(500, 'x');
    pod["metadata"]["annotations"] = {
        {"eks.amazonaws.com/skip-containers", long_value + "\"" + "é€"},
        {"eks.amazonaws.com/ROLE_ARN", "v"}};
    Identity identity = web_identity("arn:" + long_value);
    identity.findings.role_arn_invalid = true;
    identity.findings.near_miss_keys = {"ekss.amazonaws.com/" + std::string(300, 'a'),
                                        "eks.amazonaws.co/audience"};
    auto m = mutate(pod, identity);  // mutate() asserts every warning is <= 120 bytes
    EXPECT_GE(m.result.warnings.size(), 3U);
    for (const auto& warning : m.result.warnings) {
        EXPECT_EQ(warning.find('\n'), std::string::npos);
        EXPECT_NO_THROW((void)Json(warning).dump());  // valid UTF-8
    }
}

}  // namespace
}  // namespace piw::mutation
