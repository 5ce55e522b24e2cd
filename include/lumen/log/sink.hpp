// Sink: where formatted log lines go. The logger's writer thread (or, in synchronous mode, the
// logging thread under the logger's lock) calls a sink; a sink is never called concurrently.
//
//   class VectorSink : public lumen::log::Sink {
//    public:
//     bool write(const lumen::log::FormattedRecord& r) override {
//       lines.emplace_back(r.json);
//       return true;
//     }
//     std::vector<std::string> lines;
//   };
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lumen/core/attributes.hpp"
#include "lumen/core/ids.hpp"
#include "lumen/log/level.hpp"

namespace lumen::log {

// The record as typed data, for sinks that re-encode records rather than write lines (OTLP).
struct RecordData {
  std::string_view message;  // as logged: not escaped
  // The span that was current when the record was logged; invalid (all zero) ids when none was.
  TraceId trace_id;
  SpanId span_id;
  std::uint8_t trace_flags = 0;
  // A child logger's bound fields, then the record's own; a later key replaces an earlier one.
  // Keys are as given (no "field." prefix); the configured keys' values are "[REDACTED]";
  // unsigned integers above INT64_MAX are decimal strings, and objects, arrays and nulls are
  // their JSON text.
  Attributes attributes;
};

struct FormattedRecord {
  Level level;
  std::uint64_t wall_ns;     // Unix epoch nanoseconds
  std::string_view message;  // the message's JSON string body (escaped, without quotes)
  std::string_view json;     // one complete JSON object, without the trailing newline
  std::string_view fields;   // the JSON object's members after "message" (for human formats)
  // Set when some sink of the logger wants_data(), null otherwise.
  const RecordData* data = nullptr;
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Buffers or writes one record. false means the record could not be written (the logger counts
  // it and reports the sink's first failure once); a sink never throws.
  virtual bool write(const FormattedRecord& record) = 0;
  // Pushes buffered output to its destination; called after each batch and on flush().
  virtual bool flush() { return true; }
  // Records given to write() that never reached the destination since the sink was made: refused
  // by write(), or accepted and then lost by a failed flush(). nullopt (the default) means the sink
  // does not count them; the logger then counts each write() that returned false as one record.
  // Called on the same thread as write().
  [[nodiscard]] virtual std::optional<std::uint64_t> lost() const { return std::nullopt; }
  // Asks the sink to reopen its destination before it next writes (logrotate moved the file).
  virtual void reopen() {}
  // Why the last write or flush failed, for the one-time report.
  [[nodiscard]] virtual std::string last_error() const { return {}; }
  [[nodiscard]] virtual std::string name() const { return "sink"; }
  // true: the logger decodes each record's fields into FormattedRecord::data for this sink (a
  // cost the writer pays only when one of its sinks asks).
  [[nodiscard]] virtual bool wants_data() const { return false; }
};

}  // namespace lumen::log
