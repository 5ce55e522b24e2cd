// WebSocketConnection: one WebSocket client of the AdminServer, after its HTTP upgrade request.
// Internal to src/admin; users see it through WebSocketChannel (admin_server.hpp).
//
// Everything here runs on the server's I/O thread except WebSocketChannel::send() and close(),
// which queue under the channel's mutex and post the I/O to that thread. Reading is one loop of
// async_read; writing drains the channel's queue one message at a time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "descriptor_budget.hpp"
#include "lumen/admin/admin_server.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::admin {

class WebSocketConnection;

struct WebSocketChannel::State {
  std::weak_ptr<void> server;  // locked before posting: while it lives, so does the executor's io
  boost::asio::any_io_executor executor;
  std::weak_ptr<WebSocketConnection> connection;
  std::size_t max_queued = 0;
  std::uint64_t id = 0;

  lumen::internal::Mutex mutex;
  std::deque<std::string> outbox LUMEN_GUARDED_BY(mutex);  // front: being written while `writing`
  bool writing LUMEN_GUARDED_BY(mutex) = false;
  bool closed LUMEN_GUARDED_BY(mutex) = false;  // no more sends: closing, closed, or overflowed
};

// What the connection reports to the server; the server outlives every connection's I/O.
struct WebSocketCounters {
  std::atomic<std::size_t>& open_connections;
  std::atomic<std::size_t>& open_websockets;
  std::atomic<std::uint64_t>& overflows;
  std::atomic<std::uint64_t>& handler_errors;
};

class WebSocketConnection : public std::enable_shared_from_this<WebSocketConnection> {
 public:
  WebSocketConnection(boost::asio::ip::tcp::socket socket, WebSocketHandler handler,
                      WebSocketCounters counters, std::size_t max_message_bytes);
  ~WebSocketConnection();
  WebSocketConnection(const WebSocketConnection&) = delete;
  WebSocketConnection& operator=(const WebSocketConnection&) = delete;

  // Completes the handshake for `upgrade`, then calls on_open with `request` and starts reading.
  // `server` keeps the executor's io_context alive for the channel (see State::server).
  void accept(boost::beast::http::request<boost::beast::http::string_body> upgrade,
              AdminRequest request, std::weak_ptr<void> server, std::size_t max_queued,
              std::uint64_t id);
  // Closes the TCP connection at once (server stop, slow client). I/O thread.
  void abort() noexcept;

  // I/O thread: write the next queued message, if any and none is being written.
  void write_next();
  // I/O thread: start the closing handshake, after the messages already queued.
  void start_close(
      boost::beast::websocket::close_code code = boost::beast::websocket::close_code::normal);
  // I/O thread: the client reads too slowly; drop it.
  void overflowed();

 private:
  void read();
  void finished();     // the connection is over: on_close, counters
  void mark_closed();  // no more sends
  // Runs a user callback; an exception from it is counted, never let loose on the I/O thread.
  template <typename Callback>
  void call(Callback callback) noexcept;

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer read_buffer_;
  WebSocketHandler handler_;
  WebSocketCounters counters_;
  std::shared_ptr<WebSocketChannel::State> state_;
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;  // read by the handshake
  std::optional<boost::beast::websocket::close_code> close_when_written_;
  bool close_started_ = false;
  bool opened_ = false;  // on_open was called
  detail::ProcessConnectionShare process_share_;
  bool finished_ = false;  // on_close was called
};

}  // namespace lumen::admin
