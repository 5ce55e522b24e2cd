// What an OTLP/HTTP receiver answers, as protobuf and as JSON: the partial-success part of a 2xx
// response and the Status of an error response. Never crashes or throws, and the description
// that reaches a diagnostic line is short and printable whatever the body holds.
#include <cstddef>
#include <cstdint>

#include "export/otlp_response.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace detail = lumen::exporters::detail;
  const std::string_view body = lumen::fuzz::as_text(data, size);
  for (const bool json : {false, true}) {
    if (const auto partial = detail::parse_partial_success(body, json)) {
      FUZZ_CHECK(partial->rejected != 0 || !partial->message.empty());
    }
    const std::string description = detail::describe_error_body(body, json);
    FUZZ_CHECK(description.size() <= 203);  // 200 characters and "..."
    for (const char c : description) FUZZ_CHECK(c >= 0x20 && c < 0x7F);
  }
  return 0;
}
