// The reflector against the fake API server through the real client: what it asks for (pages,
// resourceVersions, bookmarks) and what its handler sees (a whole LIST, then watch events, and a
// new LIST after 410).

#include "pod_identity_webhook/kube/reflector.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "support/eventually.hpp"
#include "support/fake_api_server.hpp"
#include "support/temp_dir.hpp"

namespace piw::kube {
namespace {

using namespace std::chrono_literals;
using piw::testing::eventually;
using piw::testing::FakeApiServer;
using piw::testing::FakeApiServerOptions;
using piw::testing::TempDir;
using ::testing::HasSubstr;

// Records every call, as "begin", "list ns/name", "end", "ADDED ns/name", ...
class RecordingHandler final : public ReflectorHandler {
  public:
    void on_list_begin() override { add("begin"); }
    void on_list_object(KubeObject object) override {
        add("list " + object.namespace_ + "/" + object.name + annotations(object));
    }
    void on_list_end() override { add("end"); }
    void on_list_abandoned() override { add("abandoned"); }
    void on_watch_event(WatchEventType type, KubeObject object) override {
        const char* name = type == WatchEventType::added      ? "ADDED"
                           : type == WatchEventType::modified ? "MODIFIED"
                                                              : "DELETED";
        add(std::string(name) + " " + object.namespace_ + "/" + object.name + annotations(object));
    }

    std::vector<std::string> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    int count(std::string_view prefix) const {
        std::lock_guard lock(mutex_);
        return static_cast<int>(std::count_if(
            calls_.begin(), calls_.end(),
            [prefix](const auto& c) { return std::string_view(c).starts_with(prefix); }));
    }
    bool saw(const std::string& call) const {
        std::lock_guard lock(mutex_);
        return std::find(calls_.begin(), calls_.end(), call) != calls_.end();
    }

  private:
    static std::string annotations(const KubeObject& object) {
        std::string text;
        for (const auto& [key, value] : object.annotations) text += " " + key + "=" + value;
        return text;
    }
    void add(std::string call) {
        std::lock_guard lock(mutex_);
        calls_.push_back(std::move(call));
    }
    mutable std::mutex mutex_;
    std::vector<std::string> calls_;
};

class ReflectorTest : public ::testing::Test {
  protected:
    explicit ReflectorTest(FakeApiServerOptions api_options = {}) : api_(api_options) {}

    void start(std::size_t page_size = 100) {
        api_.start();
        api_.write_kubeconfig(dir_ / "kubeconfig");
        auto config = load_kubeconfig((dir_ / "kubeconfig").string());
        ASSERT_TRUE(config.ok()) << config.error();
        auto client = KubeClient::create(std::move(config).value());
        ASSERT_TRUE(client.ok()) << client.error();
        client_ = std::move(client).value();
        ReflectorOptions options;
        options.page_size = page_size;
        options.initial_backoff = 20ms;
        options.max_backoff = 100ms;
        options.decode.keep_annotation = [](std::string_view key) {
            return key.starts_with("eks.amazonaws.com/");
        };
        options.on_restart = [this](std::string_view reason) {
            std::lock_guard lock(restarts_mutex_);
            restarts_.emplace_back(reason);
        };
        reflector_ = std::make_unique<Reflector>(*client_, std::move(options), handler_);
        reflector_->start();
        ASSERT_TRUE(eventually([this]() { return reflector_->synced(); }, 5s))
            << reflector_->last_error();
    }
    void TearDown() override {
        if (client_) client_->shutdown();
        if (reflector_) reflector_->stop();
    }
    std::vector<std::string> restarts() {
        std::lock_guard lock(restarts_mutex_);
        return restarts_;
    }

