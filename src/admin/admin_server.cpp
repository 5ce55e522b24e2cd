#include "lumen/admin/admin_server.hpp"

// Asio's awaitable.hpp uses std::exchange without including <utility> (Boost 1.74).
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/ascii.hpp"
#include "descriptor_budget.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"
#include "rejection_counters.hpp"
#include "response_bytes.hpp"
#include "websocket_connection.hpp"

namespace lumen::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
// A session's socket, stream and timer name their loop's executor type instead of the default
// type-erased any_io_executor: every asynchronous operation copies and destroys its executor
// (with the loop's count of outstanding work), and through the type-erased wrapper each copy was
// an indirect call: 5 % of the gateway's CPU per answered request in a profile at saturation.
using LoopExecutor = asio::io_context::executor_type;
using LoopSocket = asio::basic_stream_socket<tcp, LoopExecutor>;
using LoopStream = beast::basic_stream<tcp, LoopExecutor>;
using LoopTimer =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, LoopExecutor>;
using boost::system::error_code;
using detail::Rejection;

namespace {

constexpr std::size_t kMaxHeaderBytes = std::size_t{16} * 1024;
// How long, and how much, a connection answered before its request ended may still upload.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kMaxLingerBytes = std::size_t{16} * 1024 * 1024;
// After accept() failed (out of descriptors, most often), the pause before the next try: retrying
// at once would spin on the connection still waiting in the listen queue.
constexpr std::chrono::milliseconds kAcceptPause{50};
// A connection keeps the buffer of its last answer for the next one up to this size; a larger one
// (a scrape of many series) is given back once written, so that idle connections hold little.
constexpr std::size_t kKeptAnswerBytes = std::size_t{64} * 1024;

// Percent-decoding with '+' as a space, as HTML forms and most clients encode queries. A '+'
// is never part of an escape, so replacing it first leaves an encoded "%2B" a '+'.
std::string form_decode(std::string_view text) {
  std::string plus_as_space(text);
  std::replace(plus_as_space.begin(), plus_as_space.end(), '+', ' ');
  return ascii::percent_decode(plus_as_space);
}

std::string status_text_body(unsigned status) {
  return std::string(http::obsolete_reason(static_cast<http::status>(status))) + "\n";
}

// A routed path: exactly one of the three handlers is set.
struct Route {
  AdminHandler sync;
  AsyncAdminHandler async;
  std::shared_ptr<const WebSocketHandler> websocket;
};

AdminResponse failure_response(const char* what) {
  return {.status = 500, .body = std::string("handler failed") + (*what ? ": " : "") + what + "\n"};
}

}  // namespace

std::string AdminRequest::query_param(std::string_view name, std::string fallback) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (form_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
    }
  }
  return fallback;
}

std::string_view AdminRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (ascii::iequals(key, name)) return value;
  }
  return {};
}

class Session;

