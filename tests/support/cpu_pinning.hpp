// Keeps the calling thread on one CPU for the life of the object, then restores its affinity, so
// that a test can know which per-CPU shard or pool the thread uses.
//
//   lumen::testing::PinnedToCpu pin(lumen::testing::PinnedToCpu::kCurrent);
//   ASSERT_TRUE(pin.pinned());
#pragma once

#include <pthread.h>
#include <sched.h>

#include <cstddef>

namespace lumen::testing {

class PinnedToCpu {
 public:
  static constexpr int kCurrent = -1;  // the CPU that runs the thread now

  explicit PinnedToCpu(int cpu) {
    pthread_getaffinity_np(pthread_self(), sizeof(saved_), &saved_);
    if (cpu == kCurrent) cpu = sched_getcpu();
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(static_cast<std::size_t>(cpu), &one);
    pinned_ = pthread_setaffinity_np(pthread_self(), sizeof(one), &one) == 0;
  }
  ~PinnedToCpu() { pthread_setaffinity_np(pthread_self(), sizeof(saved_), &saved_); }
  PinnedToCpu(const PinnedToCpu&) = delete;
  PinnedToCpu& operator=(const PinnedToCpu&) = delete;

  [[nodiscard]] bool pinned() const { return pinned_; }

 private:
  cpu_set_t saved_{};
  bool pinned_ = false;
};

}  // namespace lumen::testing
