#include "log/iso8601.hpp"

#include <cstring>

namespace lumen::log::detail {
namespace {

char* write_two(char* p, std::uint32_t v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
  return p + 2;
}

// "YYYY-MM-DDTHH:MM:SS" for a count of seconds since the Unix epoch, in UTC. The civil date comes
// from the day count by shifting the year to start in March (the leap day then ends a year) and
// splitting it into 400-year eras of 146097 days; no gmtime_r, whose time-zone lock all threads
// share.
void write_date_time(char* p, std::uint64_t seconds) noexcept {
  const std::uint64_t days = seconds / 86400;
  const auto second_of_day = static_cast<std::uint32_t>(seconds % 86400);
  const std::uint64_t shifted = days + 719468;  // days from 0000-03-01 to 1970-01-01
  const std::uint64_t era = shifted / 146097;
  const auto day_of_era = static_cast<std::uint32_t>(shifted - era * 146097);
  const std::uint32_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::uint32_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::uint32_t month_index = (5 * day_of_year + 2) / 153;  // 0 = March
  const std::uint32_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
  const std::uint32_t month = month_index < 10 ? month_index + 3 : month_index - 9;
  const auto year = static_cast<std::uint32_t>(year_of_era + era * 400 + (month <= 2 ? 1 : 0));
  p = write_two(p, (year / 100) % 100);
  p = write_two(p, year % 100);
  *p++ = '-';
  p = write_two(p, month);
  *p++ = '-';
  p = write_two(p, day);
  *p++ = 'T';
  p = write_two(p, second_of_day / 3600);
  *p++ = ':';
  p = write_two(p, second_of_day / 60 % 60);
  *p++ = ':';
  write_two(p, second_of_day % 60);
}

}  // namespace

char* Iso8601Cache::write(char* p, std::uint64_t wall_ns) noexcept {
  const std::uint64_t millisecond = wall_ns / 1'000'000ULL;
  if (millisecond != millisecond_) {
    millisecond_ = millisecond;
    const std::uint64_t second = millisecond / 1000;
    if (second != second_) {
      write_date_time(text_, second);
      second_ = second;
    }
    const auto ms = static_cast<std::uint32_t>(millisecond % 1000);
    text_[19] = '.';
    text_[20] = static_cast<char>('0' + ms / 100);
    write_two(text_ + 21, ms % 100);
    text_[23] = 'Z';
  }
  std::memcpy(p, text_, sizeof text_);
  return p + sizeof text_;
}

void append_iso8601(std::string& out, std::uint64_t wall_ns) {
  Iso8601Cache cache;
  char buf[kIso8601Size];
  out.append(buf, static_cast<std::size_t>(cache.write(buf, wall_ns) - buf));
}

}  // namespace lumen::log::detail
