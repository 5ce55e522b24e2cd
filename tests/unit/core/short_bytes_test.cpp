#include "lumen/core/internal/short_bytes.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lumen::detail {
namespace {

// Every length on each side of the 4-, 8-, 16- and 32-byte paths, at an odd offset: the copy
// writes exactly the n bytes asked for, nothing before or after them.
TEST(ShortBytesTest, CopyBytesWritesExactlyTheBytesAskedFor) {
  std::string source;
  for (int i = 0; i < 64; ++i) source.push_back(static_cast<char>('A' + i % 26));
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string target(48, '.');
    copy_bytes(target.data() + 3, source.data() + 1, n);
    EXPECT_EQ(target.substr(0, 3), "...") << n;
    EXPECT_EQ(target.substr(3, n), source.substr(1, n)) << n;
    EXPECT_EQ(target.substr(3 + n), std::string(45 - n, '.')) << n;
  }
}

TEST(ShortBytesTest, SameBytesComparesEveryByte) {
  const std::string base = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (std::size_t n = 0; n <= base.size(); ++n) {
    const std::string a = base.substr(0, n);
    EXPECT_TRUE(same_bytes(a, a + "")) << n;
    for (std::size_t i = 0; i < n; ++i) {
      std::string b = a;
      b[i] = '#';
      EXPECT_FALSE(same_bytes(a, b)) << n << " " << i;
    }
    if (n > 0) {
      EXPECT_FALSE(same_bytes(a, a.substr(0, n - 1))) << n;
    }
  }
}

}  // namespace
}  // namespace lumen::detail
