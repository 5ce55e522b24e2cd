#include "log/iso8601.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <string>

namespace lumen::log {
namespace {

TEST(Iso8601, FormatsUtcWithMilliseconds) {
  std::string out;
  detail::append_iso8601(out, 0);
  EXPECT_EQ(out, "1970-01-01T00:00:00.000Z");
  out.clear();
  detail::append_iso8601(out, 1'709'251'199'999'999'999ULL);  // leap year, last ms of Feb 29
  EXPECT_EQ(out, "2024-02-29T23:59:59.999Z");
}

TEST(Iso8601, MatchesGmtimeAcrossCenturiesLeapDaysAndTheCache) {
  detail::Iso8601Cache cache;
  // Steps of a prime number of seconds from 1970 to past 2400, then back and forth in one second.
  for (std::uint64_t sec = 0; sec < 13'700'000'000ULL; sec += 9'999'991ULL) {
    for (const std::uint64_t ms : {0ULL, 999ULL, 1ULL}) {
      const std::uint64_t ns = sec * 1'000'000'000ULL + ms * 1'000'000ULL + 123;
      const auto t = static_cast<std::time_t>(sec);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char expected[96];
      std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%03lluZ",
                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<unsigned long long>(ms));
      char buf[detail::kIso8601Size];
      ASSERT_EQ(std::string(buf, cache.write(buf, ns)), expected);
      // Later in the same millisecond: the cached text.
      ASSERT_EQ(std::string(buf, cache.write(buf, ns + 999'000)), expected);
    }
  }
  char buf[detail::kIso8601Size];
  EXPECT_EQ(std::string(buf, cache.write(buf, 951'782'400'000'000'000ULL)),
            "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(std::string(buf, cache.write(buf, 951'782'399'999'000'000ULL)),
            "2000-02-28T23:59:59.999Z");
}

}  // namespace
}  // namespace lumen::log
