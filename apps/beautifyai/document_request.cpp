#include "document_request.hpp"

#include <nlohmann/json.hpp>

#include "base64.hpp"
#include "utf8.hpp"

namespace beautifyai {
namespace {

using json = nlohmann::json;
using Parsed = std::variant<DocumentRequest, std::string>;

bool valid_tier(std::string_view tier) {
  return tier == "free" || tier == "pro" || tier == "enterprise";
}

// The checks both body formats share, once the fields are read.
Parsed validate(DocumentRequest request, const RequestLimits& limits) {
  // A JSON body was checked by the parser; multipart text arrives as raw bytes. Caught here, bad
  // bytes are the client's 400 instead of an exception when the text is serialized later (an
  // error page, or a model call that failed and was blamed on the model).
  for (auto [name, text] : {std::pair{"user_id", &request.user_id}, std::pair{"tier", &request.tier},
                            std::pair{"document", &request.document}, std::pair{"model", &request.model}}) {
    if (!is_utf8(*text)) return std::string("\"") + name + "\" is not valid UTF-8";
  }
  if (request.user_id.empty()) return std::string("\"user_id\" is required");
  if (request.document.empty()) return std::string("\"document\" is required and must not be empty");
  if (request.document.size() > limits.max_document_bytes) {
    return "\"document\" is larger than " + std::to_string(limits.max_document_bytes) + " bytes";
  }
  if (!valid_tier(request.tier)) return std::string("\"tier\" must be free, pro or enterprise");
  if (request.images.size() > limits.max_images) {
    return "at most " + std::to_string(limits.max_images) + " images per request";
  }
  return request;
}

Parsed from_json(std::string_view body, const RequestLimits& limits) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::string("the body is not valid JSON");
  if (!parsed.is_object()) return std::string("the body must be a JSON object");
  DocumentRequest request;
  const auto text_field = [&](const char* name, std::string& out) -> std::string {
    const auto it = parsed.find(name);
    if (it == parsed.end() || it->is_null()) return {};
    if (!it->is_string()) return std::string("\"") + name + "\" must be a string";
    out = it->get<std::string>();
    return {};
  };
  for (auto [name, out] : {std::pair{"user_id", &request.user_id}, std::pair{"tier", &request.tier},
                           std::pair{"document", &request.document}, std::pair{"model", &request.model}}) {
    if (std::string error = text_field(name, *out); !error.empty()) return error;
  }
  if (const auto it = parsed.find("async"); it != parsed.end() && !it->is_null()) {
    if (!it->is_boolean()) return std::string("\"async\" must be true or false");
    request.async = it->get<bool>();
  }
  if (const auto it = parsed.find("images"); it != parsed.end() && !it->is_null()) {
    if (!it->is_array()) return std::string("\"images\" must be an array of base64 strings");
    if (it->size() > limits.max_images) {
      return "at most " + std::to_string(limits.max_images) + " images per request";
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& item = (*it)[i];
      if (!item.is_string()) return "image " + std::to_string(i) + " must be a base64 string";
      auto bytes = apps::base64_decode(item.get_ref<const std::string&>());
      if (!bytes) return "image " + std::to_string(i) + " is not valid base64";
      if (bytes->empty()) return "image " + std::to_string(i) + " is empty";
      request.images.push_back(std::move(*bytes));
    }
  }
  return validate(std::move(request), limits);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The value of `key` in a header like `form-data; name="image"; filename="a.jpg"`.
std::string_view parameter(std::string_view header, std::string_view key) {
  std::size_t at = 0;
  while ((at = header.find(key, at)) != std::string_view::npos) {
    const bool starts = at == 0 || header[at - 1] == ' ' || header[at - 1] == ';';
    const std::size_t eq = at + key.size();
    if (starts && eq < header.size() && header[eq] == '=') {
      std::string_view value = header.substr(eq + 1);
      if (!value.empty() && value.front() == '"') {
        value.remove_prefix(1);
        return value.substr(0, value.find('"'));
      }
      return trim(value.substr(0, value.find(';')));
    }
    at = eq;
  }
  return {};
}

Parsed from_multipart(std::string_view content_type, std::string_view body, const RequestLimits& limits) {
  const std::string_view boundary = parameter(content_type, "boundary");
  if (boundary.empty()) return std::string("multipart/form-data needs a boundary parameter");
  const std::string delimiter = "--" + std::string(boundary);
  std::size_t at = body.find(delimiter);
  if (at == std::string_view::npos) return std::string("the multipart body has no part");
  DocumentRequest request;
  for (;;) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") break;  // the closing delimiter
    if (body.substr(at, 2) != "\r\n") return std::string("the multipart body is malformed");
    at += 2;
    const std::size_t headers_end = body.find("\r\n\r\n", at);
    if (headers_end == std::string_view::npos) return std::string("a multipart part has no header end");
    const std::string_view headers = body.substr(at, headers_end - at);
    const std::size_t content_start = headers_end + 4;
    const std::size_t next = body.find("\r\n" + delimiter, content_start);
    if (next == std::string_view::npos) return std::string("the multipart body is truncated");
    const std::string_view content = body.substr(content_start, next - content_start);
    std::string_view name;
    for (std::size_t line_start = 0; line_start < headers.size();) {
      std::size_t line_end = headers.find("\r\n", line_start);
      if (line_end == std::string_view::npos) line_end = headers.size();
      const std::string_view line = headers.substr(line_start, line_end - line_start);
      constexpr std::string_view kDisposition = "content-disposition:";
      if (line.size() > kDisposition.size()) {
        std::string lower(line.substr(0, kDisposition.size()));
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == kDisposition) name = parameter(line.substr(kDisposition.size()), "name");
      }
      line_start = line_end + 2;
    }
    if (name == "image") {
      if (request.images.size() >= limits.max_images) {
        return "at most " + std::to_string(limits.max_images) + " images per request";
      }
      if (content.empty()) return "image " + std::to_string(request.images.size()) + " is empty";
      request.images.emplace_back(content.begin(), content.end());
    } else if (name == "user_id") {
      request.user_id = content;
    } else if (name == "tier") {
      request.tier = content;
    } else if (name == "document") {
      request.document = content;
    } else if (name == "model") {
      request.model = content;
    } else if (name == "async") {
      if (content != "true" && content != "false") return std::string("\"async\" must be true or false");
      request.async = content == "true";
    }
    at = next + 2;
  }
  return validate(std::move(request), limits);
}

}  // namespace

std::variant<DocumentRequest, std::string> parse_document_request(std::string_view content_type,
                                                                  std::string_view body,
                                                                  const RequestLimits& limits) {
  if (body.empty()) return std::string("the body is empty");
  std::string type(content_type.substr(0, content_type.find(';')));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (trim(type) == "multipart/form-data") return from_multipart(content_type, body, limits);
  // Anything else is read as JSON, whatever it is labelled (curl -d says form-urlencoded).
  return from_json(body, limits);
}

}  // namespace beautifyai
