// RateLimitedReporter: an exporter's problem lines, at most one per interval, so that a dead
// receiver does not flood stderr; the lines held back are counted into the next one written.
// Internal. Thread-safety: every member may be called from any thread.
//
//   detail::RateLimitedReporter reporter(options.report, options.report_interval, *options.clock,
//                                        "spans");
//   reporter.report("lumen: Zipkin export: POST ... failed; 3 spans dropped", /*dropped=*/3);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <string>

#include "lumen/core/clock.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::exporters::detail {

class RateLimitedReporter {
 public:
  // Receives each line written. Empty: stderr, when OTEL_LOG_LEVEL lets errors through.
  using Sink = std::function<void(const std::string&)>;

  // `dropped_unit` names what report()'s `dropped` counts ("spans"), in the held-back note.
  RateLimitedReporter(Sink sink, std::chrono::milliseconds interval,
                      const Clock& clock = SystemClock::instance(),
                      const char* dropped_unit = "items")
      : sink_(std::move(sink)), interval_(interval), clock_(clock), dropped_unit_(dropped_unit) {}

  // Writes `line`, or holds it back when the last line was written less than the interval ago.
  // A written line ends with how many were held back since the last one and, where they said so,
  // how many items they dropped: "(and 2 earlier failed exports with 5 spans since the last
  // report)". Never throws: reporting is best effort, the failure is counted elsewhere.
  void report(std::string line, std::uint64_t dropped = 0) noexcept;
  // Writes the line whatever the limit (a partial success seen for the first time).
  void emit(const std::string& line) const noexcept;

 private:
  const Sink sink_;
  const std::chrono::milliseconds interval_;
  const Clock& clock_;
  const char* const dropped_unit_;
  lumen::internal::Mutex mutex_;
  bool reported_once_ LUMEN_GUARDED_BY(mutex_) = false;
  std::uint64_t last_report_ns_ LUMEN_GUARDED_BY(mutex_) = 0;
  std::uint64_t held_back_ LUMEN_GUARDED_BY(mutex_) = 0;
  std::uint64_t held_back_dropped_ LUMEN_GUARDED_BY(mutex_) = 0;
};

// A sink that writes each line to `stream`; for options that name an std::ostream (null: stderr).
[[nodiscard]] RateLimitedReporter::Sink stream_sink(std::ostream* stream);

}  // namespace lumen::exporters::detail