// One event loop: an io_context run by its own thread, and the connections it serves. A connection
// stays on the loop that accepted it, so its handlers never run on two threads at once, and the
// containers below are touched by that loop's thread only.
struct IoLoop {
  asio::io_context io{1};
  // The loop runs until stop(), with or without connections.
  asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
  std::list<std::weak_ptr<Session>> sessions;
  // Sessions waiting for an asynchronous answer, kept alive here (no I/O operation holds them).
  std::map<const Session*, std::shared_ptr<Session>> waiting;
  // WebSocket connections, for stop(); expired entries are swept when one is added.
  std::list<std::weak_ptr<WebSocketConnection>> websockets;
  std::thread thread;
};

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
  explicit Impl(AdminServerOptions o) : options(std::move(o)), loops(make_loops(options)) {}

  static std::vector<std::unique_ptr<IoLoop>> make_loops(const AdminServerOptions& options) {
    std::size_t count = options.io_threads;
    if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<IoLoop>> loops;
    for (std::size_t i = 0; i < count; ++i) loops.push_back(std::make_unique<IoLoop>());
    return loops;
  }

  const AdminServerOptions options;
  lumen::internal::Mutex routes_mutex;
  std::map<std::string, Route, std::less<>> routes LUMEN_GUARDED_BY(routes_mutex);

  std::atomic<std::uint64_t> requests{0};
  detail::RejectionCounters rejections;
  std::atomic<std::size_t> open{0};
  std::atomic<std::size_t> open_websockets{0};
  std::atomic<std::uint16_t> bound_port{0};
  // max_connections, lowered to what the descriptor limit allows; set by start().
  std::atomic<std::size_t> connection_limit{0};
  // After the counters it reads: unregistered before they are destroyed.
  metrics::ObservableRegistration rejection_metric;
  detail::SpareDescriptor spare_descriptor;  // the acceptor's thread (loop 0) only
  std::size_t next_loop = 0;                 // the acceptor's thread only
  std::atomic<std::uint64_t> last_websocket_id{0};

  lumen::internal::Mutex lifecycle;  // start() and stop()
  bool started LUMEN_GUARDED_BY(lifecycle) = false;
  bool stopped LUMEN_GUARDED_BY(lifecycle) = false;

  // Declared last: destroyed first, with any handler still holding a session. The acceptor and
  // its timer run on the first loop, and are destroyed before the loops.
  std::vector<std::unique_ptr<IoLoop>> loops;
  std::optional<tcp::acceptor> acceptor;
  asio::steady_timer accept_pause{loops.front()->io};

  void accept();
  void on_accept_failed(error_code ec);
  void refuse(tcp::socket socket, Rejection reason);
  Route find_route(std::string_view path);
  AdminResponse run(const AdminHandler& handler, const AdminRequest& request);
  void close_acceptor();
  static void close_loop(IoLoop& loop);
  void adopt(IoLoop& loop, const WebSocketHandler& handler, tcp::socket socket,
             http::request<http::string_body> upgrade, AdminRequest request);
};

// The answer of one asynchronous request. The responder handed to the handler owns it; the answer
// is carried to the I/O thread, where the session (if it still exists) writes it.
class PendingAnswer {
 public:
  PendingAnswer(std::weak_ptr<AdminServer::Impl> server, IoLoop& loop,
                std::weak_ptr<Session> session)
      : server_(std::move(server)), loop_(loop), session_(std::move(session)) {}
  PendingAnswer(const PendingAnswer&) = delete;
  PendingAnswer& operator=(const PendingAnswer&) = delete;
  ~PendingAnswer() {
    if (answered_.load()) return;
    if (auto server = server_.lock()) server->rejections.add(Rejection::kAbandoned);
    deliver({.status = 500, .body = "the request was dropped without an answer\n"});
  }

  void deliver(AdminResponse answer);

 private:
  std::weak_ptr<AdminServer::Impl> server_;
  IoLoop& loop_;  // the session's; lives as long as the server
  std::weak_ptr<Session> session_;
  std::atomic<bool> answered_{false};
};

