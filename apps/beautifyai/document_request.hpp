// DocumentRequest: what POST /v1/analyze and POST /v1/enhance carry, read from a JSON body or from
// multipart/form-data, with every problem reported as one clear message (the gateway answers 400).
// A JSON body is read in one pass, without building its tree: parsing costs about the body's size
// in memory, and nesting past RequestLimits::max_json_depth is refused as soon as it is seen.
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
  // A request nests 2 levels (the object, its images); deeper JSON is refused unread.
  std::size_t max_json_depth = 32;
};

// False when `json` nests arrays and objects deeper than `max_depth` (strings are skipped): a cheap
// check before building a JSON tree of client text, whose depth costs memory.
[[nodiscard]] bool json_nesting_within(std::string_view json, std::size_t max_depth);

// The request, or the reason it is malformed.
[[nodiscard]] std::variant<DocumentRequest, std::string> parse_document_request(
    std::string_view content_type, std::string_view body, const RequestLimits& limits = {});

}  // namespace beautifyai
