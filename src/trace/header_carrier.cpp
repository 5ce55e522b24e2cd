// Case-insensitive header lookups for the standard containers that HeaderGetter/HeaderSetter adapt.
#include <algorithm>

#include "lumen/trace/propagation.hpp"

namespace lumen::propagation::detail {
namespace {

char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a == b) return true;  // the usual case: names already in the case we ask for
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// The exact key is looked up first: headers are usually stored in the case we ask for.
template <typename Map>
std::optional<std::string_view> find_in_map(const Map& headers, std::string_view key) noexcept {
  try {
    if (auto it = headers.find(std::string(key)); it != headers.end()) return it->second;
  } catch (...) {
    // Building the lookup key failed (out of memory): fall through to the scan, which allocates nothing.
  }
  for (const auto& [name, value] : headers) {
    if (iequals(name, key)) return value;
  }
  return std::nullopt;
}

template <typename Map>
void set_in_map(Map& headers, std::string_view key, std::string_view value) {
  for (auto it = headers.begin(); it != headers.end();) {
    if (it->first != key && iequals(it->first, key)) {
      it = headers.erase(it);
    } else {
      ++it;
    }
  }
  headers.insert_or_assign(std::string(key), std::string(value));
}

}  // namespace

std::optional<std::string_view> find_header(const std::map<std::string, std::string>& headers,
                                            std::string_view key) noexcept {
  return find_in_map(headers, key);
}

std::optional<std::string_view> find_header(
    const std::unordered_map<std::string, std::string>& headers, std::string_view key) noexcept {
  return find_in_map(headers, key);
}

std::optional<std::string_view> find_header(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view key) noexcept {
  for (const auto& [name, value] : headers) {
    if (iequals(name, key)) return value;
  }
  return std::nullopt;
}

void set_header(std::map<std::string, std::string>& headers, std::string_view key,
                std::string_view value) {
  set_in_map(headers, key, value);
}

void set_header(std::unordered_map<std::string, std::string>& headers, std::string_view key,
                std::string_view value) {
  set_in_map(headers, key, value);
}

// The first header of that name is overwritten in place (order matters to some servers); any
// later duplicates are removed so that the carrier holds one value.
void set_header(std::vector<std::pair<std::string, std::string>>& headers, std::string_view key,
                std::string_view value) {
  auto first = std::find_if(headers.begin(), headers.end(),
                            [&](const auto& h) { return iequals(h.first, key); });
  if (first == headers.end()) {
    headers.emplace_back(std::string(key), std::string(value));
    return;
  }
  first->first.assign(key);
  first->second.assign(value);
  headers.erase(std::remove_if(std::next(first), headers.end(),
                               [&](const auto& h) { return iequals(h.first, key); }),
                headers.end());
}

}  // namespace lumen::propagation::detail
