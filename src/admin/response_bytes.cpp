#include "response_bytes.hpp"

#include <boost/beast/http/status.hpp>

#include <charconv>
#include <cstddef>
#include <string_view>

#include "core/ascii.hpp"

namespace lumen::admin::detail {
namespace {

// The fields that say where the answer ends and what happens to the connection: the server's.
bool is_framing(std::string_view name) {
  return ascii::iequals(name, "content-length") || ascii::iequals(name, "transfer-encoding") ||
         ascii::iequals(name, "connection");
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  const std::size_t start = out.size();
  out += value;
  for (std::size_t i = start; i < out.size(); ++i) {
    if (out[i] == '\r' || out[i] == '\n' || out[i] == '\0') out[i] = ' ';
  }
  out += "\r\n";
}

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
  out.append(digits, end);
}

}  // namespace

void append_response(std::string& out, const AdminResponse& answer, ResponseFraming framing) {
  // A status code has three digits; a handler's mistake becomes a server error, not a bad line.
  const unsigned status = answer.status >= 100 && answer.status <= 999 ? answer.status : 500;
  const bool bodyless = status < 200 || status == 204 || status == 304;
  const auto& extra = answer.headers;
  // Whether a later extra header of the same name replaces extra[i].
  const auto replaced = [&](std::size_t i) {
    for (std::size_t j = i + 1; j < extra.size(); ++j) {
      if (ascii::iequals(extra[j].first, extra[i].first)) return true;
    }
    return false;
  };
  bool own_content_type = false;
  for (const auto& [name, value] : extra) own_content_type |= ascii::iequals(name, "content-type");

  out += framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  append_number(out, status);
  out += ' ';
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  if (!own_content_type) append_header(out, "Content-Type", answer.content_type);
  for (std::size_t i = 0; i < extra.size(); ++i) {
    const std::string_view name = extra[i].first;
    if (!ascii::is_token(name) || is_framing(name) || replaced(i)) continue;
    append_header(out, name, extra[i].second);
  }
  if (!bodyless) {
    out += "Content-Length: ";
    append_number(out, answer.body.size());
    out += "\r\n";
  }
  // HTTP/1.1 keeps a connection open unless told otherwise; HTTP/1.0 closes it unless told.
  if (framing.version == 10 && framing.keep_alive) out += "Connection: keep-alive\r\n";
  if (framing.version != 10 && !framing.keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodyless && !framing.head) out += answer.body;
}

}  // namespace lumen::admin::detail
