// AdminServer: the small HTTP endpoint a service exposes for its operators: GET /metrics for
// Prometheus, GET /healthz, and whatever else is routed to it (the report and the dashboard).
//
// It runs on its own thread with asynchronous I/O, so a slow or stuck client only costs its own
// connection: every connection has a deadline to send its request and to take the response, the
// number of connections is bounded (extra ones are refused with 503 and counted), and requests
// larger than a limit are refused with 413 (431 for headers over 16 KiB; 400 for a malformed
// request, such as a garbage request line or conflicting Content-Length). The connection bound is
// also kept below the process's descriptor limit (RLIMIT_NOFILE, less the descriptors open at
// start() and a reserve of 32); should descriptors run out anyway, the server answers 503 with a
// spare descriptor it keeps for the purpose and pauses accepting rather than spin. Every refusal
// is counted by reason, and exported as lumen.http.server.rejections{reason, server.port} when
// options.meter_provider is set. A client that sends "Expect: 100-continue" (curl does for
// bodies over 1 MB) gets "100 Continue" as soon as its headers are read, or 413 before it sends a
// body over the limit, or 417 for an expectation other than 100-continue.
// Handlers run on the server's I/O thread, one at a time; a handler with slow work to do is routed
// with route_async() and answers later from any thread, so the I/O thread is never held (the
// reference gateway serves its API this way). With options.io_threads above 1, connections are
// dealt in turn to that many I/O threads, each with its own event loop: a connection stays on
// one, but handlers of different connections then run at the same time, and must be thread-safe. A
// path routed with route_websocket() takes WebSocket connections (RFC 6455): the server pushes text
// messages to them from any thread, through a bounded queue per connection. Thread-safety: every
// method may be called from any thread, route() included, before or after start().
//
//   lumen::admin::AdminServer admin({.port = 9464});
//   admin.route("/metrics", lumen::admin::metrics_handler(meter_provider));
//   admin.start();                     // throws lumen::Error when the port cannot be bound
//   std::cout << "listening on " << admin.port() << '\n';
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lumen::metrics {
class MeterProvider;
}

namespace lumen::admin {

struct AdminRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;   // after '?', undecoded; empty when there is none
  std::string accept;  // the Accept header
  std::string body;
  // Every header as received (names as the client spelled them); see header().
  std::vector<std::pair<std::string, std::string>> headers;

  // The value of `name` in the query string (percent-decoded), or `fallback`.
  [[nodiscard]] std::string query_param(std::string_view name, std::string fallback = {}) const;
  // The first header called `name` (case-insensitive), or an empty string.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

struct AdminResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // Answer only after this long, without holding the I/O thread meanwhile: what a simulated slow
  // upstream needs (apps/modelsim). Zero for an immediate answer.
  std::chrono::milliseconds delay{0};
};

using AdminHandler = std::function<AdminResponse(const AdminRequest&)>;

// Answers one asynchronous request. Call it once, from any thread; later calls are ignored. If the
// last copy is destroyed without a call, the client gets a 500, so a request is never left hanging.
using AdminResponder = std::function<void(AdminResponse)>;
using AsyncAdminHandler = std::function<void(AdminRequest, AdminResponder)>;

// One open WebSocket connection, as its handler sees it: a cheap copyable handle. send() and
// close() may be called from any thread, also after the connection has closed (then they do
// nothing). Messages go out in the order send() was called.
class WebSocketChannel {
 public:
  struct State;  // in the implementation
  explicit WebSocketChannel(std::shared_ptr<State> state) : state_(std::move(state)) {}

  // Queues a text message. False when the connection is closed, or when the client reads so slowly
  // that max_websocket_queue messages are already waiting: the connection is then closed (a slow
  // client never grows the server's memory) and counted in AdminServerStats::websocket_overflows.
  bool send(std::string text) const;
  // Sends a close frame (code 1000, normal closure) after the queued messages.
  void close() const;
  [[nodiscard]] bool is_open() const;
  // Unique per connection for the server's lifetime: a key for per-connection state.
  [[nodiscard]] std::uint64_t id() const;

 private:
  std::shared_ptr<State> state_;
};

