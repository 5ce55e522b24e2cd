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
  for (auto [name, text] :
       {std::pair{"user_id", &request.user_id}, std::pair{"tier", &request.tier},
        std::pair{"document", &request.document}, std::pair{"model", &request.model}}) {
    if (!is_utf8(*text)) return std::string("\"") + name + "\" is not valid UTF-8";
  }
  if (request.user_id.empty()) return std::string("\"user_id\" is required");
  if (request.document.empty())
    return std::string("\"document\" is required and must not be empty");
  if (request.document.size() > limits.max_document_bytes) {
    return "\"document\" is larger than " + std::to_string(limits.max_document_bytes) + " bytes";
  }
  if (!valid_tier(request.tier)) return std::string("\"tier\" must be free, pro or enterprise");
  if (request.images.size() > limits.max_images) {
    return "at most " + std::to_string(limits.max_images) + " images per request";
  }
  return request;
}

// Reads a JSON body in one pass (nlohmann's SAX interface), keeping only the fields a request has
// and decoding each image as it comes: memory stays near the body's size whatever else the body
// holds, and nesting deeper than the limit ends the parse at once. (The whole document as a tree
// took 1.2 GB and seconds for one 30 MB nested body.) Each handler returns false to stop the parse.
class JsonRequestReader {
 public:
  explicit JsonRequestReader(const RequestLimits& limits) : limits_(limits) {}

  Parsed read(std::string_view body) {
    const bool complete = json::sax_parse(body, this);
    if (!problem_.empty()) return problem_;
    if (!complete) return std::string("the body is not valid JSON");
    return validate(std::move(request_), limits_);
  }

  bool null() { return scalar(Kind::kNull); }
  bool boolean(bool value) {
    if (depth_ == 1 && key_ == "async") {
      request_.async = value;
      return true;
    }
    return scalar(Kind::kOther);
  }
  bool number_integer(json::number_integer_t) { return scalar(Kind::kOther); }
  bool number_unsigned(json::number_unsigned_t) { return scalar(Kind::kOther); }
  bool number_float(json::number_float_t, const json::string_t&) { return scalar(Kind::kOther); }
  bool binary(json::binary_t&) { return scalar(Kind::kOther); }
  bool string(json::string_t& value) {
    if (depth_ == 1) {
      if (std::string* field = text_field(key_)) {
        *field = std::move(value);
        return true;
      }
    } else if (depth_ == 2 && in_images_) {
      return add_image(value);
    }
    return scalar(Kind::kOther);
  }
  bool key(json::string_t& name) {
    if (depth_ == 1) key_ = std::move(name);
    return true;
  }
  bool start_object(std::size_t) { return open(/*array=*/false); }
  bool start_array(std::size_t) { return open(/*array=*/true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return fail("the body is not valid JSON");
  }

 private:
  enum class Kind { kNull, kOther };

  std::string* text_field(std::string_view name) {
    if (name == "user_id") return &request_.user_id;
    if (name == "tier") return &request_.tier;
    if (name == "document") return &request_.document;
    if (name == "model") return &request_.model;
    return nullptr;
  }

  bool fail(std::string problem) {
    if (problem_.empty()) problem_ = std::move(problem);
    return false;
  }

  // What a field's value may not be: a string where one is expected is taken before this.
  bool wrong_type(Kind kind) {
    if (depth_ == 0) return fail("the body must be a JSON object");
    if (depth_ == 2 && in_images_) {
      return fail("image " + std::to_string(request_.images.size()) + " must be a base64 string");
    }
    if (depth_ != 1 || kind == Kind::kNull) return true;  // null is an absent field
    if (text_field(key_) != nullptr) return fail("\"" + key_ + "\" must be a string");
    if (key_ == "async") return fail("\"async\" must be true or false");
    if (key_ == "images") return fail("\"images\" must be an array of base64 strings");
    return true;  // a field we do not read
  }
  bool scalar(Kind kind) { return wrong_type(kind); }

  bool open(bool array) {
    if (depth_ == 0 && array) return fail("the body must be a JSON object");
    if (depth_ == 1 && array && key_ == "images") {
      request_.images.clear();  // a repeated key: the last one counts
      in_images_ = true;
    } else if (depth_ > 0 && !wrong_type(Kind::kOther)) {
      return false;
    }
    if (++depth_ > limits_.max_json_depth) {
      return fail("the body nests deeper than " + std::to_string(limits_.max_json_depth) +
                  " levels");
    }
    return true;
  }

  bool close() {
    if (--depth_ == 1) in_images_ = false;
    return true;
  }

  bool add_image(const std::string& base64) {
    const std::string index = std::to_string(request_.images.size());
    if (request_.images.size() >= limits_.max_images) {
      return fail("at most " + std::to_string(limits_.max_images) + " images per request");
    }
    auto bytes = apps::base64_decode(base64);
    if (!bytes) return fail("image " + index + " is not valid base64");
    if (bytes->empty()) return fail("image " + index + " is empty");
    request_.images.push_back(std::move(*bytes));
    return true;
  }

  const RequestLimits& limits_;
  DocumentRequest request_;
  std::string problem_;
  std::size_t depth_ = 0;  // 1 inside the body's object
  std::string key_;        // the body's field being read
  bool in_images_ = false;
};

Parsed from_json(std::string_view body, const RequestLimits& limits) {
  return JsonRequestReader(limits).read(body);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
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

Parsed from_multipart(std::string_view content_type, std::string_view body,
                      const RequestLimits& limits) {
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
    if (headers_end == std::string_view::npos)
      return std::string("a multipart part has no header end");
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
      if (content != "true" && content != "false")
        return std::string("\"async\" must be true or false");
      request.async = content == "true";
    }
    at = next + 2;
  }
  return validate(std::move(request), limits);
}

}  // namespace

bool json_nesting_within(std::string_view json, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, a quote included
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

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
