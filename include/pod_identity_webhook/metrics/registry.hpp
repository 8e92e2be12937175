#pragma once
// A small Prometheus registry: counters, gauges, histograms and sum/count summaries with labels,
// rendered in the text exposition format (version 0.0.4). Thread-safe; no globals — one Registry
// is created by main and passed to whoever records.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace piw::metrics {

using LabelValues = std::vector<std::string>;

// Orders label value lists, and lets a family look children up by string_views without
// building a LabelValues first (the hot path looks up existing children only).
struct LabelValuesLess {
    using is_transparent = void;
    bool operator()(const LabelValues& a, const LabelValues& b) const { return a < b; }
    bool operator()(const LabelValues& a, std::span<const std::string_view> b) const {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), less_view);
    }
    bool operator()(std::span<const std::string_view> a, const LabelValues& b) const {
        return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), less_view);
    }

  private:
    static bool less_view(std::string_view a, std::string_view b) { return a < b; }
};

class Counter {
  public:
    void inc(double amount = 1.0);
    [[nodiscard]] double value() const;

  private:
    std::atomic<double> value_{0.0};
};

class Gauge {
  public:
    void set(double value);
    void inc(double amount = 1.0);
    void dec(double amount = 1.0);
    [[nodiscard]] double value() const;

  private:
    std::atomic<double> value_{0.0};
};

class Histogram {
  public:
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double value);
    [[nodiscard]] std::uint64_t count() const;
    [[nodiscard]] double sum() const;
    // Cumulative counts per upper bound (same order as the bounds), then +Inf.
    [[nodiscard]] std::vector<std::uint64_t> cumulative_counts() const;
    [[nodiscard]] const std::vector<double>& upper_bounds() const { return bounds_; }

  private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
    std::atomic<double> sum_{0.0};
    std::atomic<std::uint64_t> count_{0};
};

// A summary without quantiles (only _sum and _count), like upstream's
// http_request_duration_microseconds.
class Summary {
  public:
    void observe(double value);
    [[nodiscard]] std::uint64_t count() const;
    [[nodiscard]] double sum() const;

  private:
    std::atomic<double> sum_{0.0};
    std::atomic<std::uint64_t> count_{0};
};

// A metric family: one name, one help text, a fixed list of label names, children per label
// values. with() returns a stable reference; callers on hot paths may keep it.
template <class Metric>
class Family {
  public:
    Family(std::string name, std::string help, std::vector<std::string> label_names,
           std::vector<double> buckets = {});
    Metric& with(const LabelValues& values);
    Metric& with(std::initializer_list<std::string_view> values);

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& help() const { return help_; }
    [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }
    // Children in label order, for exposition.
    [[nodiscard]] std::vector<std::pair<LabelValues, const Metric*>> children() const;

  private:
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    std::vector<double> buckets_;
    mutable std::mutex mutex_;
    std::map<LabelValues, std::unique_ptr<Metric>, LabelValuesLess> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;
using SummaryFamily = Family<Summary>;

class Registry {
  public:
    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    CounterFamily& counter(std::string name, std::string help,
                           std::vector<std::string> label_names = {});
    GaugeFamily& gauge(std::string name, std::string help,
                       std::vector<std::string> label_names = {});
    HistogramFamily& histogram(std::string name, std::string help,
                               std::vector<std::string> label_names, std::vector<double> buckets);
    SummaryFamily& summary(std::string name, std::string help,
                           std::vector<std::string> label_names = {});

    // Text exposition of every family (families without children print only HELP/TYPE), plus
    // process_* metrics read from /proc/self.
    [[nodiscard]] std::string render() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace piw::metrics