// One client connection: read a request, answer it, repeat while the client keeps it alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `socket` belongs to `loop`'s io_context; the session runs there once start()ed.
  Session(AdminServer::Impl& server, IoLoop& loop, LoopSocket socket)
      : server_(server), loop_(loop), stream_(std::move(socket)), delay_(stream_.get_executor()) {}

  // On the loop's thread.
  void start() {
    loop_.sessions.push_front(shared_from_this());
    registration_ = loop_.sessions.begin();
    read();
  }
  ~Session() { server_.open.fetch_sub(1); }

  void close() {
    delay_.cancel();
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_request_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    stream_.expires_after(server_.options.read_timeout);
    // The header first: an "Expect: 100-continue" client waits for our word before the body.
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  // Failed reads of the header or of the body end the same ways; true when this one did.
  bool ended_by(error_code ec) {
    if (ec == beast::error::timeout) {
      server_.rejections.add(Rejection::kReadTimeout);
      finish();
    } else if (ec == http::error::body_limit) {
      respond_and_close(413, Rejection::kBodyTooLarge);
    } else if (ec == http::error::header_limit) {
      respond_and_close(431, Rejection::kHeaderTooLarge);
    } else if (is_malformed(ec)) {
      respond_and_close(400, Rejection::kBadRequest);
    } else if (ec) {
      finish();  // closed or reset by the client
    }
    return static_cast<bool>(ec);
  }

  // The parser's verdict on the bytes (a garbage request line, two Content-Lengths, a
  // non-numeric one...), as opposed to the connection ending before or within a request.
  static bool is_malformed(error_code ec) {
    return ec.category() == http::make_error_code(http::error::bad_method).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
  }

  // RFC 9110, 10.1.1: a client that sent "Expect: 100-continue" may hold its body back until it
  // hears from us (curl waits a second). Say yes now, or refuse before the body is sent.
  void on_header(error_code ec) {
    if (ended_by(ec)) return;
    const auto& header = parser_->get();
    const std::string_view expect(header[http::field::expect].data(),
                                  header[http::field::expect].size());
    // An HTTP/1.0 client cannot expect anything (RFC 9110 says to ignore the field), and a request
    // without a body has nothing to hold back.
    if (expect.empty() || header.version() < 11 || parser_->is_done()) return read_body();
    if (!ascii::iequals(expect, "100-continue"))
      return respond_and_close(417, Rejection::kExpectationFailed);
    const auto length = parser_->content_length();
    if (length && *length > server_.options.max_request_bytes) {
      return respond_and_close(413, Rejection::kBodyTooLarge);
    }
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](error_code write_error, std::size_t) {
                        if (write_error) return self->finish();
                        self->read_body();
                      });
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ended_by(ec)) return;

    const auto& message = parser_->get();
    AdminRequest request;
    request.method = std::string(message.method_string());
    const std::string_view target(message.target().data(), message.target().size());
    const std::size_t question = target.find('?');
    request.path = std::string(target.substr(0, question));
    if (question != std::string_view::npos)
      request.query = std::string(target.substr(question + 1));
    request.accept = std::string(message[http::field::accept]);
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(parser_->get().body());
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    head_ = message.method() == http::verb::head;

    Route route = server_.find_route(request.path);
    if (route.websocket) {
      if (!beast::websocket::is_upgrade(parser_->get())) {
        return answer({.status = 426,
                       .body = "this path takes WebSocket connections only\n",
                       .headers = {{"Upgrade", "websocket"}}});
      }
      // The connection is the WebSocket's from here on; this session ends.
      server_.adopt(loop_, *route.websocket, stream_.release_socket(), parser_->release(),
                    std::move(request));
      loop_.sessions.erase(registration_);
      return;
    }
    if (route.async) {
      loop_.waiting.emplace(this, shared_from_this());
      auto pending =
          std::make_shared<PendingAnswer>(server_.weak_from_this(), loop_, weak_from_this());
      AdminResponder responder = [pending](AdminResponse answer) {
        pending->deliver(std::move(answer));
      };
      try {
        route.async(std::move(request), std::move(responder));
      } catch (const std::exception& e) {
        server_.rejections.add(Rejection::kHandlerError);
        pending->deliver(failure_response(e.what()));
      } catch (...) {
        server_.rejections.add(Rejection::kHandlerError);
        pending->deliver(failure_response(""));
      }
      return;
    }
    if (route.sync) return answer(server_.run(route.sync, request));
    if (request.path == "/healthz") return answer({.body = "ok\n"});
    answer({.status = 404, .body = "no such path: " + request.path + "\n"});
  }

 public:
  // Writes the answer to the request read last (on the session's I/O thread).
  void answer(const AdminResponse& answer) {
    const auto keep = shared_from_this();
    loop_.waiting.erase(this);
    response_.clear();
    detail::append_response(response_, answer,
                            {.version = version_, .keep_alive = keep_alive_, .head = head_});
    if (answer.delay.count() <= 0) return write(keep_alive_);
    delay_.expires_after(answer.delay);
    delay_.async_wait([self = shared_from_this()](error_code wait_error) {
      if (wait_error) return self->finish();  // stopped meanwhile
      self->write(self->keep_alive_);
    });
  }

 private:
  void write(bool keep_alive) {
    server_.requests.fetch_add(1);
    stream_.expires_after(server_.options.write_timeout);
    asio::async_write(stream_, asio::buffer(response_),
                      [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
                        self->forget_answer();
                        if (ec == beast::error::timeout)
                          self->server_.rejections.add(Rejection::kWriteTimeout);
                        if (ec || !keep_alive) return self->finish();
                        self->read();
                      });
  }

  void respond_and_close(unsigned status, Rejection reason) {
    server_.rejections.add(reason);
    response_.clear();
    detail::append_response(response_, {.status = status, .body = status_text_body(status)},
                            {.version = 11, .keep_alive = false});
    server_.requests.fetch_add(1);
    stream_.expires_after(server_.options.write_timeout);
    asio::async_write(stream_, asio::buffer(response_),
                      [self = shared_from_this()](error_code ec, std::size_t) {
                        self->forget_answer();
                        if (ec) return self->finish();
                        self->drain_then_close();
                      });
  }

  void forget_answer() {
    if (response_.capacity() > kKeptAnswerBytes) {
      std::string().swap(response_);
    } else {
      response_.clear();
    }
  }

  // The client is still sending a request we refused. Closing now, with its upload unread, makes
  // the kernel reset the connection, and a reset can destroy our answer before the client reads
  // it. So stop sending, discard what still arrives for a bounded time and size, then close.
  void drain_then_close() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(kLingerTime);
    buffer_.clear();
    drained_ = 0;
    drain();
  }

  void drain() {
    stream_.async_read_some(buffer_.prepare(std::size_t{16} * 1024),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kMaxLingerBytes) return self->finish();
                              self->drain();
                            });
  }

  void finish() {
    close();
    loop_.sessions.erase(registration_);
  }

  AdminServer::Impl& server_;
  IoLoop& loop_;
  LoopStream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string response_;   // the bytes of the answer being written
  LoopTimer delay_;        // for AdminResponse::delay
  unsigned version_ = 11;  // of the request being answered
  bool keep_alive_ = false;
  bool head_ = false;
  std::size_t drained_ = 0;  // bytes discarded after an early answer
  detail::ProcessConnectionShare process_share_;
  std::list<std::weak_ptr<Session>>::iterator registration_;
};

