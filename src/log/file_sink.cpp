#include "lumen/log/file_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace lumen::log {
namespace {
constexpr std::size_t kBufferBytes = 1 << 20;
}  // namespace

RotatingFileSink::RotatingFileSink(FileSinkOptions options) : options_(std::move(options)) {
  if (options_.max_files == 0) options_.max_files = 1;
  if (options_.max_bytes == 0) options_.max_bytes = 1;
  (void)open_file();
}

RotatingFileSink::~RotatingFileSink() {
  (void)flush();
  if (fd_ >= 0) ::close(fd_);
}

bool RotatingFileSink::open_file() {
  const std::filesystem::path path(options_.path);
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  fd_ = ::open(options_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    error_ = options_.path + ": " + std::strerror(errno);
    return false;
  }
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  size_ = end > 0 ? static_cast<std::uint64_t>(end) : 0;
  return true;
}

bool RotatingFileSink::rotate() {
  if (!flush()) return false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  const auto name = [&](std::uint32_t i) {
    return i == 0 ? options_.path : options_.path + "." + std::to_string(i);
  };
  // With max_files 1 the live file is simply truncated by removing it.
  std::filesystem::remove(name(options_.max_files - 1), ec);
  for (std::uint32_t i = options_.max_files - 1; i > 0; --i) {
    std::filesystem::rename(name(i - 1), name(i), ec);
  }
  return open_file();
}

bool RotatingFileSink::write(const FormattedRecord& record) {
  if (record.level < options_.min_level) return true;
  const std::uint64_t line = record.json.size() + 1;
  if (size_ > 0 && size_ + line > options_.max_bytes) {
    if (!rotate()) {
      buffer_.clear();
      return false;
    }
  }
  if (fd_ < 0 && !open_file()) return false;
  if (buffer_.capacity() < kBufferBytes) buffer_.reserve(kBufferBytes);
  const std::size_t at = buffer_.size();
  buffer_.resize(at + record.json.size() + 1);
  std::memcpy(buffer_.data() + at, record.json.data(), record.json.size());
  buffer_.back() = '\n';
  size_ += line;
  // The writer flushes after each burst; a long one is written out in pieces of bounded memory.
  if (buffer_.size() >= kBufferBytes) return flush();
  return true;
}

bool RotatingFileSink::flush() {
  if (buffer_.empty()) return true;
  std::string_view data(buffer_);
  bool ok = fd_ >= 0;
  while (ok && !data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = options_.path + ": " + std::strerror(errno);
      ok = false;
      break;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  buffer_.clear();  // never retry forever: what failed is lost and counted
  return ok;
}

}  // namespace lumen::log
