#include "attribute_limits.hpp"

#include "lumen/trace/span_limits.hpp"

namespace lumen::trace::detail {

void truncate_value(AttributeValue& value, std::uint32_t max_length) {
  if (max_length == SpanLimits::kUnlimited) return;
  if (auto* s = std::get_if<std::string>(&value)) {
    if (s->size() > max_length) s->resize(max_length);
  } else if (auto* strings = std::get_if<std::vector<std::string>>(&value)) {
    for (auto& item : *strings) {
      if (item.size() > max_length) item.resize(max_length);
    }
  }
}

void set_limited(Attributes& attributes, std::string_view key, AttributeValue value,
                 std::uint32_t max_count, std::uint32_t max_length, std::uint32_t& dropped) {
  truncate_value(value, max_length);
  if (Attribute* existing = attributes.find_mutable(key)) {
    existing->value = std::move(value);
    return;
  }
  if (attributes.size() >= max_count) {
    ++dropped;
    return;
  }
  attributes.append_unchecked(key, std::move(value));
}

Attributes limit_all(Attributes source, std::uint32_t max_count, std::uint32_t max_length,
                     std::uint32_t& dropped) {
  if (source.size() <= max_count && max_length == SpanLimits::kUnlimited) return source;
  Attributes out;
  for (const auto& a : source) set_limited(out, a.key, a.value, max_count, max_length, dropped);
  return out;
}

}  // namespace lumen::trace::detail
