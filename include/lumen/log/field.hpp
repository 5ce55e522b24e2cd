// Structured fields: a key and a value (string, integer, floating, bool, null, nested object or
// array). Fields are views: they borrow the strings and lists they are built from, which must live
// until the logging call returns (the logger copies what it keeps).
//
// Objects and arrays nest at most kMaxValueDepth levels (a field's value is level 1): a deeper
// object or array is logged as the string kTooDeepMarker in its place, so that no value, however
// deep, can exhaust the stack of the logging thread or of the logger's writer.
//
// A record's own field (or a child logger's bound one) never shadows a key the logger writes
// itself (kReservedKeys): such a key is written with the prefix "field.", as is a key that is
// already "field." + a reserved key, so {"level", "fatal"} appears as "field.level":"fatal" next
// to the real "level", and "field.level" as "field.field.level". No line has a key twice because
// of it. Keys inside nested objects are not reserved.
//
//   logger.info("upload stored", {{"bytes", 4096}, {"ratio", 0.42}, {"cached", false},
//                                 {"owner", nullptr},
//                                 {"image", lumen::log::Object{{"w", 640}, {"h", 480}}},
//                                 {"tags", lumen::log::Array{"jpeg", "thumb"}}});
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

namespace lumen::log {

struct Field;
class Value;

inline constexpr std::size_t kMaxValueDepth = 64;
inline constexpr std::string_view kTooDeepMarker = "[too deep]";
inline constexpr std::string_view kReservedKeys[] = {"timestamp", "level",       "message",
                                                     "service",   "environment", "traceId",
                                                     "spanId",    "trace_id",    "span_id"};
inline constexpr std::string_view kReservedKeyPrefix = "field.";

// Object and Array are views used inside one logging call's full-expression, where the braced
// list's array is still alive; GCC cannot know that and warns. (clang has no such warning, and
// warns about the unknown name.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
// A nested object: `Object{{"k", 1}, {"j", "x"}}`, or a view of `count` fields at `data`.
struct Object {
  Object(std::initializer_list<Field> list) noexcept : data(list.begin()), size(list.size()) {}
  Object(const Field* fields, std::size_t count) noexcept : data(fields), size(count) {}
  const Field* data;
  std::size_t size;
};
// A nested array: `Array{1, "two", 3.0}`, or a view of `count` values at `data`.
struct Array {
  Array(std::initializer_list<Value> list) noexcept : data(list.begin()), size(list.size()) {}
  Array(const Value* values, std::size_t count) noexcept : data(values), size(count) {}
  const Value* data;
  std::size_t size;
};
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

class Value {
 public:
  enum class Kind : std::uint8_t { kNull, kBool, kInt, kUint, kDouble, kString, kObject, kArray };

  Value(std::nullptr_t) noexcept : kind_(Kind::kNull) {}     // NOLINT: implicit on purpose
  Value(bool b) noexcept : kind_(Kind::kBool) { u_.b = b; }  // NOLINT
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                             !std::is_same_v<T, char>,
                                         int> = 0>
  Value(T v) noexcept {  // NOLINT
    if constexpr (std::is_signed_v<T>) {
      kind_ = Kind::kInt;
      u_.i = static_cast<std::int64_t>(v);
    } else {
      kind_ = Kind::kUint;
      u_.u = static_cast<std::uint64_t>(v);
    }
  }
  template <typename T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
  Value(T v) noexcept : kind_(Kind::kDouble) {  // NOLINT
    u_.d = static_cast<double>(v);
  }
  Value(std::string_view s) noexcept : kind_(Kind::kString), str_(s) {}      // NOLINT
  Value(const char* s) noexcept : kind_(Kind::kString), str_(s ? s : "") {}  // NOLINT
  Value(const std::string& s) noexcept : kind_(Kind::kString), str_(s) {}    // NOLINT
  Value(const Object& o) noexcept : kind_(Kind::kObject) {                   // NOLINT
    u_.list = o.data;
    size_ = o.size;
  }
  Value(const Array& a) noexcept : kind_(Kind::kArray) {  // NOLINT
    u_.list = a.data;
    size_ = a.size;
  }

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool as_bool() const noexcept { return u_.b; }
  [[nodiscard]] std::int64_t as_int() const noexcept { return u_.i; }
  [[nodiscard]] std::uint64_t as_uint() const noexcept { return u_.u; }
  [[nodiscard]] double as_double() const noexcept { return u_.d; }
  [[nodiscard]] std::string_view as_string() const noexcept { return str_; }
  [[nodiscard]] const Field* object_begin() const noexcept {
    return static_cast<const Field*>(u_.list);
  }
  [[nodiscard]] const Value* array_begin() const noexcept {
    return static_cast<const Value*>(u_.list);
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }

 private:
  Kind kind_;
  union {
    bool b;
    std::int64_t i;
    std::uint64_t u;
    double d;
    const void* list;
  } u_{};
  std::string_view str_;
  std::size_t size_ = 0;
};

struct Field {
  std::string_view key;
  Value value;
};

}  // namespace lumen::log
