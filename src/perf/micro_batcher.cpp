#include "lumen/perf/micro_batcher.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>

namespace lumen::perf::detail {

namespace {
struct Batch {
  std::vector<std::shared_ptr<MicroSlot>> slots;
  std::chrono::steady_clock::time_point opened;
  bool closed = false;  // no more requests join; the leader may send it
};

constexpr std::chrono::nanoseconds kLongest = std::chrono::hours(24 * 365);
}  // namespace

struct MicroBatchCore::State {
  MicroBulk bulk;
  MicroBatcherOptions opt;
  std::mutex mu;
  // One condition for both "a batch filled up" (its leader) and "a batch was answered" (its
  // callers); both are rare next to the bulk call they bracket.
  std::condition_variable cv;
  std::shared_ptr<Batch> open;
  MicroBatcherStats stats;
};

MicroBatchCore::MicroBatchCore(MicroBulk bulk, MicroBatcherOptions options)
    : state_(std::make_unique<State>()) {
  state_->bulk = std::move(bulk);
  state_->opt = options;
  state_->opt.max_batch = std::max<std::size_t>(1, options.max_batch);
  state_->opt.max_delay = std::clamp(options.max_delay, std::chrono::nanoseconds(0), kLongest);
  state_->opt.timeout = std::clamp(options.timeout, std::chrono::nanoseconds(0), kLongest);
}

MicroBatchCore::~MicroBatchCore() = default;

void MicroBatchCore::submit(const std::shared_ptr<MicroSlot>& slot) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  ++s.stats.requests;
  const bool leader = s.open == nullptr;
  if (leader) {
    s.open = std::make_shared<Batch>();
    s.open->opened = std::chrono::steady_clock::now();
  }
  std::shared_ptr<Batch> batch = s.open;
  batch->slots.push_back(slot);
  if (batch->slots.size() >= s.opt.max_batch) {
    batch->closed = true;
    s.open.reset();
    ++s.stats.flushed_full;
    s.cv.notify_all();
  }
  if (leader) {
    s.cv.wait_until(lock, batch->opened + s.opt.max_delay, [&] { return batch->closed; });
    if (!batch->closed) {
      batch->closed = true;
      s.open.reset();
      ++s.stats.flushed_by_time;
    }
    ++s.stats.batches;
    lock.unlock();
    // The batch is closed: nobody else touches its slot list now.
    std::exception_ptr error;
    try {
      s.bulk(batch->slots);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error) ++s.stats.failed_batches;
    for (const auto& sl : batch->slots) {
      sl->error = error;
      sl->done = true;
    }
    s.cv.notify_all();
  }
  if (!s.cv.wait_for(lock, s.opt.timeout, [&] { return slot->done; })) {
    ++s.stats.timeouts;
    throw MicroBatchTimeout("MicroBatcher: no answer from the bulk call within " +
                            std::to_string(s.opt.timeout.count() / 1'000'000) + " ms");
  }
  if (slot->error) std::rethrow_exception(slot->error);
}

MicroBatcherStats MicroBatchCore::stats() const {
  std::lock_guard lock(state_->mu);
  return state_->stats;
}

void throw_count_mismatch(std::size_t requests, std::size_t results) {
  throw std::length_error("MicroBatcher: the bulk function returned " + std::to_string(results) +
                          " results for " + std::to_string(requests) +
                          " requests; it must return one per request, in order");
}

}  // namespace lumen::perf::detail
