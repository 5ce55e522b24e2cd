// Trace and span identifiers (W3C Trace Context sizes: 16 and 8 bytes) and their hex form.
//
//   std::optional<lumen::TraceId> id =
//   lumen::TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736"); std::string hex = id->to_hex();
//   // 32 lower-case hex digits bool usable = id->is_valid();                      // false for the
//   all-zero id
//
// Spans get their ids from the tracer; an application rarely makes one itself.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace lumen {

namespace detail {
// Writes 2*n lower-case hex digits of `bytes` to `out`.
void write_hex(const std::uint8_t* bytes, std::size_t n, char* out) noexcept;
// Parses exactly 2*n lower-case hex digits; false on any other character.
bool parse_lower_hex(std::string_view text, std::uint8_t* bytes, std::size_t n) noexcept;
}  // namespace detail

template <std::size_t N>
class Id {
 public:
  static constexpr std::size_t kSize = N;
  constexpr Id() noexcept = default;
  explicit Id(const std::array<std::uint8_t, N>& bytes) noexcept : bytes_(bytes) {}

  [[nodiscard]] bool is_valid() const noexcept {
    static_assert(N % 8 == 0);
    std::uint64_t any = 0;
    for (std::size_t i = 0; i < N; i += 8) {
      std::uint64_t word;
      std::memcpy(&word, bytes_.data() + i, 8);
      any |= word;
    }
    return any != 0;
  }
  [[nodiscard]] const std::array<std::uint8_t, N>& bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::array<std::uint8_t, N>& mutable_bytes() noexcept { return bytes_; }

  void to_hex(char* out) const noexcept { detail::write_hex(bytes_.data(), N, out); }
  [[nodiscard]] std::string to_hex() const {
    std::string s(2 * N, '0');
    to_hex(s.data());
    return s;
  }
  // Accepts exactly 2*N lower-case hex digits; the all-zero id is returned as is (invalid).
  [[nodiscard]] static std::optional<Id> from_hex(std::string_view hex) noexcept {
    Id id;
    if (hex.size() != 2 * N || !detail::parse_lower_hex(hex, id.bytes_.data(), N)) {
      return std::nullopt;
    }
    return id;
  }
  // Big-endian 64-bit views, as Jaeger and the ratio sampler read ids.
  [[nodiscard]] std::uint64_t high64() const noexcept { return load_be(0); }
  [[nodiscard]] std::uint64_t low64() const noexcept { return load_be(N - 8); }

  friend bool operator==(const Id&, const Id&) = default;

 private:
  [[nodiscard]] std::uint64_t load_be(std::size_t offset) const noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | bytes_[offset + i];
    return v;
  }
  std::array<std::uint8_t, N> bytes_{};
};

using TraceId = Id<16>;
using SpanId = Id<8>;

}  // namespace lumen
