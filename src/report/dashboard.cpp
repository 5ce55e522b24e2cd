#include "lumen/report/dashboard.hpp"
#include "time_format.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>

#include "core/background_worker.hpp"
#include "html.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "lumen/export/memory_exporter.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/report/prometheus_source.hpp"

namespace lumen::report {
namespace {

// Writes `data` to `path` through a temporary file, so that a reader never sees half a report.
// Returns an empty string on success, else what failed.
std::string write_file(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return "cannot create " + tmp + ": " + std::strerror(errno);
  const std::size_t written = std::fwrite(data.data(), 1, data.size(), f);
  const int flush_err = std::fflush(f);
  const int err = errno;
  const int close_err = std::fclose(f);
  if (written != data.size() || flush_err != 0 || close_err != 0) {
    std::remove(tmp.c_str());
    return "cannot write " + tmp + ": " + std::strerror(err != 0 ? err : EIO);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    std::remove(tmp.c_str());
    return "cannot rename " + tmp + ": " + std::strerror(rename_err);
  }
  return {};
}

std::string json_error(const std::string& message) {
  std::string s = "{\"error\":\"";
  for (char c : message) {
    if (c == '"' || c == '\\') s += '\\';
    s += c;
  }
  return s + "\"}";
}

// The report and the alerts read the dashboard's one profile.
DashboardOptions with_profile(DashboardOptions o) {
  o.report.profile = o.profile;
  o.alerts.profile = o.profile;
  return o;
}

}  // namespace

DashboardOptions DashboardOptions::from_environment(const Environment& env, ReportProfile profile) {
  DashboardOptions o;
  o.profile = std::move(profile);
  o.sample_interval =
      env.duration_ms("REPORT_SAMPLE_INTERVAL_MS", std::chrono::milliseconds(10'000));
  if (o.sample_interval.count() <= 0) throw Error("REPORT_SAMPLE_INTERVAL_MS must be positive");
  o.store.raw_interval = o.sample_interval;
  o.webhook.url = env.get_or("ALERT_WEBHOOK_URL", "");
  o.report_dir = env.get_or("REPORT_DIR", "");
  o.prometheus_url = env.get_or("PROMETHEUS_URL", "");
  if (const auto t = env.get("REPORT_DAILY_TIME")) {
    int h = -1;
    int m = -1;
    char extra = 0;
    if (std::sscanf(t->c_str(), "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 ||
        m > 59) {
      throw Error("REPORT_DAILY_TIME='" + *t + "' is not valid: expected HH:MM (UTC), e.g. 00:05");
    }
    o.daily_hour_utc = h;
    o.daily_minute_utc = m;
  }
  if (const auto p = env.get("REPORT_PRICING_FILE")) {
    o.profile.pricing = PricingTable::load(*p, std::move(o.profile.pricing));
  }
  o.report.queue_capacity = static_cast<std::size_t>(
      env.integer("REPORT_QUEUE_CAPACITY", static_cast<std::int64_t>(o.report.queue_capacity), 1));
  o.report.apdex_default_target = env.number("REPORT_APDEX_TARGET_S", 0.5, 0.001, 600);
  return o;
}

struct Dashboard::Impl {
  metrics::MeterProvider& provider;
  DashboardOptions opt;
  const Clock& clock;
  TimeSeriesStore store;
  ReportGenerator generator;
  std::unique_ptr<WebhookNotifier> webhook;
  std::unique_ptr<AlertEngine> alerts;
  std::unique_ptr<PrometheusSource> prometheus;
  std::unique_ptr<ReportGenerator> prometheus_generator;

  mutable lumen::internal::Mutex mu;  // the sampler's lifecycle and the counts
  // Samples at start and then every sample_interval; a new one on each start(). Its step uses
  // this Impl: stop() always joins it.
  std::unique_ptr<lumen::detail::BackgroundWorker> sampler LUMEN_GUARDED_BY(mu);
  std::uint64_t samples LUMEN_GUARDED_BY(mu) = 0;
  std::uint64_t daily_written LUMEN_GUARDED_BY(mu) = 0;
  std::uint64_t daily_errors LUMEN_GUARDED_BY(mu) = 0;
  std::string last_daily_day LUMEN_GUARDED_BY(mu);
  lumen::internal::Mutex sample_mu;  // one sample at a time

  Impl(metrics::MeterProvider& p, DashboardOptions o)
      : provider(p),
        opt(with_profile(std::move(o))),
        clock(clock_or_system(opt.clock)),
        store(opt.store),
        generator(store, opt.report) {
    if (!opt.webhook.url.empty()) webhook = std::make_unique<WebhookNotifier>(opt.webhook);
    alerts = std::make_unique<AlertEngine>(store, opt.alerts, &provider.meter("lumen.report"),
                                           opt.logger, webhook.get());
    if (!opt.prometheus_url.empty()) {
      prometheus = std::make_unique<PrometheusSource>(PrometheusSourceOptions{
          .url = opt.prometheus_url, .names = opt.profile.prometheus_names});
      prometheus_generator = std::make_unique<ReportGenerator>(*prometheus, opt.report);
    }
  }

  Report report(Period period) const {
    Report r = (prometheus_generator ? *prometheus_generator : generator)
                   .generate(period, clock.wall_ns());
    r.alerts = alerts->active();
    return r;
  }

  // The daily report is due once the configured time of day has passed and today's is not written.
  bool daily_due(std::uint64_t now) {
    if (opt.report_dir.empty()) return false;
    const std::uint64_t time_of_day = now % detail::kDayNs;
    const std::uint64_t at = (static_cast<std::uint64_t>(opt.daily_hour_utc) * 3600 +
                              static_cast<std::uint64_t>(opt.daily_minute_utc) * 60) *
                             1'000'000'000ULL;
    lumen::internal::MutexLock lock(mu);
    return time_of_day >= at && last_daily_day != detail::utc_time(now, detail::TimeStyle::kDay);
  }

  void sample_in_background(lumen::detail::WorkerEvent event) noexcept {
    if (event == lumen::detail::WorkerEvent::kStop) return;
    try {
      sample_now(clock.wall_ns());
    } catch (...) {
      // A throwing observable callback must not end the sampler; the next sample retries.
    }
  }

  void sample_now(std::uint64_t t);
  DailyReportResult write_daily(std::uint64_t now);
};

void Dashboard::Impl::sample_now(std::uint64_t t) {
  {
    lumen::internal::MutexLock sl(sample_mu);
    if (store.record(provider.collect(), t)) {
      alerts->evaluate(t);
      lumen::internal::MutexLock lock(mu);
      ++samples;
    }
  }
  if (daily_due(t)) (void)write_daily(t);
}

DailyReportResult Dashboard::Impl::write_daily(std::uint64_t now) {
  DailyReportResult res;
  const std::string day = detail::utc_time(now, detail::TimeStyle::kDay);
  {
    lumen::internal::MutexLock lock(mu);
    last_daily_day = day;  // one attempt per day, failed or not
  }
  try {
    if (opt.report_dir.empty()) {
      res.error = "REPORT_DIR is not set";
    } else {
      Report r = generator.generate(Period::k24h, now);
      r.alerts = alerts->active();
      detail::PageInput in;
      in.source = &store;
      in.sample_interval = store.options().raw_interval;
      in.report = &r;
      in.profile = &opt.profile;
      in.alert_history = alerts->history();
      in.refresh = std::chrono::seconds(0);
      res.json_path = opt.report_dir + "/report-" + day + ".json";
      res.html_path = opt.report_dir + "/report-" + day + ".html";
      res.error = write_file(res.json_path, to_json(r));
      if (res.error.empty()) res.error = write_file(res.html_path, detail::render_page(in, false));
    }
  } catch (const std::exception& e) {
    res.error = e.what();
  }
  res.ok = res.error.empty();
  {
    lumen::internal::MutexLock lock(mu);
    if (res.ok) {
      ++daily_written;
    } else {
      ++daily_errors;
    }
  }
  if (opt.logger != nullptr) {
    if (res.ok) {
      opt.logger->info("daily report written", {{"json", res.json_path}, {"html", res.html_path}});
    } else {
      opt.logger->error("daily report failed", {{"error", res.error}, {"dir", opt.report_dir}});
    }
  }
  return res;
}

Dashboard::Dashboard(metrics::MeterProvider& provider, DashboardOptions options)
    : impl_(std::make_unique<Impl>(provider, std::move(options))) {}

Dashboard::~Dashboard() {
  stop();
}

void Dashboard::start() {
  lumen::internal::MutexLock lock(impl_->mu);
  if (impl_->sampler) return;
  auto sampler = std::make_unique<lumen::detail::BackgroundWorker>(
      lumen::detail::BackgroundWorkerOptions{.name = "lumen-dashboard",
                                             .period = impl_->opt.sample_interval},
      [impl = impl_.get()](lumen::detail::WorkerEvent event) {
        impl->sample_in_background(event);
      });
  if (!sampler->start()) throw Error("dashboard: could not start the sampler's thread");
  sampler->wake();  // the first sample at once
  impl_->sampler = std::move(sampler);
}

void Dashboard::stop() noexcept {
  std::unique_ptr<lumen::detail::BackgroundWorker> sampler;
  {
    lumen::internal::MutexLock lock(impl_->mu);
    sampler = std::move(impl_->sampler);
  }
  if (sampler) (void)sampler->stop(Deadline::max());
}

void Dashboard::sample_at(std::uint64_t time_ns) {
  impl_->sample_now(time_ns);
}
void Dashboard::sample() {
  impl_->sample_now(impl_->clock.wall_ns());
}

Report Dashboard::report(Period period) const {
  return impl_->report(period);
}
std::string Dashboard::report_json(Period period) const {
  return to_json(impl_->report(period));
}

std::string Dashboard::render_html(Period period, bool body_only) const {
  const Report r = impl_->report(period);
  detail::PageInput in;
  in.source = &impl_->store;
  in.sample_interval = impl_->store.options().raw_interval;
  in.report = &r;
  in.profile = &impl_->opt.profile;
  in.alert_history = impl_->alerts->history();
  if (impl_->opt.spans) in.spans = impl_->opt.spans->spans();
  in.slow_trace_seconds = impl_->opt.slow_trace_seconds;
  in.refresh = impl_->opt.page_refresh;
  return detail::render_page(in, body_only);
}

DailyReportResult Dashboard::write_daily_report() {
  return impl_->write_daily(impl_->clock.wall_ns());
}

TimeSeriesStore& Dashboard::store() noexcept {
  return impl_->store;
}
AlertEngine& Dashboard::alerts() noexcept {
  return *impl_->alerts;
}
std::uint64_t Dashboard::now_ns() const noexcept {
  return impl_->clock.wall_ns();
}

DashboardStats Dashboard::stats() const {
  DashboardStats s;
  {
    lumen::internal::MutexLock lock(impl_->mu);
    s.samples = impl_->samples;
    s.daily_reports_written = impl_->daily_written;
    s.daily_report_errors = impl_->daily_errors;
  }
  if (impl_->webhook) s.webhook = impl_->webhook->stats();
  s.store = impl_->store.stats();
  return s;
}

void serve(admin::AdminServer& server, Dashboard& dashboard) {
  server.route("/report", [&dashboard](const admin::AdminRequest& req) {
    admin::AdminResponse res;
    res.content_type = "application/json";
    if (req.method != "GET") {
      res.status = 405;
      res.body = json_error("only GET is supported");
      return res;
    }
    const std::string p = req.query_param("period", "1h");
    const auto period = parse_period(p);
    if (!period) {
      res.status = 400;
      res.body = json_error("period must be 5m, 1h or 24h, not '" + p + "'");
      return res;
    }
    res.body = dashboard.report_json(*period);
    return res;
  });
  server.route("/dashboard", [&dashboard](const admin::AdminRequest& req) {
    admin::AdminResponse res;
    res.content_type = "text/html; charset=utf-8";
    const auto period = parse_period(req.query_param("period", "1h"));
    if (req.method != "GET" || !period) {
      res.status = req.method != "GET" ? 405 : 400;
      res.body = "<!DOCTYPE html><title>bad request</title><p>period must be 5m, 1h or 24h</p>";
      return res;
    }
    res.headers.emplace_back("Cache-Control", "no-store");
    res.body = dashboard.render_html(*period, req.query_param("partial") == "1");
    return res;
  });
}

}  // namespace lumen::report
