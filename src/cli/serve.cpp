// `pod-identity-webhook` (serve): wires the rooms together and runs until a signal.
// Start-up order: flags → logging → sources → certificate → servers → signals. Shutdown is one
// path (decision S4): readiness 503 → stop accepting → in-flight requests finish → exit 0.

#include <sched.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <csignal>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "pod_identity_webhook/cli/commands.hpp"
#include "pod_identity_webhook/common/go_compat.hpp"
#include "pod_identity_webhook/identity/config_map_roles.hpp"
#include "pod_identity_webhook/identity/container_credentials_config.hpp"
#include "pod_identity_webhook/identity/kubernetes_service_account_source.hpp"
#include "pod_identity_webhook/identity/service_account_file_source.hpp"
#include "pod_identity_webhook/kube/client.hpp"
#include "pod_identity_webhook/metrics/webhook_metrics.hpp"
#include "pod_identity_webhook/server/http_server.hpp"
#include "pod_identity_webhook/server/readiness.hpp"
#include "pod_identity_webhook/webhook/admission_handler.hpp"

namespace piw::cli {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kDrainPoll{20};

// Threads for the event loop: the CPUs this process may run on (taskset and cgroup cpusets
// included), not every CPU of the machine.
unsigned server_threads() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int count = CPU_COUNT(&set);
        if (count > 0) return static_cast<unsigned>(count);
    }
    return std::max(1U, std::thread::hardware_concurrency());
}

Status validate(const Options& options) {
    const auto valid_port = [](std::int64_t port) { return port >= 0 && port <= 65535; };
    if (!valid_port(options.port)) return Error{"invalid --port " + std::to_string(options.port)};
    if (!valid_port(options.metrics_port)) {
        return Error{"invalid --metrics-port " + std::to_string(options.metrics_port)};
    }
    if (!options.service_accounts_file.empty() && options.watch_config_map) {
        // Decision I5: with a ServiceAccounts file the Kubernetes API is never contacted.
        return Error{
            "--watch-config-map reads a ConfigMap from the Kubernetes API and cannot be combined "
            "with --service-accounts-file (which never contacts the API)"};
    }
    return Status::success();
}

server::HttpResponse text_response(int status, std::string body) {
    server::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    return response;
}

// Upstream's /debug/alpha/cache: {"ns/name": {"RoleARN", "Audience", "UseRegionalSTS",
// "TokenExpiration"}}, sorted, one-space indent.
std::string cache_dump(const identity::ServiceAccountSource& source,
                       const identity::IdentityDefaults& defaults) {
    nlohmann::json dump = nlohmann::json::object();
    for (const auto& entry : source.entries()) {
        dump[identity::service_account_key(entry->namespace_, entry->name)] = {
            {"RoleARN", entry->role_arn},
            {"Audience", entry->audience.value_or(defaults.token_audience)},
            {"UseRegionalSTS", entry->regional_sts.value_or(defaults.regional_sts)},
            {"TokenExpiration", entry->token_expiration.value_or(defaults.token_expiration)}};
    }
    return dump.dump(1);
}

// Everything the running server owns, in construction order (destroyed in reverse).
class Webhook {
  public:
    explicit Webhook(const Options& options) : options_(options), metrics_(registry_) {}
    ~Webhook() { stop_sources(); }
    Webhook(const Webhook&) = delete;
    Webhook& operator=(const Webhook&) = delete;

    Status start();
    void run();

  private:
    Status start_sources();
    Status start_file_source();
    Status start_api_sources();
    void stop_sources();
    Status start_servers();
    void add_webhook_routes();
    void add_metrics_routes();
    void on_signal(const boost::system::error_code& error, int signal_number);
    void begin_drain(int signal_number);
    void drain_step(Clock::time_point deadline);

    const Options& options_;
    metrics::Registry registry_;
    metrics::WebhookMetrics metrics_;
    server::Readiness readiness_;
    identity::IdentityDefaults defaults_;
    std::unique_ptr<kube::KubeClient> kube_client_;
    std::unique_ptr<identity::ServiceAccountSource> service_accounts_;
    identity::KubernetesServiceAccountSource* api_service_accounts_ = nullptr;  // when from the API
    std::unique_ptr<identity::ConfigMapRoleSource> config_map_roles_;
    std::unique_ptr<identity::ContainerCredentialsConfigFile> container_credentials_;
    std::unique_ptr<identity::IdentityResolver> resolver_;
    std::unique_ptr<server::CertificateReloader> certificates_;
    mutation::RandomJitter jitter_;
    std::unique_ptr<webhook::AdmissionHandler> admission_;
    std::vector<std::unique_ptr<server::FunctionHandler>> small_handlers_;
    asio::io_context io_{static_cast<int>(server_threads())};
    asio::signal_set signals_{io_, SIGINT, SIGTERM};
    asio::steady_timer drain_timer_{io_};
    std::unique_ptr<server::HttpServer> webhook_server_;
    std::unique_ptr<server::HttpServer> metrics_server_;
    bool draining_ = false;
};

