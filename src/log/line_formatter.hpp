// One log record as one JSON line: timestamp, level, message, service and environment, the active
// trace and span ids, a child logger's bound fields, then the record's own fields, with the
// configured keys redacted. Used by the writer thread only (or under the synchronous mode's mutex).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "log/iso8601.hpp"
#include "log/json_writer.hpp"
#include "log/padded_text.hpp"
#include "lumen/log/logger.hpp"
#include "lumen/log/sink.hpp"

namespace lumen::log::detail {

class Reader;
struct Slot;

class LineFormatter {
 public:
  explicit LineFormatter(const LoggerOptions& options);

  // The line for a record whose message was already read from `reader`; `slot` carries the span
  // ids and bound fields (nullptr for the logger's own lines). Fills every member of `out` but
  // `data`, with views of a buffer inside the formatter, valid until the next call. Filled in
  // place rather than returned: the caller's copy of a returned record read it back in 16-byte
  // loads over the 8-byte stores that had just written it, which the CPU cannot forward (3 ns a
  // line, 4 % of the writer's time).
  void format(Level level, std::uint64_t wall_ns, std::string_view message, const Slot* slot,
              Reader& reader, FormattedRecord& out);

  [[nodiscard]] const Redactor& redactor() const noexcept { return redactor_; }

 private:
  Redactor redactor_;
  // What follows the timestamp, for each level: ","level":"info","message":
  std::array<PaddedText, static_cast<std::size_t>(Level::kOff) + 1> level_members_;
  PaddedText service_members_;  // ,"service":...,"environment":...
  PaddedText trace_key_;        // ,"trace_id":"
  PaddedText span_key_;         // ","span_id":"
  MemberKeys keys_;
  LineBuffer line_;
  Iso8601Cache timestamp_;
};

}  // namespace lumen::log::detail
