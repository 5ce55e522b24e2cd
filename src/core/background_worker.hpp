// BackgroundWorker: the one way lumen runs a thread of its own. It calls a step function when
// woken, on a periodic tick, and once more when stopped; the owner never starts, wakes, stops or
// detaches a std::thread itself.
//
// Lifetimes: the thread shares ownership of the worker's state and of the step function, never of
// the owner. stop(deadline) returns by the deadline. If the step has returned, the thread is
// joined and stop returns true. If the step hangs past the deadline, stop returns false and the
// thread is left to finish that call on its own; it then exits without calling the step again.
// So a step may only touch what it owns or shares (capture a shared_ptr, not `this`), unless
// its owner always stops with Deadline::max() (a join).
//
// fork(): the worker holds its lock across fork(), so the child inherits it unlocked and whole.
// Only the forking thread exists in the child: the worker forgets its thread there. With
// `restart_in_child` it starts a new one at once (unless stopped); otherwise it stays down until
// the next start() or wake(), for owners that reset their own state in their own fork hook first.
//
// Thread-safety: all methods may be called concurrently; the step runs on the worker's thread
// only, never twice at a time.
//
//   BackgroundWorker worker({.name = "lumen-flush", .period = std::chrono::seconds(5)},
//                           [state](WorkerEvent event) { state->flush(event); });
//   worker.start();
//   worker.wake();                            // from any thread: a step soon
//   worker.stop(steady_clock::now() + 2s);    // a last step (kStop), then the thread ends
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "lumen/core/clock.hpp"
#include "lumen/core/deadline.hpp"

namespace lumen::detail {

// Why the step runs. A wake and a tick due at the same time are one call, reported as kWake.
enum class WorkerEvent { kWake, kTick, kStop };

struct BackgroundWorkerOptions {
  std::string name;                    // the thread's name (pthread_setname_np: 15 chars kept)
  std::chrono::nanoseconds period{0};  // a kTick this long after each step ends; 0: no ticks
  bool restart_in_child = true;        // after fork(), start a new thread in the child at once
  // What the period and stop()'s deadline are measured on; nullptr: the machine's clock. A test's
  // ManualClock makes each tick come exactly when the test advances it past the period.
  const Clock* clock = nullptr;
  // Optional. Asked on the worker's thread, after it has marked itself idle and before it waits:
  // true runs a step (kWake) without a wake. With idle(), it lets a producer skip the wake (and its
  // lock) while the worker is busy: the producer publishes its work and then reads idle(), the
  // worker marks itself idle and then calls has_work, both sequentially consistent, so one of the
  // two sees the other. Never asked once stop() has been called, so it may use its owner's state
  // as long as the owner stops the worker before that state goes.
  std::function<bool()> has_work;
};

// Exceptions that escape the step are swallowed: the step should catch and count its own.
class BackgroundWorker {
 public:
  using Step = std::function<void(WorkerEvent)>;

  BackgroundWorker(BackgroundWorkerOptions options, Step step);
  // Stops with a deadline of Deadline::max() (a join) unless stop() was called before.
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Starts the thread unless it runs or the worker was stopped. False if the thread could not be
  // created (the caller may retry). Never throws.
  bool start() noexcept;
  // Asks for a step soon. Wakes that arrive before the step begins make one step. Cheap when a
  // wake is already pending (one atomic exchange). Starts the thread if it does not run (after
  // fork). Never throws.
  void wake() noexcept;
  // Asks the thread to make its last step (kStop) and end, and waits until `deadline` (on the
  // worker's clock). True if it
  // ended (and was joined) or never ran in this process (then no step is made); false if a step
  // was still running at the deadline: see the lifetime rules above. Later calls return whether
  // the thread has ended. Called from the step itself, it returns false at once and no other step
  // follows. Never throws.
  bool stop(Deadline deadline) noexcept;
  // Whether the thread waits for work or is about to (see has_work). One atomic load.
  [[nodiscard]] bool idle() const noexcept { return idle_->load(); }
  // Whether stop() was called.
  [[nodiscard]] bool stopping() const noexcept;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  const std::atomic<bool>* idle_;  // in *shared_: read without following shared_
};

}  // namespace lumen::detail
