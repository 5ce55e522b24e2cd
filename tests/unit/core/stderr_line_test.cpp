#include "core/stderr_line.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace lumen::detail {
namespace {

// Points fd 2 at a temporary file for its lifetime.
class StderrToFile {
 public:
  StderrToFile() : fd_(::mkstemp(path_)), saved_(::dup(STDERR_FILENO)) {
    EXPECT_GE(fd_, 0);
    EXPECT_GE(::dup2(fd_, STDERR_FILENO), 0);
  }
  ~StderrToFile() {
    restore();
    ::close(fd_);
    ::unlink(path_);
  }
  StderrToFile(const StderrToFile&) = delete;
  StderrToFile& operator=(const StderrToFile&) = delete;

  void restore() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  [[nodiscard]] const char* path() const { return path_; }

 private:
  char path_[32] = "/tmp/lumen_stderr_XXXXXX";
  int fd_;
  int saved_;
};

TEST(StderrLine, LinesFromManyThreadsArriveWhole) {
  constexpr int kThreads = 4;
  constexpr int kLines = 500;
  constexpr std::size_t kLength = 2000;  // longer than the helper's stack buffer too
  StderrToFile redirect;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      const std::string line =
          std::to_string(t) + ":" + std::string(kLength, static_cast<char>('a' + t));
      for (int i = 0; i < kLines; ++i) write_stderr_line(line);
    });
  }
  for (auto& thread : threads) thread.join();
  redirect.restore();

  std::ifstream in(redirect.path());
  int whole = 0;
  for (std::string line; std::getline(in, line);) {
    const int t = line.empty() ? -1 : line[0] - '0';
    const bool intact =
        t >= 0 && t < kThreads &&
        line == std::to_string(t) + ":" + std::string(kLength, static_cast<char>('a' + t));
    EXPECT_TRUE(intact) << line.substr(0, 80) << "... (" << line.size() << " bytes)";
    whole += intact ? 1 : 0;
  }
  EXPECT_EQ(whole, kThreads * kLines);
}

}  // namespace
}  // namespace lumen::detail
