// The bytes of an HTTP/1.x answer: status line, headers, blank line and body in one buffer, which
// a session sends with one write.
//
// Beast's serializer walks a list of header fields and a chain of buffer views for every answer:
// in a profile of the gateway's cache hits at saturation it was about 9 % of the CPU per request,
// for answers that are a status, two to four headers and a body.
//
//   std::string out;
//   append_response(out, {.body = "ok\n"}, {.version = 11, .keep_alive = true});
//   asio::async_write(socket, asio::buffer(out), ...);
#pragma once

#include <string>

#include "lumen/admin/admin_server.hpp"

namespace lumen::admin::detail {

// What the request being answered says about the answer's framing.
struct ResponseFraming {
  unsigned version = 11;    // of the request: 10 or 11
  bool keep_alive = false;  // the connection stays open after this answer
  bool head = false;        // a HEAD request: the length of the body, without its bytes
};

// Appends the answer to `out`. The server frames it: Content-Length (none for 1xx, 204 and 304,
// which carry no body), and Connection when the version's default does not say what keep_alive
// says; so Content-Length, Transfer-Encoding and Connection among answer.headers are ignored. An
// extra header replaces Content-Type, and of two extra headers with one name the last is sent
// (names compare without case). A name that is not an HTTP token is dropped, and CR, LF and NUL
// in a value become spaces: a handler's text can never end a header early or add one.
void append_response(std::string& out, const AdminResponse& answer, ResponseFraming framing);

}  // namespace lumen::admin::detail
