#pragma once
// Prometheus text exposition format 0.0.4, written the way the Go client (expfmt) writes it so
// that dashboards and recording rules built for upstream keep matching.

#include <string>
#include <string_view>

#include "pod_identity_webhook/metrics/registry.hpp"

namespace piw::metrics {

// Go's strconv.FormatFloat(v, 'g', -1, 64) with expfmt's special cases: "1", "0", "-1", "+Inf",
// "-Inf", "NaN", "0.005", "125000", "1e+06".
std::string format_value(double value);
void append_value(std::string& out, double value);

// Label values: backslash, double quote and newline are escaped.
void append_escaped_label_value(std::string& out, std::string_view value);
// HELP text: backslash and newline are escaped.
void append_escaped_help(std::string& out, std::string_view help);

// "# HELP"/"# TYPE" lines and one sample line per child (several for histograms).
void render_family(std::string& out, const CounterFamily& family);
void render_family(std::string& out, const GaugeFamily& family);
void render_family(std::string& out, const HistogramFamily& family);
void render_family(std::string& out, const SummaryFamily& family);

// A family without labels with one value, for metrics computed at scrape time.
void render_single_value(std::string& out, std::string_view name, std::string_view help,
                         std::string_view type, double value);

}  // namespace piw::metrics
