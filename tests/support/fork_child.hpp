// Helpers for the tests that fork a process with lumen running in it (tests named ForkSafety.*,
// which the ThreadSanitizer run leaves out: it does not support fork() in a threaded process).
//
// A child reports through its exit status and through a SharedFile that every process appends to.
// It ends with _exit: it must not run the parent's atexit handlers or GoogleTest's teardown. The
// parent waits for it with a deadline and kills it on timeout, so that a deadlocked child fails
// the test instead of hanging it.
//
//   lumen::testing::SharedFile file;
//   const lumen::testing::ChildResult child = lumen::testing::run_in_child([&] {
//     return ::write(file.fd(), "child\n", 6) == 6 ? 0 : 2;
//   });
//   EXPECT_EQ(child.exit_code, 0);
//   EXPECT_EQ(file.read_all(), "child\n");
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sanitizers.hpp"

namespace lumen::testing {

// A child does a few milliseconds of work; under ASan on a busy machine give it far more.
inline constexpr std::chrono::seconds kChildDeadline{30};

inline std::string read_whole_file(const std::string& path) {
  std::string out;
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return out;
  char buf[4096];
  for (ssize_t n; (n = ::read(in, buf, sizeof buf)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(in);
  return out;
}

// Whether every thread of this process but the caller is asleep (state S in its stat file).
inline bool other_threads_asleep() {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return true;
  const std::string self = std::to_string(::gettid());
  bool asleep = true;
  while (const dirent* entry = ::readdir(tasks)) {
    const std::string tid = entry->d_name;
    if (tid == "." || tid == ".." || tid == self) continue;
    const std::string stat = read_whole_file("/proc/self/task/" + tid + "/stat");
    const std::size_t name_end = stat.rfind(')');
    // A thread that ended since readdir has no stat left: it holds nothing.
    if (name_end == std::string::npos || name_end + 2 >= stat.size()) continue;
    if (stat[name_end + 2] != 'S') {
      asleep = false;
      break;
    }
  }
  ::closedir(tasks);
  return asleep;
}

// ASan's allocator (GCC 12's), unlike glibc's malloc, takes no lock around fork(): a fork while
// another thread is inside it (a thread still starting, a server thread storing a request) leaves
// the child a lock that none of its threads will release, and the child hangs at its first
// allocation. So under ASan the fork waits, up to a few seconds, until every other thread has
// been seen asleep twice in a row.
inline void wait_until_other_threads_sleep() {
  using namespace std::chrono_literals;
  const auto give_up = std::chrono::steady_clock::now() + 5s;
  int asleep_in_a_row = 0;
  while (asleep_in_a_row < 2 && std::chrono::steady_clock::now() < give_up) {
    asleep_in_a_row = other_threads_asleep() ? asleep_in_a_row + 1 : 0;
    std::this_thread::sleep_for(1ms);
  }
}

struct ChildResult {
  pid_t pid = -1;
  int exit_code = -1;  // -1: did not finish by the deadline (and was killed) or did not exit
};

// Forks; the child runs `body` and _exits with its result. The parent waits at most `deadline`.
inline ChildResult run_in_child(const std::function<int()>& body,
                                std::chrono::milliseconds deadline = kChildDeadline) {
  using namespace std::chrono_literals;
  if constexpr (kAddressSanitizer) wait_until_other_threads_sleep();
  const pid_t pid = ::fork();
  if (pid < 0) return {};
  if (pid == 0) {
    int code = 100;
    try {
      code = body();
    } catch (...) {
      code = 101;
    }
    ::_exit(code);
  }
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return {pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
    if (r < 0 && errno != EINTR) return {pid, -1};
    if (std::chrono::steady_clock::now() >= give_up) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "child " << pid << " did not finish within the deadline: deadlocked?";
      return {pid, -1};
    }
    std::this_thread::sleep_for(2ms);
  }
}

// A file in /tmp that every process appends to; removed when the test ends.
class SharedFile {
 public:
  SharedFile() {
    char path[] = "/tmp/lumen-fork-test-XXXXXX";
    const int fd = ::mkstemp(path);
    path_ = path;
    if (fd >= 0) ::close(fd);
    // O_APPEND: each write() lands whole at the end, whichever process makes it.
    fd_ = ::open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  ~SharedFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  SharedFile(const SharedFile&) = delete;
  SharedFile& operator=(const SharedFile&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string read_all() const { return read_whole_file(path_); }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace lumen::testing
