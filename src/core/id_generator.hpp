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

// Two lanes, each a Weyl sequence (a counter stepped by an odd constant, so that it visits every
// 64-bit value once per 2^64 steps) whose words go through a multiply-fold mixer: the 128-bit
// product of the counter and the counter xor a second constant, its halves xored. This is wyrand
// (Wang Yi, public domain), reported to pass BigCrush and PractRand; its constants are kept.
//
// A trace id takes its high word from one lane and its low word from the other, so two threads'
// ids can only meet when both of their lanes meet: about as unlikely as two random 128-bit ids.
// A span id comes from the low lane. Ids need uniqueness, not secrecy.
//
// Inline because a span start draws up to three words: a call per word would cost more than the
// words. Five instructions a word, where xoshiro256** took eleven and loaded and stored four
// words of state (bench/RESULTS.md, "Ids from two lanes").
struct IdState {
  std::uint64_t high_lane = 0;
  std::uint64_t low_lane = 0;
  std::uint64_t generation = ~0ULL;  // the fork generation it was seeded in; ~0: never seeded

  static constexpr std::uint64_t kStep = 0xa0761d6478bd642fULL;
  static constexpr std::uint64_t kMix = 0xe7037ed1a0b428dbULL;

  static std::uint64_t mix(std::uint64_t counter) noexcept {
    __extension__ typedef unsigned __int128 Wide;  // a GCC and Clang extension
    const Wide product = static_cast<Wide>(counter) * (counter ^ kMix);
    return static_cast<std::uint64_t>(product >> 64) ^ static_cast<std::uint64_t>(product);
  }
  std::uint64_t next_high() noexcept { return mix(high_lane += kStep); }
  std::uint64_t next_low() noexcept { return mix(low_lane += kStep); }
  std::uint64_t next_low_nonzero() noexcept {
    std::uint64_t v;
    do {
      v = next_low();
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
    return make_trace_id(r.next_high(), r.next_low_nonzero());
  }
  static SpanId span_id() noexcept { return make_span_id(detail::id_state().next_low_nonzero()); }
  // A new trace's id and its first span's id, drawn together: the generator's state is loaded and
  // stored once, where two calls store it and load it straight back (17 of the 130 instructions
  // that an unsampled root span's start ran).
  struct SpanIds {  // a span's trace id and its own id
    TraceId trace_id;
    SpanId span_id;
  };
  static SpanIds root_ids() noexcept { return draw_root_ids(detail::id_state()); }

  // Whether this thread's generator is seeded in this process. When it is, the draws below skip
  // the check, and the call that seeding makes: a caller that calls nothing else then keeps its
  // values in the registers that a call would clobber (the unsampled span's start).
  static bool seeded() noexcept {
    return detail::t_id_state.generation == ForkRegistry::generation();
  }
  static SpanId span_id_when_seeded() noexcept {
    return make_span_id(detail::t_id_state.next_low_nonzero());
  }
  static SpanIds root_ids_when_seeded() noexcept { return draw_root_ids(detail::t_id_state); }
  // A uniformly random 64-bit value from the same per-thread state (jitter, sampling tests).
  static std::uint64_t next_u64() noexcept { return detail::id_state().next_low(); }

 private:
  static SpanIds draw_root_ids(detail::IdState& r) noexcept {
    const std::uint64_t high = r.next_high();
    const std::uint64_t low = r.next_low_nonzero();
    return {make_trace_id(high, low), make_span_id(r.next_low_nonzero())};
  }
  // `low` is not zero, which keeps the whole id valid.
  static TraceId make_trace_id(std::uint64_t high, std::uint64_t low) noexcept {
    // One 16-byte store: the span start copies the id with a 16-byte load, which cannot be
    // forwarded from two 8-byte stores and then waits for them to reach the cache (a fifth of an
    // unsampled span's time in a profile).
    using Pair = std::uint64_t __attribute__((vector_size(16)));
    const Pair both = {high, low};
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
