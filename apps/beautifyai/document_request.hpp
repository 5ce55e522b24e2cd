// DocumentRequest: what POST /v1/analyze and POST /v1/enhance carry, read from a JSON body or from
// multipart/form-data, with every problem reported as one clear message (the gateway answers 400).
//
// JSON: {"user_id": "u-1", "tier": "free|pro|enterprise", "document": "text",
//        "images": ["<base64>", ...], "model": "gemini-2.0-flash", "async": false}
// multipart/form-data: fields user_id, tier, document, model, async, and file parts named "image".
// user_id and document are required; tier defaults to "free"; model to the router's first choice.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace beautifyai {

struct DocumentRequest {
  std::string user_id;
  std::string tier = "free";
  std::string document;
  std::string model;  // empty: the default
  std::vector<std::vector<std::uint8_t>> images;
  bool async = false;
};

struct RequestLimits {
  std::size_t max_images = 8;
  std::size_t max_document_bytes = 1 << 20;
};

// The request, or the reason it is malformed.
[[nodiscard]] std::variant<DocumentRequest, std::string> parse_document_request(
    std::string_view content_type, std::string_view body, const RequestLimits& limits = {});

}  // namespace beautifyai
