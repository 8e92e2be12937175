#include "pod_identity_webhook/metrics/registry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

#include "metrics/exposition.hpp"

namespace piw::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Everything before the process_* metrics, which vary from run to run.
std::string render_without_process(const Registry& registry) {
    std::string text = registry.render();
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        std::string line = text.substr(start, end - start + 1);
        if (line.find("process_") == std::string::npos) out += line;
        start = end + 1;
    }
    return out;
}

TEST(FormatValue, MatchesTheGoClient) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(1), "1");
    EXPECT_EQ(format_value(-1), "-1");
    EXPECT_EQ(format_value(2), "2");
    EXPECT_EQ(format_value(0.005), "0.005");
    EXPECT_EQ(format_value(0.0001), "0.0001");
    EXPECT_EQ(format_value(0.00001), "1e-05");
    EXPECT_EQ(format_value(0.25), "0.25");
    EXPECT_EQ(format_value(2.5), "2.5");
    EXPECT_EQ(format_value(125000), "125000");
    EXPECT_EQ(format_value(999999), "999999");
    EXPECT_EQ(format_value(1e6), "1e+06");
    EXPECT_EQ(format_value(8e6), "8e+06");
    EXPECT_EQ(format_value(1234567), "1.234567e+06");
    EXPECT_EQ(format_value(1.7e9), "1.7e+09");
    EXPECT_EQ(format_value(1e21), "1e+21");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Registry, RendersCountersWithEscapedLabelsSortedByName) {
    Registry registry;
    auto& family =
        registry.counter("requests_total", "Requests.\nSecond line with \\.", {"verb", "path"});
    family.with({"GET", "/a\"b\\c\nd"}).inc();
    family.with({"GET", "/a\"b\\c\nd"}).inc(2);
    family.with({"POST", "/mutate"}).inc();

    EXPECT_EQ(render_without_process(registry),
              "# HELP requests_total Requests.\\nSecond line with \\\\.\n"
              "# TYPE requests_total counter\n"
              "requests_total{path=\"/a\\\"b\\\\c\\nd\",verb=\"GET\"} 3\n"
              "requests_total{path=\"/mutate\",verb=\"POST\"} 1\n");
}

TEST(Registry, FamiliesWithoutChildrenPrintOnlyHelpAndType) {
    Registry registry;
    registry.counter("missing_total", "Not yet seen.");
    EXPECT_EQ(render_without_process(registry),
              "# HELP missing_total Not yet seen.\n# TYPE missing_total counter\n");
}

TEST(Registry, GaugesWithoutLabelsGoUpAndDown) {
    Registry registry;
    auto& gauge = registry.gauge("in_use", "In use.").with({});
    gauge.set(5);
    gauge.inc();
    gauge.dec(2.5);
    EXPECT_EQ(gauge.value(), 3.5);
    EXPECT_EQ(render_without_process(registry),
              "# HELP in_use In use.\n# TYPE in_use gauge\nin_use 3.5\n");
}

TEST(Registry, CountersIgnoreNegativeIncrements) {
    Registry registry;
    auto& counter = registry.counter("c_total", "C.").with({});
    counter.inc(3);
    counter.inc(-1);
    EXPECT_EQ(counter.value(), 3);
}

TEST(Registry, HistogramBucketsAreCumulativeWithInclusiveBounds) {
    Registry registry;
    auto& histogram =
        registry.histogram("latency_seconds", "Latency.", {"outcome"}, {0.1, 1, 0.5}).with({"ok"});
    histogram.observe(0.05);
    histogram.observe(0.1);  // upper bounds are inclusive
    histogram.observe(0.7);
    histogram.observe(3);

    EXPECT_EQ(histogram.count(), 4u);
    EXPECT_DOUBLE_EQ(histogram.sum(), 3.85);
    EXPECT_EQ(histogram.cumulative_counts(), (std::vector<std::uint64_t>{2, 2, 3, 4}));
    EXPECT_EQ(render_without_process(registry),
              "# HELP latency_seconds Latency.\n"
              "# TYPE latency_seconds histogram\n"
              "latency_seconds_bucket{outcome=\"ok\",le=\"0.1\"} 2\n"
              "latency_seconds_bucket{outcome=\"ok\",le=\"0.5\"} 2\n"
              "latency_seconds_bucket{outcome=\"ok\",le=\"1\"} 3\n"
              "latency_seconds_bucket{outcome=\"ok\",le=\"+Inf\"} 4\n"
              "latency_seconds_sum{outcome=\"ok\"} 3.85\n"
              "latency_seconds_count{outcome=\"ok\"} 4\n");
}

