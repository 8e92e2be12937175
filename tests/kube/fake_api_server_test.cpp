// The fake API server the kube tests run against: its LIST, WATCH and failure behaviour must be
// kube-apiserver's, or the client tests would prove nothing. Driven with cpp-httplib's client,
// verifying the server against the fake's CA.

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/eventually.hpp"
#include "support/fake_api_server.hpp"
#include "support/temp_dir.hpp"

namespace piw::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::unique_ptr<httplib::SSLClient> make_client(const FakeApiServer& api,
                                                const std::filesystem::path& ca_file,
                                                const std::string& token = "test-token") {
    auto cli = std::make_unique<httplib::SSLClient>("127.0.0.1", api.port());
    cli->set_ca_cert_path(ca_file.c_str());
    cli->enable_server_certificate_verification(true);
    cli->set_bearer_token_auth(token);
    cli->set_read_timeout(10s);
    cli->set_keep_alive(true);  // like the webhook's client
    return cli;
}

class FakeApiServerTest : public ::testing::Test {
  protected:
    void SetUp() override { api_.write_ca(dir_ / "ca.crt"); }

    std::unique_ptr<httplib::SSLClient> client(const std::string& token = "test-token") const {
        return make_client(api_, dir_ / "ca.crt", token);
    }

    // A GET that must work; returns the parsed body.
    json get_json(httplib::SSLClient& cli, const std::string& path) const {
        const auto response = cli.Get(path.c_str());
        if (!response) throw std::runtime_error("GET " + path + ": " + to_string(response.error()));
        if (response->status != 200) {
            throw std::runtime_error("GET " + path + ": " + std::to_string(response->status) + " " +
                                     response->body);
        }
        return json::parse(response->body);
    }

    TempDir dir_{"piw-fake-api-test"};
    FakeApiServer api_;
};

// Runs a WATCH on its own thread and collects the event lines.
class WatchCollector {
  public:
    WatchCollector(std::unique_ptr<httplib::SSLClient> client, std::string path)
        : client_(std::move(client)), thread_([this, path = std::move(path)] { run(path); }) {}
    ~WatchCollector() {
        client_->stop();
        thread_.join();
    }
    WatchCollector(const WatchCollector&) = delete;
    WatchCollector& operator=(const WatchCollector&) = delete;

    std::vector<json> events() const {
        const std::lock_guard lock(mutex_);
        return events_;
    }
    std::size_t size() const { return events().size(); }
    bool ended() const { return ended_.load(); }
    int status() const { return status_.load(); }

  private:
    void run(const std::string& path) {
        std::string buffer;
        const auto result = client_->Get(
            path.c_str(),
            [this](const httplib::Response& response) {
                status_.store(response.status);
                return true;
            },
            [this, &buffer](const char* data, std::size_t size) {
                buffer.append(data, size);
                for (std::size_t end = buffer.find('\n'); end != std::string::npos;
                     end = buffer.find('\n')) {
                    json event = json::parse(buffer.substr(0, end));
                    buffer.erase(0, end + 1);
                    const std::lock_guard lock(mutex_);
                    events_.push_back(std::move(event));
                }
                return true;
            });
        (void)result;
        ended_.store(true);
    }

    std::unique_ptr<httplib::SSLClient> client_;
    mutable std::mutex mutex_;
    std::vector<json> events_;
    std::atomic<bool> ended_{false};
    std::atomic<int> status_{0};
    std::thread thread_;  // last: starts once the members above exist
};

