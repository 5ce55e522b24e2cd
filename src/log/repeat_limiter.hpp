// Suppresses a log message repeated too often: past `burst` records of one level and message in a
// window, the rest of the window's are dropped, and when that message's next window starts the
// caller learns how many were, to say so in a line of its own. The table of messages is bounded.
// Used by the writer thread only (or under the synchronous mode's mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "lumen/log/level.hpp"

namespace lumen::log::detail {

class RepeatLimiter {
 public:
  // The most messages tracked; past it the table starts over (a stream of unique messages).
  static constexpr std::size_t kMaxMessages = 10000;

  RepeatLimiter(std::uint32_t burst, std::chrono::milliseconds window)
      : burst_(burst), window_ns_(static_cast<std::uint64_t>(window.count()) * 1'000'000ULL) {}

  struct Verdict {
    bool allow = true;
    std::uint64_t suppressed_in_last_window = 0;  // of this message, reported once as it ends
  };
  Verdict check(Level level, std::string_view message, std::uint64_t now_ns);

 private:
  struct Entry {
    std::uint64_t window_start = 0;
    std::uint32_t count = 0;
    std::uint64_t suppressed = 0;
  };
  std::uint32_t burst_;
  std::uint64_t window_ns_;
  std::unordered_map<std::string, Entry> messages_;
};

}  // namespace lumen::log::detail
