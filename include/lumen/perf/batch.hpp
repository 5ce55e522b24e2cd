// process_batch: run a function over items with bounded concurrency, a per-item timeout, and one
// outcome per item in input order (one failure never fails the batch).
//
//   std::vector<lumen::perf::ItemOutcome<Thumb>> out = lumen::perf::process_batch(
//       images, [](const Image& img) { return make_thumbnail(img); },
//       {.batch_size = 100, .concurrency = 4, .timeout = std::chrono::seconds(2)});
//   for (std::size_t i = 0; i < out.size(); ++i) {
//     if (!out[i].ok()) log_failure(i, out[i].message);   // kFailed or kTimedOut, and why
//   }
//
// Items go out in batches of `batch_size`; a batch starts when every item of the previous one has
// an outcome. Within a batch at most `concurrency` items run at once, each on a worker thread
// started for this call and carrying the caller's trace context. An item that runs past `timeout`
// is reported kTimedOut and its slot goes to the next item; threads cannot be cancelled, so its
// function keeps running to completion on its own thread and its result is discarded. For that
// reason the items and the function are moved into the run: `fn` must not refer to caller state
// that dies when process_batch returns.
//
// Thread safety: process_batch may be called from several threads at once; `fn` is called
// concurrently from up to `concurrency` threads (more while timed-out items are still running).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace lumen::perf {

struct BatchOptions {
  std::size_t batch_size = 0;   // items per batch; 0: all items form one batch
  std::size_t concurrency = 4;  // items in flight at once (0 is treated as 1)
  std::chrono::nanoseconds timeout = std::chrono::seconds(30);  // per item, from its start
};

enum class ItemStatus : std::uint8_t { kOk, kFailed, kTimedOut };

template <typename R>
struct ItemOutcome {
  ItemStatus status = ItemStatus::kFailed;
  std::optional<R> value;    // kOk
  std::exception_ptr error;  // kFailed: what fn threw
  std::string message;       // kFailed: the exception's what(); kTimedOut: a description
  [[nodiscard]] bool ok() const noexcept { return status == ItemStatus::kOk; }
};

namespace detail {

// The shared state of one process_batch call; workers keep it alive past the call's return.
class BatchRun {
 public:
  // Runs write() under the run's lock and marks item i done, unless the item already timed out
  // (then returns false and write is not called).
  template <typename W>
  bool commit(std::size_t i, W&& write) {
    return commit_erased(
        i, [](void* w) { (*static_cast<std::remove_reference_t<W>*>(w))(); },
        std::addressof(write));
  }
  bool commit_erased(std::size_t i, void (*write)(void*), void* ctx);

 protected:
  BatchRun() = default;
  ~BatchRun() = default;
};

// Runs run(i, state) for every i in [0, n) as BatchOptions says; returns which items timed out.
std::vector<bool> run_batch(std::size_t n, const BatchOptions& options,
                            std::function<void(std::size_t, BatchRun&)> run);

// The exception's what(), or a fixed text for exceptions not derived from std::exception.
std::string describe(const std::exception_ptr& error);
std::string timeout_message(std::size_t index, std::chrono::nanoseconds timeout);

}  // namespace detail

template <typename T, typename F, typename R = std::invoke_result_t<F&, const T&>>
[[nodiscard]] std::vector<ItemOutcome<R>> process_batch(std::vector<T> items, F fn,
                                                        const BatchOptions& options = {}) {
  struct Shared {
    std::vector<T> items;
    F fn;
    std::vector<ItemOutcome<R>> out;
  };
  const std::size_t n = items.size();
  auto shared = std::make_shared<Shared>(Shared{std::move(items), std::move(fn), {}});
  shared->out.resize(n);
  const std::vector<bool> timed_out =
      detail::run_batch(n, options, [shared](std::size_t i, detail::BatchRun& run) {
        ItemOutcome<R> o;
        try {
          o.value.emplace(shared->fn(shared->items[i]));
          o.status = ItemStatus::kOk;
        } catch (...) {
          o.error = std::current_exception();
          o.message = detail::describe(o.error);
        }
        run.commit(i, [&] { shared->out[i] = std::move(o); });
      });
  // Every item now has an outcome; a straggler can no longer write (its commit is refused).
  std::vector<ItemOutcome<R>> out = std::move(shared->out);
  for (std::size_t i = 0; i < n; ++i) {
    if (timed_out[i]) {
      out[i].status = ItemStatus::kTimedOut;
      out[i].message = detail::timeout_message(i, options.timeout);
    }
  }
  return out;
}

}  // namespace lumen::perf
