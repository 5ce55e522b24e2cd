#include "lumen/perf/micro_batcher.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>

#include "lumen/core/internal/mutex.hpp"
#include "perf/longest_wait.hpp"

namespace lumen::perf::detail {

namespace {
struct Batch {
  std::vector<std::shared_ptr<MicroSlot>> slots;
  Clock::TimePoint opened;
  bool closed = false;     // no more requests join; the leader may send it
  bool acquiring = false;  // due, still open while its leader waits in acquire
};

}  // namespace

struct MicroBatchCore::State {
  MicroAcquire acquire;
  MicroBulk bulk;
  MicroBatcherOptions opt;
  lumen::internal::Mutex mu;
  // One condition for both "a batch filled up" (its leader) and "a batch was answered" (its
  // callers); both are rare next to the bulk call they bracket.
  std::condition_variable cv;
  std::shared_ptr<Batch> open LUMEN_GUARDED_BY(mu);
  MicroBatcherStats stats LUMEN_GUARDED_BY(mu);
};

MicroBatchCore::MicroBatchCore(MicroAcquire acquire, MicroBulk bulk, MicroBatcherOptions options)
    : state_(std::make_unique<State>()) {
  state_->acquire = std::move(acquire);
  state_->bulk = std::move(bulk);
  state_->opt = options;
  if (state_->opt.clock == nullptr) state_->opt.clock = &SystemClock::instance();
  state_->opt.max_batch = std::max<std::size_t>(1, options.max_batch);
  state_->opt.max_delay = std::clamp(options.max_delay, std::chrono::nanoseconds(0), kLongestWait);
  state_->opt.timeout = std::clamp(options.timeout, std::chrono::nanoseconds(0), kLongestWait);
}

MicroBatchCore::~MicroBatchCore() = default;

void MicroBatchCore::submit(const std::shared_ptr<MicroSlot>& slot) {
  State& s = *state_;
  const Clock& clock = *s.opt.clock;
  lumen::internal::UniqueLock lock(s.mu);
  ++s.stats.requests;
  const bool leader = s.open == nullptr;
  if (leader) {
    s.open = std::make_shared<Batch>();
    s.open->opened = clock.now();
  }
  std::shared_ptr<Batch> batch = s.open;
  batch->slots.push_back(slot);
  if (batch->acquiring) ++s.stats.joined_while_acquiring;
  if (batch->slots.size() >= s.opt.max_batch) {
    batch->closed = true;
    s.open.reset();
    ++s.stats.flushed_full;
    s.cv.notify_all();
  }
  if (leader) {
    (void)clock.wait_until(lock.native(), s.cv, batch->opened + s.opt.max_delay,
                           [&] { return batch->closed; });
    // Due. The batch stays open while its leader waits for what the bulk call needs.
    MicroResource resource;
    std::exception_ptr error;
    if (s.acquire) {
      batch->acquiring = !batch->closed;
      lock.unlock();
      try {
        resource = s.acquire();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      batch->acquiring = false;
    }
    if (!batch->closed) {
      batch->closed = true;
      s.open.reset();
      ++s.stats.flushed_by_time;
    }
    ++s.stats.batches;
    lock.unlock();
    // The batch is closed: nobody else touches its slot list now.
    if (!error) {
      try {
        s.bulk(resource, batch->slots);
      } catch (...) {
        error = std::current_exception();
      }
    }
    resource.reset();
    lock.lock();
    if (error) ++s.stats.failed_batches;
    for (const auto& sl : batch->slots) {
      sl->error = error;
      sl->done = true;
    }
    s.cv.notify_all();
  }
  if (!clock.wait_until(lock.native(), s.cv, clock.now() + s.opt.timeout,
                        [&] { return slot->done; })) {
    ++s.stats.timeouts;
    throw MicroBatchTimeout("MicroBatcher: no answer from the bulk call within " +
                            std::to_string(s.opt.timeout.count() / 1'000'000) + " ms");
  }
  if (slot->error) std::rethrow_exception(slot->error);
}

MicroBatcherStats MicroBatchCore::stats() const {
  lumen::internal::MutexLock lock(state_->mu);
  return state_->stats;
}

void throw_count_mismatch(std::size_t requests, std::size_t results) {
  throw std::length_error("MicroBatcher: the bulk function returned " + std::to_string(results) +
                          " results for " + std::to_string(requests) +
                          " requests; it must return one per request, in order");
}

}  // namespace lumen::perf::detail
