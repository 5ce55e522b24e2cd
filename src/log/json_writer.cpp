#include "log/json_writer.hpp"

#include <charconv>
#include <cstring>
#include <cmath>
#include <ctime>

#include "log/record.hpp"

namespace lumen::log::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";
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

void append_two(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void append_value(std::string& out, Reader& r, const Redactor& redactor);

void append_member(std::string& out, Reader& r, const Redactor& redactor, bool first) {
  if (!first) out.push_back(',');
  const std::string_view key = r.str();
  append_json_string(out, key);
  out.push_back(':');
  if (redactor.matches(key)) {
    std::string discard;  // decode and drop the value, whatever its depth
    append_value(discard, r, Redactor{});
    out.append(kRedacted);
  } else {
    append_value(out, r, redactor);
  }
}

void append_value(std::string& out, Reader& r, const Redactor& redactor) {
  switch (static_cast<Value::Kind>(r.byte())) {
    case Value::Kind::kNull:
      out.append("null");
      break;
    case Value::Kind::kBool:
      out.append(r.byte() != 0 ? "true" : "false");
      break;
    case Value::Kind::kInt: {
      char buf[24];
      const auto res = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(r.u64()));
      out.append(buf, res.ptr);
      break;
    }
    case Value::Kind::kUint: {
      char buf[24];
      const auto res = std::to_chars(buf, buf + sizeof buf, r.u64());
      out.append(buf, res.ptr);
      break;
    }
    case Value::Kind::kDouble: {
      const std::uint64_t bits = r.u64();
      double d;
      std::memcpy(&d, &bits, 8);
      append_double(out, d);
      break;
    }
    case Value::Kind::kString:
      append_json_string(out, r.str());
      break;
    case Value::Kind::kObject: {
      const std::uint32_t n = r.u32();
      out.push_back('{');
      for (std::uint32_t i = 0; i < n; ++i) append_member(out, r, redactor, i == 0);
      out.push_back('}');
      break;
    }
    case Value::Kind::kArray: {
      const std::uint32_t n = r.u32();
      out.push_back('[');
      for (std::uint32_t i = 0; i < n; ++i) {
        if (i != 0) out.push_back(',');
        append_value(out, r, redactor);
      }
      out.push_back(']');
      break;
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  std::size_t i = 0;
  while (i < s.size()) {
    // Copy the longest run that needs no attention in one append.
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) break;
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
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
    ++i;
  }
  out.push_back('"');
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

void append_iso8601(std::string& out, std::uint64_t wall_ns) {
  const auto secs = static_cast<std::time_t>(wall_ns / 1'000'000'000ULL);
  const auto ms = static_cast<std::uint32_t>((wall_ns / 1'000'000ULL) % 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const auto year = static_cast<std::uint32_t>(tm.tm_year + 1900);
  std::to_chars(buf, buf + 4, year);
  out.append(buf, 4);
  out.push_back('-');
  append_two(out, static_cast<std::uint32_t>(tm.tm_mon + 1));
  out.push_back('-');
  append_two(out, static_cast<std::uint32_t>(tm.tm_mday));
  out.push_back('T');
  append_two(out, static_cast<std::uint32_t>(tm.tm_hour));
  out.push_back(':');
  append_two(out, static_cast<std::uint32_t>(tm.tm_min));
  out.push_back(':');
  append_two(out, static_cast<std::uint32_t>(tm.tm_sec));
  out.push_back('.');
  out.push_back(static_cast<char>('0' + ms / 100));
  append_two(out, ms % 100);
  out.push_back('Z');
}

void append_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out.append("null");
    return;
  }
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, res.ptr);
}

std::string_view level_name_upper(Level level) noexcept {
  switch (level) {
    case Level::kTrace: return "TRACE";
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
    case Level::kFatal: return "FATAL";
    default: return "OFF";
  }
}

bool Redactor::matches(std::string_view key) const noexcept {
  for (const auto& k : keys) {
    if (k.size() != key.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size(); ++i) {
      char c = key[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != k[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  return false;
}

void append_fields(std::string& out, Reader& reader, const Redactor& redactor) {
  while (!reader.done()) append_member(out, reader, redactor, false);
}

void append_fields(std::string& out, const Field* fields, std::size_t count,
                   const Redactor& redactor) {
  std::string encoded;
  for (std::size_t i = 0; i < count; ++i) put_field(encoded, fields[i]);
  Reader reader(encoded);
  append_fields(out, reader, redactor);
}

}  // namespace lumen::log::detail