// Connections are dealt to the loops in turn, each accepted straight into its loop's io_context;
// the session is made here, so that its destructor gives the count back even if its loop never
// runs it (stopped meanwhile).
void AdminServer::Impl::accept() {
  IoLoop& loop = *loops[next_loop];
  acceptor->async_accept(loop.io, [this, &loop](error_code ec, LoopSocket socket) {
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
    if (ec) return on_accept_failed(ec);
    if (open.load() >= connection_limit.load() || detail::process_connections_at_cap()) {
      refuse(std::move(socket), Rejection::kConnectionLimit);
    } else {
      open.fetch_add(1);
      next_loop = (next_loop + 1) % loops.size();
      auto session = std::make_shared<Session>(*this, loop, std::move(socket));
      if (&loop == loops.front().get()) {
        session->start();
      } else {
        asio::post(loop.io, [session = std::move(session)] { session->start(); });
      }
    }
    accept();
  });
}

// Out of descriptors (EMFILE, ENFILE), the connection stays in the listen queue and the next
// accept() fails the same way at once. The spare descriptor makes room to take it and answer 503,
// and so on while clients wait; then the loop pauses instead of spinning, until connections close
// and free descriptors.
void AdminServer::Impl::on_accept_failed(error_code ec) {
  const bool out_of_descriptors = ec == asio::error::no_descriptors ||
                                  ec == error_code(ENFILE, boost::system::system_category());
  if (out_of_descriptors && spare_descriptor.release()) {
    tcp::socket socket(loops.front()->io);
    error_code accept_error;
    acceptor->accept(socket, accept_error);  // the acceptor is non-blocking: never waits here
    if (!accept_error) refuse(std::move(socket), Rejection::kDescriptorsExhausted);
    spare_descriptor.reacquire();
    if (!accept_error) return accept();  // a client was answered: see whether another waits
  }
  accept_pause.expires_after(kAcceptPause);
  accept_pause.async_wait([this](error_code wait_error) {
    if (!wait_error) accept();
  });
}

