#include "log/repeat_limiter.hpp"

namespace lumen::log::detail {

RepeatLimiter::Verdict RepeatLimiter::check(Level level, std::string_view message,
                                            std::uint64_t now_ns) {
  Verdict v;
  std::string key(1, static_cast<char>(level));
  key.append(message);
  auto [it, inserted] = messages_.try_emplace(std::move(key));
  Entry& e = it->second;
  if (inserted || now_ns - e.window_start >= window_ns_) {
    if (!inserted) v.suppressed_in_last_window = e.suppressed;
    e.window_start = now_ns;
    e.count = 0;
    e.suppressed = 0;
  }
  if (e.count < burst_) {
    ++e.count;
    return v;
  }
  ++e.suppressed;
  v.allow = false;
  if (messages_.size() > kMaxMessages) messages_.clear();
  return v;
}

}  // namespace lumen::log::detail
