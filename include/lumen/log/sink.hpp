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

#include "lumen/log/level.hpp"

namespace lumen::log {

struct FormattedRecord {
  Level level;
  std::uint64_t wall_ns;     // Unix epoch nanoseconds
  std::string_view message;  // the message's JSON string body (escaped, without quotes)
  std::string_view json;     // one complete JSON object, without the trailing newline
  std::string_view fields;   // the JSON object's members after "message" (for human formats)
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
};

}  // namespace lumen::log
