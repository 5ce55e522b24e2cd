#include "export/rate_limited_reporter.hpp"

#include <ostream>

#include "core/sdk_diagnostics.hpp"
#include "core/stderr_line.hpp"

namespace lumen::exporters::detail {

void RateLimitedReporter::report(std::string line, std::uint64_t dropped) noexcept {
  try {
    {
      lumen::internal::MutexLock lock(mutex_);
      const std::uint64_t now_ns = clock_.monotonic_ns();
      const auto interval_ns = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(interval_).count());
      if (reported_once_ && now_ns - last_report_ns_ < interval_ns) {
        ++held_back_;
        held_back_dropped_ += dropped;
        return;
      }
      if (held_back_ != 0) {
        line += " (and " + std::to_string(held_back_) + " earlier failed " +
                (held_back_ == 1 ? "export" : "exports");
        if (held_back_dropped_ != 0)
          line += " with " + std::to_string(held_back_dropped_) + " " + dropped_unit_;
        line += " since the last report)";
      }
      reported_once_ = true;
      last_report_ns_ = now_ns;
      held_back_ = 0;
      held_back_dropped_ = 0;
    }
    emit(line);
  } catch (...) {  // out of memory while building the line: the report is lost, not the export
  }
}

void RateLimitedReporter::emit(const std::string& line) const noexcept {
  try {
    if (sink_) {
      sink_(line);
    } else if (lumen::detail::sdk_logs(lumen::detail::SdkLogLevel::kError)) {  // OTEL_LOG_LEVEL
      lumen::detail::write_stderr_line(line);
    }
  } catch (...) {  // a throwing sink must not break the export path
  }
}

RateLimitedReporter::Sink stream_sink(std::ostream* stream) {
  if (stream == nullptr) return {};
  return [stream](const std::string& line) { *stream << line << '\n' << std::flush; };
}

}  // namespace lumen::exporters::detail