TEST_F(FakeApiServerTest, ListPagesReturnEveryObjectOnceAtTheFirstPagesResourceVersion) {
    std::set<std::string> expected;
    for (int i = 0; i < 23; ++i) {
        const std::string ns = "ns-" + std::to_string(i % 4);
        const std::string name = "sa-" + std::to_string(i);
        api_.put_service_account(ns, name, {{"eks.amazonaws.com/role-arn", "arn:" + name}});
        expected.insert(ns + "/" + name);
    }
    api_.start();
    auto cli = client();

    std::multiset<std::string> seen;
    std::string list_rv;
    std::string token;
    int pages = 0;
    do {
        const json page = get_json(
            *cli, "/api/v1/serviceaccounts?limit=5" + (token.empty() ? "" : "&continue=" + token));
        ++pages;
        EXPECT_EQ(page["kind"], "ServiceAccountList");
        const std::string rv = page["metadata"]["resourceVersion"];
        if (list_rv.empty()) list_rv = rv;
        EXPECT_EQ(rv, list_rv) << "every page reports the first page's resourceVersion";
        for (const json& item : page["items"]) {
            EXPECT_FALSE(item.contains("kind")) << "List items carry no kind, as in real k8s";
            seen.insert(item["metadata"]["namespace"].get<std::string>() + "/" +
                        item["metadata"]["name"].get<std::string>());
        }
        token = page["metadata"].value("continue", "");
        // A change between pages must not move the list's resourceVersion.
        api_.put_service_account("ns-0", "sa-0", {{"changed", std::to_string(pages)}});
    } while (!token.empty());

    EXPECT_EQ(pages, 5);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
    EXPECT_EQ(seen.size(), expected.size()) << "no object twice";

    // Namespaced list and single GET.
    const json ns1 = get_json(*cli, "/api/v1/namespaces/ns-1/serviceaccounts");
    EXPECT_EQ(ns1["items"].size(), 6U);
    const json one = get_json(*cli, "/api/v1/namespaces/ns-1/serviceaccounts/sa-5");
    EXPECT_EQ(one["kind"], "ServiceAccount");
    EXPECT_EQ(one["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], "arn:sa-5");
    const auto missing = cli->Get("/api/v1/namespaces/ns-1/serviceaccounts/nope");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(json::parse(missing->body)["reason"], "NotFound");
}

TEST_F(FakeApiServerTest, WatchFromTheListResourceVersionSeesLaterChangesInOrder) {
    api_.put_service_account("default", "a");
    api_.start();
    auto cli = client();
    const json list = get_json(*cli, "/api/v1/serviceaccounts");
    const std::string rv = list["metadata"]["resourceVersion"];

    WatchCollector watch(client(), "/api/v1/serviceaccounts?watch=true&resourceVersion=" + rv +
                                       "&allowWatchBookmarks=true&timeoutSeconds=30");
    ASSERT_TRUE(eventually([&] { return api_.open_watches() == 1; }));
    api_.put_service_account("default", "b");
    api_.put_service_account("default", "a", {{"eks.amazonaws.com/role-arn", "arn:a"}});
    api_.delete_service_account("default", "b");
    ASSERT_TRUE(eventually([&] { return watch.size() >= 3; }));

    const auto events = watch.events();
    ASSERT_EQ(events.size(), 3U);
    EXPECT_EQ(events[0]["type"], "ADDED");
    EXPECT_EQ(events[0]["object"]["metadata"]["name"], "b");
    EXPECT_EQ(events[0]["object"]["kind"], "ServiceAccount");
    EXPECT_EQ(events[1]["type"], "MODIFIED");
    EXPECT_EQ(events[1]["object"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
              "arn:a");
    EXPECT_EQ(events[2]["type"], "DELETED");
    EXPECT_EQ(events[2]["object"]["metadata"]["name"], "b");
    EXPECT_EQ(events[2]["object"]["metadata"]["resourceVersion"], api_.resource_version());
    EXPECT_EQ(api_.count_watches("/serviceaccounts"), 1);
}

TEST_F(FakeApiServerTest, WatchFromACompactedResourceVersionGetsA410ErrorEvent) {
    const std::string old_rv = api_.put_service_account("default", "a");
    api_.put_service_account("default", "b");
    api_.compact();
    api_.start();

    WatchCollector watch(client(), "/api/v1/serviceaccounts?watch=true&resourceVersion=" + old_rv);
    ASSERT_TRUE(eventually([&] { return watch.ended(); }));
    EXPECT_EQ(watch.status(), 200);
    const auto events = watch.events();
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0]["type"], "ERROR");
    EXPECT_EQ(events[0]["object"]["code"], 410);
    EXPECT_EQ(events[0]["object"]["reason"], "Expired");

    // From the current resourceVersion a watch works.
    WatchCollector current(
        client(), "/api/v1/serviceaccounts?watch=true&resourceVersion=" + api_.resource_version());
    api_.put_service_account("default", "c");
    ASSERT_TRUE(eventually([&] { return current.size() == 1; }));
    EXPECT_EQ(current.events()[0]["type"], "ADDED");
}

TEST_F(FakeApiServerTest, WatchWithoutResourceVersionStartsWithTheCurrentObjects) {
    api_.put_config_map("kube-system", "other", {{"k", "v"}});
    api_.put_config_map("kube-system", "pod-identity-webhook", {{"config", "x"}});
    api_.start();

    WatchCollector watch(client(),
                         "/api/v1/namespaces/kube-system/configmaps?watch=1&"
                         "fieldSelector=metadata.name%3Dpod-identity-webhook");
    ASSERT_TRUE(eventually([&] { return watch.size() == 1; }));
    api_.put_config_map("kube-system", "other", {{"k", "w"}});
    api_.put_config_map("kube-system", "pod-identity-webhook", {{"config", "y"}});
    ASSERT_TRUE(eventually([&] { return watch.size() == 2; }));
    const auto events = watch.events();
    EXPECT_EQ(events[0]["type"], "ADDED");
    EXPECT_EQ(events[0]["object"]["data"]["config"], "x");
    EXPECT_EQ(events[1]["type"], "MODIFIED");
    EXPECT_EQ(events[1]["object"]["data"]["config"], "y");
}

TEST_F(FakeApiServerTest, StalledWatchesDeliverLaterAndDroppedOnesEnd) {
    FakeApiServerOptions options;
    options.bookmark_interval = 50ms;
    FakeApiServer api(options);
    api.write_ca(dir_ / "ca.crt");
    api.start();
    api.set_watches_stalled(true);
    WatchCollector watch(make_client(api, dir_ / "ca.crt"),
                         "/api/v1/serviceaccounts?watch=true&resourceVersion=" +
                             api.resource_version() + "&allowWatchBookmarks=true");
    ASSERT_TRUE(eventually([&] { return api.open_watches() == 1; }));
    api.put_service_account("default", "a");
    std::this_thread::sleep_for(200ms);  // a stalled watch must stay silent meanwhile
    EXPECT_EQ(watch.size(), 0U);

    api.set_watches_stalled(false);
    ASSERT_TRUE(eventually([&] {
        const auto events = watch.events();
        return events.size() >= 2 && events.back()["type"] == "BOOKMARK";
    }));
    EXPECT_EQ(watch.events()[0]["type"], "ADDED");
    EXPECT_EQ(watch.events().back()["object"]["metadata"]["resourceVersion"],
              api.resource_version());

    api.drop_watches();
    EXPECT_TRUE(eventually([&] { return watch.ended(); }));
    EXPECT_TRUE(eventually([&] { return api.open_watches() == 0; }));
}

TEST_F(FakeApiServerTest, ClosedClientEndsItsWatch) {
    api_.start();
    {
        WatchCollector watch(client(), "/api/v1/serviceaccounts?watch=true");
        ASSERT_TRUE(eventually([&] { return api_.open_watches() == 1; }));
    }  // the client closes its connection
    EXPECT_TRUE(eventually([&] { return api_.open_watches() == 0; }))
        << "a watch whose client left must free its worker";
}

TEST_F(FakeApiServerTest, WrongTokenGets401UntilItIsAccepted) {
    api_.put_service_account("default", "a");
    api_.start();
    auto cli = client("wrong");
    auto response = cli->Get("/api/v1/serviceaccounts");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);
    EXPECT_EQ(json::parse(response->body)["reason"], "Unauthorized");

    api_.set_tokens({"rotated", "wrong"});
    response = cli->Get("/api/v1/serviceaccounts");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(api_.requests().back().authorization, "Bearer wrong");
}

