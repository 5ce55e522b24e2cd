#include "websocket_client.hpp"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <stdexcept>

namespace lumen::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

struct WebSocketClient::Impl {
  asio::io_context io;
  websocket::stream<asio::ip::tcp::socket> ws{io};
  beast::flat_buffer buffer;
  bool reading = false;  // a read is pending (it may complete in a later wait)
  bool closed = false;
  std::optional<std::string> arrived;

  void start_read() {
    if (reading || closed) return;
    reading = true;
    ws.async_read(buffer, [this](error_code ec, std::size_t) {
      reading = false;
      if (ec) {
        closed = true;
        return;
      }
      arrived = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
    });
  }

  // Runs the I/O until a message arrived or the connection closed, or the time is up.
  void wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    start_read();
    while (!arrived && !closed && std::chrono::steady_clock::now() < deadline) {
      io.restart();
      io.run_one_until(deadline);
    }
  }
};

WebSocketClient::WebSocketClient(std::uint16_t port, std::string_view target)
    : impl_(std::make_unique<Impl>()) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  impl_->ws.next_layer().connect(endpoint);
  impl_->ws.handshake("127.0.0.1:" + std::to_string(port), std::string(target));
}

WebSocketClient::~WebSocketClient() = default;

void WebSocketClient::send(std::string_view text) {
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text.data(), text.size()));
}

std::optional<std::string> WebSocketClient::receive(std::chrono::milliseconds timeout) {
  impl_->wait(timeout);
  return std::exchange(impl_->arrived, std::nullopt);
}

bool WebSocketClient::closed_by_server_within(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!impl_->closed && std::chrono::steady_clock::now() < deadline) {
    impl_->wait(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
    impl_->arrived.reset();
  }
  return impl_->closed;
}

int WebSocketClient::close_code() const {
  return static_cast<int>(impl_->ws.reason().code);
}

void WebSocketClient::close() {
  if (impl_->closed) return;
  bool done = false;
  impl_->ws.async_close(websocket::close_code::normal, [&done](error_code) { done = true; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    impl_->io.restart();
    impl_->io.run_one_until(deadline);
  }
  impl_->closed = true;
}

}  // namespace lumen::testing
