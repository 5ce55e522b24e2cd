#include "lumen/core/baggage.hpp"

#include <algorithm>

namespace lumen {

Baggage Baggage::with(std::string_view key, std::string_view value, std::string_view metadata) const {
  Baggage copy = without(key);
  copy.entries_.push_back(Entry{std::string(key), std::string(value), std::string(metadata)});
  return copy;
}

Baggage Baggage::without(std::string_view key) const {
  Baggage copy;
  copy.entries_.reserve(entries_.size() + 1);
  for (const auto& e : entries_) {
    if (e.key != key) copy.entries_.push_back(e);
  }
  return copy;
}

std::optional<std::string> Baggage::get(std::string_view key) const {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries_.end()) return std::nullopt;
  return it->value;
}

}  // namespace lumen
