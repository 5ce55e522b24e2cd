// BatchLogSink: a log sink that hands records to a LogExporter (OTLP) in batches, on a thread of
// its own, as the OpenTelemetry batching log record processor does.
//
// write() runs on the logger's writer thread and never waits on the exporter: it copies the record
// into a bounded queue, or drops and counts it when the queue is full (a slow or dead collector
// then costs records, never the application's threads or its other sinks). The worker exports when
// a batch is full, when the schedule delay passes, on force_flush and on shutdown; every wait has
// a deadline. The logger must be built with this sink in its list (records reach it as data, see
// Sink::wants_data), and stopped before the sink: shut the Logger down, then this sink, to export
// what the logger wrote last.
// Thread-safety: write() and flush() are the logger's (one thread); the other methods may be
// called from any thread.
//
//   auto exporter = std::make_shared<lumen::exporters::OtlpHttpLogExporter>(
//       lumen::exporters::OtlpHttpLogExporterOptions{.endpoint = "http://localhost:4318/v1/logs"});
//   auto otlp = std::make_shared<lumen::log::BatchLogSink>(
//       exporter, lumen::log::BatchLogSinkOptions{.resource = resource});
//   lumen::log::Logger logger(options, {otlp});
//   logger.info("order placed", {{"order.id", 42}});
//   logger.shutdown(std::chrono::seconds(2));
//   otlp->shutdown(std::chrono::seconds(2));
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lumen/core/clock.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/core/version.hpp"
#include "lumen/log/log_exporter.hpp"
#include "lumen/log/sink.hpp"

namespace lumen::detail {
class BackgroundWorker;
}  // namespace lumen::detail

namespace lumen::log {

struct BatchLogSinkOptions {
  std::size_t max_queue_size = 2048;        // OTEL_BLRP_MAX_QUEUE_SIZE
  std::size_t max_export_batch_size = 512;  // OTEL_BLRP_MAX_EXPORT_BATCH_SIZE
  std::chrono::milliseconds schedule_delay = std::chrono::seconds(1);   // OTEL_BLRP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout = std::chrono::seconds(30);  // OTEL_BLRP_EXPORT_TIMEOUT
  Resource resource;                     // the process's, as for spans
  std::string scope_name = "lumen.log";  // the instrumentation scope of the records
  std::string scope_version = kVersion;
  // The records' observed time, and what the delay, the export deadlines and force_flush's and
  // shutdown's timeouts are measured on; nullptr: the machine's clock. Tests pass a ManualClock
  // and advance it instead of waiting; it must outlive the sink.
  const Clock* clock = nullptr;
};

struct BatchLogSinkStats {
  std::uint64_t queued = 0;         // accepted into the queue
  std::uint64_t dropped = 0;        // queue full, or still queued when shutdown's deadline passed
  std::uint64_t exported = 0;       // in batches the exporter accepted
  std::uint64_t export_failed = 0;  // in batches the exporter rejected
  std::uint64_t batches = 0;        // export calls made
};

class BatchLogSink final : public Sink {
 public:
  // Throws lumen::Error if the options cannot be used (a zero size, a batch larger than the queue).
  explicit BatchLogSink(std::shared_ptr<LogExporter> exporter, BatchLogSinkOptions options = {});
  ~BatchLogSink() override;  // shutdown(5 s) unless shut down already
  BatchLogSink(const BatchLogSink&) = delete;
  BatchLogSink& operator=(const BatchLogSink&) = delete;

  // Queues the record, or drops it (false, counted) when the queue is full or the sink stopped.
  bool write(const FormattedRecord& record) override;
  // Cheap: exports follow the batch size and the schedule delay, not the logger's flushes.
  bool flush() override { return true; }
  [[nodiscard]] std::optional<std::uint64_t> lost() const override;
  [[nodiscard]] std::string last_error() const override;
  [[nodiscard]] std::string name() const override { return "otlp"; }
  [[nodiscard]] bool wants_data() const override { return true; }

  // Exports everything queued before the call; false if the timeout passed first.
  bool force_flush(std::chrono::milliseconds timeout);
  // Exports what is queued within the timeout, then stops the worker and the exporter; what is
  // left is counted as dropped. Once; later records are dropped.
  bool shutdown(std::chrono::milliseconds timeout);

  [[nodiscard]] BatchLogSinkStats stats() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the worker, which may outlive a timed-out shutdown
  std::unique_ptr<lumen::detail::BackgroundWorker> worker_;
};

}  // namespace lumen::log
