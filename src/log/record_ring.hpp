// RecordRing: the bounded queue between the logging threads and the writer. Records live inside
// the ring's slots (no pointer to a separately allocated record, no free list): a producer claims
// the next slot, encodes its record in place and publishes it; the single writer reads the slots in
// order and hands each back. Slots are reused in FIFO order, so both sides walk memory
// sequentially and the hardware prefetcher follows them across the cores.
//
// Multi-producer, single-consumer. A slot's sequence is 2*pos when it is free for the claim at
// `pos`, 2*pos+1 once that record is published (the doubling keeps the states apart for any
// capacity, including 1). A record too large for the slot's inline bytes goes to a heap block the
// slot keeps for reuse.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/prefetch.hpp"
#include "lumen/core/ids.hpp"
#include "lumen/log/level.hpp"

namespace lumen::log::detail {

inline constexpr std::size_t kSlotSize = 256;

struct alignas(64) Slot {
  enum class Type : std::uint8_t { kLog, kFlushMarker };

  std::atomic<std::uint64_t> sequence{0};
  Type type = Type::kLog;
  Level level = Level::kInfo;
  bool has_span = false;
  std::uint8_t trace_flags = 0;  // the active span's W3C flags, when has_span
  std::uint32_t bound_size = 0;  // the child logger's encoded fields, first in the data
  std::uint32_t size = 0;        // bytes of data: bound members, then the encoded record
  std::uint64_t wall_ns = 0;
  std::uint64_t marker = 0;  // flush sequence for kFlushMarker
  TraceId trace_id;
  SpanId span_id;
  std::unique_ptr<char[]> spill;  // for data larger than inline_data
  std::size_t spill_capacity = 0;

  static constexpr std::size_t kHeader = 80;
  char inline_data[kSlotSize - kHeader];

  // Room for n bytes of data.
  char* data_for(std::size_t n) {
    if (n <= sizeof inline_data) return inline_data;
    if (spill_capacity < n) {
      spill = std::make_unique<char[]>(n);
      spill_capacity = n;
    }
    return spill.get();
  }
  [[nodiscard]] const char* data() const noexcept {
    return size <= sizeof inline_data ? inline_data : spill.get();
  }
  [[nodiscard]] std::string_view bound() const noexcept { return {data(), bound_size}; }
  [[nodiscard]] std::string_view record() const noexcept {
    return {data() + bound_size, size - bound_size};
  }
};
static_assert(sizeof(Slot) == kSlotSize, "keep the header within Slot::kHeader bytes");

class RecordRing {
 public:
  explicit RecordRing(std::size_t capacity)
      : capacity_(capacity == 0 ? 1 : capacity),
        mask_(std::has_single_bit(capacity_) ? capacity_ - 1 : 0),
        slots_(new Slot[capacity_]) {
    for (std::size_t i = 0; i < capacity_; ++i) {
      slots_[i].sequence.store(2 * i, std::memory_order_relaxed);
    }
  }
  RecordRing(const RecordRing&) = delete;
  RecordRing& operator=(const RecordRing&) = delete;

  // Claims the next slot, or returns nullptr when the ring is full. The claim is seq_cst (free on
  // x86, where every CAS is a full barrier): a producer that claims and then reads the writer's
  // "sleeping" flag, against a writer that sets the flag and then reads the claim counter, is a
  // Dekker handshake that needs it.
  Slot* try_claim(std::uint64_t& pos) noexcept {
    pos = enqueue_.load(std::memory_order_relaxed);
    for (;;) {
      Slot& s = slots_[index(pos)];
      const std::uint64_t seq = s.sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - 2 * pos);
      if (diff == 0) {
        if (enqueue_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                           std::memory_order_relaxed)) {
          return &s;
        }
      } else if (diff < 0) {
        return nullptr;
      } else {
        pos = enqueue_.load(std::memory_order_relaxed);
      }
    }
  }
  // Asks for the cache lines of the slot `ahead` claims after `pos` in the exclusive state. The
  // writer read them last, on the other core, so each first store to a line would wait for it to
  // move over.
  void prefetch_for_write(std::uint64_t pos, std::uint64_t ahead) const noexcept {
    const char* p = reinterpret_cast<const char*>(&slots_[index(pos + ahead)]);
    for (std::size_t line = 0; line < kSlotSize; line += 64)
      lumen::detail::prefetch_for_write(p + line);
  }
  // Writer only: asks for the cache lines of the slot `ahead` positions after the next one it
  // reads. A producer on the other core wrote them last, so each first read would wait for the
  // line to move over; the first line in the exclusive state, for the writer's release() stores
  // to it.
  void prefetch_for_read(std::uint64_t ahead) const noexcept {
    const char* p = reinterpret_cast<const char*>(
        &slots_[index(dequeue_.load(std::memory_order_relaxed) + ahead)]);
    lumen::detail::prefetch_for_write(p);
    for (std::size_t line = 64; line < kSlotSize; line += 64) __builtin_prefetch(p + line, 0);
  }
  static void publish(Slot& s, std::uint64_t pos) noexcept {
    s.sequence.store(2 * pos + 1, std::memory_order_release);
  }

  // Writer only: the next published slot in order, or nullptr.
  Slot* peek() noexcept {
    const std::uint64_t pos = dequeue_.load(std::memory_order_relaxed);
    Slot& s = slots_[index(pos)];
    return s.sequence.load(std::memory_order_acquire) == 2 * pos + 1 ? &s : nullptr;
  }
  // Writer only: gives the slot peek() returned back to the producers.
  void release(Slot& s) noexcept {
    const std::uint64_t pos = dequeue_.load(std::memory_order_relaxed);
    s.sequence.store(2 * (pos + capacity_), std::memory_order_release);
    dequeue_.store(pos + 1, std::memory_order_release);
  }

  // Empties the ring, claimed slots included, as if new. Only with no producer or writer running:
  // in a fork child, whose records in flight are the parent's to write.
  void reset() noexcept {
    for (std::size_t i = 0; i < capacity_; ++i) {
      slots_[i].sequence.store(2 * i, std::memory_order_relaxed);
      slots_[i].type = Slot::Type::kLog;
    }
    enqueue_.store(0, std::memory_order_relaxed);
    dequeue_.store(0, std::memory_order_relaxed);
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // Claimed and not yet released (a claim not yet published counts).
  [[nodiscard]] std::uint64_t size_approx() const noexcept {
    const std::uint64_t d = dequeue_.load(std::memory_order_acquire);
    const std::uint64_t e = enqueue_.load(std::memory_order_seq_cst);
    return e > d ? e - d : 0;
  }
  [[nodiscard]] bool has_room() const noexcept { return size_approx() < capacity_; }

 private:
  // The slot of a position: a mask when the capacity is a power of two (the default's is), where
  // the remainder's 64-bit division took 14 to 40 cycles on each side of every record.
  [[nodiscard]] std::size_t index(std::uint64_t pos) const noexcept {
    return mask_ != 0 ? pos & mask_ : pos % capacity_;
  }

  const std::size_t capacity_;
  const std::uint64_t mask_;  // capacity_ - 1 for a power of two above 1, else 0
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<std::uint64_t> enqueue_{0};
  alignas(64) std::atomic<std::uint64_t> dequeue_{0};
};

}  // namespace lumen::log::detail
