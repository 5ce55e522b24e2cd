// The TSC clock's calibration and its slow paths (the read path is inline, in
// lumen/core/internal/tsc_clock.hpp).
//
// Why the counter can be a clock: with the invariant TSC bit (CPUID 0x80000007 EDX[8]) it ticks
// at a constant rate in every power state, and on current x86 processors the counters of all cores
// are synchronized at reset and kept so (hypervisors keep the guest's offset equal on every vCPU),
// so a thread that migrates between cores reads one counter, and a child after fork() reads the
// same counter as its parent and inherits the calibrated line with the rest of memory. We check
// the bit and then check the counter itself: every re-calibration compares it with
// CLOCK_MONOTONIC, and an error over a millisecond (a counter that is not synchronized after all,
// or a VM moved to a host with another TSC) sends every later read to clock_gettime.
//
// Calibration: the line is fitted against CLOCK_MONOTONIC, which is never stepped, so the line can
// stay monotonic; the wall clock is that line plus CLOCK_REALTIME - CLOCK_MONOTONIC, which only
// changes when the wall clock is stepped (adjtime slews both alike), and which is re-read at every
// re-calibration. Each reference read is bracketed by two counter reads and the tightest of a few
// attempts kept. The rate is measured from the oldest of the last kHistory samples, so it follows
// the reference's frequency (NTP's corrections) over about a quarter of a minute, and the offset
// left is slewed away before the next re-calibration, within kMaxSlewPpm.
#include "lumen/core/internal/tsc_clock.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "core/stderr_line.hpp"
#include "core/tsc_calibration.hpp"
#include "core/tsc_features.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/fork_safety.hpp"

namespace lumen::detail {

TscShared tsc_shared;

namespace {

// The first rate is measured over this long, reads meanwhile use clock_gettime.
constexpr std::uint64_t kWarmupNs = 10'000'000;
// Re-calibrations come early at first, while the rate's baseline is short, then once a second.
constexpr std::array<std::uint64_t, 2> kFirstIntervalsNs = {50'000'000, 200'000'000};
constexpr std::uint64_t kIntervalNs = 1'000'000'000;
constexpr std::size_t kHistory = 16;
// How long a reader may go on using the line that a re-calibration replaces (see next_tsc_line).
constexpr std::uint64_t kPublishWindowNs = 100'000;
constexpr std::uint32_t kMaxSlewPpm = 500;
// An error this large is not drift: the counter is not a clock here.
constexpr std::int64_t kDistrustNs = 1'000'000;
// A rate outside 10 MHz to 100 GHz is a broken counter.
constexpr std::uint64_t kMinRateQ32 = (1ULL << 32) / 100;
constexpr std::uint64_t kMaxRateQ32 = 100ULL << 32;

// Who may change the clock's state (decide, finish warming, re-calibrate, fork): the thread that
// set it. Its acquire and release order the writer-only state below between holders.
std::atomic<bool> g_busy{false};
std::atomic<std::uint64_t> g_warm_until_ns{UINT64_MAX};

// Writer-only state, touched by the holder of g_busy.
struct WriterState {
  std::array<TscSample, kHistory> samples{};
  std::size_t size = 0;
  std::size_t next = 0;
  std::size_t recalibrations = 0;
  // What CLOCK_REALTIME - CLOCK_MONOTONIC is known to lie in, from the intersection of every
  // measurement since the last step of the wall clock, and the offset published (kept while it
  // lies in that interval, so that measurement noise never moves the wall clock back).
  std::int64_t offset_low = 0;
  std::int64_t offset_high = -1;
  std::uint64_t offset = 0;