    TempDir dir_{"piw-reflector"};
    FakeApiServer api_;
    RecordingHandler handler_;
    std::unique_ptr<KubeClient> client_;
    std::unique_ptr<Reflector> reflector_;
    std::mutex restarts_mutex_;
    std::vector<std::string> restarts_;
};

TEST_F(ReflectorTest, ListsEveryPageThenWatchesFromTheListsVersion) {
    api_.add_generated_service_accounts(250, 5, 10);
    const std::string list_version = api_.resource_version();
    start(100);
    const auto calls = handler_.calls();
    ASSERT_EQ(calls.size(), 252U);  // begin, 250 objects, end
    EXPECT_EQ(calls.front(), "begin");
    EXPECT_EQ(calls.back(), "end");
    // Only the annotations asked for are kept; the rest of the object is never handed over.
    EXPECT_TRUE(
        handler_.saw("list ns-0/sa-0 eks.amazonaws.com/role-arn="
                     "arn:aws:iam::111122223333:role/sa-0"));
    EXPECT_TRUE(handler_.saw("list ns-1/sa-1"));

    ASSERT_TRUE(eventually([this]() { return api_.count_watches() == 1; }));
    std::vector<std::string> lists;
    std::string watch;
    for (const auto& request : api_.requests()) {
        if (request.watch) {
            watch = request.query;
        } else {
            lists.push_back(request.query);
        }
    }
    ASSERT_EQ(lists.size(), 3U);
    EXPECT_EQ(lists[0], "limit=100");
    EXPECT_THAT(lists[1], HasSubstr("continue="));
    EXPECT_THAT(watch, HasSubstr("watch=true"));
    EXPECT_THAT(watch, HasSubstr("allowWatchBookmarks=true"));
    EXPECT_THAT(watch, HasSubstr("resourceVersion=" + list_version));
    EXPECT_THAT(watch, ::testing::ContainsRegex("timeoutSeconds=[0-9]+"));

    const std::string version = api_.put_service_account("shop", "cart");
    EXPECT_TRUE(eventually([this]() { return handler_.saw("ADDED shop/cart"); }));
    EXPECT_EQ(reflector_->resource_version(), version);
    api_.put_service_account("shop", "cart", {{"eks.amazonaws.com/audience", "x"}});
    EXPECT_TRUE(eventually(
        [this]() { return handler_.saw("MODIFIED shop/cart eks.amazonaws.com/audience=x"); }));
    api_.delete_service_account("shop", "cart");
    EXPECT_TRUE(eventually([this]() { return handler_.count("DELETED shop/cart") == 1; }));
    EXPECT_TRUE(restarts().empty());
}

TEST_F(ReflectorTest, ExpiredVersionStartsANewListAndWatchesOnFromIt) {
    api_.put_service_account("payments", "api");
    api_.put_service_account("payments", "gone");
    start();
    ASSERT_TRUE(eventually([this]() { return api_.open_watches() == 1; }));
    api_.set_watches_stalled(true);
    api_.delete_service_account("payments", "gone");
    api_.compact();
    api_.drop_watches();
    api_.set_watches_stalled(false);
    EXPECT_TRUE(eventually(
        [this]() { return handler_.count("begin") == 2 && handler_.count("end") == 2; }));
    // The second LIST no longer has the deleted one: the handler reconciles from that.
    EXPECT_EQ(handler_.count("list payments/gone"), 1);
    EXPECT_EQ(handler_.count("list payments/api"), 2);
    EXPECT_FALSE(handler_.saw("DELETED payments/gone"));
    EXPECT_THAT(restarts(), ::testing::Contains("expired"));
    api_.put_service_account("payments", "later");
    EXPECT_TRUE(eventually([this]() { return handler_.saw("ADDED payments/later"); }));
}

TEST_F(ReflectorTest, AFailedLISTIsAbandonedAndRetriedUntilComplete) {
    api_.add_generated_service_accounts(250, 5, 10);
    api_.fail_next_requests(2, 500, "/api/v1/serviceaccounts");
    start(100);
    EXPECT_EQ(handler_.count("abandoned"), 2);
    EXPECT_EQ(handler_.count("end"), 1);
    EXPECT_EQ(handler_.count("list "), 250);
    EXPECT_EQ(reflector_->last_error(), "");
    EXPECT_EQ(restarts().size(), 2U);
}

class BookmarkReflectorTest : public ReflectorTest {
  protected:
    static FakeApiServerOptions with_bookmarks() {
        FakeApiServerOptions options;
        options.bookmark_interval = 50ms;
        return options;
    }
    BookmarkReflectorTest() : ReflectorTest(with_bookmarks()) {}
};

TEST_F(BookmarkReflectorTest, BookmarksMoveTheResumeVersionWithoutEvents) {
    api_.put_service_account("payments", "api");
    start();
    // Changes elsewhere (a ConfigMap) move the server's version; no ServiceAccount event comes.
    api_.put_config_map("eks", "unrelated", {{"k", "v"}});
    const std::string current = api_.resource_version();
    EXPECT_TRUE(
        eventually([this, &current]() { return reflector_->resource_version() == current; }));
    EXPECT_EQ(handler_.count("ADDED"), 0);
}

TEST_F(ReflectorTest, StopsPromptlyWithAWatchOpenOnceTheClientIsShutDown) {
    start();
    ASSERT_TRUE(eventually([this]() { return api_.open_watches() == 1; }));
    api_.set_watches_stalled(true);
    const auto started = std::chrono::steady_clock::now();
    client_->shutdown();
    reflector_->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    api_.set_watches_stalled(false);
}

}  // namespace
}  // namespace piw::kube
