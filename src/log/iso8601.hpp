// UTC timestamps for log lines: 2026-11-27T16:32:14.123Z, without gmtime_r.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lumen::log::detail {

// 2026-11-27T16:32:14.123Z
void append_iso8601(std::string& out, std::uint64_t wall_ns);
constexpr std::size_t kIso8601Size = 24;

// The same text, remembering the last millisecond it formatted: log records come in bursts, many
// within one millisecond, and then the text is copied whole. The calendar arithmetic runs when the
// second changes.
class Iso8601Cache {
 public:
  char* write(char* p, std::uint64_t wall_ns) noexcept;  // kIso8601Size bytes

 private:
  std::uint64_t millisecond_ = ~std::uint64_t{0};
  std::uint64_t second_ = ~std::uint64_t{0};
  char text_[kIso8601Size] = {};  // "YYYY-MM-DDTHH:MM:SS.mmmZ"
};

}  // namespace lumen::log::detail
