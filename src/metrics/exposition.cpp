#include "metrics/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <system_error>

namespace piw::metrics {

namespace {

// The decimal exponent of a shortest scientific representation such as "1.25e+05".
int scientific_exponent(std::string_view scientific) {
    auto e = scientific.find('e');
    int exponent = 0;
    if (e == std::string_view::npos) return 0;
    std::string_view digits = scientific.substr(e + 1);
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    std::from_chars(digits.data(), digits.data() + digits.size(), exponent);
    return exponent;
}

// Label names in alphabetical order (the Go client sorts label pairs by name), as indexes into
// the family's label list.
std::vector<std::size_t> sorted_label_order(const std::vector<std::string>& names) {
    std::vector<std::size_t> order(names.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(),
              [&names](std::size_t a, std::size_t b) { return names[a] < names[b]; });
    return order;
}

struct SampleWriter {
    std::string& out;
    const std::vector<std::string>& names;
    std::vector<std::size_t> order;

    // name{a="x",b="y"[,le="..."]} value
    void write(std::string_view metric, std::string_view suffix, const LabelValues& values,
               double value, const double* le = nullptr) {
        out += metric;
        out += suffix;
        if (!order.empty() || le != nullptr) {
            out += '{';
            bool first = true;
            for (std::size_t index : order) {
                if (!first) out += ',';
                first = false;
                out += names[index];
                out += "=\"";
                append_escaped_label_value(out, index < values.size() ? values[index] : "");
                out += '"';
            }
            if (le != nullptr) {
                if (!first) out += ',';
                out += "le=\"";
                append_value(out, *le);
                out += '"';
            }
            out += '}';
        }
        out += ' ';
        append_value(out, value);
        out += '\n';
    }
};

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped_help(out, help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

template <class Metric>
SampleWriter header_and_writer(std::string& out, const Family<Metric>& family,
                               std::string_view type) {
    append_header(out, family.name(), family.help(), type);
    return SampleWriter{out, family.label_names(), sorted_label_order(family.label_names())};
}

}  // namespace

void append_value(std::string& out, double value) {
    // expfmt's shortcuts, then strconv.FormatFloat(value, 'g', -1, 64).
    if (value == 1.0) {
        out += '1';
        return;
    }
    if (value == 0.0) {
        out += '0';
        return;
    }
    if (value == -1.0) {
        out += "-1";
        return;
    }
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buffer[64];
    auto scientific =
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string_view text(buffer, static_cast<std::size_t>(scientific.ptr - buffer));
    int exponent = scientific_exponent(text);
    // With the shortest precision Go switches to the exponent form below 1e-4 and from 1e+06.
    if (exponent < -4 || exponent >= 6) {
        out += text;
        return;
    }
    auto fixed = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
    out.append(buffer, static_cast<std::size_t>(fixed.ptr - buffer));
}

std::string format_value(double value) {
    std::string out;
    append_value(out, value);
    return out;
}

void append_escaped_label_value(std::string& out, std::string_view value) {
    for (char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
}

void append_escaped_help(std::string& out, std::string_view help) {
    for (char c : help) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            default:
                out += c;
        }
    }
}

void render_family(std::string& out, const CounterFamily& family) {
    auto writer = header_and_writer(out, family, "counter");
    for (const auto& [labels, counter] : family.children()) {
        writer.write(family.name(), "", labels, counter->value());
    }
}

void render_family(std::string& out, const GaugeFamily& family) {
    auto writer = header_and_writer(out, family, "gauge");
    for (const auto& [labels, gauge] : family.children()) {
        writer.write(family.name(), "", labels, gauge->value());
    }
}

void render_family(std::string& out, const HistogramFamily& family) {
    auto writer = header_and_writer(out, family, "histogram");
    const double infinity = std::numeric_limits<double>::infinity();
    for (const auto& [labels, histogram] : family.children()) {
        const auto& bounds = histogram->upper_bounds();
        auto cumulative = histogram->cumulative_counts();
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            writer.write(family.name(), "_bucket", labels, static_cast<double>(cumulative[i]),
                         &bounds[i]);
        }
        // _count is taken from the same snapshot as the buckets so that it always equals the
        // +Inf bucket, even while observations are racing with the scrape.
        double total = static_cast<double>(cumulative.back());
        writer.write(family.name(), "_bucket", labels, total, &infinity);
        writer.write(family.name(), "_sum", labels, histogram->sum());
        writer.write(family.name(), "_count", labels, total);
    }
}

void render_family(std::string& out, const SummaryFamily& family) {
    auto writer = header_and_writer(out, family, "summary");
    for (const auto& [labels, summary] : family.children()) {
        writer.write(family.name(), "_sum", labels, summary->sum());
        writer.write(family.name(), "_count", labels, static_cast<double>(summary->count()));
    }
}

void render_single_value(std::string& out, std::string_view name, std::string_view help,
                         std::string_view type, double value) {
    append_header(out, name, help, type);
    out += name;
    out += ' ';
    append_value(out, value);
    out += '\n';
}

}  // namespace piw::metrics
