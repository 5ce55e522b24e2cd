// EntryTable: one coalescer shard's cached entries, in an insertion-ordered open-addressing table.
//
// Why not std::unordered_map: libstdc++ picks a bucket with a modulo by a prime (an integer
// division, 20-40 cycles) and repeats it for every node it steps over; a profile of the cache-hit
// path put a third of its time there. Here a power-of-two table of (hash, index) slots is probed
// linearly with a mask, the probe compares full hashes before it touches an entry, and deletion
// shifts later slots back (no tombstones, so probes stay short after churn). Entries sit in a
// vector addressed by index, linked in insertion order for the CLOCK eviction and lazy expiry.
// Not thread-safe: the shard's mutex guards it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

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

// One cache line per entry, holding all that a hit reads (key, expiry, value pointer, flag); the
// hash lives in the table's slot and the insertion-order links in a separate, colder array.
struct alignas(64) CacheEntry {
  std::uint64_t expires_ns = 0;
  std::shared_ptr<const void> value;
  std::string key;
  // Second chance (CLOCK): a hit only sets this flag; eviction spares a flagged entry once.
  bool referenced = false;
};

// `hash` arguments are hash_key(key): erase() recomputes it from the stored key.
class EntryTable {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffU;

  [[nodiscard]] std::uint32_t find(std::string_view key, std::size_t hash) const noexcept {
    if (size_ == 0) return kNone;
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.node == kNone) return kNone;
      if (s.tag == static_cast<std::uint32_t>(hash) && same_key(entries_[s.node].key, key)) return s.node;
    }
  }
  [[nodiscard]] CacheEntry& at(std::uint32_t i) noexcept { return entries_[i]; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // The least recently inserted (or moved) entry; kNone when empty.
  [[nodiscard]] std::uint32_t oldest() const noexcept { return head_; }
  [[nodiscard]] std::uint32_t next_of(std::uint32_t i) const noexcept { return links_[i].next; }

  // Adds an entry that is not present, as the newest.
  std::uint32_t insert(std::string_view key, std::size_t hash, std::shared_ptr<const void> value,
                       std::uint64_t expires_ns);
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
  void grow();
  void place(std::uint32_t tag, std::uint32_t node) noexcept;
  void unlink(std::uint32_t i) noexcept;
  void link_newest(std::uint32_t i) noexcept;

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::vector<CacheEntry> entries_;
  std::vector<Links> links_;  // parallel to entries_
  std::vector<std::uint32_t> free_;  // indices of erased entries, reused first
  std::size_t size_ = 0;
  std::uint32_t head_ = kNone;  // oldest
  std::uint32_t tail_ = kNone;  // newest
};

}  // namespace lumen::perf::detail
