// removed_files_open(): how many of this process's descriptors are open on files that have been
// removed from a directory, read from /proc/self/fd (by path, not by number: another thread may
// have been given a closed descriptor's number again).
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace lumen::testing {

inline int removed_files_open(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && target.starts_with(dir.string() + "/") && target.ends_with(" (deleted)")) ++n;
  }
  return n;
}

}  // namespace lumen::testing