// Over the connection limit: a short 503 written without waiting (it fits in the socket buffer;
// a client that does not read it loses nothing we care about), then the connection is closed.
void AdminServer::Impl::refuse(tcp::socket socket, Rejection reason) {
  rejections.add(reason);
  static constexpr std::string_view kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 32\r\n"
      "Connection: close\r\nRetry-After: 1\r\n\r\ntoo many connections, retry soon\n";
  error_code ec;
  socket.non_blocking(true, ec);
  if (!ec) socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), ec);
  socket.shutdown(tcp::socket::shutdown_send, ec);
  // What the client has already sent is read and dropped without waiting: closing with it unread
  // makes the kernel reset the connection, and a reset can destroy the 503 before it is read.
  std::array<char, 4096> discard;
  error_code read_error;
  for (int i = 0; i < 16 && !read_error; ++i) socket.read_some(asio::buffer(discard), read_error);
  socket.close(ec);
}

void AdminServer::Impl::adopt(IoLoop& loop, const WebSocketHandler& handler, tcp::socket socket,
                              http::request<http::string_body> upgrade, AdminRequest request) {
  loop.websockets.remove_if([](const auto& weak) { return weak.expired(); });
  auto connection = std::make_shared<WebSocketConnection>(
      std::move(socket), handler,
      WebSocketCounters{open, open_websockets, rejections.counter(Rejection::kWebSocketOverflow),
                        rejections.counter(Rejection::kHandlerError)},
      options.max_request_bytes);
  loop.websockets.push_back(connection);
  connection->accept(std::move(upgrade), std::move(request), weak_from_this(),
                     options.max_websocket_queue, last_websocket_id.fetch_add(1) + 1);
}

void PendingAnswer::deliver(AdminResponse answer) {
  if (answered_.exchange(true)) return;
  auto server = server_.lock();
  if (!server) return;
  // After stop() nothing runs the posted work; it is destroyed with the io_context.
  asio::post(loop_.io, [session = session_, answer = std::move(answer)] {
    if (auto s = session.lock()) s->answer(answer);
  });
}

Route AdminServer::Impl::find_route(std::string_view path) {
  lumen::internal::MutexLock lock(routes_mutex);
  if (const auto exact = routes.find(path); exact != routes.end()) return exact->second;
  const Route* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& [pattern, route] : routes) {
    if (pattern.size() < 2 || !pattern.ends_with("/*")) continue;
    const std::string_view prefix(pattern.data(), pattern.size() - 1);  // keeps the '/'
    if (path.starts_with(prefix) && prefix.size() > best_length) {
      best = &route;
      best_length = prefix.size();
    }
  }
  return best ? *best : Route{};
}

AdminResponse AdminServer::Impl::run(const AdminHandler& handler, const AdminRequest& request) {
  try {
    return handler(request);
  } catch (const std::exception& e) {
    rejections.add(Rejection::kHandlerError);
    return failure_response(e.what());
  } catch (...) {
    rejections.add(Rejection::kHandlerError);
    return failure_response("");
  }
}

void AdminServer::Impl::close_acceptor() {
  error_code ignored;
  accept_pause.cancel();
  acceptor->close(ignored);
}

void AdminServer::Impl::close_loop(IoLoop& loop) {
  for (auto& weak : loop.sessions) {
    if (auto session = weak.lock()) session->close();
  }
  for (auto& weak : loop.websockets) {
    if (auto connection = weak.lock()) connection->abort();
  }
  loop.waiting.clear();
}

AdminServer::AdminServer(AdminServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(options))) {}

AdminServer::~AdminServer() {
  stop();
}

