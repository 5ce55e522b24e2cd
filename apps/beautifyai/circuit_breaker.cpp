#include "circuit_breaker.hpp"

namespace beautifyai {

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options)
    : options_(options),
      clock_(options.clock != nullptr ? *options.clock : lumen::SystemClock::instance()) {}

bool CircuitBreaker::allow() {
  lumen::internal::MutexLock lock(mutex_);
  switch (state_) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      if (state_locked(clock_.monotonic_ns()) == BreakerState::kOpen) {
        ++stats_.rejected;
        return false;
      }
      state_ = BreakerState::kHalfOpen;
      probe_out_ = true;
      return true;
    case BreakerState::kHalfOpen:
      if (probe_out_) {
        ++stats_.rejected;
        return false;
      }
      probe_out_ = true;
      return true;
  }
  return true;
}

void CircuitBreaker::record(bool success) {
  lumen::internal::MutexLock lock(mutex_);
  const std::uint64_t now = clock_.monotonic_ns();
  if (state_ == BreakerState::kHalfOpen) {
    probe_out_ = false;
    if (success) {
      state_ = BreakerState::kClosed;
      outcomes_.clear();
      failures_ = 0;
      stats_.last_recovery_ms = static_cast<double>(now - outage_started_ns_) / 1e6;
    } else {
      open_locked(now);
    }
    return;
  }
  if (state_ == BreakerState::kOpen) return;  // a call let through before it opened
  outcomes_.push_back(!success);
  if (!success) ++failures_;
  if (outcomes_.size() > options_.window) {
    if (outcomes_.front()) --failures_;
    outcomes_.pop_front();
  }
  if (outcomes_.size() >= options_.min_calls &&
      static_cast<double>(failures_) >=
          options_.failure_ratio * static_cast<double>(outcomes_.size())) {
    open_locked(now);
  }
}

void CircuitBreaker::release() {
  lumen::internal::MutexLock lock(mutex_);
  if (state_ == BreakerState::kHalfOpen) probe_out_ = false;
}

void CircuitBreaker::open_locked(std::uint64_t now_ns) {
  // A re-opening after a failed probe continues the same outage: the recovery time covers it all.
  if (state_ == BreakerState::kClosed) {
    outage_started_ns_ = now_ns;
    ++stats_.opened;
  }
  opened_at_ns_ = now_ns;
  state_ = BreakerState::kOpen;
  outcomes_.clear();
  failures_ = 0;
}

BreakerState CircuitBreaker::state_locked(std::uint64_t now_ns) const {
  const auto open_ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.open_for).count());
  if (state_ == BreakerState::kOpen && now_ns - opened_at_ns_ >= open_ns)
    return BreakerState::kHalfOpen;
  return state_;
}

BreakerState CircuitBreaker::state() const {
  lumen::internal::MutexLock lock(mutex_);
  return state_locked(clock_.monotonic_ns());
}

BreakerStats CircuitBreaker::stats() const {
  lumen::internal::MutexLock lock(mutex_);
  BreakerStats s = stats_;
  s.state = state_locked(clock_.monotonic_ns());
  return s;
}

}  // namespace beautifyai
