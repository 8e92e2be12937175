// Google Benchmark of the pure mutation core and of one whole admission (decode the
// AdmissionReview, build the patch, encode the response) on small, typical and large pods.
//
//   build/bench/piw_micro_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "pod_identity_webhook/admission/review.hpp"
#include "pod_identity_webhook/mutation/build_patch.hpp"
#include "pod_identity_webhook/mutation/pod_reader.hpp"

namespace {

using Json = nlohmann::json;
using namespace piw;

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

Json typical_review() {
    return Json::parse(read_file(std::string(PIW_SOURCE_DIR) + "/tests/data/typical-review.json"));
}

Json small_review() {
    Json review = typical_review();
    review["request"]["object"] = Json::parse(R"({
      "apiVersion": "v1", "kind": "Pod",
      "metadata": {"name": "small", "namespace": "payments"},
      "spec": {"serviceAccountName": "payments-api",
               "containers": [{"name": "app", "image": "amazonlinux"}]}})");
    return review;
}

// 12 containers with 40 env vars and 8 mounts each, 30 volumes, lots of annotations.
Json large_review() {
    Json review = typical_review();
    Json& pod = review["request"]["object"];
    Json containers = Json::array();
    for (int c = 0; c < 12; ++c) {
        Json container = {{"name", "container-" + std::to_string(c)},
                          {"image", "registry.example.com/team/app:" + std::to_string(c)}};
        for (int e = 0; e < 40; ++e) {
            container["env"].push_back(
                {{"name", "VAR_" + std::to_string(e)},
                 {"value", std::string(40, static_cast<char>('a' + e % 26))}});
        }
        for (int m = 0; m < 8; ++m) {
            container["volumeMounts"].push_back(
                {{"name", "vol-" + std::to_string(m)}, {"mountPath", "/mnt/" + std::to_string(m)}});
        }
        container["resources"] = {{"limits", {{"cpu", "2"}, {"memory", "4Gi"}}}};
        containers.push_back(container);
    }
    pod["spec"]["containers"] = containers;
    for (int v = 0; v < 30; ++v) {
        pod["spec"]["volumes"].push_back(
            {{"name", "vol-" + std::to_string(v)}, {"emptyDir", Json::object()}});
    }
    for (int a = 0; a < 40; ++a) {
        pod["metadata"]["annotations"]["example.com/annotation-" + std::to_string(a)] =
            std::string(60, 'x');
    }
    return review;
}

mutation::MutationSettings region_settings() {
    mutation::MutationSettings settings;
    settings.aws_default_region = "eu-west-1";
    return settings;
}

Identity role() {
    Identity identity;
    identity.mode = CredentialMode::web_identity;
    identity.service_account_found = true;
    identity.role_arn = "arn:aws:iam::111122223333:role/payments-api";
    identity.audience = "sts.amazonaws.com";
    identity.regional_sts = true;
    identity.source = "ServiceAccount";
    return identity;
}

// The core alone: facts already read, patch and warnings built.
void BuildPatch(benchmark::State& state, const Json& review) {
    const mutation::MutationSettings settings = region_settings();
    mutation::PodReader reader(settings);
    auto facts = reader.read_json(review["request"]["object"].dump());
    if (!facts.ok()) {
        state.SkipWithError(facts.error().c_str());
        return;
    }
    mutation::RandomJitter jitter;
    const Identity identity = role();
    for (auto _ : state) {
        auto result = mutation::build_patch(*facts, identity, settings, jitter);
        benchmark::DoNotOptimize(result);
    }
}

// One admission without HTTP: decode the review in place, build the patch, encode the answer.
class AdmissionRun {
  public:
    explicit AdmissionRun(const Json& review) : body_(review.dump()) {
        size_ = body_.size();
        body_.reserve(size_ + 64);  // the padding the server guarantees
    }
    std::string operator()() {
        auto decoded = decoder_.decode(std::string_view(body_.data(), size_), body_.capacity());
        auto result = mutation::build_patch(decoded.pod, identity_, settings_, jitter_);
        admission::AdmissionResponse response;
        response.patch = std::move(result.patch);
        return admission::encode_response(decoded.type_meta, decoded.uid, response);
    }
    [[nodiscard]] std::size_t body_size() const { return size_; }

  private:
    const mutation::MutationSettings settings_ = region_settings();
    admission::ReviewDecoder decoder_{settings_};
    std::string body_;
    std::size_t size_ = 0;
    mutation::RandomJitter jitter_;
    const Identity identity_ = role();
};

void Admission(benchmark::State& state, const Json& review) {
    AdmissionRun run(review);
    for (auto _ : state) {
        auto encoded = run();
        benchmark::DoNotOptimize(encoded);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(run.body_size()));
    state.counters["body_bytes"] = static_cast<double>(run.body_size());
}

// The nlohmann DOM round trip the issue quotes as the cost to avoid (~88 µs + ~20 µs).
void NlohmannParseAndDump(benchmark::State& state, const Json& review) {
    const std::string body = review.dump();
    for (auto _ : state) {
        auto parsed = Json::parse(body);
        auto text = parsed.dump();
        benchmark::DoNotOptimize(text);
    }
}

BENCHMARK_CAPTURE(BuildPatch, small, small_review());
BENCHMARK_CAPTURE(BuildPatch, typical, typical_review());
BENCHMARK_CAPTURE(BuildPatch, large, large_review());
BENCHMARK_CAPTURE(Admission, small, small_review());
BENCHMARK_CAPTURE(Admission, typical, typical_review());
BENCHMARK_CAPTURE(Admission, large, large_review());
BENCHMARK_CAPTURE(NlohmannParseAndDump, typical, typical_review());

// `piw_micro_bench --profile N`: exactly N typical admissions and nothing else, so that
// `valgrind --tool=callgrind` counts (deterministic) instructions per admission.
int profile(long iterations) {
    AdmissionRun run(typical_review());
    std::size_t total = 0;
    for (long i = 0; i < iterations; ++i) total += run().size();
    return total > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string_view(argv[1]) == "--profile") return profile(std::atol(argv[2]));
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