TEST_F(FakeApiServerTest, InjectedFailuresHitMatchingPathsAndCountDown) {
    api_.put_config_map("kube-system", "c", {{"k", "v"}});
    api_.start();
    auto cli = client();
    api_.fail_next_requests(2, 503, "/configmaps");

    EXPECT_EQ(cli->Get("/api/v1/serviceaccounts")->status, 200);
    for (int i = 0; i < 2; ++i) {
        const auto response = cli->Get("/api/v1/namespaces/kube-system/configmaps");
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 503);
        EXPECT_EQ(json::parse(response->body)["reason"], "ServiceUnavailable");
    }
    EXPECT_EQ(cli->Get("/api/v1/namespaces/kube-system/configmaps/c")->status, 200);
    EXPECT_EQ(api_.count_requests("/configmaps"), 3);
    EXPECT_EQ(api_.count_requests(), 4);
    EXPECT_EQ(api_.count_watches(), 0);
    EXPECT_EQ(api_.requests()[1].status, 503);
}

TEST_F(FakeApiServerTest, StopsPromptlyAndStartsAgainOnTheSamePort) {
    api_.put_service_account("default", "a");
    const unsigned short port = api_.start();
    auto cli = client();  // keeps its connection alive: that must not hold stop() up
    EXPECT_EQ(cli->Get("/api/v1/serviceaccounts")->status, 200);
    WatchCollector watch(client(), "/api/v1/serviceaccounts?watch=true");
    ASSERT_TRUE(eventually([&] { return api_.open_watches() == 1; }));

    const auto before = std::chrono::steady_clock::now();
    api_.stop();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 2s);
    EXPECT_FALSE(api_.running());
    EXPECT_TRUE(eventually([&] { return watch.ended(); }));
    EXPECT_FALSE(client()->Get("/api/v1/serviceaccounts")) << "nothing listens while stopped";

    EXPECT_EQ(api_.start(port), port);
    EXPECT_TRUE(api_.running());
    const auto response = client()->Get("/api/v1/serviceaccounts");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
}

