// The compact binary record that crosses from the logging thread to the writer. The caller only
// copies bytes into it (no formatting); the writer decodes it into JSON.
//
// Layout of `data`: message as (u32 length, bytes), then fields until the end, each as
// (u32 key length, key bytes, value). A value is a Kind byte and its payload: nothing for null, one
// byte for bool, 8 bytes for int/uint/double, (u32 length, bytes) for a string, (u32 count, fields)
// for an object, (u32 count, values) for an array.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "lumen/core/ids.hpp"
#include "lumen/log/field.hpp"
#include "lumen/log/level.hpp"

namespace lumen::log::detail {

struct Record {
  enum class Type : std::uint8_t { kLog, kFlushMarker };
  Type type = Type::kLog;
  Level level = Level::kInfo;
  bool has_span = false;
  std::uint64_t wall_ns = 0;
  std::uint64_t marker = 0;  // flush sequence for kFlushMarker
  TraceId trace_id;
  SpanId span_id;
  std::string bound;  // pre-formatted JSON members of a child logger (may be empty)
  std::string data;
};

inline void put_u32(std::string& out, std::size_t n) {
  const auto v = static_cast<std::uint32_t>(n);
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

// Strings longer than 4 GiB are cut: a log line that large is a bug, not data.
inline void put_str(std::string& out, std::string_view s) {
  if (s.size() > std::numeric_limits<std::uint32_t>::max()) {
    s = s.substr(0, std::numeric_limits<std::uint32_t>::max());
  }
  put_u32(out, s.size());
  out.append(s.data(), s.size());
}

inline void put_value(std::string& out, const Value& v);

inline void put_field(std::string& out, const Field& f) {
  put_str(out, f.key);
  put_value(out, f.value);
}

inline void put_value(std::string& out, const Value& v) {
  out.push_back(static_cast<char>(v.kind()));
  switch (v.kind()) {
    case Value::Kind::kNull:
      break;
    case Value::Kind::kBool:
      out.push_back(v.as_bool() ? 1 : 0);
      break;
    case Value::Kind::kInt:
    case Value::Kind::kUint:
    case Value::Kind::kDouble: {
      char b[8];
      std::uint64_t bits = v.as_uint();  // the union's bits, whatever the kind
      if (v.kind() == Value::Kind::kDouble) {
        const double d = v.as_double();
        std::memcpy(&bits, &d, 8);
      }
      std::memcpy(b, &bits, 8);
      out.append(b, 8);
      break;
    }
    case Value::Kind::kString:
      put_str(out, v.as_string());
      break;
    case Value::Kind::kObject:
      put_u32(out, v.size());
      for (std::size_t i = 0; i < v.size(); ++i) put_field(out, v.object_begin()[i]);
      break;
    case Value::Kind::kArray:
      put_u32(out, v.size());
      for (std::size_t i = 0; i < v.size(); ++i) put_value(out, v.array_begin()[i]);
      break;
  }
}

// Reads what put_* wrote; the writer trusts the layout because only put_* produce it.
class Reader {
 public:
  explicit Reader(std::string_view data) noexcept : p_(data.data()), end_(data.data() + data.size()) {}
  [[nodiscard]] bool done() const noexcept { return p_ >= end_; }
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

 private:
  const char* p_;
  const char* end_;
};

}  // namespace lumen::log::detail
