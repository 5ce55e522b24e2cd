// BeautifyAI's report profile: the instrument names lumen::beautifyai::Metrics records, their
// Prometheus names, and the list prices of the models the service calls. The report, the alerts and
// the dashboard read a service's metrics through such a profile; this one reproduces the report
// the reference service always had.
//
//   lumen::report::DashboardOptions options = lumen::report::DashboardOptions::from_environment(
//       env, lumen::beautifyai::report_profile());  // REPORT_PRICING_FILE extends model_prices()
//   lumen::report::Dashboard dashboard(rt.meter_provider(), std::move(options));
#pragma once

#include "lumen/report/pricing.hpp"
#include "lumen/report/report_profile.hpp"

namespace lumen::beautifyai {

// The models of model_catalog() at their list prices per 1,000 tokens, and 0.001 / 0.002 USD for a
// model not listed.
[[nodiscard]] report::PricingTable model_prices();

// ai.requests grouped by model with success="false" as the failures, ai.request.duration,
// ai.tokens and ai.token.usage priced with model_prices(), the cache, queue and connection
// instruments, user.request.duration by tier for Apdex, and their Prometheus names.
[[nodiscard]] report::ReportProfile report_profile();

}  // namespace lumen::beautifyai