Status Webhook::start_file_source() {
    auto annotations = annotation_settings(options_);
    if (!annotations.ok()) return Error{annotations.error()};
    auto source = identity::ServiceAccountFileSource::open(
        options_.service_accounts_file, std::move(annotations).value(), &metrics_);
    if (!source.ok()) return Error{source.error()};
    (*source)->start_watching();
    service_accounts_ = std::move(source).value();
    logging::info("ServiceAccounts loaded", {{"source", service_accounts_->describe()},
                                             {"count", std::to_string(service_accounts_->size())}});
    return Status::success();
}

// The Kubernetes API: ServiceAccounts (and the ConfigMap) listed and watched in the background.
// The servers start at once; /readyz stays 503 until every initial LIST has completed.
Status Webhook::start_api_sources() {
    auto annotations = annotation_settings(options_);
    if (!annotations.ok()) return Error{annotations.error()};
    auto config = kube::resolve_client_config(options_.kubeconfig, options_.kube_api,
                                              kube::InClusterEnvironment::from_process());
    if (!config.ok()) {
        if (options_.kubeconfig.empty() && options_.kube_api.empty()) {
            return Error{config.error() +
                         " (or --service-accounts-file=PATH for ServiceAccounts from a file)"};
        }
        return Error{config.error()};
    }
    auto client = kube::KubeClient::create(std::move(config).value());
    if (!client.ok()) return Error{client.error()};
    kube_client_ = std::move(client).value();
    logging::info("reading ServiceAccounts from the Kubernetes API",
                  {{"connection", kube_client_->description()}});

    identity::KubernetesSourceOptions source_options;
    source_options.annotations = std::move(annotations).value();
    auto source = std::make_unique<identity::KubernetesServiceAccountSource>(
        *kube_client_, std::move(source_options), &metrics_);
    api_service_accounts_ = source.get();
    service_accounts_ = std::move(source);
    readiness_.add_check([source = api_service_accounts_]() -> std::optional<std::string> {
        if (source->synced()) return std::nullopt;
        const std::string problem = source->last_error();
        return "ServiceAccounts not listed yet from " + source->describe() +
               (problem.empty() ? "" : ": " + problem);
    });
    api_service_accounts_->start();

    if (options_.watch_config_map) {
        identity::ConfigMapRoleSource::Options config_map_options;
        config_map_options.namespace_ = options_.namespace_;
        config_map_roles_ = std::make_unique<identity::ConfigMapRoleSource>(
            *kube_client_, std::move(config_map_options), &metrics_);
        readiness_.add_check([source = config_map_roles_.get()]() -> std::optional<std::string> {
            if (source->synced()) return std::nullopt;
            const std::string problem = source->last_error();
            return source->describe() + " not listed yet" + (problem.empty() ? "" : ": " + problem);
        });
        config_map_roles_->start();
    }
    return Status::success();
}

Status Webhook::start_sources() {
    Status status =
        options_.service_accounts_file.empty() ? start_api_sources() : start_file_source();
    if (!status.ok()) return status;

    const identity::ContainerCredentialsConfig* container_credentials = nullptr;
    if (!options_.watch_container_credentials_config.empty()) {
        container_credentials_ = std::make_unique<identity::ContainerCredentialsConfigFile>(
            options_.watch_container_credentials_config, &metrics_);
        // A bad file is not fatal (upstream keeps retrying); the reload logs and counts it.
        (void)container_credentials_->reload();
        container_credentials_->start_watching();
        container_credentials = &container_credentials_->config();
        logging::info("watching container credentials config file",
                      {{"path", options_.watch_container_credentials_config}});
    }
    defaults_ = identity_defaults(options_);
    resolver_ = std::make_unique<identity::IdentityResolver>(
        *service_accounts_, container_credentials, defaults_, config_map_roles_.get());
    if (api_service_accounts_ == nullptr) {
        readiness_.add_check([source = service_accounts_.get()]() -> std::optional<std::string> {
            if (source->synced()) return std::nullopt;
            return "ServiceAccounts not synced yet: " + source->describe();
        });
    }
    return Status::success();
}

