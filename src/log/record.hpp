// The compact binary encoding of a record's message and fields, written on the logging thread
// (bytes copied, nothing formatted) and decoded into JSON by the writer.
//
// Layout: message as (u32 length, bytes), then fields until the end, each as (u32 key length, key
// bytes, value). A value is a Kind byte and its payload: nothing for null, one byte for bool, 8
// bytes for int/uint/double, (u32 length, bytes) for a string, (u32 count, fields) for an object,
// (u32 count, values) for an array. The caller sizes the encoding first (encoded_size), then writes
// it with raw stores into room it knows is there.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "lumen/core/internal/short_bytes.hpp"
#include "lumen/log/field.hpp"

namespace lumen::log::detail {

// Strings and lists longer than 4 Gi are cut: a log line that large is a bug, not data.
inline std::size_t clamp_u32(std::size_t n) noexcept {
  return n > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                       : n;
}

// Objects and arrays (lists) are sized and written out of line (record.cpp): most fields are
// scalars and strings, whose path stays small enough to inline into the loop over the fields.
// `level` is how deep a value sits (a field's value is level 1): lists deeper than kMaxValueDepth
// are encoded as kTooDeepMarker, which bounds the recursion whatever the input.
inline bool is_list(Value::Kind kind) noexcept {
  return kind == Value::Kind::kObject || kind == Value::Kind::kArray;
}
std::size_t encoded_list_size(const Value& v, std::size_t level) noexcept;

inline std::size_t encoded_size(const Value& v, std::size_t level) noexcept {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return 1;
    case Value::Kind::kBool:
      return 2;
    case Value::Kind::kInt:
    case Value::Kind::kUint:
    case Value::Kind::kDouble:
      return 9;
    case Value::Kind::kString:
      return 5 + clamp_u32(v.as_string().size());
    case Value::Kind::kObject:
    case Value::Kind::kArray:
      break;
  }
  return encoded_list_size(v, level);
}

inline std::size_t encoded_size(const Field& f, std::size_t level = 1) noexcept {
  return 4 + clamp_u32(f.key.size()) + encoded_size(f.value, level);
}

inline std::size_t encoded_size(std::string_view message, const Field* fields,
                                std::size_t count) noexcept {
  std::size_t n = 4 + clamp_u32(message.size());
  for (std::size_t i = 0; i < count; ++i) n += encoded_size(fields[i]);
  return n;
}

[[gnu::always_inline]] inline char* put_u32(char* p, std::size_t n) noexcept {
  const auto v = static_cast<std::uint32_t>(n);
  std::memcpy(p, &v, 4);
  return p + 4;
}

[[gnu::always_inline]] inline char* put_str(char* p, std::string_view s) noexcept {
  const std::size_t n = clamp_u32(s.size());
  p = put_u32(p, n);
  lumen::detail::copy_bytes(p, s.data(), n);
  return p + n;
}

char* put_list(char* p, const Value& v, std::size_t level) noexcept;

[[gnu::always_inline]] inline char* put_value(char* p, const Value& v, std::size_t level) noexcept {
  if (is_list(v.kind())) return put_list(p, v, level);
  *p++ = static_cast<char>(v.kind());
  switch (v.kind()) {
    case Value::Kind::kNull:
      break;
    case Value::Kind::kBool:
      *p++ = v.as_bool() ? 1 : 0;
      break;
    case Value::Kind::kInt:
    case Value::Kind::kUint: {
      const std::uint64_t bits = v.as_uint();  // the union's bits, whatever the sign
      std::memcpy(p, &bits, 8);
      p += 8;
      break;
    }
    case Value::Kind::kDouble: {
      const double d = v.as_double();
      std::memcpy(p, &d, 8);
      p += 8;
      break;
    }
    case Value::Kind::kString:
      p = put_str(p, v.as_string());
      break;
    case Value::Kind::kObject:
    case Value::Kind::kArray:
      break;
  }
  return p;
}

[[gnu::always_inline]] inline char* put_field(char* p, const Field& f,
                                              std::size_t level = 1) noexcept {
  return put_value(put_str(p, f.key), f.value, level);
}

// Writes the message and fields at p, which has room for encoded_size(message, fields, count).
inline char* put_record(char* p, std::string_view message, const Field* fields,
                        std::size_t count) noexcept {
  p = put_str(p, message);
  for (std::size_t i = 0; i < count; ++i) p = put_field(p, fields[i]);
  return p;
}

// put_record into the room before `limit`, sized as it goes: the end, or null when the record
// does not fit (what was written then counts for nothing). One pass over the fields instead of
// encoded_size's and put_record's two, for the records that fit a slot.
inline char* put_record_within(char* p, const char* limit, std::string_view message,
                               const Field* fields, std::size_t count) noexcept {
  const auto fits = [&](std::size_t n) { return n <= static_cast<std::size_t>(limit - p); };
  if (!fits(4 + message.size())) return nullptr;
  p = put_str(p, message);
  for (std::size_t i = 0; i < count; ++i) {
    const Field& f = fields[i];
    const Value::Kind kind = f.value.kind();
    // A scalar takes at most 9 bytes: its kind and 8 bytes.
    const std::size_t value_size = kind == Value::Kind::kString ? 5 + f.value.as_string().size()
                                   : is_list(kind)              ? encoded_list_size(f.value, 1)
                                                                : 9;
    if (!fits(4 + f.key.size() + value_size)) return nullptr;
    p = put_field(p, f);
  }
  return p;
}

// The encoding of a message and fields in a string, for the writer's own lines.
inline std::string encode(std::string_view message, const Field* fields, std::size_t count) {
  std::string out(encoded_size(message, fields, count), '\0');
  put_record(out.data(), message, fields, count);
  return out;
}

// Reads what put_* wrote; the writer trusts the layout because only put_* produce it.
class Reader {
 public:
  explicit Reader(std::string_view data) noexcept
      : p_(data.data()), end_(data.data() + data.size()) {}
  [[nodiscard]] bool done() const noexcept { return p_ >= end_; }
  [[nodiscard]] std::size_t remaining() const noexcept {
    return p_ < end_ ? static_cast<std::size_t>(end_ - p_) : 0;
  }
  std::uint32_t u32() noexcept {
    std::uint32_t v;
    std::memcpy(&v, p_, 4);
    p_ += 4;
    return v;
  }
  std::uint64_t u64() noexcept {
    std::uint64_t v;
    std::memcpy(&v, p_, 8);
    p_ += 8;
    return v;
  }
  std::uint8_t byte() noexcept { return static_cast<std::uint8_t>(*p_++); }
  std::string_view str() noexcept {
    const std::uint32_t n = u32();
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  // Skips one value (a redacted one); put_* bound its depth.
  void skip_value() noexcept { skip_payload(static_cast<Value::Kind>(byte())); }
  // Skips the rest of a value whose kind byte was read.
  void skip_payload(Value::Kind kind) noexcept {
    switch (kind) {
      case Value::Kind::kNull:
        break;
      case Value::Kind::kBool:
        p_ += 1;
        break;
      case Value::Kind::kInt:
      case Value::Kind::kUint:
      case Value::Kind::kDouble:
        p_ += 8;
        break;
      case Value::Kind::kString:
        (void)str();
        break;
      case Value::Kind::kObject: {
        const std::uint32_t n = u32();
        for (std::uint32_t i = 0; i < n; ++i) {
          (void)str();
          skip_value();
        }
        break;
      }
      case Value::Kind::kArray: {
        const std::uint32_t n = u32();
        for (std::uint32_t i = 0; i < n; ++i) skip_value();
        break;
      }
    }
  }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace lumen::log::detail
