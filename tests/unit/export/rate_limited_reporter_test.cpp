#include "export/rate_limited_reporter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "core/sdk_diagnostics.hpp"
#include "lumen/core/clock.hpp"

namespace lumen::exporters::detail {
namespace {

using namespace std::chrono_literals;

struct Lines {
  std::vector<std::string> lines;
  RateLimitedReporter::Sink sink() {
    return [this](const std::string& line) { lines.push_back(line); };
  }
};

TEST(RateLimitedReporter, HoldsBackLinesWithinTheIntervalAndCountsThemIntoTheNext) {
  ManualClock clock;
  Lines out;
  RateLimitedReporter reporter(out.sink(), 10s, clock, "spans");
  reporter.report("first", 1);
  clock.advance(9s);
  reporter.report("held back", 2);
  reporter.report("held back too", 3);
  ASSERT_EQ(out.lines.size(), 1u);
  clock.advance(1s);
  reporter.report("second", 4);
  clock.advance(10s);
  reporter.report("third");
  ASSERT_EQ(out.lines.size(), 3u);
  EXPECT_EQ(out.lines[0], "first");
  EXPECT_EQ(out.lines[1],
            "second (and 2 earlier failed exports with 5 spans since the last report)");
  EXPECT_EQ(out.lines[2], "third");
}

TEST(RateLimitedReporter, NamesOnlyTheCountWhenTheHeldBackLinesDroppedNothing) {
  ManualClock clock;
  Lines out;
  RateLimitedReporter reporter(out.sink(), 1s, clock);
  reporter.report("a");
  reporter.report("b");
  clock.advance(1s);
  reporter.report("c");
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(out.lines[1], "c (and 1 earlier failed export since the last report)");
}

TEST(RateLimitedReporter, EmitWritesWhateverTheLimit) {
  ManualClock clock;
  Lines out;
  RateLimitedReporter reporter(out.sink(), 1h, clock);
  reporter.report("limited");
  reporter.emit("always");
  reporter.emit("always");
  EXPECT_EQ(out.lines, (std::vector<std::string>{"limited", "always", "always"}));
}

// OTEL_LOG_LEVEL filters what goes to stderr only: a sink the application gave asked for every
// line.
TEST(RateLimitedReporter, AGivenSinkReceivesLinesWhateverTheSdkLogLevel) {
  const lumen::detail::SdkLogLevel before = lumen::detail::sdk_log_level();
  lumen::detail::set_sdk_log_level(lumen::detail::SdkLogLevel::kNone);
  std::ostringstream stream;
  RateLimitedReporter reporter(stream_sink(&stream), 1s);
  reporter.report("to the stream");
  lumen::detail::set_sdk_log_level(before);
  EXPECT_EQ(stream.str(), "to the stream\n");
}

TEST(RateLimitedReporter, AThrowingSinkDoesNotEscape) {
  RateLimitedReporter reporter([](const std::string&) { throw std::runtime_error("sink"); }, 1s);
  EXPECT_NO_THROW(reporter.report("x"));
  EXPECT_NO_THROW(reporter.emit("y"));
}

}  // namespace
}  // namespace lumen::exporters::detail
