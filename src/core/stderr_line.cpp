#include "core/stderr_line.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <new>

namespace lumen::detail {
namespace {

void write_all(const char* data, std::size_t size) noexcept {
  while (size > 0) {
    const ssize_t n = ::write(STDERR_FILENO, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report to
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace

void write_stderr_line(std::string_view line) noexcept {
  char small[1024];
  std::unique_ptr<char[]> large;
  char* buffer = small;
  if (line.size() + 1 > sizeof small) {
    large.reset(new (std::nothrow) char[line.size() + 1]);
    if (!large) {  // no memory for the copy: two writes are better than none
      write_all(line.data(), line.size());
      write_all("\n", 1);
      return;
    }
    buffer = large.get();
  }
  std::memcpy(buffer, line.data(), line.size());
  buffer[line.size()] = '\n';
  write_all(buffer, line.size() + 1);
}

}  // namespace lumen::detail
