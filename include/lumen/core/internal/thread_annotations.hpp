// Not API: this header may change or go away in any release. It is in the public tree because
// the libraries (src/) and the programs (apps/) both annotate with it, and apps/ sees only
// include/.
//
// Lock rules a tool can check: clang's thread-safety analysis (-Wthread-safety) reads these
// attributes and rejects, at compile time, a read or write of a guarded member without its mutex,
// or a call to a function that needs a lock its caller does not hold. Other compilers see nothing.
//
//   class Queue {
//    public:
//     void push(int v) LUMEN_EXCLUDES(mu_) {
//       lumen::internal::MutexLock lock(mu_);
//       items_.push_back(v);
//     }
//
//    private:
//     void drop_oldest() LUMEN_REQUIRES(mu_);  // callers hold mu_
//     lumen::internal::Mutex mu_;
//     std::deque<int> items_ LUMEN_GUARDED_BY(mu_);
//   };
#pragma once

#if defined(__clang__)
#define LUMEN_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LUMEN_THREAD_ANNOTATION(x)
#endif

// A type that is a lock (a mutex); `x` names the kind in diagnostics ("mutex").
#define LUMEN_CAPABILITY(x) LUMEN_THREAD_ANNOTATION(capability(x))
// An RAII type that holds a lock from its construction to its destruction.
#define LUMEN_SCOPED_CAPABILITY LUMEN_THREAD_ANNOTATION(scoped_lockable)
// A member that is read or written only with the lock `x` held.
#define LUMEN_GUARDED_BY(x) LUMEN_THREAD_ANNOTATION(guarded_by(x))
// A pointer whose pointee is read or written only with the lock `x` held.
#define LUMEN_PT_GUARDED_BY(x) LUMEN_THREAD_ANNOTATION(pt_guarded_by(x))
// A function that its callers call with these locks held.
#define LUMEN_REQUIRES(...) LUMEN_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// A function that takes these locks itself: its callers must not hold them.
#define LUMEN_EXCLUDES(...) LUMEN_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// A function that returns with these locks held (with no argument: the object itself).
#define LUMEN_ACQUIRE(...) LUMEN_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
// A function that returns with these locks released (with no argument: the object itself).
#define LUMEN_RELEASE(...) LUMEN_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// A function that holds the locks when it returns `result` (true or false).
#define LUMEN_TRY_ACQUIRE(...) LUMEN_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// A function whose locking the analysis cannot follow; every use says why next to it.
#define LUMEN_NO_THREAD_SAFETY_ANALYSIS LUMEN_THREAD_ANNOTATION(no_thread_safety_analysis)
