#include "lumen/core/fork_safety.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

namespace lumen {
namespace {

struct Registry {
  std::mutex mutex;
  std::vector<ForkAware*> components;
  std::atomic<std::uint64_t> generation{0};
};

Registry& registry() {
  // Leaked on purpose: fork handlers may run during static destruction of other objects.
  static Registry* r = new Registry;
  return *r;
}

void prepare() {
  Registry& r = registry();
  r.mutex.lock();
  for (ForkAware* c : r.components) c->before_fork();
}

void in_parent() {
  Registry& r = registry();
  for (auto it = r.components.rbegin(); it != r.components.rend(); ++it) (*it)->after_fork_in_parent();
  r.mutex.unlock();
}

void in_child() {
  Registry& r = registry();
  r.generation.fetch_add(1, std::memory_order_relaxed);
  for (auto it = r.components.rbegin(); it != r.components.rend(); ++it) (*it)->after_fork_in_child();
  // The forking thread took this lock in prepare() and is the thread that continues in the child.
  r.mutex.unlock();
}

void install_once() {
  static const bool installed = [] {
    pthread_atfork(&prepare, &in_parent, &in_child);
    return true;
  }();
  (void)installed;
}

}  // namespace

void ForkRegistry::add(ForkAware* component) {
  install_once();
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.components.push_back(component);
}

void ForkRegistry::remove(ForkAware* component) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.components.erase(std::remove(r.components.begin(), r.components.end(), component),
                     r.components.end());
}

std::uint64_t ForkRegistry::generation() noexcept {
  install_once();
  return registry().generation.load(std::memory_order_relaxed);
}

}  // namespace lumen
