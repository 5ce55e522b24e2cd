// Whether client text is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
// past U+10FFFF). The gateway checks every text field it receives with it before the text reaches
// JSON serialization or a model, so that bad bytes are the client's 400 and never a model failure.
//
//   if (!beautifyai::is_utf8(field)) return "\"document\" is not valid UTF-8";
#pragma once

#include <string_view>

namespace beautifyai {

[[nodiscard]] bool is_utf8(std::string_view text) noexcept;

}  // namespace beautifyai
