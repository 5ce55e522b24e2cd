// Base64 (RFC 4648, standard alphabet, with padding) for images carried inside JSON bodies, shared
// by the gateway (decoding uploads, encoding what goes upstream) and the load generator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace apps {

[[nodiscard]] std::string base64_encode(const std::vector<std::uint8_t>& bytes);
// Ignores whitespace; nullopt for any other character outside the alphabet or bad padding.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace apps
