// ResourcePool<T>: a bounded pool of expensive resources (connections, clients) with RAII leases.
//
//   lumen::perf::ResourcePool<Connection> pool(
//       [] { return Connection::open("127.0.0.1", 6379); },                  // the factory
//       {.name = "redis", .max_size = 8, .min_idle = 2,
//        .acquire_timeout = std::chrono::milliseconds(200), .meter = &meter},
//       [](Connection& c) { return c.is_open(); });                           // optional
//       validation
//   {
//     auto conn = pool.acquire();        // PoolTimeout if none frees up within acquire_timeout
//     conn->send("PING");
//     if (failed) conn.mark_broken();    // destroyed on return instead of reused
//   }                                    // returned here, also when an exception unwinds
//
// At most max_size resources exist at once. acquire() takes an idle resource (the most recently
// returned one: the warmest), or creates one while below max_size, or waits. Waiters are served
// strictly in arrival order: a returned resource (or, if it was broken, the right to create a new
// one) goes straight to the longest waiter, so a newcomer cannot overtake it. Resources that fail
// validation (on acquire, and on release if asked) or are marked broken are destroyed; the pool
// creates min_idle resources up front and replaces broken ones to keep that many.
// The factory runs without the pool's lock; a factory exception reaches the acquiring caller.
//
// Metrics (attribute pool=<name>): lumen.pool.in_use, .idle, .waiters (gauges), .created,
// .destroyed, .timeouts (counters), and the histogram lumen.pool.wait_time in seconds.
// Thread safety: acquire, release (via leases) and stats may be called from any thread. Every
// lease must be returned before the pool is destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "lumen/core/clock.hpp"

namespace lumen::metrics {
class Meter;
}

namespace lumen::perf {

// Thrown by acquire() when no resource became available within the timeout.
class PoolTimeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PoolOptions {
  std::string name = "pool";
  std::size_t max_size = 8;  // resources alive at once, leased or idle (0 is treated as 1)
  std::size_t min_idle = 0;  // created up front and kept by replacing broken ones
  std::chrono::nanoseconds acquire_timeout = std::chrono::seconds(5);
  bool validate_on_acquire = true;   // when a validator is given
  bool validate_on_release = false;  // when a validator is given
  metrics::Meter* meter = nullptr;
  const Clock* clock = &SystemClock::instance();  // times acquire's wait (a ManualClock in tests)
};

struct PoolStats {
  std::size_t in_use = 0;
  std::size_t idle = 0;
  std::size_t waiters = 0;
  std::uint64_t created = 0;
  std::uint64_t destroyed = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t acquired = 0;
};

namespace detail {

class PoolCore {
 public:
  PoolCore(PoolOptions options, std::function<void*()> create, void (*destroy)(void*),
           std::function<bool(void*)> validate);
  ~PoolCore();
  PoolCore(const PoolCore&) = delete;
  PoolCore& operator=(const PoolCore&) = delete;

  void* acquire(std::chrono::nanoseconds timeout);
  void release(void* resource, bool broken) noexcept;
  [[nodiscard]] PoolStats stats() const;
  [[nodiscard]] const PoolOptions& options() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace detail

template <typename T>
class ResourcePool {
 public:
  // Returns the resource to the pool when it goes out of scope. Move-only.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept
        : core_(std::exchange(other.core_, nullptr)),
          resource_(std::exchange(other.resource_, nullptr)),
          broken_(other.broken_) {}
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        reset();
        core_ = std::exchange(other.core_, nullptr);
        resource_ = std::exchange(other.resource_, nullptr);
        broken_ = other.broken_;
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { reset(); }

    T& operator*() const noexcept { return *resource_; }
    T* operator->() const noexcept { return resource_; }
    [[nodiscard]] T* get() const noexcept { return resource_; }
    explicit operator bool() const noexcept { return resource_ != nullptr; }
    // The resource is destroyed on return instead of going back to the pool.
    void mark_broken() noexcept { broken_ = true; }
    // Returns the resource now.
    void reset() noexcept {
      if (resource_ != nullptr) core_->release(resource_, broken_);
      resource_ = nullptr;
      core_ = nullptr;
      broken_ = false;
    }

   private:
    friend class ResourcePool;
    Lease(detail::PoolCore* core, T* resource) noexcept : core_(core), resource_(resource) {}
    detail::PoolCore* core_ = nullptr;
    T* resource_ = nullptr;
    bool broken_ = false;
  };

  explicit ResourcePool(std::function<T()> factory, PoolOptions options = {},
                        std::function<bool(T&)> validate = {})
      : core_(
            std::move(options), [f = std::move(factory)]() -> void* { return new T(f()); },
            [](void* p) { delete static_cast<T*>(p); },
            validate ? std::function<bool(void*)>(
                           [v = std::move(validate)](void* p) { return v(*static_cast<T*>(p)); })
                     : std::function<bool(void*)>()) {}

  // A resource, waiting up to options.acquire_timeout; throws PoolTimeout when none frees up.
  [[nodiscard]] Lease acquire() { return acquire(core_.options().acquire_timeout); }
  [[nodiscard]] Lease acquire(std::chrono::nanoseconds timeout) {
    return Lease(&core_, static_cast<T*>(core_.acquire(timeout)));
  }

  [[nodiscard]] PoolStats stats() const { return core_.stats(); }

 private:
  detail::PoolCore core_;
};

}  // namespace lumen::perf
