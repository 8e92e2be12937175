#pragma once
// Fake request handlers for the server suites.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pod_identity_webhook/server/http.hpp"

namespace piw::server::test {

// Answers with what it saw: "<METHOD> <target> ct=<content type> len=<body size>".
class EchoHandler final : public RequestHandler {
  public:
    void handle(HttpRequest& request, Responder respond) override {
        ++calls;
        last_body_padded = request.body.capacity() >= request.body.size() + kBodyPadding;
        {
            std::lock_guard lock(mutex_);
            last_body_ = request.body;
        }
        HttpResponse response;
        response.content_type = "text/plain";
        response.body = request.method + " " + request.target + " ct=" + request.content_type +
                        " len=" + std::to_string(request.body.size());
        response.headers.emplace_back("X-Echo", "yes");
        respond(std::move(response));
    }
    std::string last_body() const {
        std::lock_guard lock(mutex_);
        return last_body_;
    }

    std::atomic<int> calls{0};
    std::atomic<bool> last_body_padded{false};

  private:
    mutable std::mutex mutex_;  // handlers run on several io threads at once
    std::string last_body_;
};

// Answers from its own thread after `delay` (a cache-miss lookup that resumes elsewhere).
class DeferredHandler final : public RequestHandler {
  public:
    explicit DeferredHandler(std::chrono::milliseconds delay) : delay_(delay) {}
    ~DeferredHandler() override {
        for (auto& thread : threads_) thread.join();
    }
    void handle(HttpRequest& request, Responder respond) override {
        ++started;
        std::string body = "deferred " + std::string(request.path());
        std::lock_guard lock(mutex_);
        threads_.emplace_back(
            [this, respond = std::move(respond), body = std::move(body)]() mutable {
                std::this_thread::sleep_for(delay_);
                HttpResponse response;
                response.body = std::move(body);
                respond(std::move(response));
                ++answered;
            });
    }
    std::atomic<int> started{0};
    std::atomic<int> answered{0};

  private:
    std::chrono::milliseconds delay_;
    std::mutex mutex_;
    std::vector<std::thread> threads_;
};

class ThrowingHandler final : public RequestHandler {
  public:
    void handle(HttpRequest& /*request*/, Responder /*respond*/) override {
        throw std::runtime_error("secret internal detail");
    }
};

}  // namespace piw::server::test
