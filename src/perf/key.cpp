#include "lumen/perf/key.hpp"

#include <bit>
#include <cstring>

namespace lumen::perf {

void KeyHasher::bytes(const void* data, std::size_t n) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    hash_ ^= p[i];
    hash_ *= 1099511628211ULL;
  }
}

void KeyHasher::add_tag(char tag, std::uint64_t n) noexcept {
  // Little-endian bytes whatever the host, so the hash is the same on every machine.
  unsigned char buf[9];
  buf[0] = static_cast<unsigned char>(tag);
  for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<unsigned char>(n >> (8 * i));
  bytes(buf, sizeof buf);
}

void KeyHasher::add(std::string_view s) noexcept {
  add_tag('s', s.size());
  bytes(s.data(), s.size());
}

void KeyHasher::add(bool b) noexcept {
  add_tag('b', b ? 1 : 0);
}

void KeyHasher::add(double d) noexcept {
  if (d == 0) d = 0;  // -0.0 and 0.0 are the same argument
  add_tag('d', std::bit_cast<std::uint64_t>(d));
}

void KeyHasher::add_int(std::int64_t v) noexcept {
  if (v >= 0) {
    add_uint(static_cast<std::uint64_t>(v));
  } else {
    add_tag('i', static_cast<std::uint64_t>(v));
  }
}

void KeyHasher::add_uint(std::uint64_t v) noexcept {
  add_tag('u', v);
}

std::string format_key(std::string_view prefix, std::uint64_t hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(prefix.size() + 17);
  key.append(prefix);
  key.push_back(':');
  for (int i = 15; i >= 0; --i) key.push_back(kHex[(hash >> (4 * i)) & 0xF]);
  return key;
}

}  // namespace lumen::perf
