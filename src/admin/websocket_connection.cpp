#include "websocket_connection.hpp"

#include <utility>

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

namespace lumen::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

// Runs `work` on the connection's I/O thread, if the server and the connection still exist.
template <typename Work>
void post_to_connection(const WebSocketChannel::State& state, Work work) {
  const auto server = state.server.lock();  // keeps the io_context alive while posting
  if (!server) return;
  asio::post(state.executor, [connection = state.connection, work = std::move(work)] {
    if (auto c = connection.lock()) work(*c);
  });
}

}  // namespace

bool WebSocketChannel::send(std::string text) const {
  State& s = *state_;
  lumen::internal::UniqueLock lock(s.mutex);
  if (s.closed) return false;
  if (s.outbox.size() >= s.max_queued) {
    s.closed = true;
    lock.unlock();
    post_to_connection(s, [](WebSocketConnection& c) { c.overflowed(); });
    return false;
  }
  s.outbox.push_back(std::move(text));
  if (s.writing) return true;
  s.writing = true;
  lock.unlock();
  post_to_connection(s, [](WebSocketConnection& c) { c.write_next(); });
  return true;
}

void WebSocketChannel::close() const {
  State& s = *state_;
  {
    lumen::internal::MutexLock lock(s.mutex);
    if (s.closed) return;
    s.closed = true;
  }
  post_to_connection(s, [](WebSocketConnection& c) { c.start_close(); });
}

bool WebSocketChannel::is_open() const {
  lumen::internal::MutexLock lock(state_->mutex);
  return !state_->closed;
}

std::uint64_t WebSocketChannel::id() const {
  return state_->id;
}

WebSocketConnection::WebSocketConnection(asio::ip::tcp::socket socket, WebSocketHandler handler,
                                         WebSocketCounters counters, std::size_t max_message_bytes)
    : ws_(std::move(socket)), handler_(std::move(handler)), counters_(counters) {
  counters_.open_connections.fetch_add(1);
  ws_.read_message_max(max_message_bytes);
  // A handshake deadline, and pings to idle clients so that a vanished one is noticed.
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
}

WebSocketConnection::~WebSocketConnection() {
  counters_.open_connections.fetch_sub(1);
}

template <typename Callback>
void WebSocketConnection::call(Callback callback) noexcept {
  try {
    callback();
  } catch (...) {
    counters_.handler_errors.fetch_add(1);
  }
}

void WebSocketConnection::accept(beast::http::request<beast::http::string_body> upgrade,
                                 AdminRequest request, std::weak_ptr<void> server,
                                 std::size_t max_queued, std::uint64_t id) {
  state_ = std::make_shared<WebSocketChannel::State>();
  state_->server = std::move(server);
  state_->executor = ws_.get_executor();
  state_->connection = weak_from_this();
  state_->max_queued = max_queued;
  state_->id = id;
  upgrade_ = std::move(upgrade);
  ws_.async_accept(upgrade_,
                   [self = shared_from_this(), request = std::move(request)](error_code ec) {
                     if (ec) return;  // no handshake: the connection just ends
                     self->opened_ = true;
                     self->counters_.open_websockets.fetch_add(1);
                     self->call([&] {
                       if (self->handler_.on_open)
                         self->handler_.on_open(WebSocketChannel(self->state_), request);
                     });
                     self->read();
                   });
}

void WebSocketConnection::read() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
    if (ec) return self->finished();  // closed by either side, reset, timed out, or too large
    if (!self->ws_.got_text()) {
      self->mark_closed();
      self->start_close(websocket::close_code::unknown_data);
    } else {
      std::string message = beast::buffers_to_string(self->read_buffer_.data());
      self->call([&] {
        if (self->handler_.on_message)
          self->handler_.on_message(WebSocketChannel(self->state_), std::move(message));
      });
    }
    self->read_buffer_.consume(self->read_buffer_.size());
    self->read();  // until the closing handshake ends it
  });
}

void WebSocketConnection::write_next() {
  std::string* message = nullptr;
  {
    lumen::internal::MutexLock lock(state_->mutex);
    if (state_->outbox.empty()) {
      state_->writing = false;
      return;
    }
    message = &state_->outbox.front();  // deque: stays put while others are appended
  }
  ws_.text(true);
  ws_.async_write(asio::buffer(*message), [self = shared_from_this()](error_code ec, std::size_t) {
    auto& s = *self->state_;
    std::optional<websocket::close_code> close_now;
    bool more = false;
    {
      lumen::internal::MutexLock lock(s.mutex);
      s.outbox.pop_front();
      if (ec) {  // the connection is broken: the read loop ends it
        s.closed = true;
        s.outbox.clear();
        s.writing = false;
        return;
      }
      more = !s.outbox.empty();
      if (!more) {
        s.writing = false;
        close_now = std::exchange(self->close_when_written_, std::nullopt);
      }
    }
    if (more) return self->write_next();
    if (close_now) self->start_close(*close_now);
  });
}

void WebSocketConnection::start_close(websocket::close_code code) {
  {
    lumen::internal::MutexLock lock(state_->mutex);
    if (state_->writing) {  // the queued messages go first
      close_when_written_ = code;
      return;
    }
  }
  if (close_started_) return;
  close_started_ = true;
  ws_.async_close(code, [self = shared_from_this()](error_code) {});  // the read loop sees the end
}

void WebSocketConnection::overflowed() {
  counters_.overflows.fetch_add(1);
  abort();
}

void WebSocketConnection::abort() noexcept {
  mark_closed();
  beast::get_lowest_layer(ws_).close();
}

void WebSocketConnection::mark_closed() {
  if (!state_) return;
  lumen::internal::MutexLock lock(state_->mutex);
  state_->closed = true;
}

void WebSocketConnection::finished() {
  if (finished_) return;
  finished_ = true;
  mark_closed();
  if (!opened_) return;
  counters_.open_websockets.fetch_sub(1);
  call([&] {
    if (handler_.on_close) handler_.on_close(WebSocketChannel(state_));
  });
}

}  // namespace lumen::admin
