#include "lumen/log/file_sink.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "log/close_in_background.hpp"

namespace lumen::log {
namespace {
constexpr std::size_t kBufferBytes = 1 << 20;
// How far ahead of its end the file's blocks are allocated (preallocate()).
constexpr std::uint64_t kPreallocateBytes = 1 << 20;
}  // namespace

RotatingFileSink::RotatingFileSink(FileSinkOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock::instance()) {
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
  preallocated_ = size_;
  checked_ns_ = clock_->monotonic_ns();
  return true;
}

// Reopens the file if the path no longer names it, and notices a truncation (O_APPEND already
// writes at the new end; only the size counted towards max_bytes is wrong).
void RotatingFileSink::follow_the_path() {
  if (fd_ < 0) return;  // write() opens it
  const std::uint64_t now = clock_->monotonic_ns();
  const auto interval =
      static_cast<std::uint64_t>(options_.reopen_check_interval.count()) * 1'000'000ULL;
  if (!reopen_requested_ && now - checked_ns_ < interval) return;
  checked_ns_ = now;
  struct stat open_file_st {};
  if (::fstat(fd_, &open_file_st) != 0) return;
  struct stat path_st {};
  const bool moved = ::stat(options_.path.c_str(), &path_st) != 0 ||
                     path_st.st_ino != open_file_st.st_ino || path_st.st_dev != open_file_st.st_dev;
  if (moved || reopen_requested_) {
    reopen_requested_ = false;
    ::close(fd_);
    fd_ = -1;
    if (open_file()) size_ += buffer_.size();
    return;
  }
  const std::uint64_t on_disk = size_ - buffer_.size();
  if (static_cast<std::uint64_t>(open_file_st.st_size) < on_disk) {
    size_ = static_cast<std::uint64_t>(open_file_st.st_size) + buffer_.size();
    preallocated_ = 0;  // the truncation freed the blocks past the new end
  }
}

bool RotatingFileSink::rotate() {
  if (!flush()) return false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  const auto name = [&](std::uint32_t i) {
    return i == 0 ? options_.path : options_.path + "." + std::to_string(i);
  };
  // With max_files 1 the live file is simply truncated by removing it. The file is held open
  // across its removal so that its last close, where the kernel frees its pages, happens on
  // another thread (close_in_background.hpp).
  const std::string oldest = name(options_.max_files - 1);
  const int held = ::open(oldest.c_str(), O_RDONLY | O_CLOEXEC);
  std::filesystem::remove(oldest, ec);
  if (held >= 0) detail::close_in_background(held);
  for (std::uint32_t i = options_.max_files - 1; i > 0; --i) {
    std::filesystem::rename(name(i - 1), name(i), ec);
  }
  return open_file();
}

bool RotatingFileSink::write(const FormattedRecord& record) {
  if (record.level < options_.min_level) return true;
  const std::uint64_t line = record.json.size() + 1;
  if (size_ > 0 && size_ + line > options_.max_bytes && !rotate()) {
    ++lost_;  // this record; a failed flush inside rotate() counted the buffered ones
    return false;
  }
  if (fd_ < 0 && !open_file()) {
    ++lost_;
    return false;
  }
  if (buffer_.capacity() < kBufferBytes) buffer_.reserve(kBufferBytes);
  // append, not resize and copy: resize would first fill the room with zeros.
  buffer_.append(record.json);
  buffer_.push_back('\n');
  ++buffered_records_;
  size_ += line;
  // The writer flushes after each burst; a long one is written out in pieces of bounded memory.
  if (buffer_.size() >= kBufferBytes) return flush();
  return true;
}

// Allocates the file's blocks up to kPreallocateBytes past what is about to be written, never past
// max_bytes, without changing its size (FALLOC_FL_KEEP_SIZE). The kernel's write then finds each
// page's blocks allocated instead of reserving them page by page: 5 of the 32 ns a line cost in
// the write (bench/RESULTS.md). A file system without fallocate, or a full one, only loses that.
void RotatingFileSink::preallocate() {
  if (size_ <= preallocated_) return;
  const std::uint64_t until =
      std::max(size_, std::min(size_ + kPreallocateBytes, options_.max_bytes));
  (void)::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(preallocated_),
                    static_cast<off_t>(until - preallocated_));
  preallocated_ = until;  // also when it failed: not asked again at every flush
}

// Bytes written before the first error (all of them on success).
std::size_t RotatingFileSink::write_some(std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = options_.path + ": " + std::strerror(errno);
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

// Removes the last `bytes` of the file: the start of a line whose end could not be written. The
// file has one writer, so its end is where our write stopped.
bool RotatingFileSink::cut_tail(std::size_t bytes) {
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && static_cast<std::uint64_t>(st.st_size) >= bytes &&
      ::ftruncate(fd_, st.st_size - static_cast<off_t>(bytes)) == 0) {
    return true;
  }
  cut_line_on_disk_ = true;
  return false;
}

bool RotatingFileSink::flush() {
  if (buffer_.empty()) return true;
  follow_the_path();
  bool ok = fd_ >= 0;
  if (ok && cut_line_on_disk_) {
    ok = write_some("\n") == 1;
    if (ok) cut_line_on_disk_ = false;
  }
  if (ok) preallocate();
  const std::size_t written = ok ? write_some(buffer_) : 0;
  if (written == buffer_.size()) {
    buffer_.clear();
    buffered_records_ = 0;
    return true;
  }
  // Never retry forever: the lines not written whole are lost and counted, and a line the error
  // cut is taken back off, so the next line does not continue it.
  const std::string_view sent(buffer_.data(), written);
  const std::size_t last_newline = sent.rfind('\n');
  const std::size_t whole = last_newline == std::string_view::npos ? 0 : last_newline + 1;
  const auto whole_lines = static_cast<std::uint64_t>(std::count(sent.begin(), sent.end(), '\n'));
  lost_ += buffered_records_ - whole_lines;
  const bool cut = written == whole || cut_tail(written - whole);
  size_ -= buffer_.size() - (cut ? whole : written);
  buffer_.clear();
  buffered_records_ = 0;
  return false;
}

}  // namespace lumen::log
