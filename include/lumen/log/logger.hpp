// Logger: structured JSON-lines logging, correlated with the current trace.
//
// The hot path (info(), warn() ...) checks the level with one relaxed load, then copies the message
// and fields into a pooled binary record and pushes it into a bounded lock-free queue. A background
// writer formats JSON (escaping, UTF-8 repair, redaction, rate limiting) and writes to the sinks.
// Logger handles are cheap to copy and thread-safe; child() makes a handle with bound fields.
// fork(): the child logs through a writer of its own to the same sinks (so to the same files); the
// parent writes what it had queued, and fork() waits up to 2 s for a write in progress.
//
//   auto sinks = lumen::log::default_sinks(options, lumen::log::LogFiles::from_environment(env));
//   lumen::log::Logger logger(options, sinks);
//   logger.info("AI request completed", {{"model", "gemini"}, {"tokens", 812}});
//   auto req = logger.child({{"request_id", "r-42"}});
//   req.warn("slow upstream", {{"ms", 930.5}});
//   logger.flush(std::chrono::seconds(1));
//   LUMEN_LOG_DEBUG(logger, "cache lookup", {{"key", key}});   // fields built only if enabled
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lumen/core/clock.hpp"
#include "lumen/core/environment.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/log/field.hpp"
#include "lumen/log/level.hpp"
#include "lumen/log/sink.hpp"

namespace lumen::log {

enum class OverflowPolicy : std::uint8_t {
  kBlock,  // the caller waits for room (up to block_timeout): nothing is lost while the writer
           // lives
  kDrop,   // the record is dropped and counted; a warning line reports the count periodically
};

enum class TraceKeys : std::uint8_t {
  kCamelCase,  // "traceId" / "spanId" (the original design)
  kSnakeCase,  // "trace_id" / "span_id" (OpenTelemetry)
};

struct LoggerOptions {
  Level level = Level::kInfo;
  bool asynchronous = true;  // false: format and write on the caller's thread, under a lock
  std::size_t queue_capacity = 8192;
  OverflowPolicy overflow = OverflowPolicy::kBlock;
  // The longest a caller waits for room under the block policy. A writer stuck on a sink (a hung
  // NFS mount, a blocked pipe) must not stop the application: past it the record is dropped and
  // counted in LoggerStats::dropped, like the drop policy's.
  std::chrono::milliseconds block_timeout{5000};
  TraceKeys trace_keys = TraceKeys::kCamelCase;
  // Empty: lumen::default_service_name() (OTEL_SERVICE_NAME, ..., "unknown_service:<program>").
  std::string service;
  std::string environment = "development";
  // Keys whose values become "[REDACTED]" at any depth (compared case-insensitively).
  std::vector<std::string> redact_keys = {"authorization", "password", "api_key", "token",
                                          "secret"};
  // Rate limiting of identical (level, message) pairs: at most rate_limit_burst per
  // rate_limit_window; 0 disables it. The suppressed count is logged when the window ends.
  std::uint32_t rate_limit_burst = 0;
  std::chrono::milliseconds rate_limit_window{1000};
  // How often at most the writer reports dropped records with a warning line.
  std::chrono::milliseconds drop_report_interval{10000};
  // The destructor's flush deadline.
  std::chrono::milliseconds shutdown_timeout{3000};
  const Clock* clock = nullptr;  // SystemClock when null

  // LOG_LEVEL (default info; lumen::Error on an unknown value), service and environment from the
  // resource's service.name and deployment.environment.
  static LoggerOptions from_environment(const Environment& env, const Resource& resource);
};

struct LoggerStats {
  std::uint64_t written = 0;      // records handed to the sinks
  std::uint64_t dropped = 0;      // dropped by the drop policy, or after block_timeout
  std::uint64_t suppressed = 0;   // records suppressed by rate limiting
  std::uint64_t sink_errors = 0;  // failed sink writes or flushes
  std::uint64_t lost = 0;         // records that did not reach a sink's destination (Sink::lost)
};

namespace detail {
class LoggerCore;
}

class Logger {
 public:
  // A duration from the call, not a lumen::Deadline (a point in time): the name says which.
  using Timeout = std::chrono::milliseconds;

  // Throws lumen::Error if the options cannot be used (queue_capacity 0).
  Logger(LoggerOptions options, std::vector<std::shared_ptr<Sink>> sinks);
  Logger(const Logger&) = default;
  Logger& operator=(const Logger&) = default;
  Logger(Logger&&) noexcept = default;
  Logger& operator=(Logger&&) noexcept = default;
  ~Logger() = default;

