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

namespace lumen::testing {

// A child does a few milliseconds of work; under ASan on a busy machine give it far more.
inline constexpr std::chrono::seconds kChildDeadline{30};

struct ChildResult {
  pid_t pid = -1;
  int exit_code = -1;  // -1: did not finish by the deadline (and was killed) or did not exit
};

// Forks; the child runs `body` and _exits with its result. The parent waits at most `deadline`.
inline ChildResult run_in_child(const std::function<int()>& body,
                                std::chrono::milliseconds deadline = kChildDeadline) {
  using namespace std::chrono_literals;
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
