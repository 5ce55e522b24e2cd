// LogExporter: sends batches of log records somewhere (OTLP). The log module defines it, as the
// metrics module defines MetricExporter, so that log never depends on export: export implements it
// (exporters::OtlpHttpLogExporter) and a BatchLogSink feeds it from a Logger.
//
// Called by one thread at a time (the BatchLogSink's worker); every call returns by its deadline,
// whatever the network does. Exporters count and report their own failures; they never throw.
//
//   class PrintExporter : public lumen::log::LogExporter {
//     lumen::log::LogExportResult export_logs(const lumen::log::LogBatch& batch,
//                                             lumen::Deadline) noexcept override {
//       for (const auto& r : batch.records) std::puts(r.body.c_str());
//       return lumen::log::LogExportResult::kSuccess;
//     }
//   };
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lumen/core/attributes.hpp"
#include "lumen/core/deadline.hpp"
#include "lumen/core/ids.hpp"
#include "lumen/core/resource.hpp"
#include "lumen/log/level.hpp"

namespace lumen::log {

// One record as the OpenTelemetry log data model carries it.
struct LogRecordData {
  std::uint64_t time_ns = 0;           // when it was logged (Unix epoch nanoseconds)
  std::uint64_t observed_time_ns = 0;  // when the sink took it
  Level level = Level::kInfo;
  std::string body;       // the message
  Attributes attributes;  // the record's fields (RecordData's rules, sink.hpp)
  TraceId trace_id;       // all zero when no span was current
  SpanId span_id;
  std::uint8_t trace_flags = 0;  // W3C trace flags of that span
};

// The records of one export, with what they share: the resource and the instrumentation scope.
struct LogBatch {
  std::span<const LogRecordData> records;
  const Resource* resource = nullptr;  // null: unknown
  std::string_view scope_name;
  std::string_view scope_version;
};

enum class LogExportResult : std::uint8_t { kSuccess, kFailure };

// OpenTelemetry's SeverityNumber for a level: the first number of each range (TRACE 1, DEBUG 5,
// INFO 9, WARN 13, ERROR 17, FATAL 21); 0 (unspecified) for kOff.
[[nodiscard]] constexpr int severity_number(Level level) noexcept {
  return level == Level::kOff ? 0 : 1 + 4 * static_cast<int>(level);
}

class LogExporter {
 public:
  virtual ~LogExporter() = default;
  [[nodiscard]] virtual LogExportResult export_logs(const LogBatch& batch,
                                                    Deadline deadline) noexcept = 0;
  // Stops accepting records and abandons a running export; returns by the deadline.
  virtual void shutdown(Deadline) noexcept {}
};

}  // namespace lumen::log
