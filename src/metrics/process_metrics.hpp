#pragma once
// process_* metrics of the running process, named and described as the Prometheus Go client's
// process collector does, read from /proc at scrape time.

#include <string>
#include <utility>
#include <vector>

namespace piw::metrics {

// (family name, rendered block) for every process metric that could be read; metrics whose
// source is unavailable (no /proc) are left out rather than reported as 0.
std::vector<std::pair<std::string, std::string>> render_process_metrics();

}  // namespace piw::metrics
