// The deploy/ files against the real promtool (Debian package `prometheus`): the alert rules load,
// their own unit tests pass, their thresholds equal the built-in ones; the Grafana dashboard has
// the built-in dashboard's panels; and the instruments the report added pass `promtool check
// metrics`. promtool missing is a failure, not a skip.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/prometheus.hpp"
#include "lumen/report/alerts.hpp"

namespace lumen::report {
namespace {

namespace fs = std::filesystem;
const fs::path kDeploy = fs::path(LUMEN_TEST_TOOLS_DIR) / ".." / ".." / "deploy";

struct ToolRun {
  int exit_code = -1;
  std::string output;
};

ToolRun run(const std::string& cmd) {
  ToolRun r;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ReportPromtool, AlertRulesLoadAndTheirUnitTestsPass) {
  ASSERT_TRUE(fs::exists("/usr/bin/promtool")) << "promtool is missing: run scripts/bootstrap.sh";
  const ToolRun check = run("/usr/bin/promtool check rules '" +
                            (kDeploy / "prometheus" / "lumen-alerts.yml").string() + "'");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("SUCCESS"), std::string::npos) << check.output;
  const ToolRun test = run("cd '" + (kDeploy / "prometheus").string() +
                           "' && /usr/bin/promtool test rules lumen-alerts.test.yml");
  EXPECT_EQ(test.exit_code, 0) << test.output;
}

TEST(ReportPromtool, RuleThresholdsEqualTheBuiltInOnes) {
  const std::string rules = slurp(kDeploy / "prometheus" / "lumen-alerts.yml");
  for (const ThresholdRule& r : AlertOptions::default_thresholds()) {
    const auto at = rules.find("- alert: " + r.name + "\n");
    ASSERT_NE(at, std::string::npos) << r.name << " is missing from the deploy rules";
    const auto expr = rules.find("expr:", at);
    const std::string line = rules.substr(expr, rules.find('\n', expr) - expr);
    char want[64];
    std::snprintf(want, sizeof want, "> %g", r.fire_above);
    EXPECT_NE(line.find(want), std::string::npos)
        << r.name << ": " << line << " (want " << want << ")";
    EXPECT_NE(rules.find("severity: " + r.severity, at), std::string::npos) << r.name;
  }
  const BurnRateOptions burn;
  EXPECT_NE(rules.find("- alert: error_budget_burn"), std::string::npos);
  char factor[64];
  std::snprintf(factor, sizeof factor, "(%g * %g)", burn.factor, 1 - burn.objective);
  EXPECT_NE(rules.find(factor), std::string::npos) << factor;
}

TEST(ReportPromtool, GrafanaDashboardHasTheBuiltInPanels) {
  const auto dash = nlohmann::json::parse(slurp(kDeploy / "grafana" / "lumen-dashboard.json"));
  std::vector<std::string> titles;
  for (const auto& p : dash["panels"]) {
    titles.push_back(p["title"].get<std::string>());
    EXPECT_FALSE(p["targets"].empty()) << titles.back();
  }
  for (const char* t : {"Request rate by model", "Latency percentiles", "Error rate",
                        "Cache hit rate", "Cost by model", "Queue depth and connections"}) {
    EXPECT_NE(std::find(titles.begin(), titles.end(), t), titles.end()) << t;
  }
}

TEST(ReportPromtool, TheInstrumentsAddedForTheReportPassCheckMetrics) {
  metrics::MeterProvider provider;
  beautifyai::Metrics ai(provider.meter("beautifyai"));
  ai.record_ai_tokens("gemini-2.0-flash", 600, 212);
  ai.record_user_request("pro", 240);
  ai.record_ai_call_avoided("gemini-2.0-flash", beautifyai::AvoidedReason::kCoalesced);
  ai.record_ai_call_avoided("gemini-2.0-flash", beautifyai::AvoidedReason::kCache);
  ai.record_cache_bytes_saved("document", 48'000);
  ai.set_circuit_state("gpt-4o-mini", beautifyai::CircuitState::kOpen);
  const std::string text =
      metrics::serialize(provider.collect(), metrics::ExpositionFormat::kPrometheusText);
  for (const char* name :
       {"ai_token_usage_total{", "user_request_duration_seconds_bucket{", "ai_calls_avoided_total{",
        "cache_saved_bytes_total{", "ai_circuit_state{"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing in:\n" << text;
  }
  const fs::path file =
      fs::temp_directory_path() / ("lumen_report_metrics_" + std::to_string(::getpid()));
  std::ofstream(file) << text;
  const ToolRun r = run("/usr/bin/promtool check metrics < '" + file.string() + "'");
  fs::remove(file);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n" << text;
}

}  // namespace
}  // namespace lumen::report