void AdminServer::route(std::string path, AdminHandler handler) {
  lumen::internal::MutexLock lock(impl_->routes_mutex);
  impl_->routes.insert_or_assign(std::move(path),
                                 Route{.sync = std::move(handler), .async = {}, .websocket = {}});
}

void AdminServer::route_async(std::string path, AsyncAdminHandler handler) {
  lumen::internal::MutexLock lock(impl_->routes_mutex);
  impl_->routes.insert_or_assign(std::move(path),
                                 Route{.sync = {}, .async = std::move(handler), .websocket = {}});
}

void AdminServer::route_websocket(std::string path, WebSocketHandler handler) {
  lumen::internal::MutexLock lock(impl_->routes_mutex);
  impl_->routes.insert_or_assign(
      std::move(path),
      Route{.sync = {},
            .async = {},
            .websocket = std::make_shared<const WebSocketHandler>(std::move(handler))});
}

void AdminServer::start() {
  Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.lifecycle);
  if (s.started) return;
  error_code ec;
  const auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) throw Error("admin server: METRICS_HOST '" + s.options.host + "' is not an IP address");
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.emplace(s.loops.front()->io);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) s.acceptor->non_blocking(true, ec);  // for the accept() made room for by the spare
  if (ec) {
    throw Error("admin server: cannot listen on " + s.options.host + ":" +
                std::to_string(s.options.port) + ": " + ec.message() +
                " (set METRICS_PORT to a free port)");
  }
  s.bound_port.store(s.acceptor->local_endpoint().port());
  s.connection_limit.store(std::min(detail::connection_cap_from_fd_limit(s.options.max_connections),
                                    detail::process_connection_cap()));
  if (s.options.meter_provider != nullptr) {
    s.rejection_metric = s.rejections.export_to(*s.options.meter_provider, s.bound_port.load());
  }
  s.started = true;
  s.accept();
  for (auto& loop : s.loops) loop->thread = std::thread([&io = loop->io] { io.run(); });
}

void AdminServer::stop() noexcept {
  Impl& s = *impl_;
  lumen::internal::MutexLock lock(s.lifecycle);
  if (!s.started || s.stopped) return;
  s.stopped = true;
  // The acceptor first: once it is closed no connection is dealt to a loop any more, so each
  // loop's close below comes after every connection queued for it. Closing a loop's connections on
  // its thread ends their pending operations; with its guard gone, its run() then returns.
  std::promise<void> acceptor_closed;
  asio::post(s.loops.front()->io, [&s, &acceptor_closed] {
    s.close_acceptor();
    acceptor_closed.set_value();
  });
  acceptor_closed.get_future().wait();
  for (auto& loop : s.loops) {
    asio::post(loop->io, [&loop = *loop] { Impl::close_loop(loop); });
    loop->keep_running.reset();
  }
  for (auto& loop : s.loops) loop->thread.join();
}

std::uint16_t AdminServer::port() const noexcept {
  return impl_->bound_port.load();
}

AdminServerStats AdminServer::stats() const noexcept {
  const Impl& s = *impl_;
  const auto& r = s.rejections;
  return {.requests = s.requests.load(),
          .rejected_connections =
              r.get(Rejection::kConnectionLimit) + r.get(Rejection::kDescriptorsExhausted),
          .timed_out_connections = r.get(Rejection::kReadTimeout) + r.get(Rejection::kWriteTimeout),
          .handler_errors = r.get(Rejection::kHandlerError),
          .abandoned_responses = r.get(Rejection::kAbandoned),
          .refused_requests = r.get(Rejection::kBadRequest) + r.get(Rejection::kHeaderTooLarge) +
                              r.get(Rejection::kBodyTooLarge) +
                              r.get(Rejection::kExpectationFailed),
          .open_connections = s.open.load(),
          .open_websockets = s.open_websockets.load(),
          .websocket_overflows = r.get(Rejection::kWebSocketOverflow),
          .connection_limit = s.connection_limit.load()};
}

}  // namespace lumen::admin
