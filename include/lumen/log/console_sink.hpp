// ConsoleSink: writes records to a file descriptor (stdout by default), as JSON lines or in a
// coloured human format: "16:32:14.123 INFO  message {fields}".
//
//   auto console = std::make_shared<lumen::log::ConsoleSink>(
//       lumen::log::ConsoleSinkOptions{.format = lumen::log::ConsoleFormat::kAuto,
//                                      .environment = "development"});
#pragma once

#include <string>

#include "lumen/log/sink.hpp"

namespace lumen::log {

enum class ConsoleFormat : std::uint8_t {
  kAuto,  // human when the descriptor is a terminal and the environment is not production
  kJson,
  kHuman,
};

struct ConsoleSinkOptions {
  ConsoleFormat format = ConsoleFormat::kAuto;
  std::string environment = "development";
  int fd = 1;
  bool color = true;  // ANSI colours in the human format
};

// Thread-compatible: the logger calls it from one thread at a time.
class ConsoleSink final : public Sink {
 public:
  explicit ConsoleSink(ConsoleSinkOptions options = {});
  bool write(const FormattedRecord& record) override;
  bool flush() override;
  [[nodiscard]] std::string last_error() const override { return error_; }
  [[nodiscard]] std::string name() const override { return "console"; }
  [[nodiscard]] bool human() const noexcept { return human_; }

 private:
  ConsoleSinkOptions options_;
  bool human_;
  std::string buffer_;
  std::string error_;
};

}  // namespace lumen::log