// Before the event loop goes away: cut open watches short and answer pending lookups, whose
// callbacks post to the loop.
void Webhook::stop_sources() {
    if (kube_client_) kube_client_->shutdown();
    if (config_map_roles_) config_map_roles_->stop();
    if (api_service_accounts_ != nullptr) api_service_accounts_->stop();
}

void Webhook::add_webhook_routes() {
    const auto add = [this](server::HttpServer& target, const std::string& path,
                            std::function<server::HttpResponse(server::HttpRequest&)> function,
                            bool instrumented) {
        small_handlers_.push_back(std::make_unique<server::FunctionHandler>(std::move(function)));
        target.add_route(path, *small_handlers_.back(), instrumented);
    };
    webhook_server_->add_route("/mutate", *admission_, true);
    add(
        *webhook_server_, "/healthz", [](server::HttpRequest&) { return text_response(200, "ok"); },
        false);
    add(
        *webhook_server_, "/readyz",
        [this](server::HttpRequest&) {
            if (auto reason = readiness_.not_ready_reason())
                return text_response(503, *reason + "\n");
            return text_response(200, "ok");
        },
        false);
    if (!options_.enable_debugging_handlers) return;
    add(
        *webhook_server_, "/debug/alpha/deny",
        [](server::HttpRequest&) {
            server::HttpResponse response = text_response(
                200,
                R"({"response":{"uid":"","allowed":false,"status":{"metadata":{},"message":"Test deny message"}}})");
            response.content_type = "application/json";
            return response;
        },
        true);
    add(
        *webhook_server_, "/debug/alpha/500",
        [](server::HttpRequest&) { return text_response(500, "test error\n"); }, true);
}

void Webhook::add_metrics_routes() {
    const auto add = [this](const std::string& path,
                            std::function<server::HttpResponse(server::HttpRequest&)> function) {
        small_handlers_.push_back(std::make_unique<server::FunctionHandler>(std::move(function)));
        metrics_server_->add_route(path, *small_handlers_.back(), false);
    };
    add("/metrics", [this](server::HttpRequest&) {
        server::HttpResponse response = text_response(200, registry_.render());
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        return response;
    });
    if (!options_.enable_debugging_handlers) return;
    add("/debug/alpha/cache", [this](server::HttpRequest&) {
        server::HttpResponse response =
            text_response(200, cache_dump(*service_accounts_, defaults_));
        response.content_type = "application/json";
        return response;
    });
    add("/debug/alpha/cache/clear", [this](server::HttpRequest&) {
        service_accounts_->clear();
        if (config_map_roles_) config_map_roles_->clear();
        logging::warn("ServiceAccount cache cleared through the debug endpoint");
        return text_response(200, "");
    });
}

Status Webhook::start_servers() {
    server::TlsSettings tls;
    tls.certificate_file = options_.tls_cert;
    tls.key_file = options_.tls_key;
    auto min_version = server::parse_tls_min_version(options_.tls_min_version);
    if (!min_version.ok()) return Error{min_version.error()};
    tls.min_version = *min_version;
    if (!options_.tls_cipher_suites.empty()) {
        auto ciphers = server::parse_tls_cipher_suites(options_.tls_cipher_suites);
        if (!ciphers.ok()) return Error{ciphers.error()};
        tls.cipher_list = std::move(ciphers).value();
    }
    auto certificates = server::CertificateReloader::create(tls, &metrics_);
    if (!certificates.ok()) return Error{certificates.error()};
    certificates_ = std::move(certificates).value();
    certificates_->start_watching();

    webhook::AdmissionSettings admission_settings;
    admission_settings.mutation = mutation_settings(options_);
    admission_settings.lookup_grace_period = std::chrono::duration_cast<std::chrono::milliseconds>(
        options_.service_account_lookup_grace_period);
    admission_ = std::make_unique<webhook::AdmissionHandler>(std::move(admission_settings),
                                                             *resolver_, &metrics_, jitter_);

    server::ServerLimits limits;
    limits.max_connections =
        static_cast<std::size_t>(std::max<std::int64_t>(1, options_.max_connections));
    server::ServerOptions webhook_options{"webhook", options_.bind_address,
                                          static_cast<unsigned short>(options_.port), limits,
                                          certificates_.get()};
    server::ServerOptions metrics_options{"metrics", options_.bind_address,
                                          static_cast<unsigned short>(options_.metrics_port),
                                          limits, nullptr};
    webhook_server_ = std::make_unique<server::HttpServer>(io_, webhook_options, &metrics_);
    metrics_server_ = std::make_unique<server::HttpServer>(io_, metrics_options, &metrics_);
    add_webhook_routes();
    add_metrics_routes();

    auto webhook_port = webhook_server_->start();
    if (!webhook_port.ok()) return Error{"webhook port: " + webhook_port.error()};
    auto metrics_port = metrics_server_->start();
    if (!metrics_port.ok()) return Error{"metrics port: " + metrics_port.error()};
    logging::info("serving", {{"webhook_port", std::to_string(*webhook_port)},
                              {"metrics_port", std::to_string(*metrics_port)},
                              {"threads", std::to_string(server_threads())},
                              {"version", "v" PIW_VERSION}});
    return Status::success();
}

