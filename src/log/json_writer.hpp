// JSON text for log lines: RFC 8259 string escaping with UTF-8 repair, numbers, ISO-8601 times,
// and decoding a binary record's fields into JSON members with redaction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lumen/log/field.hpp"
#include "lumen/log/level.hpp"

namespace lumen::log::detail {

class Reader;

// Appends `s` as a quoted JSON string: '"', '\\' and control characters escaped, invalid UTF-8
// sequences replaced by U+FFFD, so any input yields valid JSON on one line.
void append_json_string(std::string& out, std::string_view s);
// Appends `s` with invalid UTF-8 replaced by U+FFFD and control characters other than tab shown
// as '?', for human-readable output.
// "INFO", "WARN" ...
std::string_view level_name_upper(Level level) noexcept;
void append_sanitized(std::string& out, std::string_view s);
// 2026-11-27T16:32:14.123Z
void append_iso8601(std::string& out, std::uint64_t wall_ns);
// Shortest round-trip form; NaN and infinities become null (JSON has no such numbers).
void append_double(std::string& out, double d);

struct Redactor {
  std::vector<std::string> keys;  // lower-case
  [[nodiscard]] bool matches(std::string_view key) const noexcept;
};

// Decodes fields until the reader is done, appending ",\"key\":value" for each.
void append_fields(std::string& out, Reader& reader, const Redactor& redactor);
// The same for fields given directly (child() pre-formats bound fields with it).
void append_fields(std::string& out, const Field* fields, std::size_t count,
                   const Redactor& redactor);

}  // namespace lumen::log::detail
