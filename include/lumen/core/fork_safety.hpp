// Fork safety: components that own threads or locks register here and are told about fork().
//
// Before fork() every registered component quiesces (lets its thread finish a step, then takes its
// locks so none is held mid-update);
// afterwards the parent resumes unchanged and the child rebuilds what did not survive (worker
// threads, condition variables, inherited queued data that the parent still owns).
//
//   class Worker : public lumen::ForkAware { ... };
//   Worker w;  lumen::ForkRegistry::add(&w);  ...  lumen::ForkRegistry::remove(&w);
#pragma once

#include <atomic>
#include <cstdint>

namespace lumen {

// Thread-safety: the hooks run on the forking thread while the registry's lock is held.
class ForkAware {
 public:
  // Called on every component before any before_fork(): a component that must let its own thread
  // finish a step first (the logger's writer) waits for it here, bounded, while no component
  // holds its locks for the fork yet, so that step can take any it needs.
  virtual void wait_before_fork() noexcept {}
  virtual void before_fork() noexcept {}
  virtual void after_fork_in_parent() noexcept {}
  virtual void after_fork_in_child() noexcept {}

 protected:
  ~ForkAware() = default;
};

namespace detail {
// Read on every id generated: a plain global, so the read needs no call and no guard.
extern std::atomic<std::uint64_t> fork_generation;
}  // namespace detail

class ForkRegistry {
 public:
  static void add(ForkAware* component);
  static void remove(ForkAware* component);
  // Increments in every child after fork(); per-thread state compares it to know it is stale.
  // It moves only once the fork handlers are installed: call install() before relying on it.
  static std::uint64_t generation() noexcept {
    return detail::fork_generation.load(std::memory_order_relaxed);
  }
  static void install();
};

}  // namespace lumen
