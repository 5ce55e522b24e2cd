// The dashboard page's charts, read from the page that is served.
#include "report/html.hpp"

#include <gtest/gtest.h>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/beautifyai/report_profile.hpp"
#include "lumen/metrics/meter.hpp"
#include "report_time.hpp"
#include "sample_lands_during_queries.hpp"

namespace lumen::report {
namespace {

// The legend shows each line's newest value.
std::string newest_error_rate(const std::string& html) {
  const std::string label = "error rate ";
  const auto at = html.find(label, html.find("id=\"chart-errors\""));
  if (at == std::string::npos) return "(no error-rate point)";
  const auto from = at + label.size();
  return html.substr(from, html.find('<', from) - from);
}

TEST(DashboardPage, ASampleLandingWhileTheChartsAreDrawnIsLeftOutOfEveryPoint) {
  metrics::MeterProvider provider;
  beautifyai::Metrics ai(provider.meter("beautifyai"));
  TimeSeriesStore store;
  store.record(provider.collect(), kT0);
  for (int i = 0; i < 10; ++i) ai.record_ai_request("gemini-2.0-flash", i >= 5, 200, 100);
  store.record(provider.collect(), kT0 + 10 * kSec);
  for (int i = 0; i < 10; ++i) ai.record_ai_request("gemini-2.0-flash", false, 200, 100);

  // The newest point covers (kT0 + 5 s, kT0 + 15 s]; the sampler's next sample, stamped
  // kT0 + 12 s, lands after the point's request count was read.
  const ReportProfile profile = beautifyai::report_profile();
  const Report r =
      ReportGenerator(store, {.profile = profile}).generate(Period::k5m, kT0 + 15 * kSec);
  testing::SampleLandsDuringQueries source(
      store, [&] { store.record(provider.collect(), kT0 + 12 * kSec); });
  detail::PageInput in;
  in.source = &source;
  in.sample_interval = store.options().raw_interval;
  in.report = &r;
  in.profile = &profile;
  EXPECT_EQ(newest_error_rate(detail::render_page(in, true)), "0.5");

  // The next page sees the sample whole: 15 failures in 20 requests.
  in.source = &store;
  const Report next =
      ReportGenerator(store, {.profile = profile}).generate(Period::k5m, kT0 + 15 * kSec);
  in.report = &next;
  EXPECT_EQ(newest_error_rate(detail::render_page(in, true)), "0.75");
}

}  // namespace
}  // namespace lumen::report
