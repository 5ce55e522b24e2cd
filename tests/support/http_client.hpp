// A minimal blocking HTTP/1.1 client on raw sockets, for tests of our servers: nothing of ours is
// on the client side, so a bug in the server cannot be hidden by a matching bug in the client.
//
//   lumen::testing::HttpReply r = lumen::testing::http_get(port, "/metrics");
//   EXPECT_EQ(r.status, 200);
//   lumen::testing::RawConnection slow(port);      // for clients that misbehave on purpose
//   slow.send("GET /metr");
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lumen::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// One request on a fresh connection to 127.0.0.1:port with "Connection: close"; reads until the
// server closes. Throws std::runtime_error when it cannot connect, times out or gets no status.
HttpReply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       std::string_view body = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
inline HttpReply http_get(std::uint16_t port, std::string_view target,
                          const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return http_request(port, "GET", target, headers);
}

// Parses a raw HTTP/1.1 response (status line, headers, a Content-Length or close-delimited body).
HttpReply parse_http_reply(std::string_view raw);

// A port on 127.0.0.1 that was free a moment ago, for servers the test starts as processes.
std::uint16_t free_loopback_port();

// A connected socket to 127.0.0.1:port that the test drives byte by byte.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);  // throws std::runtime_error when it cannot connect
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(std::string_view bytes);
  // Everything received until the peer closes or `timeout` passes.
  std::string read_until_closed(std::chrono::milliseconds timeout);
  // Everything received until it contains `marker`, the peer closes or `timeout` passes; the
  // connection stays usable.
  std::string read_until(std::string_view marker, std::chrono::milliseconds timeout);
  // True when the peer closes the connection within `timeout`.
  bool closed_by_peer_within(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

}  // namespace lumen::testing
