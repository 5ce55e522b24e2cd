// Not API: this header may change or go away in any release. It is in the public tree because
// async_get (lumen/perf/asio_coalescer.hpp) is a template over the value type and its coroutines
// must be visible where it is instantiated; include lumen/perf/asio_coalescer.hpp instead.
//
// The coroutine halves of async_get: a leader that runs the caller's work as the coalescer's
// execution, and a waiter that suspends on a timer instead of blocking a thread.
#pragma once

#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <algorithm>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>

#include "lumen/core/context.hpp"
#include "lumen/perf/request_coalescer.hpp"

namespace lumen::perf {

namespace detail {

template <typename T>
struct IsAwaitable : std::false_type {};
template <typename T, typename E>
struct IsAwaitable<boost::asio::awaitable<T, E>> : std::true_type {};

template <typename V>
struct CoalescerAccess {
  static CoalescerCore& core(RequestCoalescer<V>& c) noexcept { return c.core_; }
  static void copy_out(const void* stored, void* out) {
    RequestCoalescer<V>::copy_out(stored, out);
  }
};

// One asynchronous waiter's timer: it expires at wait_timeout, or at once when the leader is done.
struct AsyncWaitState {
  explicit AsyncWaitState(const boost::asio::any_io_executor& ex) : timer(ex) {}
  std::atomic<bool> settled{false};  // first of "leader done" and "timed out" wins
  boost::asio::steady_timer timer;
};

// Suspends until the ticket's flight is done (false) or wait_timeout passed (true).
inline boost::asio::awaitable<bool> async_wait_flight(CoalescerCore& core,
                                                      CoalescerCore::Ticket& ticket) {
  auto state = std::make_shared<AsyncWaitState>(co_await boost::asio::this_coro::executor);
  const auto limit =
      std::min<std::chrono::nanoseconds>(core.wait_timeout(), std::chrono::hours(24 * 365));
  state->timer.expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit));
  core.on_done(ticket, [state] {
    if (state->settled.exchange(true)) return;
    // Touch the timer only on its executor. Expiring it (rather than cancelling) also covers a
    // wait that has not started yet.
    boost::asio::post(state->timer.get_executor(), [state] {
      state->timer.expires_at(boost::asio::steady_timer::time_point::min());
    });
  });
  boost::system::error_code ec;
  co_await state->timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  // Done unless the timer ran out first; a leader finishing right now loses to the timeout.
  co_return !state->settled.exchange(true);
}

template <typename V, typename F>
boost::asio::awaitable<V> lead_async(RequestCoalescer<V>& c, std::string key,
                                     CoalescerCore::Ticket ticket, F fn, Context parent) {
  CoalescerCore& core = CoalescerAccess<V>::core(c);
  const Context ctx = core.start_execution(key, ticket, parent);
  std::shared_ptr<const void> value;
  std::exception_ptr error;
  try {
    if constexpr (std::is_invocable_v<F&, const Context&>) {
      value = std::make_shared<const V>(co_await fn(ctx));
    } else if constexpr (IsAwaitable<std::invoke_result_t<F&>>::value) {
      value = std::make_shared<const V>(co_await fn());
    } else {
      ContextScope scope(ctx);  // no suspension inside: a thread-local context is safe here
      value = std::make_shared<const V>(fn());
    }
  } catch (...) {
    error = std::current_exception();
  }
  std::shared_ptr<const void> v =
      core.end_execution(key, ticket, std::move(value), std::move(error));
  co_return *static_cast<const V*>(v.get());
}

}  // namespace detail

}  // namespace lumen::perf
