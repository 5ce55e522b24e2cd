// async_get: RequestCoalescer from Boost.Asio C++20 coroutines, waiting without blocking a thread.
// Include this header only where Asio is used; request_coalescer.hpp stays free of Asio.
//
//   lumen::perf::RequestCoalescer<std::string> profiles({.ttl = 30s, .tracer = &tracer});
//   boost::asio::awaitable<void> handle(std::string user) {
//     std::string p = co_await lumen::perf::async_get(profiles, "user:" + user,
//         [&](const lumen::Context& ctx) -> boost::asio::awaitable<std::string> {
//           auto span = tracer.start("db.load", {.parent = ctx});   // joins the caller's trace
//           co_return co_await db.async_load(user);
//         });
//   }
//
// Same semantics as get(): one execution per key, cached for ttl, errors reach every waiter,
// max_pending bypass, stale-while-revalidate. A waiter suspends (no thread blocks) until the leader
// finishes, or throws CoalescerTimeout after wait_timeout (the leader goes on); it resumes on its
// own coroutine's executor. On an io_context run by several threads, spawn each coroutine on a
// strand (boost::asio::make_strand): the waiter's timer is touched from the leader's side through
// the coroutine's executor, which must serialise it.
// `fn` is one of: a callable taking `const lumen::Context&` and returning awaitable<V> (preferred:
// the context holds the execution span, so the work's spans join the caller's trace; a thread-local
// current context cannot follow a coroutine across suspensions), a callable returning awaitable<V>,
// or a plain callable returning V (run inline, with the execution span current).
// `parent` is the trace context of the caller, captured where async_get is called.
// Stale refreshes run as detached coroutines on the caller's executor; the coalescer must outlive
// them. The shared cache (options.shared_cache) is consulted by get() only: its client blocks.
#pragma once

#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>
#include <string>

#include "lumen/core/context.hpp"
#include "lumen/perf/internal/async_coalescing.hpp"
#include "lumen/perf/request_coalescer.hpp"

namespace lumen::perf {

template <typename V, typename F>
[[nodiscard]] boost::asio::awaitable<V> async_get(RequestCoalescer<V>& c, std::string key, F fn,
                                                  Context parent = Context::current()) {
  using Access = detail::CoalescerAccess<V>;
  using Role = detail::CoalescerCore::Role;
  detail::CoalescerCore& core = Access::core(c);
  std::optional<V> out;
  detail::CoalescerCore::Ticket ticket =
      core.begin(key, &out, &detail::ValueStorage<V>::copy_entry);
  switch (ticket.role) {
    case Role::kHit:
      break;
    case Role::kStale:
      if (ticket.flight != nullptr) {
        boost::asio::co_spawn(
            co_await boost::asio::this_coro::executor,
            detail::lead_async<V>(c, key, std::move(ticket), std::move(fn), parent),
            boost::asio::detached);  // its error is counted; the stale value stays
      }
      break;
    case Role::kWait: {
      if (co_await detail::async_wait_flight(core, ticket)) {
        core.count_wait_timeout();
        throw CoalescerTimeout("coalescer: an asynchronous waiter gave up on the leader of '" +
                               key + "' after wait_timeout; the leader keeps running");
      }
      ContextScope scope(parent);                  // the wait span's parent; no suspension inside
      core.wait(ticket, &out, &Access::copy_out);  // done already: copies or rethrows at once
      break;
    }
    case Role::kLead:
    case Role::kBypass:
      co_return co_await detail::lead_async<V>(c, std::move(key), std::move(ticket), std::move(fn),
                                               std::move(parent));
  }
  co_return std::move(*out);
}

}  // namespace lumen::perf