TEST_F(FakeApiServerTest, WritesAKubeconfigWithServerCaAndToken) {
    api_.start();
    api_.write_kubeconfig(dir_ / "kubeconfig", "", "https://127.0.0.1:1");
    const std::string text = read_file(dir_ / "kubeconfig");
    EXPECT_NE(text.find("server: \"https://127.0.0.1:1\""), std::string::npos) << text;
    EXPECT_NE(text.find("token: \"test-token\""), std::string::npos) << text;
    EXPECT_NE(text.find("certificate-authority-data: LS0t"), std::string::npos) << text;
    EXPECT_NE(text.find("current-context: fake"), std::string::npos) << text;
}

// The scale benchmark (bench/kube_sync.sh) lists 100k-300k generated ServiceAccounts through
// this server: every one must come exactly once, every 10th annotated. Timing belongs to the
// benchmark, not here; the printed figures are for PIW_FAKE_API_OBJECTS=N runs by hand.
TEST_F(FakeApiServerTest, GeneratedObjectsAreListedCompletely) {
    std::size_t count = 20000;
    if (const char* env = std::getenv("PIW_FAKE_API_OBJECTS")) count = std::stoul(env);
    const auto t0 = std::chrono::steady_clock::now();
    api_.add_generated_service_accounts(count);
    const auto t1 = std::chrono::steady_clock::now();
    ASSERT_EQ(api_.service_account_count(), count);
    api_.start();
    auto cli = client();

    // The pages are scanned as text, not parsed into a DOM, so that the time is the server's.
    std::set<std::string> names;
    std::size_t annotated = 0;
    std::size_t bytes = 0;
    std::string token;
    constexpr std::string_view kItemStart = R"({"metadata":{"name":")";
    constexpr std::string_view kContinue = R"("continue":")";
    do {
        const auto response = cli->Get(
            ("/api/v1/serviceaccounts?limit=500" + (token.empty() ? "" : "&continue=" + token))
                .c_str());
        ASSERT_TRUE(response);
        ASSERT_EQ(response->status, 200);
        const std::string& body = response->body;
        bytes += body.size();
        for (std::size_t at = body.find(kItemStart); at != std::string::npos;
             at = body.find(kItemStart, at)) {
            at += kItemStart.size();
            names.insert(body.substr(at, body.find('"', at) - at));
        }
        for (std::size_t at = body.find(R"(role-arn":")"); at != std::string::npos;
             at = body.find(R"(role-arn":")", at + 1)) {
            ++annotated;
        }
        const std::size_t items = body.find(R"("items":[)");
        const std::size_t at = body.find(kContinue);
        token = at < items
                    ? body.substr(at + kContinue.size(),
                                  body.find('"', at + kContinue.size()) - (at + kContinue.size()))
                    : "";
    } while (!token.empty());
    const auto t2 = std::chrono::steady_clock::now();

    using ms = std::chrono::milliseconds;
    std::cout << "[ fake-api ] generated " << count << " ServiceAccounts in "
              << std::chrono::duration_cast<ms>(t1 - t0).count() << " ms; listed " << bytes / count
              << " B/object in pages of 500 in " << std::chrono::duration_cast<ms>(t2 - t1).count()
              << " ms\n";
    EXPECT_EQ(names.size(), count);
    EXPECT_EQ(annotated, (count + 9) / 10);
    EXPECT_EQ(api_.count_requests(), static_cast<int>((count + 499) / 500));
}

}  // namespace
}  // namespace piw::testing
