#include "log/close_in_background.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace lumen::log::detail {
namespace {

namespace fs = std::filesystem;

// Waits up to 10 s for every background close to finish.
bool all_closed() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (files_closing() != 0) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A descriptor of a file of `bytes` bytes that is already removed, as a rotation leaves it.
int removed_file(const fs::path& path, std::size_t bytes) {
  std::ofstream(path) << std::string(bytes, 'x');
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  fs::remove(path);
  return fd;
}

// Open descriptors of this process on files removed from `dir`.
int removed_files_open(const fs::path& dir) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = fs::read_symlink(entry.path(), ec).string();
    if (!ec && target.starts_with(dir.string() + "/") && target.ends_with(" (deleted)")) ++n;
  }
  return n;
}

TEST(CloseInBackground, ClosesEveryDescriptorWithAtMostTheBoundInFlight) {
  const fs::path dir = fs::temp_directory_path() / ("lumen_close_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (int i = 0; i < 40; ++i) {
    const int fd = removed_file(dir / std::to_string(i), 1 << 20);
    ASSERT_GE(fd, 0);
    close_in_background(fd);
    // Past the bound the call closes at once, on this thread.
    EXPECT_LE(files_closing(), kMaxFilesClosing);
  }
  ASSERT_TRUE(all_closed());
  EXPECT_EQ(removed_files_open(dir), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lumen::log::detail
