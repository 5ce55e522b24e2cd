// UTC renderings of Unix-nanosecond timestamps for the report, the alerts and the page, and the
// length of their day.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace lumen::report::detail {

inline constexpr std::uint64_t kDayNs = 86'400'000'000'000ULL;

enum class TimeStyle {
  kIso,   // 2026-11-28T00:05:00Z (JSON)
  kPage,  // 2026-11-28 00:05:00 UTC (the page)
  kDay,   // 2026-11-28 (daily report file names)
};

inline std::string utc_time(std::uint64_t ns, TimeStyle style = TimeStyle::kIso) {
  const auto secs = static_cast<std::time_t>(ns / 1'000'000'000ULL);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::size_t n = 0;
  switch (style) {
    case TimeStyle::kIso:
      n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
      break;
    case TimeStyle::kPage:
      n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
      break;
    case TimeStyle::kDay:
      n = std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
      break;
  }
  return std::string(buf, n);
}

}  // namespace lumen::report::detail
