// WebSocketClient: a blocking WebSocket client for tests, on Boost.Beast (an implementation of
// RFC 6455 that we did not write), with a timeout on every wait.
//
//   WebSocketClient client(port, "/v1/stream");       // throws when the handshake fails
//   client.send(R"({"subscribe":"..."})");
//   std::optional<std::string> message = client.receive(5s);  // nullopt: timed out or closed
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace lumen::testing {

class WebSocketClient {
 public:
  WebSocketClient(std::uint16_t port, std::string_view target);
  ~WebSocketClient();
  WebSocketClient(const WebSocketClient&) = delete;
  WebSocketClient& operator=(const WebSocketClient&) = delete;

  void send(std::string_view text);
  // The next message, or nullopt when none came within `timeout` (a later call can still get it)
  // or the connection closed.
  std::optional<std::string> receive(std::chrono::milliseconds timeout);
  // True once the server has closed the connection (waits up to `timeout` for it). Messages
  // still arriving meanwhile are discarded.
  bool closed_by_server_within(std::chrono::milliseconds timeout);
  // The close code the server sent (1000 normal, 1003 unsupported data...), 0 when none yet.
  [[nodiscard]] int close_code() const;
  // A closing handshake from this side.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lumen::testing
