#include "html.hpp"

#include "profile_queries.hpp"
#include "time_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>

namespace lumen::report::detail {
namespace {

constexpr const char* kColors[] = {"#2563eb", "#dc2626", "#16a34a", "#d97706",
                                   "#7c3aed", "#0891b2", "#db2777", "#4b5563"};

struct Line {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (seconds from the window start, value)
};

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// One line chart as inline SVG: a polyline and a dot on the newest point per series.
std::string chart(const std::string& id, const std::string& title, const std::string& unit,
                  const std::vector<Line>& lines, double span_seconds,
                  const std::string& span_label) {
  constexpr double kW = 560, kH = 170, kLeft = 52, kRight = 550, kTop = 12, kBottom = 146;
  double max_v = 0;
  std::size_t total_points = 0;
  for (const Line& l : lines) {
    for (const auto& p : l.points) max_v = std::max(max_v, p.second);
    total_points += l.points.size();
  }
  const double top = max_v > 0 ? max_v * 1.1 : 1.0;
  std::string s = "<figure class=\"chart\" id=\"" + id + "\"><figcaption>" + html_escape(title) +
                  " <small>(" + html_escape(unit) + ")</small></figcaption>";
  s += "<svg viewBox=\"0 0 " + fixed(kW, 0) + " " + fixed(kH, 0) + "\" role=\"img\" aria-label=\"" +
       html_escape(title) + "\" data-points=\"" + std::to_string(total_points) + "\">";
  s += "<line class=\"axis\" x1=\"52\" y1=\"146\" x2=\"550\" y2=\"146\"/>";
  s += "<line class=\"axis\" x1=\"52\" y1=\"12\" x2=\"52\" y2=\"146\"/>";
  s += "<text x=\"48\" y=\"16\" text-anchor=\"end\">" + num(top) + "</text>";
  s += "<text x=\"48\" y=\"146\" text-anchor=\"end\">0</text>";
  s += "<text x=\"52\" y=\"162\">-" + html_escape(span_label) + "</text>";
  s += "<text x=\"550\" y=\"162\" text-anchor=\"end\">now</text>";
  if (total_points == 0)
    s += "<text class=\"nodata\" x=\"300\" y=\"80\" text-anchor=\"middle\">no data yet</text>";
  std::string legend;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Line& l = lines[i];
    if (l.points.empty()) continue;
    const char* color = kColors[i % std::size(kColors)];
    std::string pts;
    double lx = 0;
    double ly = 0;
    for (const auto& [t, v] : l.points) {
      lx = kLeft + (kRight - kLeft) * std::clamp(t / std::max(1.0, span_seconds), 0.0, 1.0);
      ly = kBottom - (kBottom - kTop) * std::clamp(v / top, 0.0, 1.0);
      pts += fixed(lx, 1) + "," + fixed(ly, 1) + " ";
    }
    if (!pts.empty()) pts.pop_back();
    s += "<polyline class=\"series\" data-series=\"" + html_escape(l.name) + "\" data-count=\"" +
         std::to_string(l.points.size()) + "\" stroke=\"" + color + "\" points=\"" + pts + "\"/>";
    s += "<circle class=\"last\" cx=\"" + fixed(lx, 1) + "\" cy=\"" + fixed(ly, 1) +
         "\" r=\"2.5\" fill=\"" + color + "\"><title>" + html_escape(l.name) + ": " +
         num(l.points.back().second) + "</title></circle>";
    legend += "<span><i style=\"background:" + std::string(color) + "\"></i>" +
              html_escape(l.name) + " " + num(l.points.back().second) + "</span>";
  }
  s += "</svg><div class=\"legend\">" + legend + "</div></figure>";
  return s;
}

struct Charts {
  std::vector<Line> rate, latency, errors, cache, cost, queue;
};

Charts build_charts(const PageInput& in) {
  const MetricsSource& st = *in.source;
  const ProfiledQueries q(st, *in.profile);
  const Report& r = *in.report;
  Charts c;
  const std::uint64_t start = r.window_start_ns;
  const std::uint64_t end = r.generated_at_ns;
  const std::size_t n = std::max<std::size_t>(2, in.chart_points);
  const auto sample_ns =
      static_cast<std::uint64_t>(std::max<std::int64_t>(1, in.sample_interval.count()));
  const std::uint64_t step = std::max<std::uint64_t>(sample_ns, (end - start) / n);
  const double step_s = static_cast<double>(step) / 1e9;
  const std::uint64_t oldest = st.oldest_time();
  const std::uint64_t latest = st.latest_time();
  std::map<std::string, Line> rate, p99, cost;
  Line p50{"p50", {}}, p90{"p90", {}}, p99_all{"p99", {}}, err{"error rate", {}},
      hit{"hit rate", {}}, queue{"queue depth", {}}, conn{"connections", {}};
  for (std::uint64_t t = end; t >= start + step && t > step; t -= step) {
    const std::uint64_t t0 = t - step;
    if (oldest == 0 || t0 < oldest || t0 >= latest) continue;
    const double x = static_cast<double>(t - start) / 1e9;
    // Samples arrive in time order: ending at the newest one present at the start keeps every query
    // of a point on the same samples while the sampler records (the error rate cannot pass 1).
    const std::uint64_t t_end = std::min(t, latest);
    const ReportMetrics& m = q.names();
    double all = 0;
    for (const auto& [model, v] : q.requests_by_group(t0, t_end)) {
      rate[model].points.emplace_back(x, v / step_s);
      all += v;
    }
    const HistogramWindow h = q.histogram(m.request_duration, {}, t0, t_end);
    if (h.count > 0) {
      p50.points.emplace_back(x, h.quantile(0.5));
      p90.points.emplace_back(x, h.quantile(0.9));
      p99_all.points.emplace_back(x, h.quantile(0.99));
    }
    for (const auto& [model, hm] :
         q.histogram_by(m.request_duration, m.group_label, {}, t0, t_end)) {
      if (hm.count > 0) p99[model].points.emplace_back(x, hm.quantile(0.99));
    }
    if (all > 0 && !m.failure_match.empty())
      err.points.emplace_back(x, q.failures(t0, t_end) / all);
    const double lookups = q.increase(m.cache_requests, {}, t0, t_end);
    if (lookups > 0)
      hit.points.emplace_back(x,
                              q.increase(m.cache_requests, {{"hit", "true"}}, t0, t_end) / lookups);
    for (const auto& [g, v] : q.cost_by_group(t0, t_end))
      cost[g].points.emplace_back(x, v / step_s * 3600.0);
    const GaugeWindow qd = q.gauge(m.queue_depth, {}, t0, t_end);
    if (qd.samples > 0) queue.points.emplace_back(x, qd.latest);
    const GaugeWindow cn = q.gauge(m.active_connections, {}, t0, t_end);
    if (cn.samples > 0) conn.points.emplace_back(x, cn.latest);
  }
  const auto finish = [](std::vector<Line>& out, Line line) {
    std::reverse(line.points.begin(), line.points.end());
    out.push_back(std::move(line));
  };
  for (auto& [m, l] : rate) finish(c.rate, {m, std::move(l.points)});
  finish(c.latency, std::move(p50));
  finish(c.latency, std::move(p90));
  finish(c.latency, std::move(p99_all));
  for (auto& [m, l] : p99) finish(c.latency, {m + " p99", std::move(l.points)});
  finish(c.errors, std::move(err));
  finish(c.cache, std::move(hit));
  for (auto& [m, l] : cost) finish(c.cost, {m, std::move(l.points)});
  finish(c.queue, std::move(queue));
  finish(c.queue, std::move(conn));
  return c;
}

std::string card(const std::string& label, const std::string& value) {
  return "<div class=\"card\"><div class=\"v\">" + html_escape(value) + "</div><div class=\"l\">" +
         html_escape(label) + "</div></div>";
}

std::string traces_table(const PageInput& in) {
  std::vector<const trace::SpanData*> picked;
  for (auto it = in.spans.rbegin(); it != in.spans.rend() && picked.size() < 20; ++it) {
    const bool failed = it->status == trace::StatusCode::kError;
    const bool slow = static_cast<double>(it->duration_ns()) / 1e9 >= in.slow_trace_seconds;
    if (failed || slow) picked.push_back(&*it);
  }
  std::string s =
      "<table id=\"traces\"><tr><th>span</th><th>duration</th><th>status</th><th>trace "
      "id</th><th>started</th></tr>";
  if (picked.empty()) s += "<tr><td colspan=\"5\">no slow or failed spans recorded</td></tr>";
  for (const trace::SpanData* sp : picked) {
    const bool failed = sp->status == trace::StatusCode::kError;
    s += std::string("<tr class=\"") + (failed ? "failed" : "slow") + "\"><td>" +
         html_escape(sp->name) + "</td><td>" +
         fixed(static_cast<double>(sp->duration_ns()) / 1e6, 1) + " ms</td><td>" +
         (failed ? "error" + (sp->status_message.empty() ? std::string()
                                                         : ": " + html_escape(sp->status_message))
                 : std::string("slow")) +
         "</td><td><code>" + sp->context.trace_id().to_hex() + "</code></td><td>" +
         utc_time(sp->start_ns, TimeStyle::kPage) + "</td></tr>";
  }
  return s + "</table>";
}

std::string body(const PageInput& in) {
  const Report& r = *in.report;
  const std::string period(period_name(r.period));
  const Charts c = build_charts(in);
  const double span = static_cast<double>(r.generated_at_ns - r.window_start_ns) / 1e9;
  std::string s;
  s += "<p class=\"meta\">Period <b>" + period + "</b> &middot; generated " +
       utc_time(r.generated_at_ns, TimeStyle::kPage) + " &middot; data for " +
       fixed(r.covered_seconds, 0) + " s</p>";
  s += "<section class=\"cards\">";
  s += card("AI requests", fixed(r.ai.total_requests, 0));
  s += card("success rate", fixed(r.ai.success_rate * 100, 1) + " %");
  s += card("p99 latency", fixed(r.ai.p99_latency, 3) + " s");
  s += card("cache hit rate", fixed(r.cache.hit_rate * 100, 1) + " %");
  s += card("cost", "$" + fixed(r.ai.total_cost, 4));
  s += card("cache savings", "$" + fixed(r.cache.cost_savings, 4));
  s += card("queue depth", fixed(r.health.queue_depth, 0));
  s += card("connections", fixed(r.health.active_connections, 0));
  s += card("CPU", fixed(r.health.cpu_usage * 100, 1) + " %");
  s += card("memory", fixed(r.health.memory_usage / 1048576.0, 1) + " MiB");
  s += "</section>";

  s += "<section id=\"alerts\"><h2>Alerts</h2>";
  if (r.alerts.empty()) s += "<p class=\"ok\">No alert firing.</p>";
  s += "<ul>";
  for (const AlertSummary& a : r.alerts) {
    s += "<li class=\"alert " + html_escape(a.severity) + "\"><b>" + html_escape(a.name) +
         "</b> firing since " + utc_time(a.since_ns, TimeStyle::kPage) + ": " +
         html_escape(a.message) + "</li>";
  }
  s += "</ul>";
  if (!in.alert_history.empty()) {
    s += "<details><summary>Recent transitions</summary><ul>";
    for (auto it = in.alert_history.rbegin(); it != in.alert_history.rend(); ++it) {
      s += "<li>" + utc_time(it->time_ns, TimeStyle::kPage) + " <b>" + html_escape(it->name) +
           "</b> " + html_escape(it->state) + ": " + html_escape(it->message) + "</li>";
    }
    s += "</ul></details>";
  }
  s += "</section>";

  s += "<section id=\"recommendations\"><h2>Recommendations</h2>";
  if (r.recommendations.empty()) s += "<p class=\"ok\">Nothing to recommend.</p>";
  s += "<ul>";
  for (const Recommendation& x : r.recommendations) {
    s += "<li class=\"rec " + html_escape(x.severity) + "\" data-id=\"" + html_escape(x.id) +
         "\">" + html_escape(x.message) + "</li>";
  }
  s += "</ul></section>";

  s += "<section class=\"charts\">";
  s += chart("chart-rate", "Request rate by model", "req/s", c.rate, span, period);
  s += chart("chart-latency", "Latency percentiles", "s", c.latency, span, period);
  s += chart("chart-errors", "Error rate", "fraction", c.errors, span, period);
  s += chart("chart-cache", "Cache hit rate", "fraction", c.cache, span, period);
  s += chart("chart-cost", "Cost by model", "USD/h", c.cost, span, period);
  s += chart("chart-queue", "Queue depth and connections", "count", c.queue, span, period);
  s += "</section>";

  s += "<section><h2>Models</h2><table id=\"models\"><tr><th>model</th><th>requests</th>"
       "<th>failure rate</th><th>avg latency</th><th>p99</th><th>cost</th></tr>";
  for (const ModelFigures& f : r.ai.models) {
    s += "<tr><td>" + html_escape(f.model) + "</td><td>" + fixed(f.requests, 0) + "</td><td>" +
         fixed(f.failure_rate * 100, 1) + " %</td><td>" + fixed(f.average_latency, 3) +
         " s</td><td>" + fixed(f.p99_latency, 3) + " s</td><td>$" + fixed(f.cost, 4) + "</td></tr>";
  }
  s += "</table></section>";

  s += "<section><h2>Capacity and user experience</h2><ul>";
  s += "<li>throughput per busy core: " + num(r.capacity.throughput_per_core) + " req/s; " +
       "utilization " + fixed(r.capacity.utilization * 100, 1) + " % of " +
       std::to_string(r.capacity.cores) + " cores</li>";
  s += "<li>queue growth: " + num(r.capacity.queue_growth_per_second) + " jobs/s" +
       (r.capacity.seconds_to_queue_saturation
            ? "; full in " + fixed(*r.capacity.seconds_to_queue_saturation, 0) + " s"
            : std::string()) +
       "</li>";
  for (const ApdexFigures& a : r.apdex) {
    s += "<li>Apdex " + html_escape(a.tier) + " (T = " + num(a.target) +
         " s): " + fixed(a.score, 2) + "</li>";
  }
  s += "<li>projected monthly cost: $" + fixed(r.cost.projected_monthly_cost, 2) +
       "; savings if all on " + html_escape(r.cost.cheapest_model) + ": $" +
       fixed(r.cost.savings_if_cheapest, 4) + "</li>";
  s += "</ul></section>";

  s += "<section><h2>Recent slow and failed traces</h2>" + traces_table(in) + "</section>";
  return s;
}

constexpr const char* kStyle =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f8fafc;color:#0f172a}"
    "header{background:#0f172a;color:#fff;padding:10px "
    "20px;display:flex;gap:16px;align-items:center}"
    "header a{color:#93c5fd}header h1{font-size:18px;margin:0}main{padding:12px 20px}"
    ".cards{display:flex;flex-wrap:wrap;gap:8px}.card{background:#fff;border:1px solid #e2e8f0;"
    "border-radius:6px;padding:8px 12px;min-width:110px}.card .v{font-size:20px;font-weight:600}"
    ".card "
    ".l{color:#64748b;font-size:12px}.charts{display:grid;grid-template-columns:repeat(auto-fill,"
    "minmax(480px,1fr));gap:12px}.chart{background:#fff;border:1px solid #e2e8f0;border-radius:6px;"
    "margin:0;padding:8px}.chart svg{width:100%;height:auto}.chart "
    "text{font-size:10px;fill:#64748b}"
    ".axis{stroke:#cbd5e1}.series{fill:none;stroke-width:1.5}.legend span{margin-right:10px;"
    "font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}"
    "table{border-collapse:collapse;background:#fff}td,th{border:1px solid #e2e8f0;padding:3px 8px;"
    "text-align:left}.critical{color:#b91c1c}.warning{color:#b45309}.ok{color:#15803d}"
    "tr.failed td{color:#b91c1c}";

// Re-fetches the page's body every data-refresh seconds and swaps it in; errors only update the
// status line (a failed fetch must not break the page).
constexpr const char* kScript =
    "(function(){var me=document.currentScript;var every=Number(me.dataset.refresh)*1000;"
    "var status=document.getElementById('status');"
    "function "
    "tick(){fetch(location.pathname+'?partial=1&period='+encodeURIComponent(me.dataset.period),"
    "{cache:'no-store'}).then(function(r){if(!r.ok){throw new Error('HTTP '+r.status);}return "
    "r.text();})"
    ".then(function(t){document.getElementById('content').innerHTML=t;"
    "status.textContent='updated '+new Date().toLocaleTimeString();})"
    ".catch(function(e){status.textContent='refresh failed ('+e.message+'), retrying';})"
    ".then(function(){setTimeout(tick,every);});}"
    "if(every>0){setTimeout(tick,every);}})();";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string render_page(const PageInput& in, bool body_only) {
  if (body_only) return body(in);
  const std::string period(period_name(in.report->period));
  std::string s =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<link rel=\"icon\" href=\"data:,\"><title>lumen performance dashboard</title><style>";
  s += kStyle;
  s += "</style></head><body><header><h1>Performance dashboard</h1><nav>";
  for (const char* p : {"5m", "1h", "24h"}) {
    s += std::string("<a href=\"?period=") + p + "\">" + p + "</a> ";
  }
  s += "</nav><span id=\"status\"></span></header><main id=\"content\">";
  s += body(in);
  s += "</main>";
  if (in.refresh.count() > 0) {
    s += "<script data-refresh=\"" + std::to_string(in.refresh.count()) + "\" data-period=\"" +
         period + "\">";
    s += kScript;
    s += "</script>";
  }
  s += "</body></html>";
  return s;
}

}  // namespace lumen::report::detail
