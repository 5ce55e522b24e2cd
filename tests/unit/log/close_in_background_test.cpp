#include "log/close_in_background.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "eventually.hpp"
#include "removed_files.hpp"

namespace lumen::log::detail {
namespace {

namespace fs = std::filesystem;

// A descriptor of a file of `bytes` bytes that is already removed, as a rotation leaves it.
int removed_file(const fs::path& path, std::size_t bytes) {
  std::ofstream(path) << std::string(bytes, 'x');
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  fs::remove(path);
  return fd;
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
  ASSERT_TRUE(testing::eventually([] { return files_closing() == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(testing::removed_files_open(dir), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lumen::log::detail
