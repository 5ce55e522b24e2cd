// Baggage: W3C application-defined key/value pairs that travel with the context.
//
//   lumen::Baggage bag = lumen::Baggage{}.with("user.tier", "pro");
//   auto scope = lumen::Context::current().with_baggage(bag).activate();
//   std::optional<std::string> tier = lumen::Context::current().baggage().get("user.tier");
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumen {

class Baggage {
 public:
  struct Entry {
    std::string key;
    std::string value;
    std::string metadata;  // the properties after the value's ';', e.g. "ttl=30;secret"
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  Baggage() = default;
  // Builds the whole list at once (with() copies the list on every call, which is quadratic for
  // a parsed header of 180 members). A later entry replaces an earlier one with the same key.
  explicit Baggage(std::vector<Entry> entries);

  // Returns a copy with `key` set (replacing an existing entry).
  [[nodiscard]] Baggage with(std::string_view key, std::string_view value,
                             std::string_view metadata = {}) const;
  [[nodiscard]] Baggage without(std::string_view key) const;
  [[nodiscard]] std::optional<std::string> get(std::string_view key) const;
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

  friend bool operator==(const Baggage&, const Baggage&) = default;

 private:
  std::vector<Entry> entries_;
};

}  // namespace lumen
