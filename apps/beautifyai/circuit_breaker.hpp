// CircuitBreaker: stops calling a model that keeps failing, and probes it again after a pause.
//
// Closed: calls go through and their outcomes fill a window of the last `window` calls. When at
// least `min_calls` are in the window and the share of failures reaches `failure_ratio`, the
// breaker opens. Open: allow() refuses (the router falls back to another model) until `open_for`
// has passed; then it is half-open and lets exactly one probe through. The probe's success closes
// it (the window starts empty) and its failure opens it for another `open_for`. The state is read
// from the clock: an open breaker whose pause has passed reports half-open even if no call has
// come to move it there, because the next call would be let through.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

#include "lumen/core/clock.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace beautifyai {

enum class BreakerState : std::uint8_t { kClosed = 0, kOpen = 1, kHalfOpen = 2 };
const char* to_string(BreakerState state);

struct BreakerOptions {
  std::size_t window = 20;
  std::size_t min_calls = 8;
  double failure_ratio = 0.5;
  std::chrono::milliseconds open_for = std::chrono::seconds(3);
  const lumen::Clock* clock = &lumen::SystemClock::instance();  // a ManualClock in tests
};

struct BreakerStats {
  BreakerState state = BreakerState::kClosed;
  std::uint64_t opened = 0;     // times it opened
  std::uint64_t rejected = 0;   // calls refused while open
  double last_recovery_ms = 0;  // from the last opening to the closing that followed it
};

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerOptions options = {});

  // Whether a call may go to the model now. In half-open state only the first caller gets true;
  // it must report its outcome with record().
  [[nodiscard]] bool allow();
  void record(bool success);
  // Instead of record(), for a call allow() let through that ended without telling anything about
  // the model (the caller's error, or the gateway's): a half-open breaker may probe again.
  void release();

  [[nodiscard]] BreakerState state() const;
  [[nodiscard]] BreakerStats stats() const;

 private:
  void open_locked(std::uint64_t now_ns) LUMEN_REQUIRES(mutex_);
  // state_, except that an open breaker whose pause is over is half-open (with no probe out yet).
  [[nodiscard]] BreakerState state_locked(std::uint64_t now_ns) const LUMEN_REQUIRES(mutex_);

  const BreakerOptions options_;
  const lumen::Clock& clock_;
  mutable lumen::internal::Mutex mutex_;
  BreakerState state_ LUMEN_GUARDED_BY(mutex_) = BreakerState::kClosed;
  // True: failure; at most options_.window.
  std::deque<bool> outcomes_ LUMEN_GUARDED_BY(mutex_);
  std::size_t failures_ LUMEN_GUARDED_BY(mutex_) = 0;  // in outcomes_
  // Half-open: the probe has been let through.
  bool probe_out_ LUMEN_GUARDED_BY(mutex_) = false;
  // The last opening: open_for counts from here.
  std::uint64_t opened_at_ns_ LUMEN_GUARDED_BY(mutex_) = 0;
  // The first opening since the breaker was closed.
  std::uint64_t outage_started_ns_ LUMEN_GUARDED_BY(mutex_) = 0;
  BreakerStats stats_ LUMEN_GUARDED_BY(mutex_);
};

}  // namespace beautifyai
