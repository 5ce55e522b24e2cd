#include <filesystem>

#include "lumen/log/console_sink.hpp"
#include "lumen/log/file_sink.hpp"
#include "lumen/log/logger.hpp"

namespace lumen::log {

std::vector<std::shared_ptr<Sink>> default_sinks(const LoggerOptions& options,
                                                 const Environment& env) {
  std::vector<std::shared_ptr<Sink>> sinks;
  sinks.push_back(std::make_shared<ConsoleSink>(
      ConsoleSinkOptions{.format = ConsoleFormat::kAuto, .environment = options.environment}));
  if (options.environment == "production") {
    const std::filesystem::path dir = env.get_or("LOG_DIR", "logs");
    const auto max_bytes = static_cast<std::uint64_t>(
        env.integer("LOG_MAX_BYTES", 10 * 1024 * 1024, 1));
    const auto max_files = static_cast<std::uint32_t>(env.integer("LOG_MAX_FILES", 5, 1));
    sinks.push_back(std::make_shared<RotatingFileSink>(FileSinkOptions{
        .path = (dir / "error.log").string(), .max_bytes = max_bytes, .max_files = max_files,
        .min_level = Level::kError}));
    sinks.push_back(std::make_shared<RotatingFileSink>(FileSinkOptions{
        .path = (dir / "combined.log").string(), .max_bytes = max_bytes,
        .max_files = max_files}));
  }
  return sinks;
}

}  // namespace lumen::log
