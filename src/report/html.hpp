// The dashboard page: server-rendered HTML with inline SVG charts, no external resources.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "lumen/report/alerts.hpp"
#include "lumen/report/report.hpp"
#include "lumen/report/report_profile.hpp"
#include "lumen/report/time_series_store.hpp"
#include "lumen/trace/span_data.hpp"

namespace lumen::report::detail {

struct PageInput {
  const MetricsSource* source = nullptr;                                // the charts' data
  std::chrono::nanoseconds sample_interval = std::chrono::seconds(10);  // the finest chart step
  const Report* report = nullptr;
  const ReportProfile* profile = nullptr;  // the charts' instruments and prices
  std::vector<AlertEvent> alert_history;
  std::vector<trace::SpanData> spans;  // recent spans (may be empty)
  double slow_trace_seconds = 1.0;
  std::chrono::seconds refresh{10};  // 0: a static page (the daily report), no script
  std::size_t chart_points = 60;
};

[[nodiscard]] std::string html_escape(std::string_view text);
[[nodiscard]] std::string render_page(const PageInput& in, bool body_only);

}  // namespace lumen::report::detail