Status Webhook::start() {
    if (auto status = validate(options_); !status.ok()) return status;
    if (options_.in_cluster) {
        logging::info(
            "--in-cluster=true is accepted for compatibility; certificates are read from "
            "--tls-cert/--tls-key (the deprecated CSR mode is not implemented)");
    }
    if (options_.token_expiration < mutation::kMinTokenExpiration) {
        logging::warn("--token-expiration below the minimum; using 600 seconds",
                      {{"token_expiration", std::to_string(options_.token_expiration)}});
    }
    if (auto status = start_sources(); !status.ok()) return status;
    if (auto status = start_servers(); !status.ok()) return status;
    signals_.async_wait([this](const boost::system::error_code& error, int signal_number) {
        on_signal(error, signal_number);
    });
    return Status::success();
}

void Webhook::on_signal(const boost::system::error_code& error, int signal_number) {
    if (error) return;
    if (draining_) {
        logging::warn("second signal: exiting now");
        logging::shutdown_logging();
        std::_Exit(1);
    }
    draining_ = true;
    readiness_.set_draining();
    signals_.async_wait([this](const boost::system::error_code& next_error, int next_signal) {
        on_signal(next_error, next_signal);
    });
    if (options_.shutdown_delay.count() <= 0) {
        begin_drain(signal_number);
        return;
    }
    // Endpoint controllers need a moment to notice /readyz; connections refused meanwhile would
    // leave pods without credentials (failurePolicy Ignore) or failing (Fail).
    logging::info("shutting down: not ready, still serving before draining",
                  {{"signal", std::to_string(signal_number)},
                   {"delay", go::format_duration(options_.shutdown_delay)}});
    drain_timer_.expires_after(
        std::chrono::duration_cast<Clock::duration>(options_.shutdown_delay));
    drain_timer_.async_wait([this, signal_number](const boost::system::error_code& timer_error) {
        if (!timer_error) begin_drain(signal_number);
    });
}

void Webhook::begin_drain(int signal_number) {
    logging::info("shutting down: draining requests in flight",
                  {{"signal", std::to_string(signal_number)},
                   {"timeout", go::format_duration(options_.shutdown_timeout)}});
    webhook_server_->begin_shutdown();
    metrics_server_->begin_shutdown();
    drain_step(Clock::now() +
               std::chrono::duration_cast<Clock::duration>(options_.shutdown_timeout));
}

void Webhook::drain_step(Clock::time_point deadline) {
    const bool drained =
        webhook_server_->open_connections() == 0 && metrics_server_->open_connections() == 0;
    if (drained || Clock::now() >= deadline) {
        if (!drained) {
            logging::warn(
                "shutdown timeout reached; closing remaining connections",
                {{"requests_in_flight", std::to_string(webhook_server_->requests_in_flight())}});
            webhook_server_->force_close();
            metrics_server_->force_close();
        }
        signals_.cancel();
        io_.stop();
        return;
    }
    drain_timer_.expires_after(kDrainPoll);
    drain_timer_.async_wait([this, deadline](const boost::system::error_code& error) {
        if (!error) drain_step(deadline);
    });
}

void Webhook::run() {
    const unsigned count = server_threads();
    std::vector<std::thread> threads;
    threads.reserve(count - 1);
    for (unsigned i = 1; i < count; ++i) threads.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& thread : threads) thread.join();
    stop_sources();
    logging::info("shut down gracefully");
}

}  // namespace

int run_serve(const Options& options) {
    auto settings = log_settings(options);
    if (!settings.ok()) {
        std::cerr << "Error: " << settings.error() << "\n";
        return 2;
    }
    logging::init_logging(*settings);
    int exit_code = 0;
    {
        Webhook webhook(options);
        if (auto status = webhook.start(); !status.ok()) {
            logging::error("cannot start", {{"error", status.error()}});
            exit_code = 1;
        } else {
            webhook.run();
        }
    }
    logging::shutdown_logging();
    return exit_code;
}

}  // namespace piw::cli
