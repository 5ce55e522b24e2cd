#include "lumen/core/baggage.hpp"

#include <algorithm>

namespace lumen {

Baggage::Baggage(std::vector<Entry> entries) {
  // Keeps each key's last entry, at that entry's position: the order a chain of with() gives.
  entries_.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const bool replaced_later =
        std::any_of(entries.begin() + static_cast<std::ptrdiff_t>(i) + 1, entries.end(),
                    [&](const Entry& later) { return later.key == entries[i].key; });
    if (!replaced_later) entries_.push_back(std::move(entries[i]));
  }
}

Baggage Baggage::with(std::string_view key, std::string_view value,
                      std::string_view metadata) const {
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
  auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key; });
  if (it == entries_.end()) return std::nullopt;
  return it->value;
}

}  // namespace lumen
