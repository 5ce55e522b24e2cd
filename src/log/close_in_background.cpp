#include "log/close_in_background.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <system_error>
#include <thread>

namespace lumen::log::detail {
namespace {

// Process-wide: every sink's rotations share the bound. The threads are detached, so a sink's
// destructor (or a fork) never waits for one; a process that exits with one running loses
// nothing, as exit closes the descriptor all the same. A fork child's count may include closes
// that only its parent's threads run: the child then closes at once, as correctly, if slower.
std::atomic<int> g_closing{0};

}  // namespace

void close_in_background(int fd) noexcept {
  if (g_closing.fetch_add(1, std::memory_order_relaxed) >= kMaxFilesClosing) {
    g_closing.fetch_sub(1, std::memory_order_relaxed);
    ::close(fd);
    return;
  }
  try {
    std::thread([fd] {
      // Only on time no other thread wants: the producers and the writer keep their cores.
      const sched_param idle{};
      (void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
      (void)pthread_setname_np(pthread_self(), "lumen-log-close");
      ::close(fd);
      g_closing.fetch_sub(1, std::memory_order_release);
    }).detach();
  } catch (const std::system_error&) {
    g_closing.fetch_sub(1, std::memory_order_relaxed);
    ::close(fd);
  }
}

int files_closing() noexcept {
  return g_closing.load(std::memory_order_acquire);
}

}  // namespace lumen::log::detail
