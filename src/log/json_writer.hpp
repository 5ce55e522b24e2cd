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

#include "log/member_keys.hpp"
#include "log/redactor.hpp"
#include "lumen/core/internal/short_bytes.hpp"
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

// The room write_json_string() needs for an input of n bytes: every byte as \u00XX, the quotes,
// and 7 bytes that a whole-word store of the string's last bytes may write past its end.
constexpr std::size_t json_string_max(std::size_t n) noexcept {
  return 6 * n + 2 + 7;
}
// Writes `s` as a quoted JSON string at p (room for json_string_max(s.size()) bytes): '"', '\\'
// and control characters escaped, invalid UTF-8 sequences replaced by U+FFFD, so any input yields
// valid JSON on one line. Returns the end.
char* write_json_string(char* p, std::string_view s) noexcept;

namespace internal {

// Bytes of an 8-byte word that need attention in a JSON string: below 0x20, '"', '\\', or 0x80
// and above. The lowest flagged byte is exact (higher ones may be false alarms from borrows).
inline std::uint64_t special_bytes(std::uint64_t w) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  const std::uint64_t control = (w - kOnes * 0x20) & ~w;  // a byte below 0x20
  return (control | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | w) & kHigh;
}

// The 1 to 7 bytes at p in a word's low bytes (in memory order), the bytes above them 'a' (a
// letter never needs attention). Read with (possibly overlapping) loads straight from the string:
// copying them into a word with a variable-length memcpy made the next read of the word wait for
// the bytes' stores (a store-forwarding stall, with a call into libc, at the end of every string:
// 40 % of write_json_string's time in a profile of the writer).
inline std::uint64_t padded_tail(const unsigned char* p, std::size_t n) noexcept {
  std::uint64_t w;
  if (n >= 4) {
    w = lumen::detail::load32(p) |
        (static_cast<std::uint64_t>(lumen::detail::load32(p + n - 4)) << (8 * (n - 4)));
  } else {
    w = p[0] | (static_cast<std::uint64_t>(p[n / 2]) << (8 * (n / 2))) |
        (static_cast<std::uint64_t>(p[n - 1]) << (8 * (n - 1)));
  }
  return w | (0x6161616161616161ULL << (8 * n));
}

}  // namespace internal

// write_json_string for the usual field name or value: 1 to 16 bytes, none needing attention,
// written with two word stores and no call; anything else takes the general path.
inline char* write_short_json_string(char* p, std::string_view s) noexcept {
  const std::size_t n = s.size();
  if (n - 1 >= 16) return write_json_string(p, s);  // empty, or longer than 16
  const auto* in = reinterpret_cast<const unsigned char*>(s.data());
  const std::uint64_t lo = n >= 8 ? lumen::detail::load64(in) : internal::padded_tail(in, n);
  std::uint64_t hi = 0x6161616161616161ULL;
  if (n > 8) {
    // Bytes 8 to n-1 from the string's last word, the letters above them.
    hi = (lumen::detail::load64(in + n - 8) >> (8 * (16 - n))) |
         (n == 16 ? 0 : 0x6161616161616161ULL << (8 * (n - 8)));
  }
  if ((internal::special_bytes(lo) | internal::special_bytes(hi)) != 0) {
    return write_json_string(p, s);
  }
  // Room: json_string_max(n) is at least 17 bytes for n > 1, and 15 for n == 1 (9 written).
  *p = '"';
  std::memcpy(p + 1, &lo, 8);
  if (n > 8) std::memcpy(p + 9, &hi, 8);
  p[n + 1] = '"';
  return p + n + 2;
}
// A member's key and its colon: "key": escaped, or "field.key": for a record's own field (level
// 1) named like a line's reserved member (field.hpp). Returns the end.
char* write_member_key(char* p, std::string_view key, std::size_t level) noexcept;
void append_json_string(std::string& out, std::string_view s);
void append_json_string(LineBuffer& out, std::string_view s);
// "INFO", "WARN" ...
std::string_view level_name_upper(Level level) noexcept;
// Appends `s` with invalid UTF-8 replaced by U+FFFD and control characters other than tab shown
// as '?', for human-readable output.
void append_sanitized(std::string& out, std::string_view s);
// The decimal digits of v (a '-' first for a negative value), four a step as two pairs from a
// table: half as long a chain of dependent divisions as std::to_chars' one pair a step. Up to 20
// bytes (21 with the sign).
char* write_decimal(char* p, std::uint64_t v) noexcept;
char* write_decimal(char* p, std::int64_t v) noexcept;
// A form that reads back as the same double (the shortest, or for up to three decimals plain
// fixed notation); NaN and infinities become null (JSON has no such numbers). Up to 32 bytes.
char* write_double(char* p, double d) noexcept;
void append_double(std::string& out, double d);

// The room that decoding `encoded` bytes of fields (record.hpp) into JSON members can need. No
// element's JSON is more than 6 times its encoding: a string or key byte becomes at most 6
// (\u00XX), a null (1 byte) ",null" inside an array, a number (9 bytes) at most 25 with its comma,
// a bool (2) ",false", an empty member (5: key length, kind) `,"":"[REDACTED]"`, an object or array
// (5) its brackets or kTooDeepMarker's 12; and a remembered key's text is copied as one 32-byte
// block (MemberKeys), which may write up to 31 bytes past where the line ends.
constexpr std::size_t json_fields_max(std::size_t encoded) noexcept {
  return 6 * encoded + 40;
}
// Decodes fields until the reader is done, appending ",\"key\":value" for each; `keys` remembers
// the text of the top-level keys from one line to the next, by their place in the line, which
// starts at `first_place`. Returns the place after the last field.
std::size_t append_fields(LineBuffer& out, Reader& reader, const Redactor& redactor,
                          MemberKeys& keys, std::size_t first_place);
// The same for fields given directly.
void append_fields(std::string& out, const Field* fields, std::size_t count,
                   const Redactor& redactor);
// Decodes one field's value (the reader is at its kind byte) and appends its JSON.
void append_value(std::string& out, Reader& reader, const Redactor& redactor);

}  // namespace lumen::log::detail