  // One relaxed load and a compare: what a filtered record costs.
  [[nodiscard]] bool enabled(Level level) const noexcept {
    return static_cast<std::uint8_t>(level) >= level_->load(std::memory_order_relaxed);
  }
  void set_level(Level level) noexcept {
    level_->store(static_cast<std::uint8_t>(level), std::memory_order_relaxed);
  }

  void log(Level level, std::string_view message, std::initializer_list<Field> fields = {}) {
    if (enabled(level)) submit(level, message, fields.begin(), fields.size());
  }
  // For a field list built at run time.
  void log(Level level, std::string_view message, const Field* fields, std::size_t count) {
    if (enabled(level)) submit(level, message, fields, count);
  }
  void trace(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kTrace, m, f); }
  void debug(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kDebug, m, f); }
  void info(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kInfo, m, f); }
  void warn(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kWarn, m, f); }
  void error(std::string_view m, std::initializer_list<Field> f = {}) { log(Level::kError, m, f); }
  // Also flushes (up to one second), since a fatal record usually precedes the process's end.
  void fatal(std::string_view m, std::initializer_list<Field> f = {});

  // A logger sharing this one's queue and sinks whose records all carry `fields`.
  [[nodiscard]] Logger child(std::initializer_list<Field> fields) const;

  // Waits until everything logged before the call is written and the sinks flushed, or the
  // timeout passes. false on timeout.
  bool flush(Timeout timeout = Timeout(3000));
  // Flushes with the timeout and stops the writer; later records are dropped silently.
  // Called by the last handle's destructor with options.shutdown_timeout.
  bool shutdown(Timeout timeout = Timeout(3000));

  // Has the writer reopen the sinks' files (Sink::reopen) before it next writes them out, as
  // logrotate expects on SIGHUP. Async-signal-safe (it sets an atomic flag), so an application's
  // own SIGHUP handler may call it, on a Logger that outlives the handler's installation.
  void reopen() noexcept;

  [[nodiscard]] LoggerStats stats() const noexcept;

 private:
  void submit(Level level, std::string_view message, const Field* fields, std::size_t count);

  std::shared_ptr<detail::LoggerCore> core_;
  std::atomic<std::uint8_t>* level_ = nullptr;  // inside *core_
  std::shared_ptr<const std::string> bound_;    // child()'s fields, encoded as a record's
};

// Where the production log files go and how they rotate (LOG_DIR, LOG_MAX_BYTES, LOG_MAX_FILES).
struct LogFiles {
  std::string dir = "logs";
  std::uint64_t max_bytes = std::uint64_t{10} * 1024 * 1024;
  std::uint32_t max_files = 5;

  static LogFiles from_environment(const Environment& env);
};

// The design's default sinks: the console (human format on a terminal outside production, JSON
// otherwise; left out when `console` is false) and, in production, files.dir/error.log (error and
// above) and files.dir/combined.log, rotated at files.max_bytes keeping files.max_files each.
[[nodiscard]] std::vector<std::shared_ptr<Sink>> default_sinks(const LoggerOptions& options,
                                                               const LogFiles& files,
                                                               bool console = true);

}  // namespace lumen::log

// The level check before the fields are even built: a filtered record then costs one relaxed load
// and a compare. (A method call builds its field list first; the compiler does not sink those
// stores past the check.)
#define LUMEN_LOG_AT(logger, level, ...)                             \
  do {                                                               \
    if ((logger).enabled(level)) (logger).log((level), __VA_ARGS__); \
  } while (false)
#define LUMEN_LOG_TRACE(logger, ...) LUMEN_LOG_AT(logger, ::lumen::log::Level::kTrace, __VA_ARGS__)
#define LUMEN_LOG_DEBUG(logger, ...) LUMEN_LOG_AT(logger, ::lumen::log::Level::kDebug, __VA_ARGS__)
#define LUMEN_LOG_INFO(logger, ...) LUMEN_LOG_AT(logger, ::lumen::log::Level::kInfo, __VA_ARGS__)
#define LUMEN_LOG_WARN(logger, ...) LUMEN_LOG_AT(logger, ::lumen::log::Level::kWarn, __VA_ARGS__)
#define LUMEN_LOG_ERROR(logger, ...) LUMEN_LOG_AT(logger, ::lumen::log::Level::kError, __VA_ARGS__)
