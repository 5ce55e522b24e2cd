// The Runtime's shutdown against collectors that never answer: one deadline for everything, and
// nothing left behind that touches what the Runtime freed.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "eventually.hpp"
#include "http_receiver.hpp"
#include "lumen/runtime.hpp"

namespace lumen::testing {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// An exporter stuck in its call until the test lets it go, whatever deadline or shutdown says.
class StuckExporter final : public trace::SpanExporter {
 public:
  trace::ExportResult export_spans(trace::SpanBatch, Deadline) noexcept override {
    std::unique_lock lock(mutex_);
    entered_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
    return trace::ExportResult::kSuccess;
  }
  bool wait_until_entered() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return entered_; });
  }
  void release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false;
  bool released_ = false;
};

Config quiet_config() {
  Config config;
  config.trace.exporters.clear();
  config.metrics.exporters.clear();
  config.log.options.level = log::Level::kOff;
  return config;
}

// The export's duration is recorded (lumen.span_export.duration) when the call returns; before, the
// Runtime had destroyed that histogram by then, and ASan saw a heap use after free.
TEST(RuntimeShutdown, AnExportThatOutlivesTheDeadlineTouchesNothingTheRuntimeFreed) {
  auto stuck = std::make_shared<StuckExporter>();
  Config config = quiet_config();
  config.trace.custom_exporters = {stuck};
  config.shutdown_timeout = 200ms;
  {
    Runtime runtime(std::move(config));
    runtime.tracer("test").trace("stuck.export", [](trace::Span&) {});
    EXPECT_FALSE(runtime.flush(0ms));
    ASSERT_TRUE(stuck->wait_until_entered());
  }  // the shutdown gives up at its deadline and leaves the batch worker inside the exporter
  stuck->release();
  // The worker returns, records the duration and ends, dropping its references to the exporter.
  EXPECT_TRUE(eventually([&] { return stuck.use_count() == 1; }, 10s));
}

TEST(RuntimeShutdown, OneDeadlineBoundsTheWholeShutdownWhenEveryCollectorHangs) {
  HttpReceiver receiver;
  std::vector<ScriptedResponse> hang(8, ScriptedResponse{.hang = true});
  receiver.script(hang);
  Config config = quiet_config();
  config.trace.exporters = {TraceExporterKind::kOtlp};
  config.trace.otlp.endpoint = receiver.url("/v1/traces");
  config.trace.otlp.timeout = 30s;
  config.metrics.exporters = {MetricExporterKind::kOtlp};
  config.metrics.otlp.endpoint = receiver.url("/v1/metrics");
  config.metrics.otlp.timeout = 30s;
  config.metrics.export_timeout = 30s;
  config.shutdown_timeout = 1s;
  std::optional<Runtime> runtime(std::in_place, std::move(config));
  runtime->tracer("test").trace("hung.collector", [](trace::Span&) {});
  runtime->logger().info("before shutdown");

  const auto start = Steady::now();
  runtime.reset();
  const auto took = Steady::now() - start;
  // Traces, metrics and logs each had their own timeouts, one after the other (7-10 s).
  EXPECT_LT(took, 2500ms);
  EXPECT_GE(took, 900ms);  // it did wait for the collectors, up to the deadline
}

TEST(RuntimeShutdown, AnExplicitShutdownIsTheDestructorsWorkDoneOnce) {
  auto stuck = std::make_shared<StuckExporter>();
  Config config = quiet_config();
  config.trace.custom_exporters = {stuck};
  config.shutdown_timeout = 10s;
  std::optional<Runtime> runtime(std::in_place, std::move(config));
  runtime->tracer("test").trace("stuck.export", [](trace::Span&) {});
  EXPECT_FALSE(runtime->flush(0ms));
  ASSERT_TRUE(stuck->wait_until_entered());
  const auto start = Steady::now();
  EXPECT_FALSE(runtime->shutdown(300ms));
  runtime.reset();  // already shut down: the 10 s of config.shutdown_timeout are not spent again
  EXPECT_LT(Steady::now() - start, 2s);
  stuck->release();
  EXPECT_TRUE(eventually([&] { return stuck.use_count() == 1; }, 10s));
}

}  // namespace
}  // namespace lumen::testing
