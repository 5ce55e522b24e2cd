// Dashboard: the performance dashboard in one object. A background sampler feeds the store from a
// MeterProvider every 10 s, evaluates the alerts after each sample, and writes the daily report;
// serve() mounts GET /report and GET /dashboard on an AdminServer.
//
//   lumen::report::Dashboard dash(runtime.meter_provider(),
//                                 lumen::report::DashboardOptions::from_environment(env, profile));
//   dash.start();                                  // the sampler thread; the destructor stops it
//   lumen::report::serve(admin, dash);             // GET /report?period=1h, GET /dashboard
//   std::string json = dash.report_json(lumen::report::Period::k1h);
//
// Tests drive it without a thread: dash.sample_at(t) records and evaluates at time t.
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "lumen/core/clock.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/report/alerts.hpp"
#include "lumen/report/report.hpp"
#include "lumen/report/report_profile.hpp"
#include "lumen/report/time_series_store.hpp"
#include "lumen/report/webhook.hpp"

namespace lumen::admin {
class AdminServer;
}
namespace lumen::exporters {
class InMemorySpanExporter;
}
namespace lumen::log {
class Logger;
}
namespace lumen::metrics {
class MeterProvider;
}

namespace lumen::report {

struct DashboardOptions {
  std::chrono::nanoseconds sample_interval = std::chrono::seconds(10);  // REPORT_SAMPLE_INTERVAL_MS
  StoreOptions store;
  // The service's instruments and prices, for the report, the alerts and the page alike: the
  // Dashboard copies it over report.profile and alerts.profile. Default: the OpenTelemetry HTTP
  // server metrics (report_profile.hpp).
  ReportProfile profile;
  ReportOptions report;
  AlertOptions alerts;
  WebhookOptions webhook;  // url from ALERT_WEBHOOK_URL; empty: no webhook
  // Daily report: JSON and HTML written to report_dir (REPORT_DIR) at daily_time_utc
  // (REPORT_DAILY_TIME, "HH:MM", default 00:05). Empty report_dir: only on demand, and that fails.
  std::string report_dir;
  int daily_hour_utc = 0;
  int daily_minute_utc = 5;
  const Clock* clock = nullptr;  // SystemClock when null
  // Recent traces for the dashboard (the runtime's in-memory exporter); may be null.
  std::shared_ptr<exporters::InMemorySpanExporter> spans;
  log::Logger* logger = nullptr;  // alerts and daily report errors; may be null
  double slow_trace_seconds = 1.0;
  std::chrono::seconds page_refresh{10};
  // PROMETHEUS_URL: when set, report() and GET /report read that Prometheus server (PromQL) instead
  // of the embedded store, for a fleet; the alerts and the page's charts stay on the embedded
  // store.
  std::string prometheus_url;

  // REPORT_SAMPLE_INTERVAL_MS, ALERT_WEBHOOK_URL, REPORT_DIR, REPORT_DAILY_TIME, PROMETHEUS_URL,
  // REPORT_PRICING_FILE (a PricingTable file that replaces or extends the profile's prices),
  // REPORT_QUEUE_CAPACITY, REPORT_APDEX_TARGET_S, over `profile`. Throws lumen::Error on a
  // malformed value.
  static DashboardOptions from_environment(const Environment& env, ReportProfile profile = {});
};

struct DashboardStats {
  std::uint64_t samples = 0;
  std::uint64_t daily_reports_written = 0;
  std::uint64_t daily_report_errors = 0;
  WebhookStats webhook;
  StoreStats store;
};

struct DailyReportResult {
  bool ok = false;
  std::string json_path;
  std::string html_path;
  std::string error;  // when !ok
};

class Dashboard {
 public:
  Dashboard(metrics::MeterProvider& provider, DashboardOptions options = {});
  ~Dashboard();  // stops the sampler
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  // Starts the sampler thread (takes a first sample at once). Idempotent.
  void start();
  // Stops and joins it within about one sample's work. Idempotent.
  void stop() noexcept;

  // Collects the provider, records the snapshot at `time_ns` and evaluates the alerts.
  void sample_at(std::uint64_t time_ns);
  void sample();  // at the clock's time

  [[nodiscard]] Report report(Period period) const;  // with the alerts firing now
  [[nodiscard]] std::string report_json(Period period) const;
  // The whole page; `body_only` renders the part the page's script swaps in on refresh.
  [[nodiscard]] std::string render_html(Period period, bool body_only = false) const;

  // Writes report-YYYY-MM-DD.json and .html (the last 24 h) into report_dir. Never throws:
  // a missing directory or a full disk gives ok = false, a log line and a counted error.
  DailyReportResult write_daily_report();

  [[nodiscard]] TimeSeriesStore& store() noexcept;
  [[nodiscard]] AlertEngine& alerts() noexcept;
  [[nodiscard]] DashboardStats stats() const;
  [[nodiscard]] std::uint64_t now_ns() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Mounts GET /report (?period=5m|1h|24h, default 1h; 400 with a JSON error otherwise) and
// GET /dashboard (?period=..., ?partial=1 for the refresh fragment) on `server`. The dashboard must
// outlive the server's use of the routes.
void serve(admin::AdminServer& server, Dashboard& dashboard);

}  // namespace lumen::report