  void add(const TscSample& s) {
    samples[next] = s;
    next = (next + 1) % kHistory;
    if (size < kHistory) ++size;
  }
  const TscSample& oldest() const { return samples[size < kHistory ? 0 : next]; }
};
WriterState g_writer;

bool try_claim() noexcept {
  return !g_busy.exchange(true, std::memory_order_acquire);
}
void release_claim() noexcept {
  g_busy.store(false, std::memory_order_release);
}

// Serialized, unlike the read path's: a calibration read must not drift into the bracketed call.
std::uint64_t read_tsc_ordered() noexcept {
#if LUMEN_HAVE_TSC
  _mm_lfence();
  const std::uint64_t tick = __rdtsc();
  _mm_lfence();
  return tick;
#else
  return 0;
#endif
}

TscSample sample_monotonic() noexcept {
  std::array<TscBracket, 7> attempts;
  for (TscBracket& a : attempts) {
    a.tick_before = read_tsc_ordered();
    a.ns = clock_gettime_ns(CLOCK_MONOTONIC);
    a.tick_after = read_tsc_ordered();
  }
  return tightest_sample(attempts);
}

// Measures CLOCK_REALTIME - CLOCK_MONOTONIC and returns the offset to publish.
std::uint64_t update_wall_offset(WriterState& w) noexcept {
  std::int64_t low = 0, high = -1;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const auto before = static_cast<std::int64_t>(clock_gettime_ns(CLOCK_MONOTONIC));
    const auto wall = static_cast<std::int64_t>(clock_gettime_ns(CLOCK_REALTIME));
    const auto after = static_cast<std::int64_t>(clock_gettime_ns(CLOCK_MONOTONIC));
    if (high < low || after - before < high - low) {
      low = wall - after;
      high = wall - before;
    }
  }
  const std::int64_t both_low = std::max(low, w.offset_low);
  const std::int64_t both_high = std::min(high, w.offset_high);
  if (both_low > both_high) {  // the first measurement, or the wall clock was stepped
    w.offset_low = low;
    w.offset_high = high;
    w.offset = static_cast<std::uint64_t>(low + (high - low) / 2);
    return w.offset;
  }
  w.offset_low = both_low;
  w.offset_high = both_high;
  const auto published = static_cast<std::int64_t>(w.offset);
  if (published < both_low || published > both_high)
    w.offset = static_cast<std::uint64_t>(both_low + (both_high - both_low) / 2);
  return w.offset;
}

std::uint64_t ticks_for(std::uint64_t ns, std::uint64_t rate_q32) noexcept {
  return static_cast<std::uint64_t>((static_cast<Uint128>(ns) << 32) / rate_q32);
}

std::uint64_t next_interval_ns(const WriterState& w) noexcept {
  return w.recalibrations < kFirstIntervalsNs.size() ? kFirstIntervalsNs[w.recalibrations]
                                                     : kIntervalNs;
}

void publish(const TscLine& line, std::uint64_t wall_offset, std::uint64_t due_tick) noexcept {
  TscShared& s = tsc_shared;
  const std::uint32_t sequence = s.sequence.load(std::memory_order_relaxed);
  s.sequence.store(sequence + 1, std::memory_order_relaxed);
  // Release stores, read by acquire loads (tsc_snapshot): a reader that sees any new field also
  // sees the odd sequence stored before it, and retries. No fence, which ThreadSanitizer cannot
  // follow.
  s.base_tick.store(line.base_tick, std::memory_order_release);
  s.base_ns.store(line.base_ns, std::memory_order_release);
  s.ns_per_tick_q32.store(line.ns_per_tick_q32, std::memory_order_release);
  s.wall_offset_ns.store(wall_offset, std::memory_order_release);
  s.due_tick.store(due_tick, std::memory_order_release);
  s.sequence.store(sequence + 2, std::memory_order_release);
}

void distrust(std::int64_t error_ns) noexcept {
  tsc_shared.mode.store(TscMode::kSystem, std::memory_order_release);
  try {
    write_stderr_line("lumen: the TSC clock was " + std::to_string(error_ns) +
                      " ns off CLOCK_MONOTONIC; using clock_gettime from now on");
  } catch (...) {  // out of memory: the switch is what matters
  }
}

// LUMEN_CLOCK: "system" always reads clock_gettime; "auto" (or unset) reads the TSC when the
// processor says it is invariant. Anything else warns and means auto.
bool tsc_wanted() noexcept {
  try {
    const std::optional<std::string> value = Environment::process().get("LUMEN_CLOCK");
    if (!value || *value == "auto") return true;
    if (*value == "system") return false;
    write_stderr_line("lumen: LUMEN_CLOCK=" + *value +
                      " is not auto or system; using auto (the TSC where it is invariant)");
  } catch (...) {  // out of memory: the default
  }
  return true;
}

// Holds g_busy while a fork copies the process, so a child never inherits a half-published line.
class ForkGuard final : public ForkAware {
 public:
  void before_fork() noexcept override {
    while (!try_claim()) std::this_thread::yield();  // a re-calibration takes microseconds
  }
  void after_fork_in_parent() noexcept override { release_claim(); }
  void after_fork_in_child() noexcept override { release_claim(); }
};

void decide() noexcept {
  const TscFeatures features = tsc_features();
  if (!tsc_wanted() || !features.rdtsc || !features.invariant) {
    tsc_shared.mode.store(TscMode::kSystem, std::memory_order_release);
    return;
  }
  g_writer = WriterState{};
  const TscSample first = sample_monotonic();
  g_writer.add(first);
  g_warm_until_ns.store(first.ns + kWarmupNs, std::memory_order_relaxed);
  tsc_shared.mode.store(TscMode::kWarming, std::memory_order_release);
}

void finish_warming() noexcept {
  const TscSample now = sample_monotonic();
  const TscLine line = first_tsc_line(g_writer.oldest(), now);
  if (line.ns_per_tick_q32 < kMinRateQ32 || line.ns_per_tick_q32 > kMaxRateQ32) {
    distrust(0);
    return;
  }
  g_writer.add(now);
  const std::uint64_t offset = update_wall_offset(g_writer);
  publish(line, offset, now.tick + ticks_for(next_interval_ns(g_writer), line.ns_per_tick_q32));
  tsc_shared.mode.store(TscMode::kTsc, std::memory_order_release);
}

void recalibrate() noexcept {
  const TscShared& s = tsc_shared;
  const TscLine current{.base_tick = s.base_tick.load(std::memory_order_relaxed),
                        .base_ns = s.base_ns.load(std::memory_order_relaxed),
                        .ns_per_tick_q32 = s.ns_per_tick_q32.load(std::memory_order_relaxed)};
  const TscSample now = sample_monotonic();
  const std::uint64_t rate = tsc_rate_q32(g_writer.oldest(), now);
  if (rate < kMinRateQ32 || rate > kMaxRateQ32) {
    distrust(0);
    return;
  }
  const std::uint64_t horizon = ticks_for(next_interval_ns(g_writer), rate);
  const TscCorrection c =
      next_tsc_line(current, {.reference = now,
                              .rate_q32 = rate,
                              .horizon_ticks = horizon,
                              .publish_ticks = ticks_for(kPublishWindowNs, rate),
                              .max_slew_ppm = kMaxSlewPpm});
  if (c.error_ns > kDistrustNs || c.error_ns < -kDistrustNs) {
    distrust(c.error_ns);
    return;
  }
  g_writer.add(now);
  ++g_writer.recalibrations;
  publish(c.line, update_wall_offset(g_writer), now.tick + horizon);
}

std::uint64_t slow_read(bool wall) noexcept {
  static ForkGuard fork_guard;  // registered before g_busy is first taken: see ForkGuard
  static const bool registered = (ForkRegistry::add(&fork_guard), true);
  (void)registered;
  TscShared& s = tsc_shared;
  for (;;) {
    switch (s.mode.load(std::memory_order_acquire)) {
      case TscMode::kTsc: {
        if (try_claim()) {
          if (s.mode.load(std::memory_order_relaxed) == TscMode::kTsc &&
              read_tsc() >= s.due_tick.load(std::memory_order_relaxed))
            recalibrate();
          release_claim();
          if (s.mode.load(std::memory_order_acquire) != TscMode::kTsc) continue;
        }
        // Whether or not a re-calibration is still due (another thread is at it).
        const TscSnapshot snapshot = tsc_snapshot();
        const std::uint64_t mono = tsc_line_ns(snapshot.line, snapshot.tick);
        return wall ? mono + snapshot.wall_offset_ns : mono;
      }
      case TscMode::kUnknown:
        if (try_claim()) {
          if (s.mode.load(std::memory_order_relaxed) == TscMode::kUnknown) decide();
          release_claim();
          continue;
        }
        break;  // another thread is deciding: clock_gettime meanwhile
      case TscMode::kWarming:
        if (clock_gettime_ns(CLOCK_MONOTONIC) >= g_warm_until_ns.load(std::memory_order_relaxed) &&
            try_claim()) {
          if (s.mode.load(std::memory_order_relaxed) == TscMode::kWarming) finish_warming();
          release_claim();
          continue;
        }
        break;
      case TscMode::kSystem:
        break;
    }
    return clock_gettime_ns(wall ? CLOCK_REALTIME : CLOCK_MONOTONIC);
  }
}

}  // namespace

std::uint64_t tsc_monotonic_ns_slow() noexcept {
  return slow_read(false);
}
std::uint64_t tsc_wall_ns_slow() noexcept {
  return slow_read(true);
}

TscMode tsc_mode() noexcept {
  (void)tsc_monotonic_ns();  // the first read decides
  return tsc_shared.mode.load(std::memory_order_acquire);
}

}  // namespace lumen::detail
