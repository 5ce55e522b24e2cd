// RotatingFileSink: appends JSON lines to a file and rotates it by size: `combined.log` becomes
// `combined.log.1`, `.1` becomes `.2` ..., and the oldest beyond max_files is removed. A file
// never exceeds max_bytes unless a single line is larger than that (it then gets a file alone).
//
//   auto errors = std::make_shared<lumen::log::RotatingFileSink>(lumen::log::FileSinkOptions{
//       .path = "logs/error.log", .min_level = lumen::log::Level::kError});
#pragma once

#include <cstdint>
#include <string>

#include "lumen/log/sink.hpp"

namespace lumen::log {

struct FileSinkOptions {
  std::string path = "logs/combined.log";
  std::uint64_t max_bytes = 10 * 1024 * 1024;
  std::uint32_t max_files = 5;  // the live file included
  Level min_level = Level::kTrace;
};

// Thread-compatible: the logger calls it from one thread at a time. Creates the directory if it
// is missing; a file that cannot be opened or written makes write()/flush() return false.
class RotatingFileSink final : public Sink {
 public:
  explicit RotatingFileSink(FileSinkOptions options);
  ~RotatingFileSink() override;
  RotatingFileSink(const RotatingFileSink&) = delete;
  RotatingFileSink& operator=(const RotatingFileSink&) = delete;

  bool write(const FormattedRecord& record) override;
  bool flush() override;
  [[nodiscard]] std::string last_error() const override { return error_; }
  [[nodiscard]] std::string name() const override { return options_.path; }

 private:
  bool open_file();
  bool rotate();

  FileSinkOptions options_;
  int fd_ = -1;
  std::uint64_t size_ = 0;  // bytes in the live file, written or buffered
  std::string buffer_;
  std::string error_;
};

}  // namespace lumen::log