TEST(Registry, HistogramWithoutLabelsHasOnlyLeLabel) {
    Registry registry;
    registry.histogram("h", "H.", {}, {1e6}).with({}).observe(2e6);
    EXPECT_THAT(render_without_process(registry), HasSubstr("h_bucket{le=\"1e+06\"} 0\n"
                                                            "h_bucket{le=\"+Inf\"} 1\n"
                                                            "h_sum 2e+06\n"
                                                            "h_count 1\n"));
}

TEST(Registry, SummariesHaveOnlySumAndCount) {
    Registry registry;
    auto& summary = registry.summary("d_us", "D.", {"path"}).with({"/x"});
    summary.observe(10);
    summary.observe(20);
    EXPECT_EQ(render_without_process(registry),
              "# HELP d_us D.\n# TYPE d_us summary\nd_us_sum{path=\"/x\"} 30\n"
              "d_us_count{path=\"/x\"} 2\n");
}

TEST(Registry, FamiliesAreSortedByName) {
    Registry registry;
    registry.counter("zeta_total", "Z.").with({}).inc();
    registry.counter("alpha_total", "A.").with({}).inc();
    std::string text = registry.render();
    auto alpha = text.find("alpha_total 1");
    auto process = text.find("# HELP process_");
    auto zeta = text.find("zeta_total 1");
    ASSERT_NE(alpha, std::string::npos);
    ASSERT_NE(zeta, std::string::npos);
    EXPECT_LT(alpha, zeta);
    if (process != std::string::npos) {
        EXPECT_LT(alpha, process);
        EXPECT_LT(process, zeta);
    }
}

TEST(Registry, WithReturnsTheSameChildForTheSameLabels) {
    Registry registry;
    auto& family = registry.counter("c_total", "C.", {"a"});
    EXPECT_EQ(&family.with({"x"}), &family.with(LabelValues{"x"}));
    EXPECT_NE(&family.with({"x"}), &family.with({"y"}));
}

TEST(Registry, WrongNumberOfLabelValuesStillRendersValidText) {
    Registry registry;
    auto& family = registry.counter("c_total", "C.", {"a", "b"});
    family.with({"only"}).inc();
    EXPECT_THAT(render_without_process(registry), HasSubstr("c_total{a=\"only\",b=\"\"} 1\n"));
}

TEST(Registry, RegisteringTheSameFamilyTwiceReturnsIt) {
    Registry registry;
    auto& first = registry.counter("c_total", "C.", {"a"});
    auto& second = registry.counter("c_total", "C.", {"a"});
    EXPECT_EQ(&first, &second);
    EXPECT_THROW(registry.gauge("c_total", "C."), std::invalid_argument);
    EXPECT_THROW(registry.counter("c_total", "C.", {"b"}), std::invalid_argument);
    EXPECT_THROW(registry.counter("bad-name", "C."), std::invalid_argument);
    EXPECT_THROW(registry.counter("ok", "C.", {"le"}), std::invalid_argument);
}

TEST(Registry, ProcessMetricsAreRendered) {
    Registry registry;
    std::string text = registry.render();
    for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                             "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                             "process_start_time_seconds"}) {
        EXPECT_THAT(text, HasSubstr(std::string("\n") + name + " ")) << name;
    }
    EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE process_open_fds gauge\n"));
    EXPECT_THAT(text, Not(HasSubstr("process_open_fds 0\n")));
}

TEST(Registry, ConcurrentUpdatesAreNotLost) {
    Registry registry;
    auto& family = registry.counter("c_total", "C.", {"thread"});
    auto& histogram = registry.histogram("h", "H.", {}, {0.5}).with({});
    constexpr int kThreads = 4;
    constexpr int kIterations = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&family, &histogram, &registry] {
            for (int i = 0; i < kIterations; ++i) {
                family.with({"shared"}).inc();
                histogram.observe(1);
                if (i % 5000 == 0) (void)registry.render();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(family.with({"shared"}).value(), kThreads * kIterations);
    EXPECT_EQ(histogram.count(), std::uint64_t{kThreads * kIterations});
    EXPECT_EQ(histogram.sum(), kThreads * kIterations);
}

}  // namespace
}  // namespace piw::metrics
