#include "lumen/global.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "config_from.hpp"
#include "lumen/runtime.hpp"

namespace lumen {
namespace {

// A quiet Runtime: spans kept in memory, and a logger that writes only errors.
Runtime quiet_runtime(log::Level level = log::Level::kError) {
  Config config = testing::config_from({{"OTEL_BSP_SCHEDULE_DELAY", "10"}});
  config.log.options.level = level;
  return Runtime(std::move(config));
}

bool has_metric(const metrics::MetricsSnapshot& snapshot, std::string_view name) {
  return std::any_of(snapshot.metrics.begin(), snapshot.metrics.end(),
                     [&](const auto& m) { return m.name == name; });
}

// The example at the top of lumen/global.hpp, as written there.
struct Image {
  int width = 640;
};

void resize(Image& image) {
  lumen::global::tracer("imagelib").trace("imagelib.resize", [&] { image.width /= 2; });
  // A lookup per call: fine off the hot path (see Lifetime for keeping the instrument).
  lumen::global::meter("imagelib").create_counter("imagelib.resized").add(1);
  lumen::global::logger().debug("resized", {{"width", image.width}});
}

TEST(Global, HeaderExampleRunsWithAndWithoutARuntime) {
  Image image;
  resize(image);
  {
    lumen::Runtime rt = quiet_runtime();
    resize(image);
    ASSERT_TRUE(rt.flush(std::chrono::seconds(10)));
    EXPECT_EQ(rt.recent_spans()->size(), 1u);
    EXPECT_TRUE(has_metric(rt.meter_provider().collect(), "imagelib.resized"));
  }
  EXPECT_EQ(image.width, 160);
}

TEST(Global, HandsOutNoOpsBeforeAnyRuntime) {
  ASSERT_FALSE(global::installed());
  trace::Span span = global::tracer("lib").start("work");
  EXPECT_FALSE(span.is_recording());
  EXPECT_TRUE(span.context().is_valid());  // still propagates a trace id
  EXPECT_FALSE(global::logger().enabled(log::Level::kFatal));

  bool called = false;
  metrics::Meter& meter = global::meter("lib");
  auto early = meter.create_counter("lib.early");
  early.add(5);
  early.bind({{"k", "v"}}).add(1);
  meter.create_histogram("lib.latency").record(0.5, {{"k", "v"}});
  auto gauge = meter.create_observable_gauge("lib.depth", [&](metrics::ObserverResult& r) {
    called = true;
    r.observe(1);
  });
  // What was measured before the Runtime reaches none of its collections.
  Runtime rt = quiet_runtime();
  early.add(5);
  const metrics::MetricsSnapshot snapshot = rt.meter_provider().collect();
  EXPECT_FALSE(has_metric(snapshot, "lib.early"));
  EXPECT_FALSE(has_metric(snapshot, "lib.depth"));
  EXPECT_FALSE(called);
}

TEST(Global, HandsOutTheRuntimesObjectsWhileItLives) {
  Runtime rt = quiet_runtime(log::Level::kDebug);
  EXPECT_TRUE(global::installed());
  EXPECT_EQ(&global::tracer("lib", "1.0"), &rt.tracer("lib", "1.0"));
  EXPECT_EQ(&global::meter("lib"), &rt.meter("lib"));
  EXPECT_TRUE(global::tracer("lib").start("work").is_recording());
  EXPECT_TRUE(global::logger().enabled(log::Level::kDebug));  // the Runtime's level, not off

  global::meter("lib").create_counter("lib.calls").add(3);
  EXPECT_TRUE(has_metric(rt.meter_provider().collect(), "lib.calls"));
}

// OTEL_PROPAGATORS reaches code that only has the global, and the default returns with the Runtime.
TEST(Global, HandsOutTheRuntimesPropagatorWhileItLives) {
  {
    Config config = testing::config_from({{"OTEL_PROPAGATORS", "b3multi,tracecontext"}});
    config.log.options.level = log::Level::kError;
    Runtime rt(std::move(config));
    EXPECT_EQ(rt.propagator().names(), "b3multi,tracecontext");
    EXPECT_EQ(global::propagator(), rt.propagator());
  }
  EXPECT_EQ(global::propagator(), propagation::Propagator());
}

TEST(Global, IsANoOpAgainAfterTheRuntimeIsDestroyed) {
  { Runtime rt = quiet_runtime(); }
  EXPECT_FALSE(global::installed());
  EXPECT_FALSE(global::tracer("lib").start("late").is_recording());
  EXPECT_FALSE(global::logger().enabled(log::Level::kFatal));
}

TEST(Global, ReferencesKeptAcrossTheRuntimesEndStayValidAndRecordNothing) {
  std::optional<Runtime> rt(quiet_runtime(log::Level::kInfo));
  trace::Tracer& tracer = global::tracer("kept");
  metrics::Meter& meter = global::meter("kept");
  log::Logger logger = global::logger();
  trace::Span open = tracer.start("open across the end");
  rt.reset();

  EXPECT_FALSE(tracer.start("late").is_recording());
  meter.create_counter("kept.after").add(1);
  open.end();  // dropped by the stopped processor
  const std::uint64_t written = logger.stats().written;
  logger.info("after the end");  // the writer is shut down: dropped silently
  EXPECT_EQ(logger.stats().written, written);
}

TEST(Global, TheNewestLiveRuntimeWinsAndTheOlderReturnsWhenItEnds) {
  Runtime older = quiet_runtime();
  {
    Runtime newer = quiet_runtime();
    EXPECT_EQ(&global::tracer("lib"), &newer.tracer("lib"));
  }
  EXPECT_EQ(&global::tracer("lib"), &older.tracer("lib"));
}

TEST(Global, RuntimeMovedIntoAnotherStaysInstalled) {
  Runtime first = quiet_runtime();
  Runtime moved(std::move(first));
  EXPECT_EQ(&global::tracer("lib"), &moved.tracer("lib"));
  moved = quiet_runtime();  // the replaced one ends; the new one is the global
  EXPECT_EQ(&global::tracer("lib"), &moved.tracer("lib"));
}

TEST(Installation, UninstallSaysWhetherReferencesWereHandedOut) {
  auto tracers = std::make_shared<trace::TracerProvider>(trace::TracerProviderOptions{});
  auto meters = std::make_shared<metrics::MeterProvider>();
  {
    global::Installation quiet(tracers, meters);
    EXPECT_FALSE(quiet.uninstall());
    EXPECT_FALSE(quiet.uninstall());  // idempotent
  }
  global::Installation used(tracers, meters);
  EXPECT_EQ(&global::meter("m"), &meters->meter("m"));
  EXPECT_TRUE(used.uninstall());
  EXPECT_FALSE(global::installed());
}

TEST(Installation, NullProvidersStayNoOps) {
  global::Installation nothing(nullptr, nullptr);
  EXPECT_TRUE(global::installed());
  EXPECT_FALSE(global::tracer("lib").start("x").is_recording());
  EXPECT_FALSE(global::logger().enabled(log::Level::kFatal));
  EXPECT_FALSE(nothing.uninstall());
}

}  // namespace
}  // namespace lumen
