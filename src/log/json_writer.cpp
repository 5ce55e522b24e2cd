#include "log/json_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "log/record.hpp"

namespace lumen::log::detail {
namespace {

using internal::padded_tail;
using internal::special_bytes;

constexpr char kHex[] = "0123456789abcdef";

// "00", "01" ... "99": the two digits of each number below 100.
constexpr auto kDigitPairs = [] {
  std::array<char, 200> pairs{};
  for (std::size_t i = 0; i < 100; ++i) {
    pairs[2 * i] = static_cast<char>('0' + i / 10);
    pairs[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return pairs;
}();

// 10^0 to 10^19.
constexpr auto kPowersOfTen = [] {
  std::array<std::uint64_t, 20> powers{};
  std::uint64_t p = 1;
  for (auto& power : powers) {
    power = p;
    p *= 10;
  }
  return powers;
}();

// The two digits of v < 100.
const char* digit_pair(std::uint64_t v) noexcept {
  return &kDigitPairs[2 * static_cast<std::size_t>(v)];
}

// How many decimal digits v >= 10 has: log10(2) ~ 1233 / 4096 estimates it from the bit width,
// one comparison corrects the estimate.
int decimal_digits(std::uint64_t v) noexcept {
  const int bits = 64 - __builtin_clzll(v);
  const int estimate = (bits * 1233) >> 12;
  return estimate + 1 - (v < kPowersOfTen[static_cast<std::size_t>(estimate)] ? 1 : 0);
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
constexpr std::string_view kRedacted = "\"[REDACTED]\"";

// Length of the valid UTF-8 sequence starting at s[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 if it is not valid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + need >= s.size()) return 0;
  for (std::size_t k = 1; k <= need; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    const unsigned char l = k == 1 ? lo : 0x80;
    const unsigned char h = k == 1 ? hi : 0xBF;
    if (b < l || b > h) return 0;
  }
  return need + 1;
}

char* write_value(char* p, Reader& r, const Redactor& redactor, std::size_t level);
char* write_member(char* p, Reader& r, const Redactor& redactor, MemberKeys* keys,
                   std::size_t place, bool first, std::size_t level);

// Whether a record's field named `key` must be renamed (field.hpp): it is a reserved key with
// kReservedKeyPrefix in front zero or more times. Renaming every such key keeps the renamed ones
// apart from the keys a user chose.
constexpr bool reserved_first_letter(char c) noexcept {
  return c == 't' || c == 'l' || c == 'm' || c == 's' || c == 'e' || c == 'f';
}
static_assert(
    [] {
      for (const std::string_view reserved : kReservedKeys) {
        if (!reserved_first_letter(reserved[0])) return false;
      }
      return reserved_first_letter(kReservedKeyPrefix[0]);
    }(),
    "must_rename's first test must let every reserved key and the prefix through");

bool must_rename(std::string_view key) noexcept {
  // One test turns most keys away: no reserved key, nor the prefix, starts with their letter.
  if (key.empty() || !reserved_first_letter(key[0])) return false;
  while (key.starts_with(kReservedKeyPrefix)) key.remove_prefix(kReservedKeyPrefix.size());
  for (const std::string_view reserved : kReservedKeys) {
    if (key == reserved) return true;
  }
  return false;
}

// Members and values write at p, inside room reserved once for the whole encoding (see
// json_fields_max). `level` is the depth of the member's value (1 for a record's own fields, whose
// keys `keys` may remember; it is null below), `place` its place among the line's members.
char* write_member(char* p, Reader& r, const Redactor& redactor, MemberKeys* keys,
                   std::size_t place, bool first, std::size_t level) {
  const std::string_view key = r.str();
  if (!first) *p++ = ',';
  bool redacted;
  if (keys != nullptr) {
    p = keys->write(p, place, key, redactor, redacted);
  } else {
    redacted = redactor.matches(key);
    p = write_member_key(p, key, level);
  }
  if (redacted) {
    r.skip_value();  // whatever its depth
    std::memcpy(p, kRedacted.data(), kRedacted.size());
    return p + kRedacted.size();
  }
  return write_value(p, r, redactor, level);
}

char* write_value(char* p, Reader& r, const Redactor& redactor, std::size_t level) {
  const auto kind = static_cast<Value::Kind>(r.byte());
  if (level > kMaxValueDepth && (kind == Value::Kind::kObject || kind == Value::Kind::kArray)) {
    // The encoder already cuts here; the writer's recursion is bounded on its own all the same.
    r.skip_payload(kind);
    return write_json_string(p, kTooDeepMarker);
  }
  switch (kind) {
    case Value::Kind::kNull:
      // NOLINTNEXTLINE(bugprone-not-null-terminated-result): JSON bytes, no NUL
      std::memcpy(p, "null", 4);
      return p + 4;
    case Value::Kind::kBool: {
      const bool b = r.byte() != 0;
      std::memcpy(p, b ? "true" : "false", b ? 4 : 5);
      return p + (b ? 4 : 5);
    }
    case Value::Kind::kInt:
      return write_decimal(p, static_cast<std::int64_t>(r.u64()));
    case Value::Kind::kUint:
      return write_decimal(p, r.u64());
    case Value::Kind::kDouble: {
      const std::uint64_t bits = r.u64();
      double d;
      std::memcpy(&d, &bits, 8);
      return write_double(p, d);
    }
    case Value::Kind::kString:
      return write_short_json_string(p, r.str());
    case Value::Kind::kObject: {
      const std::uint32_t n = r.u32();
      *p++ = '{';
      for (std::uint32_t i = 0; i < n; ++i) {
        p = write_member(p, r, redactor, nullptr, i, i == 0, level + 1);
      }
      *p++ = '}';
      return p;
    }
    case Value::Kind::kArray: {
      const std::uint32_t n = r.u32();
      *p++ = '[';
      for (std::uint32_t i = 0; i < n; ++i) {
        if (i != 0) *p++ = ',';
        p = write_value(p, r, redactor, level + 1);
      }
      *p++ = ']';
      return p;
    }
  }
  return p;
}

}  // namespace

void LineBuffer::grow(std::size_t n) {
  std::size_t capacity = capacity_ < 256 ? 256 : capacity_ * 2;
  while (capacity - size_ < n) capacity *= 2;
  auto data = std::make_unique<char[]>(capacity);
  if (size_ != 0) std::memcpy(data.get(), data_.get(), size_);
  data_ = std::move(data);
  capacity_ = capacity;
}

char* write_json_string(char* p, std::string_view s) noexcept {
  *p++ = '"';
  const char* in = s.data();
  const std::size_t size = s.size();
  std::size_t i = 0;
  while (i < size) {
    // Eight bytes at a time while none needs attention (the common case: ASCII text).
    while (i + 8 <= size) {
      std::uint64_t w;
      std::memcpy(&w, in + i, 8);
      const std::uint64_t special = special_bytes(w);
      std::memcpy(p, &w, 8);  // room: the output is at most 6x the input, never behind it
      if (special == 0) {
        p += 8;
        i += 8;
        continue;
      }
      const auto clean = static_cast<std::size_t>(__builtin_ctzll(special) / 8);
      p += clean;
      i += clean;
      goto attention;
    }
    if (i == size) break;  // the words covered it all
    {
      // The last bytes, padded with letters (which never need attention) to a whole word, then
      // stored as one word: the room json_string_max() gives covers the bytes past the end.
      const std::size_t rest = size - i;
      std::uint64_t w = padded_tail(reinterpret_cast<const unsigned char*>(in + i), rest);
      const std::uint64_t special = special_bytes(w);
      std::memcpy(p, &w, 8);
      const std::size_t clean =
          special == 0 ? rest : static_cast<std::size_t>(__builtin_ctzll(special) / 8);
      p += clean;
      i += clean;
      if (i >= size) break;
    }
  attention:
    const auto c = static_cast<unsigned char>(in[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) {
        std::memcpy(p, kReplacement.data(), kReplacement.size());
        p += kReplacement.size();
        ++i;
      } else {
        std::memcpy(p, in + i, n);
        p += n;
        i += n;
      }
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
        *p++ = '"';
        break;
      case '\\':
        *p++ = '\\';
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      case '\b':
        *p++ = 'b';
        break;
      case '\f':
        *p++ = 'f';
        break;
      default:
        // NOLINTNEXTLINE(bugprone-not-null-terminated-result): JSON bytes, no NUL
        std::memcpy(p, "u00", 3);
        p[3] = kHex[c >> 4];
        p[4] = kHex[c & 0xF];
        p += 5;
    }
    ++i;
  }
  *p++ = '"';
  return p;
}

char* write_decimal(char* p, std::uint64_t v) noexcept {
  if (v < 10) {
    *p = static_cast<char>('0' + v);
    return p + 1;
  }
  char* const end = p + decimal_digits(v);
  char* q = end;
  // Four digits a step, their two pairs found apart: the chain of dependent multiplications (a
  // division by a constant) is half as long as with one pair a step.
  while (v >= 10000) {
    const auto four = static_cast<std::uint32_t>(v % 10000);
    v /= 10000;
    q -= 4;
    std::memcpy(q, digit_pair(four / 100), 2);
    std::memcpy(q + 2, digit_pair(four % 100), 2);
  }
  auto rest = static_cast<std::uint32_t>(v);  // 1 to 4 digits
  if (rest >= 100) {
    q -= 2;
    std::memcpy(q, digit_pair(rest % 100), 2);
    rest /= 100;
  }
  if (rest >= 10) {
    std::memcpy(q - 2, digit_pair(rest), 2);
  } else {
    q[-1] = static_cast<char>('0' + rest);
  }
  return end;
}

char* write_decimal(char* p, std::int64_t v) noexcept {
  if (v >= 0) return write_decimal(p, static_cast<std::uint64_t>(v));
  *p++ = '-';
  // The magnitude in unsigned arithmetic: -v overflows for the smallest int64.
  return write_decimal(p, std::uint64_t{0} - static_cast<std::uint64_t>(v));
}

namespace {

// m / 1000 in decimal, with as few decimals as it needs (none, and no point, for a multiple of
// 1000).
char* write_thousandths(char* p, std::uint64_t m) noexcept {
  p = write_decimal(p, m / 1000);
  auto fraction = static_cast<std::uint32_t>(m % 1000);
  if (fraction == 0) return p;
  // Constant divisors, each a multiplication.
  *p++ = '.';
  *p++ = static_cast<char>('0' + fraction / 100);
  if (fraction % 100 == 0) return p;
  *p++ = static_cast<char>('0' + fraction / 10 % 10);
  if (fraction % 10 == 0) return p;
  *p++ = static_cast<char>('0' + fraction % 10);
  return p;
}

}  // namespace

char* write_double(char* p, double d) noexcept {
  if (!std::isfinite(d)) {
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): JSON bytes, no NUL
    std::memcpy(p, "null", 4);
    return p + 4;
  }
  // Most logged doubles have a few decimals (durations, ratios, prices), and std::to_chars'
  // shortest-form search costs about 100 ns. If m / 10^k == |d| in double arithmetic, both that
  // division and a parser reading "m.10^-k" round the same exact rational, so the text reads back
  // as d exactly.
  const double a = std::fabs(d);
  if (a >= 1e-3 && a < 1e15) {
    // Up to three decimals in one multiplication, the decimals' trailing zeros dropped.
    const double thousandths = a * 1000.0;
    if (thousandths < 9007199254740992.0) {  // 2^53: integers above are not all exact
      const auto m = static_cast<std::uint64_t>(thousandths);
      if (static_cast<double>(m) == thousandths && static_cast<double>(m) / 1000.0 == a) {
        if (d < 0) *p++ = '-';
        return write_thousandths(p, m);
      }
    }
    // The rest: integers to 10^15, and the few values whose product by 1000 rounded away from
    // an integer while a smaller power of ten's did not.
    constexpr double kScale[] = {1.0, 10.0, 100.0, 1000.0};
    for (std::size_t k = 0; k < 4; ++k) {
      const double m = a * kScale[k];
      if (m >= 9007199254740992.0) break;  // 2^53: integers above are not all exact
      const auto mi = static_cast<std::uint64_t>(m);
      if (static_cast<double>(mi) != m || static_cast<double>(mi) / kScale[k] != a) continue;
      if (d < 0) *p++ = '-';
      const auto scale = static_cast<std::uint64_t>(kScale[k]);
      p = write_decimal(p, mi / scale);
      if (k != 0) {
        *p++ = '.';
        std::uint64_t frac = mi % scale;
        for (std::size_t j = k; j > 0; --j) {
          p[j - 1] = static_cast<char>('0' + frac % 10);
          frac /= 10;
        }
        p += k;
      }
      return p;
    }
  }
  return std::to_chars(p, p + 32, d).ptr;
}

void append_json_string(std::string& out, std::string_view s) {
  const std::size_t start = out.size();
  out.resize(start + json_string_max(s.size()));
  char* end = write_json_string(out.data() + start, s);
  out.resize(static_cast<std::size_t>(end - out.data()));
}

void append_json_string(LineBuffer& out, std::string_view s) {
  out.commit(write_json_string(out.reserve(json_string_max(s.size())), s));
}

void append_sanitized(std::string& out, std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) {
        out.append(kReplacement);
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    out.push_back(c < 0x20 && c != '\t' ? '?' : static_cast<char>(c));
    ++i;
  }
}

void append_double(std::string& out, double d) {
  char buf[32];
  out.append(buf, static_cast<std::size_t>(write_double(buf, d) - buf));
}

std::string_view level_name_upper(Level level) noexcept {
  switch (level) {
    case Level::kTrace:
      return "TRACE";
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarn:
      return "WARN";
    case Level::kError:
      return "ERROR";
    case Level::kFatal:
      return "FATAL";
    default:
      return "OFF";
  }
}

char* write_member_key(char* p, std::string_view key, std::size_t level) noexcept {
  if (level == 1 && must_rename(key)) {
    // Reserved keys and the prefix are plain ASCII: nothing to escape.
    *p++ = '"';
    std::memcpy(p, kReservedKeyPrefix.data(), kReservedKeyPrefix.size());
    p += kReservedKeyPrefix.size();
    std::memcpy(p, key.data(), key.size());
    p += key.size();
    *p++ = '"';
  } else {
    p = write_short_json_string(p, key);
  }
  *p++ = ':';
  return p;
}

std::size_t append_fields(LineBuffer& out, Reader& reader, const Redactor& redactor,
                          MemberKeys& keys, std::size_t first_place) {
  char* p = out.reserve(json_fields_max(reader.remaining()));
  std::size_t place = first_place;
  for (; !reader.done(); ++place) {
    p = write_member(p, reader, redactor, &keys, place, false, 1);
  }
  out.commit(p);
  return place;
}

void append_fields(std::string& out, const Field* fields, std::size_t count,
                   const Redactor& redactor) {
  const std::string encoded = encode({}, fields, count);
  Reader reader(encoded);
  (void)reader.str();  // the empty message
  LineBuffer line;
  MemberKeys keys;
  (void)append_fields(line, reader, redactor, keys, 0);
  out.append(line.view());
}

void append_value(std::string& out, Reader& reader, const Redactor& redactor) {
  Reader past = reader;
  past.skip_value();
  const std::size_t encoded = reader.remaining() - past.remaining();  // this value's bytes only
  LineBuffer line;
  line.commit(write_value(line.reserve(json_fields_max(encoded)), reader, redactor, 1));
  out.append(line.view());
}

}  // namespace lumen::log::detail
