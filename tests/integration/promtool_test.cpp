// Runs the real `promtool check metrics` (Debian package `prometheus`) on our exposition. promtool
// missing is a failure, not a skip: this test is the proof that the output is valid.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "lumen/beautifyai/metrics.hpp"
#include "lumen/core/context.hpp"
#include "lumen/metrics/meter.hpp"
#include "lumen/metrics/prometheus.hpp"

namespace lumen::metrics {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

CheckResult promtool_check(const std::string& exposition) {
  char path[] = "/tmp/lumen_promtool_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  {
    std::ofstream f(path, std::ios::binary);
    f << exposition;
  }
  close(fd);
  const std::string cmd = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
  CheckResult r;
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  if (p != nullptr) {
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  unlink(path);
  return r;
}

MetricsSnapshot workload_snapshot(MeterProvider& provider) {
  Meter& meter = provider.meter("beautifyai");
  beautifyai::Metrics ai(meter);
  ai.record_ai_request("gemini-2.0-flash", true, 182.0, 812);
  ai.record_ai_request("gemini-2.0-flash", false, 2400.0);
  ai.record_ai_request("claude \"quoted\"\\model\n", true, 35.5, 120);
  ai.record_error("timeout", "gemini-2.0-flash");
  ai.record_cache_lookup("document", true);
  ai.record_cache_lookup("document", false);
  ai.record_cache_lookup("similarity", true);
  ai.record_queue_processing(12.5);
  ai.record_request_size(48'000);
  ai.set_active_connections(3);
  ai.set_queue_depth(9);
  auto gauge = meter.create_up_down_counter<double>("inflight.ratio",
                                                    {.description = "A help with \\ and\nnewline"});
  gauge.add(0.25, {{"pool.name", "main"}});
  {
    auto scope = Context()
                     .with_span(SpanContext(*TraceId::from_hex("0af7651916cd43dd8448eb211c80319c"),
                                            *SpanId::from_hex("b7ad6b7169203331"),
                                            SpanContext::kSampledFlag))
                     .activate();
    ai.record_ai_request("gemini-2.0-flash", true, 90.0, 10);
  }
  return provider.collect();
}

TEST(Promtool, IsInstalled) {
  ASSERT_EQ(access(kPromtool, X_OK), 0)
      << kPromtool << " not found: apt-get install prometheus (scripts/bootstrap.sh does it)";
}

TEST(Promtool, AcceptsOurPrometheusTextScrape) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " not found";
  MeterProvider provider({.resource = Resource(Attributes{{"service.name", "beautifyai"},
                                                          {"service.version", "1.0.0"}})});
  const std::string text =
      serialize(workload_snapshot(provider), ExpositionFormat::kPrometheusText);
  ASSERT_NE(text.find("ai_request_duration_seconds_bucket"), std::string::npos);
  const CheckResult r = promtool_check(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output;
}

TEST(Promtool, AcceptsExponentialHistogramsExposedAsClassicOnes) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " not found";
  MeterProvider provider;
  Meter& meter = provider.meter("t");
  auto size =
      meter.create_histogram("request.size", {.unit = "By", .exponential = Base2Exponential{}});
  auto skew = meter.create_histogram(
      "clock.skew", {.unit = "s", .exponential = Base2Exponential{.max_size = 20}});
  for (double v : {512.0, 1500.0, 1e6, 0.0}) size.record(v, {{"route", "/upload"}});
  for (double v : {-0.25, -0.002, 0.0, 0.001, 0.5}) skew.record(v);
  const std::string text = serialize(provider.collect(), ExpositionFormat::kPrometheusText);
  ASSERT_NE(text.find("# TYPE request_size_bytes histogram"), std::string::npos) << text;
  ASSERT_NE(text.find("clock_skew_seconds_bucket{le=\"0\"} 3"), std::string::npos) << text;
  const CheckResult r = promtool_check(text);
  EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << text;
  EXPECT_EQ(r.output.find("error"), std::string::npos) << r.output;
}

TEST(Promtool, RejectsALintProblemSoTheCheckIsReal) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " not found";
  const CheckResult r = promtool_check(
      "# HELP bad_ms A camelCase label and an abbreviated unit\n# TYPE bad_ms counter\n"
      "bad_ms{hasTokens=\"true\"} 1\n");
  EXPECT_NE(r.exit_code, 0) << r.output;
}

}  // namespace
}  // namespace lumen::metrics
