// EntryTable: one coalescer shard's cached entries, in an insertion-ordered open-addressing table.
//
// Why not std::unordered_map: libstdc++ picks a bucket with a modulo by a prime (an integer
// division, 20-40 cycles) and repeats it for every node it steps over; a profile of the cache-hit
// path put a third of its time there. Here a power-of-two table of (hash, index) slots is probed
// linearly with a mask, the probe compares full hashes before it touches an entry, and deletion
// shifts later slots back (no tombstones, so probes stay short after churn). Entries sit in an
// array addressed by index, one cache line each with the value inline, linked in insertion order
// for the CLOCK eviction and lazy expiry.
// Not thread-safe: the shard's mutex guards it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lumen/perf/request_coalescer.hpp"

namespace lumen::perf::detail {

// A shard's lock. Its critical sections are tens of nanoseconds (a lookup and a copy), so a
// test-and-test-and-set lock whose unlock is a plain release store beats pthread_mutex_unlock's
// locked instruction on the hit path; a waiter spins briefly, then yields its core (2-core hosts:
// the holder may be descheduled). Meets Lockable, so std::lock_guard works.
class ShardLock {
 public:
  void lock() noexcept {
    for (int spins = 0; locked_.exchange(true, std::memory_order_acquire);) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
          __builtin_ia32_pause();
#endif
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() noexcept {
    locked_.store(false, std::memory_order_release);
  }

 private:
  std::atomic<bool> locked_{false};
};

// Keys are short (a few to a few dozen bytes): word loads instead of a byte loop, and no call into
// libc (std::hash<string_view> calls _Hash_bytes, operator== calls memcmp; each was about a tenth
// of a hit). The loads of a short tail overlap instead of branching per byte.
inline std::uint64_t load64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline std::uint32_t load32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// 64-bit hash with good low bits (table slots) and high bits (shard choice).
inline std::size_t hash_key(std::string_view s) noexcept {
  constexpr std::uint64_t kMul = 0x9fb21c651e98df25ULL;
  std::uint64_t h = 0x243f6a8885a308d3ULL ^ (s.size() * kMul);
  const char* p = s.data();
  std::size_t n = s.size();
  for (; n > 8; n -= 8, p += 8) {
    h = (h ^ load64(p)) * kMul;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  if (n >= 4) {
    tail = (static_cast<std::uint64_t>(load32(p)) << 32) | load32(p + n - 4);
  } else if (n > 0) {
    tail = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
           (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
           static_cast<unsigned char>(p[n - 1]);
  }
  h = (h ^ tail) * kMul;
  // Final avalanche (the splitmix64 finaliser).
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return static_cast<std::size_t>(h);
}

inline bool same_key(std::string_view a, std::string_view b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n >= 8 && n <= 16) {
    return load64(p) == load64(q) && load64(p + n - 8) == load64(q + n - 8);
  }
  if (n >= 4 && n < 8) return load32(p) == load32(q) && load32(p + n - 4) == load32(q + n - 4);
  return n == 0 || std::memcmp(p, q, n) == 0;
}

// One cache line per entry, holding all that a hit reads: expiry, second-chance flag, the key
// (inline up to kInlineKeyBytes; a longer key lives on the heap and its comparison reads one more
// line) and the value itself (inline when the coalescer's value type fits kInlineValueBytes, see
// ValueStorage). The hash lives in the table's slot and the insertion-order links in a separate,
// colder array. A profile showed a hit on the earlier layout (value behind a shared_ptr) touching
// one more cache line than a std::unordered_map node, which holds key and value together.
struct alignas(64) CacheEntry {
  static constexpr std::size_t kInlineKeyBytes = 16;

  std::uint64_t expires_ns = 0;
  std::uint32_t key_size = 0;
  // Second chance (CLOCK): a hit only sets this flag; eviction spares a flagged entry once.
  bool referenced = false;
  bool live = false;                                // false for a free (erased or never used) entry
  alignas(8) char key_bytes[kInlineKeyBytes] = {};  // the key, or a pointer to it on the heap
  alignas(8) unsigned char value[kInlineValueBytes] = {};  // managed through ValueOps

  [[nodiscard]] std::string_view key() const noexcept {
    if (key_size <= kInlineKeyBytes) return {key_bytes, key_size};
    const char* p;
    std::memcpy(&p, key_bytes, sizeof p);
    return {p, key_size};
  }
  [[nodiscard]] const void* value_slot() const noexcept { return value; }
};
static_assert(sizeof(CacheEntry) == 64, "one cache line per entry");

// `hash` arguments are hash_key(key): erase() recomputes it from the stored key.
class EntryTable {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffU;

  // `ops` says how to store, destroy and move values of the coalescer's type; it must outlive the
  // table.
  explicit EntryTable(const ValueOps* ops = nullptr) noexcept : ops_(ops) {}
  ~EntryTable();
  EntryTable(const EntryTable&) = delete;
  EntryTable& operator=(const EntryTable&) = delete;
  // For tables default-constructed in an array; before the first insert.
  void set_value_ops(const ValueOps* ops) noexcept { ops_ = ops; }

  [[nodiscard]] std::uint32_t find(std::string_view key, std::size_t hash) const noexcept {
    if (size_ == 0) return kNone;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.node == kNone) return kNone;
      if (s.tag == static_cast<std::uint32_t>(hash) && same_key(entries_[s.node].key(), key))
        return s.node;
    }
  }
  [[nodiscard]] CacheEntry& at(std::uint32_t i) noexcept { return entries_[i]; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // The least recently inserted (or moved) entry; kNone when empty.
  [[nodiscard]] std::uint32_t oldest() const noexcept { return head_; }
  [[nodiscard]] std::uint32_t next_of(std::uint32_t i) const noexcept { return links_[i].next; }

  // Adds an entry that is not present, as the newest, with a copy of the value behind `value`
  // (ValueOps::store). Throws what that copy or an allocation throws, leaving the table as it was.
  std::uint32_t insert(std::string_view key, std::size_t hash,
                       const std::shared_ptr<const void>& value, std::uint64_t expires_ns);
  void erase(std::uint32_t i) noexcept;
  void move_to_newest(std::uint32_t i) noexcept {
    unlink(i);
    link_newest(i);
  }

 private:
  // 8 bytes, so that a shard's slots stay in L1: the low 32 bits of the hash (enough for the home
  // slot of any table this size and a 1 in 4 billion false match) and the entry's index.
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t node = kNone;
  };
  struct Links {
    std::uint32_t prev = kNone;  // older
    std::uint32_t next = kNone;  // newer
  };
  [[nodiscard]] std::size_t slot_count() const noexcept { return slots_ ? mask_ + 1 : 0; }
  void grow_slots();
  void grow_entries();
  void release(CacheEntry& e) noexcept;
  void place(std::uint32_t tag, std::uint32_t node) noexcept;
  void unlink(std::uint32_t i) noexcept;
  void link_newest(std::uint32_t i) noexcept;

  // What a hit reads comes first, so that it shares the cache line of the shard's lock.
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<CacheEntry[]> entries_;  // grown by relocating each live value (ValueOps)
  const ValueOps* ops_;
  std::uint32_t entry_capacity_ = 0;
  std::uint32_t entries_used_ =
      0;                      // entries ever handed out; those below it and not live are in free_
  std::vector<Links> links_;  // parallel to entries_
  std::vector<std::uint32_t> free_;  // indices of erased entries, reused first
  std::uint32_t head_ = kNone;       // oldest
  std::uint32_t tail_ = kNone;       // newest
};

}  // namespace lumen::perf::detail
