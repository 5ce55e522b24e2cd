// Not API: this header may change or go away in any release. It is in the public tree because
// RequestCoalescer<V> (lumen/perf/request_coalescer.hpp) and the Asio adapter
// (lumen/perf/asio_coalescer.hpp) are templates over the value type and inline the thin layer
// that packs a V for the engine; include one of those instead.
//
// The type-erased engine behind RequestCoalescer<V>: the template only stores, copies and produces
// values through the function pointers below, and every lookup, flight, cache and metric lives in
// compiled code (src/perf/), so that a user's file does not compile the engine once per V.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lumen/core/context.hpp"

namespace lumen::trace {
class Span;
}

namespace lumen::perf {

struct CoalescerOptions;
struct CoalescerStats;

namespace detail {

struct Flight;
class CoalescerShards;

// Copies a stored value (behind `stored`) into the caller's `std::optional<V>`.
using CopyOut = void (*)(const void* stored, void* out);

// A cached entry keeps its value inside its own cache line when the value type fits here (a
// std::string does; its characters stay inline up to 15), so a hit reads one line, not two.
inline constexpr std::size_t kInlineValueBytes = 32;

// How the type-erased cache stores values of the coalescer's type inside an entry's
// kInlineValueBytes (8-aligned) `slot`.
struct ValueOps {
  // Constructs in `slot` the stored form of the `const V` behind `value`; may throw (a copy).
  void (*store)(void* slot, const std::shared_ptr<const void>& value);
  void (*destroy)(void* slot) noexcept;
  // Move-constructs the stored form into `dst` and destroys `src`'s.
  void (*relocate)(void* dst, void* src) noexcept;
};

// The stored form of a V: the V itself when it fits and moves without throwing, else the
// shared_ptr the leader produced (values too large to copy cheaply are shared, as before).
template <typename V>
struct ValueStorage {
  static constexpr bool kInline =
      sizeof(V) <= kInlineValueBytes && alignof(V) <= 8 && std::is_nothrow_move_constructible_v<V>;
  using Stored = std::conditional_t<kInline, V, std::shared_ptr<const void>>;

  static const V& get(const void* slot) noexcept {
    const Stored& s = *std::launder(static_cast<const Stored*>(slot));
    if constexpr (kInline) {
      return s;
    } else {
      return *static_cast<const V*>(s.get());
    }
  }
  static void store(void* slot, const std::shared_ptr<const void>& value) {
    if constexpr (kInline) {
      ::new (slot) V(*static_cast<const V*>(value.get()));
    } else {
      ::new (slot) std::shared_ptr<const void>(value);
    }
  }
  static void destroy(void* slot) noexcept { std::launder(static_cast<Stored*>(slot))->~Stored(); }
  static void relocate(void* dst, void* src) noexcept {
    Stored& s = *std::launder(static_cast<Stored*>(src));
    ::new (dst) Stored(std::move(s));
    s.~Stored();
  }
  // A CopyOut from an entry's slot.
  static void copy_entry(const void* slot, void* out) {
    static_cast<std::optional<V>*>(out)->emplace(get(slot));
  }
  // A CopyOut into a V that exists already, by assignment.
  static void assign_entry(const void* slot, void* out) { *static_cast<V*>(out) = get(slot); }
  static constexpr ValueOps kOps{&store, &destroy, &relocate};
};
// Runs the user's function (behind `fn`) and returns its result on the heap.
using Produce = std::shared_ptr<const void> (*)(void* fn);

// The type-erased engine behind RequestCoalescer<V>.
class CoalescerCore {
 public:
  // `ops` (static storage) store cached values of the coalescer's type.
  CoalescerCore(CoalescerOptions options, const ValueOps& ops);
  ~CoalescerCore();
  CoalescerCore(const CoalescerCore&) = delete;
  CoalescerCore& operator=(const CoalescerCore&) = delete;

  // kStale: `out` holds a stale value; `flight` is set when this caller must start the refresh.
  enum class Role : std::uint8_t { kHit, kLead, kWait, kBypass, kStale };
  struct Ticket {
    Role role = Role::kHit;
    std::size_t hash = 0;
    std::shared_ptr<Flight> flight;
    std::shared_ptr<trace::Span> span;  // the execution span between start_ and end_execution
  };

  // On a hit (or kStale), copies the cached value into `out` with `copy_entry`, which reads an
  // entry's value slot (ValueStorage<V>::copy_entry), before returning.
  Ticket begin(std::string_view key, void* out, CopyOut copy_entry);
  // A fresh cached value for `key` copied into `out` (true, counted as a hit), or false: nothing
  // is started, waited for or counted, and an expired entry is left for begin() to handle.
  bool lookup(std::string_view key, void* out, CopyOut copy_entry);
  // kLead / kBypass: runs produce(fn) inside the execution span and publishes the outcome.
  std::shared_ptr<const void> execute(std::string_view key, Ticket& ticket, Produce produce,
                                      void* fn);
  // kWait: waits for the leader; copies its value into `out` or rethrows its exception.
  void wait(Ticket& ticket, void* out, CopyOut copy);

  // execute() in two halves, for a leader whose work suspends (a coroutine): starts the execution
  // span as a child of `parent` and returns the context the work should run in; then publishes
  // the outcome to the waiters (rethrowing `error`) and returns the value.
  Context start_execution(std::string_view key, Ticket& ticket, const Context& parent);
  std::shared_ptr<const void> end_execution(std::string_view key, Ticket& ticket,
                                            std::shared_ptr<const void> value,
                                            std::exception_ptr error);
  // kWait: calls `callback` once the leader has finished (at once if it has), on the leader's
  // thread; wait() then returns without blocking.
  void on_done(Ticket& ticket, std::function<void()> callback);
  void count_wait_timeout() noexcept;
  [[nodiscard]] std::chrono::nanoseconds wait_timeout() const noexcept;

  std::size_t invalidate();
  std::size_t invalidate_key(std::string_view key);
  std::size_t invalidate_matching(std::string_view regex);
  std::size_t purge_expired();
  [[nodiscard]] CoalescerStats stats() const;

  [[nodiscard]] bool has_shared() const noexcept;
  // The shared cache's bytes for `key`; nullopt on a miss, a failure (counted) or while skipping.
  std::optional<std::string> shared_load(std::string_view key);
  // Stores into the shared cache; failures are counted, never thrown.
  void shared_store(std::string_view key, std::string_view bytes);
  // Counts bytes the codec could not decode or a value it could not encode.
  void shared_codec_failed() noexcept;
  // kStale with a flight: runs `work` on the refresh thread, in the caller's trace context, as
  // that flight's execution. Drops (and counts) it when the refresh queue is full.
  void refresh(std::string_view key, Ticket ticket,
               std::function<std::shared_ptr<const void>()> work);

 private:
  std::unique_ptr<CoalescerShards> impl_;
};

// Grants the Boost.Asio adapter (asio_coalescer.hpp) access to a coalescer's engine.
template <typename V>
struct CoalescerAccess;

}  // namespace detail

}  // namespace lumen::perf
