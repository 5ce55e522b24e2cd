// Attribute values as the OpenTelemetry data model defines them: string, bool, int64, double, and
// homogeneous arrays of these; and the key/value list that spans, events, links and resources
// carry.
//
//   lumen::Attributes attrs{{"ai.model", "gemini-2.0-flash"}, {"ai.tokens", 812}, {"cache.hit",
//   false}}; attrs.set("user.tier", "pro");           // replaces an existing key, else appends
//   const lumen::AttributeValue* v = attrs.find("ai.tokens");
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "lumen/core/internal/short_bytes.hpp"

namespace lumen {

using AttributeValue =
    std::variant<std::string, bool, std::int64_t, double, std::vector<std::string>,
                 std::vector<bool>, std::vector<std::int64_t>, std::vector<double>>;

// Builds an AttributeValue without the surprises of implicit conversion (a `const char*` becoming a
// bool, an `int` being ambiguous).
inline AttributeValue to_attribute_value(std::string_view v) {
  return std::string(v);
}
inline AttributeValue to_attribute_value(const char* v) {
  return std::string(v);
}
inline AttributeValue to_attribute_value(std::string v) {
  return v;
}
inline AttributeValue to_attribute_value(bool v) {
  return v;
}
template <std::integral T>
requires(!std::same_as<T, bool>) AttributeValue to_attribute_value(T v) {
  return static_cast<std::int64_t>(v);
}
template <std::floating_point T>
AttributeValue to_attribute_value(T v) {
  return static_cast<double>(v);
}
inline AttributeValue to_attribute_value(std::vector<std::string> v) {
  return v;
}
inline AttributeValue to_attribute_value(std::vector<bool> v) {
  return v;
}
inline AttributeValue to_attribute_value(std::vector<std::int64_t> v) {
  return v;
}
inline AttributeValue to_attribute_value(std::vector<double> v) {
  return v;
}
inline AttributeValue to_attribute_value(AttributeValue v) {
  return v;
}

namespace detail {
// assign_string's rare case: `target` holds no string yet.
void replace_with_string(AttributeValue& target, std::string_view value);
}  // namespace detail

// Makes `target` the string `value`, reusing the storage of a string it already holds (and not
// copying at all when it already holds this value): for recycled attribute lists. Inline, like the
// lookups below: a span's attribute is set through them on the hot path.
inline void assign_string(AttributeValue& target, std::string_view value) {
  if (auto* s = std::get_if<std::string>(&target)) {
    // A recycled entry often held this very value (a model name, a tier): then nothing is copied.
    if (!detail::same_bytes(*s, value)) s->assign(value);  // keeps the recycled capacity
  } else {
    detail::replace_with_string(target, value);
  }
}

struct Attribute {
  Attribute() = default;
  template <typename V>
  Attribute(std::string k, V&& v)
      : key(std::move(k)), value(to_attribute_value(std::forward<V>(v))) {}
  std::string key;
  AttributeValue value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// An ordered list of attributes with unique keys. Small by design: lookups are linear, which beats
// hashing for the handful of attributes a span carries. clear() keeps the storage of the cleared
// entries (strings included) so that a recycled list fills again without allocating.
class Attributes {
 public:
  Attributes() = default;
  Attributes(std::initializer_list<Attribute> list) {
    for (const auto& a : list) set(a.key, a.value);
  }
  Attributes(const Attributes& other) : items_(other.begin(), other.end()), size_(other.size_) {}
  Attributes& operator=(const Attributes& other) {
    if (this != &other) {
      items_.assign(other.begin(), other.end());
      size_ = other.size_;
    }
    return *this;
  }
  Attributes(Attributes&& other) noexcept
      : items_(std::move(other.items_)), size_(std::exchange(other.size_, 0)) {}
  Attributes& operator=(Attributes&& other) noexcept {
    items_ = std::move(other.items_);
    size_ = std::exchange(other.size_, 0);
    return *this;
  }

  // Replaces the value of an existing key or appends.
  void set(std::string_view key, AttributeValue value);
  // The same for a string value, reusing the storage of a recycled entry.
  void set_string(std::string_view key, std::string_view value);
  [[nodiscard]] const AttributeValue* find(std::string_view key) const noexcept;
  [[nodiscard]] bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  // A recycled list has its room already: checked here, without a call into std::vector.
  void reserve(std::size_t n) {
    if (n > items_.capacity()) items_.reserve(n);
  }
  void clear() noexcept { size_ = 0; }
  using const_iterator = std::vector<Attribute>::const_iterator;
  [[nodiscard]] const_iterator begin() const noexcept { return items_.cbegin(); }
  [[nodiscard]] const_iterator end() const noexcept {
    return items_.cbegin() + static_cast<std::ptrdiff_t>(size_);
  }
  [[nodiscard]] const Attribute& operator[](std::size_t i) const noexcept { return items_[i]; }
  // Where the entries live, kept storage included (null before the first entry): for prefetching.
  [[nodiscard]] const void* storage() const noexcept { return items_.data(); }
  Attribute* find_mutable(std::string_view key) noexcept {
    for (std::size_t i = 0; i < size_; ++i) {
      if (detail::same_bytes(items_[i].key, key)) return &items_[i];
    }
    return nullptr;
  }
  // Appends without checking for an existing key: for callers that already checked.
  void append_unchecked(std::string_view key, AttributeValue value) {
    next_slot(key).value = std::move(value);
  }
  void append_string_unchecked(std::string_view key, std::string_view value) {
    assign_string(next_slot(key).value, value);
  }
  // Scalars (bool, std::int64_t, double) go straight into the slot, without an AttributeValue
  // temporary: the common case on hot paths.
  template <typename T>
  requires(std::same_as<T, bool> || std::same_as<T, std::int64_t> ||
           std::same_as<T, double>) void append_scalar_unchecked(std::string_view key, T value) {
    next_slot(key).value = value;
  }

  // Out of line: comparing whole sets is off the hot paths, and <algorithm> is not worth a place in
  // every file that includes the tracer.
  friend bool operator==(const Attributes& a, const Attributes& b);

 private:
  // The next entry with its key set: a recycled one when available, else a new one. The growth is
  // out of line, so that refilling a recycled list, the usual case, needs no registers saved.
  Attribute& next_slot(std::string_view key) {
    Attribute& slot = size_ < items_.size() ? items_[size_++] : new_slot();
    // A recycled list is usually refilled by the same code with the same keys in the same order:
    // comparing is cheaper than copying, and leaves the cache line clean.
    if (!detail::same_bytes(slot.key, key)) slot.key.assign(key);
    return slot;
  }

  Attribute& new_slot();  // appends an empty entry and counts it live

  std::vector<Attribute> items_;  // [0, size_) live; the rest are recycled storage
  std::size_t size_ = 0;
};

// Human-readable rendering ("x", 3, true, [1,2]) for console output and error messages.
std::string to_string(const AttributeValue& value);

}  // namespace lumen
