// Random trace and span ids from a per-thread generator: no lock, no syscall after the first use
// on a thread, never the all-zero (invalid) id. After fork() the child reseeds, so parent and child
// never hand out the same ids.
//
//   lumen::TraceId t = lumen::IdGenerator::trace_id();
//   lumen::SpanId s = lumen::IdGenerator::span_id();
//   lumen::IdGenerator::SpanIds root = lumen::IdGenerator::root_ids();  // a new trace and its span
#pragma once

#include <cstdint>
#include <cstring>

#include "lumen/core/fork_safety.hpp"
#include "lumen/core/ids.hpp"

namespace lumen {

namespace detail {

// xoshiro256** (Blackman and Vigna): fast, 256 bits of state, good statistical quality. Ids need
// uniqueness, not secrecy. Inline because a span start draws three words: a call per word would
// cost more than the words.
struct IdState {
  std::uint64_t s[4] = {};
  std::uint64_t generation = ~0ULL;  // the fork generation it was seeded in; ~0: never seeded

  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
  std::uint64_t next_nonzero() noexcept {
    std::uint64_t v;
    do {
      v = next();
    } while (v == 0);
    return v;
  }
  void seed() noexcept;  // from getrandom(), in the current fork generation
};

// Constant-initialized, so access needs no initialization guard.
inline thread_local IdState t_id_state;

inline IdState& id_state() noexcept {
  if (t_id_state.generation != ForkRegistry::generation()) [[unlikely]]
    t_id_state.seed();
  return t_id_state;
}

}  // namespace detail

class IdGenerator {
 public:
  static TraceId trace_id() noexcept {
    detail::IdState& r = detail::id_state();
    const std::uint64_t hi = r.next();
    return make_trace_id(hi, r.next_nonzero());
  }
  static SpanId span_id() noexcept { return make_span_id(detail::id_state().next_nonzero()); }
  // A new trace's id and its first span's id, drawn together: the generator's state is loaded and
  // stored once, where two calls store it and load it straight back (17 of the 130 instructions
  // that an unsampled root span's start ran).
  struct SpanIds {  // a span's trace id and its own id
    TraceId trace_id;
    SpanId span_id;
  };
  static SpanIds root_ids() noexcept { return draw_root_ids(detail::id_state()); }

  // Whether this thread's generator is seeded in this process. When it is, the draws below skip
  // the check, and the call that seeding makes: a caller that calls nothing else then saves no
  // register (the unsampled span's start).
  static bool seeded() noexcept {
    return detail::t_id_state.generation == ForkRegistry::generation();
  }
  static SpanId span_id_when_seeded() noexcept {
    return make_span_id(detail::t_id_state.next_nonzero());
  }
  static SpanIds root_ids_when_seeded() noexcept { return draw_root_ids(detail::t_id_state); }
  // A uniformly random 64-bit value from the same per-thread state (jitter, sampling tests).
  static std::uint64_t next_u64() noexcept { return detail::id_state().next(); }

 private:
  static SpanIds draw_root_ids(detail::IdState& r) noexcept {
    const std::uint64_t hi = r.next();
    const std::uint64_t lo = r.next_nonzero();
    return {make_trace_id(hi, lo), make_span_id(r.next_nonzero())};
  }
  // `lo` is not zero, which keeps the whole id valid.
  static TraceId make_trace_id(std::uint64_t hi, std::uint64_t lo) noexcept {
    // One 16-byte store: the span start copies the id with a 16-byte load, which cannot be
    // forwarded from two 8-byte stores and then waits for them to reach the cache (a fifth of an
    // unsampled span's time in a profile).
    using Pair = std::uint64_t __attribute__((vector_size(16)));
    const Pair both = {hi, lo};
    TraceId id;
    std::memcpy(id.mutable_bytes().data(), &both, 16);
    return id;
  }
  static SpanId make_span_id(std::uint64_t v) noexcept {
    SpanId id;
    std::memcpy(id.mutable_bytes().data(), &v, 8);
    return id;
  }
};

}  // namespace lumen
