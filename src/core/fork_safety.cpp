#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

namespace lumen {

std::atomic<std::uint64_t> detail::fork_generation{0};

namespace {

struct Registry {
  lumen::internal::Mutex mutex;
  std::vector<ForkAware*> components LUMEN_GUARDED_BY(mutex);
};

Registry& registry() {
  // Leaked on purpose: fork handlers may run during static destruction of other objects.
  static Registry* r = new Registry;
  return *r;
}

// Unchecked, the three of them: the registry's lock is taken in prepare() and released in the
// other two, across fork(), which no annotation can state for a lock reached through registry().
void prepare() LUMEN_NO_THREAD_SAFETY_ANALYSIS {
  Registry& r = registry();
  r.mutex.lock();
  for (ForkAware* c : r.components) c->wait_before_fork();
  for (ForkAware* c : r.components) c->before_fork();
}

void in_parent() LUMEN_NO_THREAD_SAFETY_ANALYSIS {
  Registry& r = registry();
  for (auto it = r.components.rbegin(); it != r.components.rend(); ++it)
    (*it)->after_fork_in_parent();
  r.mutex.unlock();
}

void in_child() LUMEN_NO_THREAD_SAFETY_ANALYSIS {
  Registry& r = registry();
  detail::fork_generation.fetch_add(1, std::memory_order_relaxed);
  for (auto it = r.components.rbegin(); it != r.components.rend(); ++it)
    (*it)->after_fork_in_child();
  // The forking thread took this lock in prepare() and is the thread that continues in the child.
  r.mutex.unlock();
}

}  // namespace

void ForkRegistry::install() {
  static const bool installed = [] {
    pthread_atfork(&prepare, &in_parent, &in_child);
    return true;
  }();
  (void)installed;
}

void ForkRegistry::add(ForkAware* component) {
  install();
  Registry& r = registry();
  lumen::internal::MutexLock lock(r.mutex);
  r.components.push_back(component);
}

void ForkRegistry::remove(ForkAware* component) {
  Registry& r = registry();
  lumen::internal::MutexLock lock(r.mutex);
  r.components.erase(std::remove(r.components.begin(), r.components.end(), component),
                     r.components.end());
}

}  // namespace lumen
