#include "lumen/log/console_sink.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "log/iso8601.hpp"
#include "log/json_writer.hpp"

namespace lumen::log {
namespace {

std::string_view color_of(Level level) {
  switch (level) {
    case Level::kTrace:
      return "\x1b[90m";
    case Level::kDebug:
      return "\x1b[36m";
    case Level::kInfo:
      return "\x1b[32m";
    case Level::kWarn:
      return "\x1b[33m";
    case Level::kError:
      return "\x1b[31m";
    default:
      return "\x1b[35;1m";
  }
}

bool write_all(int fd, std::string_view data, std::string& error) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

ConsoleSink::ConsoleSink(ConsoleSinkOptions options) : options_(std::move(options)) {
  switch (options_.format) {
    case ConsoleFormat::kJson:
      human_ = false;
      break;
    case ConsoleFormat::kHuman:
      human_ = true;
      break;
    default:
      human_ = ::isatty(options_.fd) == 1 && options_.environment != "production";
  }
}

bool ConsoleSink::write(const FormattedRecord& r) {
  if (!human_) {
    buffer_.append(r.json);
    buffer_.push_back('\n');
    return true;
  }
  const std::size_t start = buffer_.size();
  detail::append_iso8601(buffer_, r.wall_ns);
  // Keep the time of day only: "HH:MM:SS.mmm".
  buffer_.erase(start, 11);
  buffer_.erase(buffer_.size() - 1);
  buffer_.push_back(' ');
  if (options_.color) buffer_.append(color_of(r.level));
  std::string name(detail::level_name_upper(r.level));
  name.resize(5, ' ');
  buffer_.append(name);
  if (options_.color) buffer_.append("\x1b[0m");
  buffer_.push_back(' ');
  buffer_.append(r.message);
  if (r.fields.size() > 1) {
    buffer_.append(" {");
    buffer_.append(r.fields.substr(1));
    buffer_.push_back('}');
  }
  buffer_.push_back('\n');
  return true;
}

bool ConsoleSink::flush() {
  const bool ok = write_all(options_.fd, buffer_, error_);
  buffer_.clear();
  return ok;
}

}  // namespace lumen::log
