#include "pod_identity_webhook/identity/role_arn_composition.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace piw::identity {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace std::chrono_literals;

// A loopback port that was free a moment ago: bound to learn its number, then closed, so
// connections to it are refused.
int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        return 1;
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

constexpr const char* kEnvironmentEndpoint = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
constexpr const char* kToken = "AQAEAFakeTokenForTests==";

struct PartitionCase {
    std::string region;
    std::string partition;
};

class PartitionTest : public ::testing::TestWithParam<PartitionCase> {};

TEST_P(PartitionTest, FollowsTheRegionPrefix) {
    EXPECT_EQ(partition_for_region(GetParam().region), GetParam().partition) << GetParam().region;
}

INSTANTIATE_TEST_SUITE_P(RoleArnComposition, PartitionTest,
                         ::testing::Values(PartitionCase{"us-east-1", "aws"},
                                           PartitionCase{"eu-west-1", "aws"},
                                           PartitionCase{"cn-north-1", "aws-cn"},
                                           PartitionCase{"cn-northwest-1", "aws-cn"},
                                           PartitionCase{"us-gov-west-1", "aws-us-gov"},
                                           PartitionCase{"us-iso-east-1", "aws-iso"},
                                           PartitionCase{"us-isob-east-1", "aws-iso-b"},
                                           PartitionCase{"eusc-de-east-1", "aws-eusc"},
                                           PartitionCase{"us-isof-south-1", "aws"},
                                           PartitionCase{"", "aws"}, PartitionCase{"cn", "aws"}));

// An instance metadata service on 127.0.0.1 that insists on IMDSv2 like the real one.
class FakeImds {
  public:
    FakeImds() {
        server_.Put("/latest/api/token", [this](const httplib::Request& request,
                                                httplib::Response& response) {
            token_requests_.fetch_add(1);
            if (request.get_header_value("X-aws-ec2-metadata-token-ttl-seconds") != "21600") {
                response.status = 400;
                return;
            }
            response.status = token_status.load();
            response.set_content(kToken, "text/plain");
        });
        server_.Get("/latest/dynamic/instance-identity/document",
                    [this](const httplib::Request& request, httplib::Response& response) {
                        wait_while_stalled();
                        if (request.get_header_value("X-aws-ec2-metadata-token") != kToken) {
                            response.status = 401;
                            return;
                        }
                        std::lock_guard lock(mutex_);
                        response.set_content(document_, "text/plain");
                    });
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
    }
    ~FakeImds() {
        release();
        server_.stop();
        thread_.join();
    }
    FakeImds(const FakeImds&) = delete;
    FakeImds& operator=(const FakeImds&) = delete;

    [[nodiscard]] std::string endpoint() const {
        return "http://127.0.0.1:" + std::to_string(port_);
    }
    void set_document(std::string document) {
        std::lock_guard lock(mutex_);
        document_ = std::move(document);
    }
    void stall() {
        std::lock_guard lock(mutex_);
        stalled_ = true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            stalled_ = false;
        }
        released_.notify_all();
    }
    int token_requests() const { return token_requests_.load(); }

    std::atomic<int> token_status{200};

  private:
    void wait_while_stalled() {
        std::unique_lock lock(mutex_);
        released_.wait_for(lock, 5s, [this] { return !stalled_; });
    }

    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable released_;
    bool stalled_ = false;
    std::string document_ = R"({
      "accountId" : "111122223333", "architecture" : "x86_64",
      "availabilityZone" : "cn-north-1a", "imageId" : "ami-0123456789abcdef0",
      "instanceId" : "i-0123456789abcdef0", "instanceType" : "m5.large",
      "pendingTime" : "2026-01-01T00:00:00Z", "privateIp" : "10.0.0.1",
      "region" : "cn-north-1", "version" : "2017-09-30"
    })";
    std::atomic<int> token_requests_{0};
};

class InstanceMetadataTest : public ::testing::Test {
  protected:
    void SetUp() override { ::unsetenv(kEnvironmentEndpoint); }
    void TearDown() override { ::unsetenv(kEnvironmentEndpoint); }
    FakeImds imds_;
};

TEST_F(InstanceMetadataTest, ReadsAccountAndPartitionWithIMDSv2) {
    const auto composition = composition_from_instance_metadata(imds_.endpoint(), 2s);
    ASSERT_TRUE(composition.ok()) << composition.error();
    EXPECT_EQ(composition->account_id, "111122223333");
    EXPECT_EQ(composition->partition, "aws-cn");
    EXPECT_EQ(imds_.token_requests(), 1);
}

TEST_F(InstanceMetadataTest, EnvironmentOverridesTheEndpoint) {
    ::setenv(kEnvironmentEndpoint, (imds_.endpoint() + "/").c_str(), 1);
    const auto composition = composition_from_instance_metadata("http://127.0.0.1:1", 2s);
    ASSERT_TRUE(composition.ok()) << composition.error();
    EXPECT_EQ(composition->account_id, "111122223333");
}

TEST_F(InstanceMetadataTest, RefusedTokenIsAClearError) {
    imds_.token_status = 403;
    const auto composition = composition_from_instance_metadata(imds_.endpoint(), 2s);
    ASSERT_FALSE(composition.ok());
    EXPECT_EQ(composition.error(),
              "Error getting instance identity document: fetching an IMDSv2 token: HTTP 403");
}

TEST_F(InstanceMetadataTest, DocumentProblemsAreClearErrors) {
    imds_.set_document("not json");
    auto invalid = composition_from_instance_metadata(imds_.endpoint(), 2s);
    ASSERT_FALSE(invalid.ok());
    EXPECT_THAT(invalid.error(),
                StartsWith("Error getting instance identity document: invalid JSON"));

    imds_.set_document(R"({"region":"us-east-1"})");
    auto no_account = composition_from_instance_metadata(imds_.endpoint(), 2s);
    ASSERT_FALSE(no_account.ok());
    EXPECT_THAT(no_account.error(), HasSubstr("no accountId"));

    imds_.set_document(R"({"accountId":"111122223333","region":7})");
    auto bad_region = composition_from_instance_metadata(imds_.endpoint(), 2s);
    ASSERT_FALSE(bad_region.ok());
    EXPECT_THAT(bad_region.error(), HasSubstr("no region"));
}

TEST_F(InstanceMetadataTest, NothingListeningFailsFast) {
    const int port = unused_port();
    const auto start = std::chrono::steady_clock::now();
    const auto composition =
        composition_from_instance_metadata("http://127.0.0.1:" + std::to_string(port), 2s);
    ASSERT_FALSE(composition.ok());
    EXPECT_THAT(composition.error(),
                StartsWith("Error getting instance identity document: fetching an IMDSv2 token: "));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(InstanceMetadataTest, SlowServiceTimesOut) {
    imds_.stall();
    const auto start = std::chrono::steady_clock::now();
    const auto composition = composition_from_instance_metadata(imds_.endpoint(), 300ms);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    imds_.release();
    ASSERT_FALSE(composition.ok());
    EXPECT_THAT(composition.error(), HasSubstr("fetching the instance identity document"));
    EXPECT_LT(elapsed, 3s);
}

TEST_F(InstanceMetadataTest, InvalidEndpointIsAnError) {
    const auto composition = composition_from_instance_metadata("not a url", 1s);
    ASSERT_FALSE(composition.ok());
    EXPECT_THAT(composition.error(), StartsWith("Error getting instance identity document: "));
}

}  // namespace
}  // namespace piw::identity