// The callbacks of a WebSocket route. They run on the server's I/O thread, one at a time, and must
// not block; any may be empty.
struct WebSocketHandler {
  // The handshake is done; `request` is the upgrade request (path, query, headers).
  std::function<void(const WebSocketChannel&, const AdminRequest& request)> on_open;
  // A text message from the client (binary messages close the connection: 1003).
  std::function<void(const WebSocketChannel&, std::string message)> on_message;
  // The connection is gone, whoever closed it. Called once per on_open.
  std::function<void(const WebSocketChannel&)> on_close;
};

struct AdminServerOptions {
  std::string host = "127.0.0.1";  // METRICS_HOST
  std::uint16_t port = 9464;       // METRICS_PORT; 0 picks a free port (see port())
  // Lowered at start() to what the descriptor limit allows (see
  // AdminServerStats::connection_limit).
  std::size_t max_connections = 64;
  // A client must send its whole request within this time, and take the response within
  // write_timeout; otherwise its connection is closed. Idle keep-alive connections count too.
  std::chrono::milliseconds read_timeout = std::chrono::seconds(10);
  std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
  std::size_t max_request_bytes =
      std::size_t{64} * 1024;             // also the largest WebSocket message taken
  std::size_t max_websocket_queue = 256;  // messages waiting to go to one WebSocket client
  // Threads serving connections, each with its own event loop (0: one per core). Above 1,
  // handlers run concurrently (see the overview); the limits above hold for the whole server.
  std::size_t io_threads = 1;
  // Where the server counts what it refuses (lumen.http.server.rejections); null: nowhere. The
  // provider must outlive the server.
  metrics::MeterProvider* meter_provider = nullptr;
};

struct AdminServerStats {
  std::uint64_t requests = 0;              // answered, any status
  std::uint64_t rejected_connections = 0;  // over connection_limit, or out of descriptors (503)
  std::uint64_t timed_out_connections = 0;
  std::uint64_t handler_errors = 0;       // handlers that threw (answered 500)
  std::uint64_t abandoned_responses = 0;  // async requests whose responder was dropped (500)
  std::uint64_t refused_requests = 0;     // malformed (400), too large (413, 431), or 417
  std::size_t open_connections = 0;       // WebSocket connections included
  std::size_t open_websockets = 0;
  std::uint64_t websocket_overflows = 0;  // connections closed because the client read too slowly
  std::size_t connection_limit = 0;       // max_connections as start() lowered it; 0 before
};

class AdminServer {
 public:
  explicit AdminServer(AdminServerOptions options = {});
  ~AdminServer();  // stops
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Routes every method for an exact path to `handler` (replacing an earlier one); handlers check
  // the method themselves. GET /healthz answers "ok" unless routed elsewhere.
  // A path ending in "/*" routes every path under it ("/v1/jobs/*" takes "/v1/jobs/42"); an exact
  // route wins over a prefix, and a longer prefix over a shorter one.
  void route(std::string path, AdminHandler handler);
  // The same for a handler that answers later through its responder, off the I/O thread.
  void route_async(std::string path, AsyncAdminHandler handler);
  // WebSocket connections on an exact path. A request there that is not a WebSocket upgrade gets
  // 426 Upgrade Required. WebSocket connections count against max_connections.
  void route_websocket(std::string path, WebSocketHandler handler);

  // Binds and starts serving. Throws lumen::Error when the address cannot be bound.
  void start();
  // Closes the listener and every connection and joins the thread. Idempotent.
  void stop() noexcept;

  // The bound port (the chosen one when options.port was 0); 0 before start().
  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] AdminServerStats stats() const noexcept;

 private:
  struct Impl;
  friend class Session;        // a connection, in the implementation
  friend class PendingAnswer;  // an asynchronous answer on its way, in the implementation
  std::shared_ptr<Impl> impl_;
};

// GET /metrics: a collection of `provider` in the Prometheus text format, or OpenMetrics when the
// Accept header asks for it. The provider must outlive the server.
[[nodiscard]] AdminHandler metrics_handler(const metrics::MeterProvider& provider);

}  // namespace lumen::admin
