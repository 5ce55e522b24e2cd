// BoundedQueue: a fixed-capacity multi-producer multi-consumer queue without locks (Dmitry Vyukov's
// sequence-numbered ring). A cell's sequence is 2*pos when it is free for the push at `pos` and
// 2*pos+1 once that push has published; the doubling keeps the two states apart for every capacity,
// including 1, where the textbook pos/pos+1 numbering cannot tell them apart. try_push fails when
// full instead of waiting, which is what a hot path that must never block wants; the caller counts
// the drop.
//
//   lumen::BoundedQueue<Item*> queue(1000);
//   if (!queue.try_push(item)) ++dropped;
//   Item* next; while (queue.try_pop(next)) handle(next);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace lumen {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity), cells_(new Cell[capacity_]) {
    reset();
  }
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  [[nodiscard]] bool try_push(T value) noexcept {
    std::size_t position;
    return try_push(std::move(value), position);
  }
  // The same, and on success tells the push's position: pushes before it since construction or
  // reset(). A producer can act every Nth push without reading the consumer's cache line.
  [[nodiscard]] bool try_push(T value, std::size_t& position) noexcept {
    std::size_t pos = enqueue_.load(std::memory_order_relaxed);
    Cell* cell;
    for (;;) {
      cell = &cells_[pos % capacity_];
      const std::size_t seq = cell->sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(2 * pos);
      if (diff == 0) {
        // seq_cst (free on x86, where every CAS is a full barrier) lets a producer that pushes and
        // then reads a consumer's "sleeping" flag rely on a Dekker-style handshake.
        if (enqueue_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                           std::memory_order_relaxed)) {
          break;
        }
      } else if (diff < 0) {
        return false;  // full
      } else {
        pos = enqueue_.load(std::memory_order_relaxed);
      }
    }
    cell->value = std::move(value);
    cell->sequence.store(2 * pos + 1, std::memory_order_release);
    position = pos;
    return true;
  }

  [[nodiscard]] bool try_pop(T& out) noexcept {
    std::size_t pos = dequeue_.load(std::memory_order_relaxed);
    Cell* cell;
    for (;;) {
      cell = &cells_[pos % capacity_];
      const std::size_t seq = cell->sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(2 * pos + 1);
      if (diff == 0) {
        if (dequeue_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;  // empty
      } else {
        pos = dequeue_.load(std::memory_order_relaxed);
      }
    }
    out = std::move(cell->value);
    cell->sequence.store(2 * (pos + capacity_), std::memory_order_release);
    return true;
  }

  // A snapshot that may be stale by the time it is read; for wake-up heuristics and metrics.
  [[nodiscard]] std::size_t size_approx() const noexcept {
    const std::size_t head = dequeue_.load(std::memory_order_seq_cst);
    const std::size_t tail = enqueue_.load(std::memory_order_seq_cst);
    return tail > head ? tail - head : 0;
  }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  // Successful pushes since construction or reset() (claimed, possibly not yet published).
  [[nodiscard]] std::size_t push_count() const noexcept {
    return enqueue_.load(std::memory_order_relaxed);
  }

  // Forgets every cell, including one a producer claimed but never published. Only safe when no
  // other thread can touch the queue, as in a child process right after fork().
  void reset() noexcept {
    for (std::size_t i = 0; i < capacity_; ++i) {
      cells_[i].sequence.store(2 * i, std::memory_order_relaxed);
    }
    enqueue_.store(0, std::memory_order_relaxed);
    dequeue_.store(0, std::memory_order_relaxed);
  }

 private:
  struct Cell {
    std::atomic<std::size_t> sequence;
    T value{};
  };
  static constexpr std::size_t kLine = 64;

  const std::size_t capacity_;
  std::unique_ptr<Cell[]> cells_;
  alignas(kLine) std::atomic<std::size_t> enqueue_{0};
  alignas(kLine) std::atomic<std::size_t> dequeue_{0};
  char pad_[kLine - sizeof(std::atomic<std::size_t>)] = {};
};

}  // namespace lumen
