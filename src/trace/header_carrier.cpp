// Case-insensitive header lookups for the standard containers that HeaderGetter/HeaderSetter adapt.
#include <algorithm>

#include "core/ascii.hpp"
#include "lumen/trace/propagation.hpp"

namespace lumen::propagation::detail {
namespace {

using ascii::iequals;

// The exact key is looked up first: headers are usually stored in the case we ask for.
template <typename Map>
std::optional<std::string_view> find_in_map(const Map& headers, std::string_view key) noexcept {
  try {
    if (auto it = headers.find(std::string(key)); it != headers.end()) return it->second;
  } catch (...) {
    // Building the lookup key failed (out of memory): fall through to the scan, which allocates
    // nothing.
  }
  for (const auto& [name, value] : headers) {
    if (iequals(name, key)) return value;
  }
  return std::nullopt;
}

template <typename Container>
std::vector<std::string_view> find_all(const Container& headers, std::string_view key) {
  std::vector<std::string_view> values;
  for (const auto& [name, value] : headers) {
    if (iequals(name, key)) values.emplace_back(value);
  }
  return values;
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
    const std::vector<std::pair<std::string, std::string>>& headers,
    std::string_view key) noexcept {
  for (const auto& [name, value] : headers) {
    if (iequals(name, key)) return value;
  }
  return std::nullopt;
}

std::vector<std::string_view> find_all_headers(const std::map<std::string, std::string>& headers,
                                               std::string_view key) {
  return find_all(headers, key);
}

std::vector<std::string_view> find_all_headers(
    const std::unordered_map<std::string, std::string>& headers, std::string_view key) {
  return find_all(headers, key);
}

std::vector<std::string_view> find_all_headers(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view key) {
  return find_all(headers, key);
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
