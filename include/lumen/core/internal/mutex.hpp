// Not API: this header may change or go away in any release. It is in the public tree because
// the libraries (src/) and the programs (apps/) both lock with it, and apps/ sees only include/.
//
// std::mutex with clang's thread-safety annotations (libstdc++'s own mutex has none, so the
// analysis cannot see it taken), a lock_guard and a unique_lock over it. Each is a thin inline
// wrapper: the same code as the std types it holds. Thread-safety: as std::mutex.
//
//   struct Signal {
//     lumen::internal::Mutex mu;
//     std::condition_variable cv;
//     bool ready LUMEN_GUARDED_BY(mu) = false;
//   } s;
//
//   { lumen::internal::MutexLock lock(s.mu); s.ready = true; }
//   s.cv.notify_all();
//
//   lumen::internal::UniqueLock lock(s.mu);
//   s.cv.wait(lock.native(), [&]() LUMEN_REQUIRES(s.mu) { return s.ready; });
#pragma once

#include <mutex>

#include "lumen/core/internal/thread_annotations.hpp"

namespace lumen::internal {

class LUMEN_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() LUMEN_ACQUIRE() { mu_.lock(); }
  void unlock() LUMEN_RELEASE() { mu_.unlock(); }
  [[nodiscard]] bool try_lock() LUMEN_TRY_ACQUIRE(true) { return mu_.try_lock(); }

  // For std::condition_variable and std::unique_lock, which need the std type. Locking through
  // it is invisible to the analysis: lock with UniqueLock and pass its native() instead.
  std::mutex& native() noexcept { return mu_; }

 private:
  std::mutex mu_;
};

// std::lock_guard over a Mutex: holds it for the scope.
class LUMEN_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) LUMEN_ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() LUMEN_RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// std::unique_lock over a Mutex: held from construction, released and taken again by unlock() and
// lock(), released at the end of the scope if held. native() is the std::unique_lock that
// std::condition_variable and lumen::Clock::wait_until take; they return with it held again.
class LUMEN_SCOPED_CAPABILITY UniqueLock {
 public:
  explicit UniqueLock(Mutex& mu) LUMEN_ACQUIRE(mu) : lock_(mu.native()) {}
  ~UniqueLock() LUMEN_RELEASE() = default;
  UniqueLock(const UniqueLock&) = delete;
  UniqueLock& operator=(const UniqueLock&) = delete;

  void lock() LUMEN_ACQUIRE() { lock_.lock(); }
  void unlock() LUMEN_RELEASE() { lock_.unlock(); }

  std::unique_lock<std::mutex>& native() noexcept { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace lumen::internal
