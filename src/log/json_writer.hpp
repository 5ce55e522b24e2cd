// JSON text for log lines: RFC 8259 string escaping with UTF-8 repair, numbers, and decoding a
// binary record's fields into JSON members with redaction.
//
// The writer thread formats into a LineBuffer: each piece reserves its worst case once and writes
// through a raw pointer, instead of a capacity check per character as std::string appends do.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "log/redactor.hpp"
#include "lumen/log/field.hpp"
#include "lumen/log/level.hpp"

namespace lumen::log::detail {

class Reader;

// A growable byte buffer for one line (or a few); not thread-safe.
class LineBuffer {
 public:
  // A pointer with room for at least n more bytes; commit() says how far it was written.
  char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_.get() + size_;
  }
  void commit(char* end) noexcept { size_ = static_cast<std::size_t>(end - data_.get()); }
  void append(std::string_view s) {
    char* p = reserve(s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    size_ += s.size();
  }
  void push_back(char c) {
    *reserve(1) = c;
    ++size_;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::string_view view() const noexcept { return {data_.get(), size_}; }
  void clear() noexcept { size_ = 0; }

 private:
  void grow(std::size_t n);

  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// The most bytes write_json_string() writes for an input of n bytes (every byte as \u00XX).
constexpr std::size_t json_string_max(std::size_t n) noexcept {
  return 6 * n + 2;
}
// Writes `s` as a quoted JSON string at p (room for json_string_max(s.size()) bytes): '"', '\\'
// and control characters escaped, invalid UTF-8 sequences replaced by U+FFFD, so any input yields
// valid JSON on one line. Returns the end.
char* write_json_string(char* p, std::string_view s) noexcept;
void append_json_string(std::string& out, std::string_view s);
void append_json_string(LineBuffer& out, std::string_view s);
// "INFO", "WARN" ...
std::string_view level_name_upper(Level level) noexcept;
// Appends `s` with invalid UTF-8 replaced by U+FFFD and control characters other than tab shown
// as '?', for human-readable output.
void append_sanitized(std::string& out, std::string_view s);
// A form that reads back as the same double (the shortest, or for up to three decimals plain
// fixed notation); NaN and infinities become null (JSON has no such numbers). Up to 32 bytes.
char* write_double(char* p, double d) noexcept;
void append_double(std::string& out, double d);

// Decodes fields until the reader is done, appending ",\"key\":value" for each.
void append_fields(LineBuffer& out, Reader& reader, const Redactor& redactor);
// The same for fields given directly.
void append_fields(std::string& out, const Field* fields, std::size_t count,
                   const Redactor& redactor);
// Decodes one field's value (the reader is at its kind byte) and appends its JSON.
void append_value(std::string& out, Reader& reader, const Redactor& redactor);

}  // namespace lumen::log::detail
