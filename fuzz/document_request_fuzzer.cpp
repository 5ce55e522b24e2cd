// The reference gateway's request bodies (POST /v1/analyze and /v1/enhance), JSON or
// multipart/form-data. The input is the Content-Type header, a newline, then the body. Any body
// gives a request or an error message, never a crash or an exception, and an accepted request
// holds only what the gateway may pass on: well-formed UTF-8 text within the limits.
#include <cstddef>
#include <cstdint>
#include <variant>

#include "document_request.hpp"
#include "fuzz_check.hpp"
#include "utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = lumen::fuzz::as_text(data, size);
  const std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const beautifyai::RequestLimits limits{.max_images = 3, .max_document_bytes = 1024};
  const auto parsed = beautifyai::parse_document_request(input.substr(0, newline),
                                                         input.substr(newline + 1), limits);
  if (const auto* error = std::get_if<std::string>(&parsed)) {
    FUZZ_CHECK(!error->empty() && beautifyai::is_utf8(*error));
    return 0;
  }
  const auto& request = std::get<beautifyai::DocumentRequest>(parsed);
  for (const std::string* text :
       {&request.user_id, &request.tier, &request.document, &request.model}) {
    FUZZ_CHECK(beautifyai::is_utf8(*text));
  }
  FUZZ_CHECK(!request.user_id.empty() && !request.document.empty());
  FUZZ_CHECK(request.document.size() <= limits.max_document_bytes);
  FUZZ_CHECK(request.tier == "free" || request.tier == "pro" || request.tier == "enterprise");
  FUZZ_CHECK(request.images.size() <= limits.max_images);
  for (const auto& image : request.images) FUZZ_CHECK(!image.empty());
  return 0;
}
