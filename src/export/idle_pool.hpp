// IdlePool: the idle half of a connection pool, with a cap and an expiry. A handle given back
// is kept unless `capacity` handles are already idle; a handle idle for longer than `max_idle`
// is handed back for closing at the next take(), since the server has likely closed its
// connection by then (and a kept handle holds a socket and its buffers). The most recently given
// back handle is taken first: its connection is the likeliest to be alive. Internal.
//
//   IdlePool<Connection*> idle({.capacity = 8, .max_idle = std::chrono::seconds(60)});
//   std::vector<Connection*> stale;
//   std::optional<Connection*> c = idle.take(clock.now(), stale);   // then close each of `stale`
//   ...
//   if (!idle.put(*c, clock.now())) close(*c);                      // over the cap
//
// Thread-safety: none; the owner locks.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "lumen/core/clock.hpp"

namespace lumen::exporters::detail {

struct IdlePoolOptions {
  std::size_t capacity = 8;  // 0: nothing is kept
  std::chrono::nanoseconds max_idle = std::chrono::seconds(60);
};

template <typename Handle>
class IdlePool {
 public:
  explicit IdlePool(IdlePoolOptions options) : options_(options) {}

  // Keeps `handle`, idle from `now`; false (the caller closes it) if the pool is full.
  [[nodiscard]] bool put(Handle handle, Clock::TimePoint now) {
    if (idle_.size() >= options_.capacity) return false;
    idle_.emplace_back(std::move(handle), now);
    return true;
  }

  // The most recently kept handle, unless none is left once those idle for longer than max_idle
  // at `now` are moved to `expired`.
  [[nodiscard]] std::optional<Handle> take(Clock::TimePoint now, std::vector<Handle>& expired) {
    // Kept in the order given back: the expired ones are at the front.
    std::size_t stale = 0;
    while (stale < idle_.size() && now - idle_[stale].second > options_.max_idle) ++stale;
    for (std::size_t i = 0; i < stale; ++i) expired.push_back(std::move(idle_[i].first));
    idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(stale));
    if (idle_.empty()) return std::nullopt;
    Handle handle = std::move(idle_.back().first);
    idle_.pop_back();
    return handle;
  }

  // Every kept handle, for closing; the pool is then empty.
  [[nodiscard]] std::vector<Handle> take_all() {
    std::vector<Handle> all;
    all.reserve(idle_.size());
    for (auto& [handle, since] : idle_) all.push_back(std::move(handle));
    idle_.clear();
    return all;
  }

  [[nodiscard]] std::size_t size() const noexcept { return idle_.size(); }

 private:
  const IdlePoolOptions options_;
  std::vector<std::pair<Handle, Clock::TimePoint>> idle_;  // oldest first
};

}  // namespace lumen::exporters::detail
