#include "lumen/core/attributes.hpp"

#include "core/short_bytes.hpp"

#include <charconv>

namespace lumen {

void assign_string(AttributeValue& target, std::string_view value) {
  if (auto* s = std::get_if<std::string>(&target)) {
    // A recycled entry often held this very value (a model name, a tier): then nothing is copied.
    if (!detail::same_bytes(*s, value)) s->assign(value);  // keeps the recycled capacity
  } else {
    target = std::string(value);
  }
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

void Attributes::append_string_unchecked(std::string_view key, std::string_view value) {
  assign_string(next_slot(key).value, value);
}

Attribute& Attributes::next_slot(std::string_view key) {
  if (size_ == items_.size()) items_.emplace_back();
  Attribute& slot = items_[size_++];
  // A recycled list is usually refilled by the same code with the same keys in the same order:
  // comparing is cheaper than copying, and leaves the cache line clean.
  if (!detail::same_bytes(slot.key, key)) slot.key.assign(key);
  return slot;
}

const AttributeValue* Attributes::find(std::string_view key) const noexcept {
  for (auto it = begin(); it != end(); ++it) {
    if (detail::same_bytes(it->key, key)) return &it->value;
  }
  return nullptr;
}

Attribute* Attributes::find_mutable(std::string_view key) noexcept {
  for (std::size_t i = 0; i < size_; ++i) {
    if (detail::same_bytes(items_[i].key, key)) return &items_[i];
  }
  return nullptr;
}

namespace {

void append_scalar(std::string& out, const std::string& v) { out += '"' + v + '"'; }
void append_scalar(std::string& out, bool v) { out += v ? "true" : "false"; }
void append_scalar(std::string& out, std::int64_t v) { out += std::to_string(v); }
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
