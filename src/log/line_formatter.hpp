// One log record as one JSON line: timestamp, level, message, service and environment, the active
// trace and span ids, a child logger's bound fields, then the record's own fields, with the
// configured keys redacted. Used by the writer thread only (or under the synchronous mode's mutex).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "log/iso8601.hpp"
#include "log/json_writer.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/log/sink.hpp"

namespace lumen::log::detail {

class Reader;
struct Slot;

class LineFormatter {
 public:
  explicit LineFormatter(const LoggerOptions& options);

  // The line for a record whose message was already read from `reader`; `slot` carries the span
  // ids and bound fields (nullptr for the logger's own lines). The result views a buffer inside the
  // formatter, valid until the next call.
  FormattedRecord format(Level level, std::uint64_t wall_ns, std::string_view message,
                         const Slot* slot, Reader& reader);

  [[nodiscard]] const Redactor& redactor() const noexcept { return redactor_; }

 private:
  Redactor redactor_;
  std::string service_members_;  // ,"service":...,"environment":...
  std::string_view trace_key_;
  std::string_view span_key_;
  LineBuffer line_;
  Iso8601Cache timestamp_;
};

}  // namespace lumen::log::detail
