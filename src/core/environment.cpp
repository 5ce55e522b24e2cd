#include "lumen/core/environment.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include "core/sdk_diagnostics.hpp"
#include "lumen/core/error.hpp"

namespace lumen {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string number_text(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

Environment Environment::process() {
  return Environment();
}

Environment Environment::warning_on_invalid() const {
  Environment copy = *this;
  copy.warn_on_invalid_ = true;
  return copy;
}

void Environment::invalid(std::string_view name, std::string_view value, std::string_view expected,
                          std::string_view fallback) const {
  if (warn_on_invalid_) {
    detail::warn_invalid_setting(name, value, expected, "the default " + std::string(fallback));
    return;
  }
  throw Error(std::string(name) + "='" + std::string(value) + "' is not valid: expected " +
              std::string(expected) + ". Fix or unset the variable.");
}

std::optional<std::string> Environment::get(std::string_view name) const {
  if (use_process_) {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  }
  auto it = variables_.find(name);
  if (it == variables_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string Environment::get_or(std::string_view name, std::string_view fallback) const {
  auto v = get(name);
  return v ? *v : std::string(fallback);
}

std::int64_t Environment::integer(std::string_view name, std::int64_t fallback,
                                  std::int64_t min_value) const {
  auto raw = get(name);
  if (!raw) return fallback;
  const std::string v = trim(*raw);
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty()) {
    invalid(name, *raw, "a whole number", std::to_string(fallback));
    return fallback;
  }
  if (out < min_value) {
    invalid(name, *raw, "a whole number >= " + std::to_string(min_value), std::to_string(fallback));
    return fallback;
  }
  return out;
}

std::chrono::milliseconds Environment::duration_ms(std::string_view name,
                                                   std::chrono::milliseconds fallback) const {
  auto raw = get(name);
  if (!raw) return fallback;
  const std::string v = trim(*raw);
  std::int64_t out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty() || out < 0) {
    invalid(name, *raw, "a duration in milliseconds, a whole number >= 0 such as 5000",
            std::to_string(fallback.count()) + " ms");
    return fallback;
  }
  return std::chrono::milliseconds(out);
}

double Environment::number(std::string_view name, double fallback, double min_value,
                           double max_value) const {
  auto raw = get(name);
  if (!raw) return fallback;
  const std::string v = trim(*raw);
  double out = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || ptr != v.data() + v.size() || v.empty() || !(out >= min_value) ||
      !(out <= max_value)) {
    invalid(name, *raw,
            "a number between " + number_text(min_value) + " and " + number_text(max_value),
            number_text(fallback));
    return fallback;
  }
  return out;
}

bool Environment::boolean(std::string_view name, bool fallback) const {
  auto raw = get(name);
  if (!raw) return fallback;
  std::string v = trim(*raw);
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (v == "true") return true;
  if (v == "false") return false;
  invalid(name, *raw, "true or false", fallback ? "true" : "false");
  return fallback;
}

}  // namespace lumen
