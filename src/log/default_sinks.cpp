#include <filesystem>

#include "lumen/log/console_sink.hpp"
#include "lumen/log/file_sink.hpp"
#include "lumen/log/logger.hpp"

namespace lumen::log {

LogFiles LogFiles::from_environment(const Environment& env) {
  LogFiles files;
  files.dir = env.get_or("LOG_DIR", files.dir);
  files.max_bytes = static_cast<std::uint64_t>(
      env.integer("LOG_MAX_BYTES", static_cast<std::int64_t>(files.max_bytes), 1));
  files.max_files = static_cast<std::uint32_t>(env.integer("LOG_MAX_FILES", files.max_files, 1));
  return files;
}

std::vector<std::shared_ptr<Sink>> default_sinks(const LoggerOptions& options,
                                                 const LogFiles& files, bool console) {
  std::vector<std::shared_ptr<Sink>> sinks;
  if (console) {
    sinks.push_back(std::make_shared<ConsoleSink>(
        ConsoleSinkOptions{.format = ConsoleFormat::kAuto, .environment = options.environment}));
  }
  if (options.environment == "production") {
    const std::filesystem::path dir = files.dir;
    sinks.push_back(
        std::make_shared<RotatingFileSink>(FileSinkOptions{.path = (dir / "error.log").string(),
                                                           .max_bytes = files.max_bytes,
                                                           .max_files = files.max_files,
                                                           .min_level = Level::kError,
                                                           .clock = options.clock}));
    sinks.push_back(
        std::make_shared<RotatingFileSink>(FileSinkOptions{.path = (dir / "combined.log").string(),
                                                           .max_bytes = files.max_bytes,
                                                           .max_files = files.max_files,
                                                           .clock = options.clock}));
  }
  return sinks;
}

}  // namespace lumen::log
