// PerCpuQueue: a bounded multi-producer multi-consumer queue split into one BoundedQueue per CPU.
//
// Producers on different cores push into different shards, so that they do not take turns with
// one push counter and one run of cells: on a machine where moving a cache line between cores
// costs hundreds of nanoseconds, that turn-taking costs more than the rest of a push. A push goes
// to the shard of the CPU that runs the caller, and to the next shard with room when that one is
// full, so one busy producer can still use the whole capacity. Order holds within a shard only.
// Thread-safety: all methods may be called from any thread, except reset().
//
//   lumen::PerCpuQueue<Item*> queue(1000);
//   if (!queue.try_push(item)) ++dropped;
//   for (std::size_t s = 0; s < queue.shard_count(); ++s) {
//     Item* next;
//     while (queue.try_pop(s, next)) handle(next);
//   }
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>

#include "core/bounded_queue.hpp"
#include "core/current_cpu.hpp"

namespace lumen {

template <typename T>
class PerCpuQueue {
  // A push that fails in one shard tries the next with the same value, so the value is copied.
  static_assert(std::is_trivially_copyable_v<T>, "PerCpuQueue holds pointers and plain values");

 public:
  // A shard smaller than this spills too often to be worth its own counter.
  static constexpr std::size_t kMinShardCapacity = 128;

  // One shard per CPU, but no more shards than keep each at kMinShardCapacity or more.
  [[nodiscard]] static std::size_t default_shards(std::size_t capacity) noexcept {
    const std::size_t cpus = std::max(1U, std::thread::hardware_concurrency());
    return std::clamp<std::size_t>(capacity / kMinShardCapacity, 1, cpus);
  }

  // `capacity` in all, split as evenly as it goes over `shards` (at most one shard per item).
  explicit PerCpuQueue(std::size_t capacity, std::size_t shards)
      : capacity_(std::max<std::size_t>(1, capacity)),
        shard_count_(std::clamp<std::size_t>(shards, 1, capacity_)),
        shards_(new std::optional<Shard>[shard_count_]) {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shards_[i].emplace(capacity_ / shard_count_ + (i < capacity_ % shard_count_));
    }
  }
  explicit PerCpuQueue(std::size_t capacity) : PerCpuQueue(capacity, default_shards(capacity)) {}

  // Fails only when every shard is full.
  [[nodiscard]] bool try_push(T value) noexcept {
    std::size_t position;
    return try_push(std::move(value), position);
  }
  // The same, and on success tells the push's position in the shard that took it (see
  // BoundedQueue::try_push).
  //
  // A shard found full is marked so, and later pushes go straight to the next shard until the
  // consumer pops from it again. A push into a full shard is not free: it reads the cell that the
  // consumer is about to empty, a cache line on another core. One producer at full speed filled
  // its shard often enough that paying that on every push cost it 6 % of a span.
  [[nodiscard]] bool try_push(T value, std::size_t& position) noexcept {
    const std::size_t cpu = current_cpu();
    const std::size_t home = cpu < shard_count_ ? cpu : cpu % shard_count_;
    Shard& shard = *shards_[home];
    if (!shard.full.load(std::memory_order_relaxed)) {
      if (shard.queue.try_push(value, position)) [[likely]] {
        return true;
      }
      shard.full.store(true, std::memory_order_relaxed);
    }
    return try_push_elsewhere(std::move(value), position, home);
  }

  // Pops from one shard, and clears its full mark: the consumer is making room there.
  [[nodiscard]] bool try_pop(std::size_t shard, T& out) noexcept {
    Shard& s = *shards_[shard];
    if (s.full.load(std::memory_order_relaxed)) s.full.store(false, std::memory_order_relaxed);
    return s.queue.try_pop(out);
  }

  [[nodiscard]] std::size_t shard_count() const noexcept { return shard_count_; }
  // The smallest shard's capacity.
  [[nodiscard]] std::size_t shard_capacity() const noexcept {
    return shards_[shard_count_ - 1]->queue.capacity();
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // Snapshots that may be stale by the time they are read (see BoundedQueue).
  [[nodiscard]] std::size_t size_approx(std::size_t shard) const noexcept {
    return shards_[shard]->queue.size_approx();
  }
  [[nodiscard]] std::size_t size_approx() const noexcept {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) total += size_approx(i);
    return total;
  }
  [[nodiscard]] std::size_t push_count() const noexcept {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) total += shards_[i]->queue.push_count();
    return total;
  }

  // Only safe when no other thread can touch the queue (see BoundedQueue::reset).
  void reset() noexcept {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shards_[i]->queue.reset();
      shards_[i]->full.store(false, std::memory_order_relaxed);
    }
  }

 private:
  struct Shard;

  // The home shard is full, or marked so: the other shards, then those marked full (a mark may be
  // stale), home last.
  [[nodiscard]] bool try_push_elsewhere(T value, std::size_t& position, std::size_t home) noexcept {
    const std::size_t n = shard_count_;
    for (const bool marked_full : {false, true}) {
      for (std::size_t i = 1; i <= n; ++i) {
        Shard& shard = *shards_[home + i < n ? home + i : home + i - n];
        if (shard.full.load(std::memory_order_relaxed) != marked_full) continue;
        if (shard.queue.try_push(value, position)) return true;
        if (!marked_full) shard.full.store(true, std::memory_order_relaxed);
      }
    }
    return false;
  }

  struct Shard {
    explicit Shard(std::size_t capacity) : queue(capacity) {}
    BoundedQueue<T> queue;
    // On a cache line of its own (BoundedQueue is padded): producers read it on every push, and it
    // is written only when the shard fills and when the consumer pops after that.
    std::atomic<bool> full{false};
  };

  const std::size_t capacity_;
  const std::size_t shard_count_;
  // In one array, so that a push finds its shard without following a pointer.
  std::unique_ptr<std::optional<Shard>[]> shards_;
};

}  // namespace lumen
