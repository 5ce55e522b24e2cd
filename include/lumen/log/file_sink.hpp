// RotatingFileSink: appends JSON lines to a file and rotates it by size: `combined.log` becomes
// `combined.log.1`, `.1` becomes `.2` ..., and the oldest beyond max_files is removed. A file
// never exceeds max_bytes unless a single line is larger than that (it then gets a file alone).
// It follows what others do to the file: removed or renamed (logrotate's create mode), it is
// reopened at the path; truncated (copytruncate), the size counted towards max_bytes starts
// again. It notices at the first write out after reopen_check_interval, or when reopen() (see
// Logger::reopen, for SIGHUP) asks. The live file's disk blocks are allocated up to 1 MiB ahead of
// its end (never past max_bytes; its size stays that of its lines), so `du` counts up to that much
// more than `ls -l` shows.
//
//   auto errors = std::make_shared<lumen::log::RotatingFileSink>(lumen::log::FileSinkOptions{
//       .path = "logs/error.log", .min_level = lumen::log::Level::kError});
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "lumen/core/clock.hpp"
#include "lumen/log/sink.hpp"

namespace lumen::log {

struct FileSinkOptions {
  std::string path = "logs/combined.log";
  std::uint64_t max_bytes = std::uint64_t{10} * 1024 * 1024;
  std::uint32_t max_files = 5;  // the live file included
  Level min_level = Level::kTrace;
  // How often at most the path is compared (one stat()) with the open file; 0: at every flush.
  std::chrono::milliseconds reopen_check_interval{1000};
  const Clock* clock = nullptr;  // times the check interval; SystemClock when null
};

// Thread-compatible: the logger calls it from one thread at a time. Creates the directory if it
// is missing; a file that cannot be opened or written makes write()/flush() return false. Lines
// reach the file whole or not at all (a full disk cuts none in half), and lost() counts the
// records that did not.
class RotatingFileSink final : public Sink {
 public:
  explicit RotatingFileSink(FileSinkOptions options);
  ~RotatingFileSink() override;
  RotatingFileSink(const RotatingFileSink&) = delete;
  RotatingFileSink& operator=(const RotatingFileSink&) = delete;

  bool write(const FormattedRecord& record) override;
  bool flush() override;
  void reopen() override { reopen_requested_ = true; }
  [[nodiscard]] std::optional<std::uint64_t> lost() const override { return lost_; }
  [[nodiscard]] std::string last_error() const override { return error_; }
  [[nodiscard]] std::string name() const override { return options_.path; }

 private:
  bool open_file();
  bool rotate();
  std::size_t write_some(std::string_view data);
  bool cut_tail(std::size_t bytes);
  void follow_the_path();
  void preallocate();

  FileSinkOptions options_;
  const Clock* clock_;
  int fd_ = -1;
  std::uint64_t checked_ns_ = 0;  // when the path was last compared with the open file
  bool reopen_requested_ = false;
  std::uint64_t size_ = 0;          // bytes in the live file, written or buffered
  std::uint64_t preallocated_ = 0;  // the file's blocks are allocated up to here
  std::string buffer_;              // whole lines only
  std::uint64_t buffered_records_ = 0;
  std::uint64_t lost_ = 0;
  // The file ends in part of a line that could not be cut off: the next write starts a new line.
  bool cut_line_on_disk_ = false;
  std::string error_;
};

}  // namespace lumen::log
