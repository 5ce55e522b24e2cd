#include "lumen/core/attributes.hpp"

#include <algorithm>
#include <charconv>

namespace lumen {

namespace detail {
void replace_with_string(AttributeValue& target, std::string_view value) {
  target = std::string(value);
}
}  // namespace detail

Attribute& Attributes::new_slot() {
  Attribute& slot = items_.emplace_back();
  ++size_;  // after the growth, which may throw
  return slot;
}

void Attributes::set(std::string_view key, AttributeValue value) {
  if (Attribute* existing = find_mutable(key)) {
    existing->value = std::move(value);
    return;
  }
  append_unchecked(key, std::move(value));
}

void Attributes::set_string(std::string_view key, std::string_view value) {
  if (Attribute* existing = find_mutable(key)) {
    assign_string(existing->value, value);
    return;
  }
  append_string_unchecked(key, value);
}

bool operator==(const Attributes& a, const Attributes& b) {
  return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
}

const AttributeValue* Attributes::find(std::string_view key) const noexcept {
  for (auto it = begin(); it != end(); ++it) {
    if (detail::same_bytes(it->key, key)) return &it->value;
  }
  return nullptr;
}

namespace {

void append_scalar(std::string& out, const std::string& v) {
  out += '"' + v + '"';
}
void append_scalar(std::string& out, bool v) {
  out += v ? "true" : "false";
}
void append_scalar(std::string& out, std::int64_t v) {
  out += std::to_string(v);
}
void append_scalar(std::string& out, double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

template <typename T>
void append_array(std::string& out, const std::vector<T>& values) {
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    append_scalar(out, static_cast<T>(values[i]));
  }
  out += ']';
}

}  // namespace

std::string to_string(const AttributeValue& value) {
  std::string out;
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                      std::is_same_v<T, std::vector<bool>> ||
                      std::is_same_v<T, std::vector<std::int64_t>> ||
                      std::is_same_v<T, std::vector<double>>) {
          append_array(out, v);
        } else {
          append_scalar(out, v);
        }
      },
      value);
  return out;
}

}  // namespace lumen
