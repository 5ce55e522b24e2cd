// lumen::global while Runtimes come and go: threads start spans, create and add to instruments and
// log through the global, with no pause, while the main thread builds and destroys Runtimes. A
// span may start on one Runtime's tracer and end after that Runtime is gone. Meant for TSan and
// ASan as much as for the counts: a reference that dangled or a race on the installation would
// show there.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "lumen/config.hpp"
#include "lumen/global.hpp"
#include "lumen/runtime.hpp"

namespace lumen {
namespace {

using namespace std::chrono_literals;

Runtime small_runtime() {
  Config config = Config::from_env(
      Environment(std::map<std::string, std::string>{{"OTEL_BSP_SCHEDULE_DELAY", "5"}}));
  config.trace.embedded_capacity = 64;  // each Runtime's providers are kept: keep them small
  config.log.options.level = log::Level::kError;
  return Runtime(std::move(config));
}

TEST(GlobalStress, CallersRaceRuntimesBeingCreatedAndDestroyed) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 12;
  constexpr auto kPatience = 20s;  // generous: TSan and a loaded machine slow the callers down
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> recording{0};
  std::atomic<std::uint64_t> not_recording{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      trace::Span carried;  // ended on the next pass: often after its Runtime is gone
      while (!stop.load(std::memory_order_relaxed)) {
        trace::Span span = global::tracer("stress").start("op");
        (span.is_recording() ? recording : not_recording).fetch_add(1);
        carried = std::move(span);
        global::meter("stress").create_counter("stress.ops").add(1, {{"thread", "any"}});
        global::logger().debug("filtered out", {{"n", 1}});
      }
    });
  }

  // Each round waits until the callers have seen the Runtime, and then its absence.
  int rounds = 0;
  for (; rounds < kRounds; ++rounds) {
    bool seen_installed = false;
    {
      Runtime rt = small_runtime();
      const std::uint64_t before = recording.load();
      seen_installed =
          testing::eventually([&] { return recording.load() >= before + kThreads; }, kPatience);
    }
    const std::uint64_t before = not_recording.load();
    if (!seen_installed ||
        !testing::eventually([&] { return not_recording.load() >= before + kThreads; }, kPatience))
      break;
  }
  stop.store(true);
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(rounds, kRounds);
  EXPECT_FALSE(global::installed());
}

}  // namespace
}  // namespace lumen
