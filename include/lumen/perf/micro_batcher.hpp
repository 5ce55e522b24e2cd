// MicroBatcher: single requests that arrive within `max_delay` of each other (or until
// `max_batch` of them) are sent together to one bulk call; each caller gets its own result.
// The lever for upstreams with a batch endpoint and a large per-call overhead (AI APIs).
//
//   lumen::perf::MicroBatcher<std::string, Embedding> embed(
//       [&](std::vector<std::string>& texts) { return api.embed_many(texts); },   // same order
//       {.max_batch = 64, .max_delay = std::chrono::milliseconds(5)});
//   Embedding e = embed.submit("a sentence");   // blocks until its batch has been answered
//
// No background thread: the first caller of a batch is its leader; it waits until the batch is
// full or `max_delay` has passed since it opened, then makes the bulk call on its own thread (so
// the call runs in the leader's trace context) while new callers already fill the next batch.
// The bulk function must return one result per request, in request order; if it throws, or returns
// another count, every caller of that batch gets the error. A caller waits at most `timeout` for
// its batch's answer (then MicroBatchTimeout); the bulk call itself is not interrupted.
//
// A bulk call that first needs something scarce (a connection from a pool) takes it through an
// `acquire` function: the leader of a due batch calls it before sealing the batch, and the batch
// keeps taking requests (up to `max_batch`) while the leader waits. Under load the batches grow to
// fit the wait instead of queueing, small, behind each other:
//
//   lumen::perf::MicroBatcher<std::string, Answer> batcher(
//       [&] { return pool.acquire(); },                                   // a Lease
//       [&](Lease& connection, std::vector<std::string>& inputs) { return call(*connection,
//       inputs); });
//
// If acquire throws, every caller of that batch gets its error.
//
// A thrown error is one exception object that every caller of the batch rethrows (as
// std::shared_future::get does). That is correct C++, but ThreadSanitizer reports it as a race when
// the callers read it and the last one frees it: the reference counts that order them are inside
// the uninstrumented libstdc++. A bulk function whose results can carry an error (a result type
// with an error member) gives each member its own instead, as the reference gateway does.
//
// Thread safety: submit() may be called from any number of threads; bulk calls may overlap.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "lumen/core/clock.hpp"

namespace lumen::perf {

class MicroBatchTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MicroBatcherOptions {
  std::size_t max_batch = 32;  // a batch is sent as soon as it holds this many requests
  std::chrono::nanoseconds max_delay =
      std::chrono::milliseconds(5);                             // or this long after it opened
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  // a caller's wait for its answer
  const Clock* clock = &SystemClock::instance();  // times both waits (a ManualClock in tests)
};

struct MicroBatcherStats {
  std::uint64_t batches = 0;
  std::uint64_t requests = 0;
  std::uint64_t flushed_full = 0;     // batches sent because they reached max_batch
  std::uint64_t flushed_by_time = 0;  // batches sent because max_delay passed
  std::uint64_t failed_batches = 0;   // bulk calls that threw or returned the wrong count
  std::uint64_t timeouts = 0;
  // Requests that joined a batch after it was due, while its leader waited in acquire.
  std::uint64_t joined_while_acquiring = 0;
};

namespace detail {

struct MicroSlot {
  virtual ~MicroSlot() = default;
  std::exception_ptr error;
  bool done = false;  // guarded by the batcher's mutex
};

// What a batch's bulk call holds from before its batch is sealed until it ends (type-erased).
using MicroResource = std::shared_ptr<void>;
// Takes the resource; empty when the batcher has no acquire function.
using MicroAcquire = std::function<MicroResource()>;
// Calls the user's bulk function with the requests of `slots` and stores each result in its slot;
// throws if the bulk function throws or returns the wrong number of results.
using MicroBulk = std::function<void(const MicroResource& resource,
                                     const std::vector<std::shared_ptr<MicroSlot>>& slots)>;

class MicroBatchCore {
 public:
  MicroBatchCore(MicroAcquire acquire, MicroBulk bulk, MicroBatcherOptions options);
  ~MicroBatchCore();
  MicroBatchCore(const MicroBatchCore&) = delete;
  MicroBatchCore& operator=(const MicroBatchCore&) = delete;
  // Blocks until the slot's batch has been answered; rethrows the batch's error.
  void submit(const std::shared_ptr<MicroSlot>& slot);
  [[nodiscard]] MicroBatcherStats stats() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

[[noreturn]] void throw_count_mismatch(std::size_t requests, std::size_t results);

}  // namespace detail

template <typename Req, typename Res>
class MicroBatcher {
 public:
  using BulkFn = std::function<std::vector<Res>(std::vector<Req>& requests)>;

  explicit MicroBatcher(BulkFn bulk, MicroBatcherOptions options = {})
      : core_(
            {},
            [bulk = std::move(bulk)](const detail::MicroResource&,
                                     const std::vector<std::shared_ptr<detail::MicroSlot>>& slots) {
              std::vector<Req> requests = take_requests(slots);
              store_results(slots, bulk(requests));
            },
            options) {}

  // The bulk call needs a Resource first (see the header comment): `acquire` is called by a due
  // batch's leader, with the batch still open, and `bulk` gets what it returned.
  template <typename Acquire, typename Bulk>
  requires std::is_invocable_v<Acquire&> &&
      std::is_invocable_r_v<std::vector<Res>, Bulk&, std::invoke_result_t<Acquire&>&,
                            std::vector<Req>&>
      MicroBatcher(Acquire acquire, Bulk bulk, MicroBatcherOptions options = {})
      : core_(
            [acquire = std::move(acquire)]() -> detail::MicroResource {
              return std::make_shared<std::invoke_result_t<Acquire&>>(acquire());
            },
            [bulk = std::move(bulk)](const detail::MicroResource& resource,
                                     const std::vector<std::shared_ptr<detail::MicroSlot>>& slots) {
              using Resource = std::invoke_result_t<Acquire&>;
              std::vector<Req> requests = take_requests(slots);
              store_results(slots, bulk(*static_cast<Resource*>(resource.get()), requests));
            },
            options) {}

  // This request's result, from the bulk call of the batch it joined.
  [[nodiscard]] Res submit(Req request) {
    auto slot = std::make_shared<Slot>(std::move(request));
    core_.submit(slot);
    return std::move(*slot->result);
  }

  [[nodiscard]] MicroBatcherStats stats() const { return core_.stats(); }

 private:
  struct Slot final : detail::MicroSlot {
    explicit Slot(Req r) : request(std::move(r)) {}
    Req request;
    std::optional<Res> result;
  };

  static std::vector<Req> take_requests(
      const std::vector<std::shared_ptr<detail::MicroSlot>>& slots) {
    std::vector<Req> requests;
    requests.reserve(slots.size());
    for (const auto& s : slots) requests.push_back(std::move(static_cast<Slot&>(*s).request));
    return requests;
  }

  static void store_results(const std::vector<std::shared_ptr<detail::MicroSlot>>& slots,
                            std::vector<Res> results) {
    if (results.size() != slots.size()) detail::throw_count_mismatch(slots.size(), results.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      static_cast<Slot&>(*slots[i]).result.emplace(std::move(results[i]));
    }
  }
  detail::MicroBatchCore core_;
};

}  // namespace lumen::perf
