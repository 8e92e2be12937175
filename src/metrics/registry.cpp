#include "pod_identity_webhook/metrics/registry.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <variant>

#include "metrics/exposition.hpp"
#include "metrics/process_metrics.hpp"

namespace piw::metrics {

namespace {

// Index of the first bucket whose upper bound is >= value (Prometheus buckets are inclusive);
// bounds.size() means the +Inf bucket. NaN lands in +Inf, as in the Go client.
std::size_t bucket_index(const std::vector<double>& bounds, double value) {
    auto it = std::lower_bound(bounds.begin(), bounds.end(), value);
    return static_cast<std::size_t>(it - bounds.begin());
}

std::vector<double> normalized_bounds(std::vector<double> bounds) {
    // +Inf is implicit and NaN cannot be ordered; both are dropped rather than rendered twice.
    std::erase_if(bounds, [](double bound) { return std::isnan(bound) || std::isinf(bound); });
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    return bounds;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Metric values

void Counter::inc(double amount) {
    // Counters only go up; a negative increment is a caller bug and is ignored rather than making
    // rate() see a reset.
    if (!(amount >= 0.0)) return;
    value_.fetch_add(amount, std::memory_order_relaxed);
}

double Counter::value() const {
    return value_.load(std::memory_order_relaxed);
}

void Gauge::set(double value) {
    value_.store(value, std::memory_order_relaxed);
}
void Gauge::inc(double amount) {
    value_.fetch_add(amount, std::memory_order_relaxed);
}
void Gauge::dec(double amount) {
    value_.fetch_sub(amount, std::memory_order_relaxed);
}
double Gauge::value() const {
    return value_.load(std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(normalized_bounds(std::move(upper_bounds))),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) {
    buckets_[bucket_index(bounds_, value)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Histogram::count() const {
    return count_.load(std::memory_order_relaxed);
}
double Histogram::sum() const {
    return sum_.load(std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
    std::vector<std::uint64_t> cumulative(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < cumulative.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        cumulative[i] = running;
    }
    return cumulative;
}

void Summary::observe(double value) {
    sum_.fetch_add(value, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Summary::count() const {
    return count_.load(std::memory_order_relaxed);
}
double Summary::sum() const {
    return sum_.load(std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------------------------
// Families

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {}

template <class Metric>
Metric& Family<Metric>::with(const LabelValues& values) {
    std::lock_guard lock(mutex_);
    auto found = children_.find(values);
    if (found != children_.end()) return *found->second;

    // A wrong number of values is a programming error; padding or truncating keeps the
    // exposition valid instead of crashing the server.
    LabelValues key = values;
    key.resize(label_names_.size());
    auto& slot = children_[std::move(key)];
    if (!slot) {
        if constexpr (std::is_same_v<Metric, Histogram>) {
            slot = std::make_unique<Histogram>(buckets_);
        } else {
            slot = std::make_unique<Metric>();
        }
    }
    return *slot;
}

template <class Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
    {
        std::lock_guard lock(mutex_);
        auto found =
            children_.find(std::span<const std::string_view>(values.begin(), values.size()));
        if (found != children_.end()) return *found->second;
    }
    return with(LabelValues(values.begin(), values.end()));
}

template <class Metric>
std::vector<std::pair<LabelValues, const Metric*>> Family<Metric>::children() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<LabelValues, const Metric*>> out;
    out.reserve(children_.size());
    for (const auto& [labels, metric] : children_) out.emplace_back(labels, metric.get());
    return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;
template class Family<Summary>;

// ---------------------------------------------------------------------------------------------
// Registry

namespace {

bool valid_metric_name(std::string_view name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && i > 0)) return false;
    }
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || name == "le" || name == "quantile") return false;
    if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;  // reserved
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && i > 0)) return false;
    }
    return true;
}

}  // namespace

struct Registry::Impl {
    using AnyFamily =
        std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>,
                     std::unique_ptr<HistogramFamily>, std::unique_ptr<SummaryFamily>>;

    mutable std::mutex mutex;
    std::map<std::string, AnyFamily, std::less<>> families;  // sorted by name, as Go's gatherer

    // Registration happens at start-up with names written in our code, so a bad name or a clash
    // is a programming error: fail loudly there rather than expose a broken /metrics.
    template <class Metric>
    Family<Metric>& add(std::string name, std::string help, std::vector<std::string> label_names,
                        std::vector<double> buckets) {
        if (!valid_metric_name(name)) {
            throw std::invalid_argument("invalid metric name: " + name);
        }
        for (const auto& label : label_names) {
            if (!valid_label_name(label)) {
                throw std::invalid_argument("invalid label name '" + label + "' for " + name);
            }
        }
        std::lock_guard lock(mutex);
        auto found = families.find(name);
        if (found != families.end()) {
            auto* existing = std::get_if<std::unique_ptr<Family<Metric>>>(&found->second);
            if (existing == nullptr || (*existing)->label_names() != label_names) {
                throw std::invalid_argument("metric registered twice with another shape: " + name);
            }
            return **existing;
        }
        auto family = std::make_unique<Family<Metric>>(name, std::move(help),
                                                       std::move(label_names), std::move(buckets));
        auto& ref = *family;
        families.emplace(std::move(name), std::move(family));
        return ref;
    }
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

CounterFamily& Registry::counter(std::string name, std::string help,
                                 std::vector<std::string> label_names) {
    return impl_->add<Counter>(std::move(name), std::move(help), std::move(label_names), {});
}

GaugeFamily& Registry::gauge(std::string name, std::string help,
                             std::vector<std::string> label_names) {
    return impl_->add<Gauge>(std::move(name), std::move(help), std::move(label_names), {});
}

HistogramFamily& Registry::histogram(std::string name, std::string help,
                                     std::vector<std::string> label_names,
                                     std::vector<double> buckets) {
    return impl_->add<Histogram>(std::move(name), std::move(help), std::move(label_names),
                                 std::move(buckets));
}

SummaryFamily& Registry::summary(std::string name, std::string help,
                                 std::vector<std::string> label_names) {
    return impl_->add<Summary>(std::move(name), std::move(help), std::move(label_names), {});
}

std::string Registry::render() const {
    // Each family renders into its own block; process metrics join them so that the whole
    // exposition is sorted by name, as the Go client does.
    std::vector<std::pair<std::string, std::string>> blocks;
    {
        std::lock_guard lock(impl_->mutex);
        blocks.reserve(impl_->families.size() + 8);
        for (const auto& [name, family] : impl_->families) {
            std::string block;
            std::visit([&block](const auto& typed) { render_family(block, *typed); }, family);
            blocks.emplace_back(name, std::move(block));
        }
    }
    for (auto& block : render_process_metrics()) blocks.push_back(std::move(block));
    std::stable_sort(blocks.begin(), blocks.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    std::string out;
    for (const auto& [name, block] : blocks) out += block;
    return out;
}

}  // namespace piw::metrics
