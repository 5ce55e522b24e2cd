// WebSocket routes of the admin endpoint, over real sockets with Beast's client: the handshake,
// messages both ways, pushes from other threads in order, closing from either side and on stop(),
// and a client too slow to read its messages being dropped instead of growing the server's memory.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "http_client.hpp"
#include "lumen/admin/admin_server.hpp"
#include "websocket_client.hpp"

namespace lumen::admin {
namespace {

using namespace std::chrono_literals;
using lumen::testing::WebSocketClient;

using lumen::testing::eventually;

// What the handler saw, for the test thread.
struct Recorder {
  std::mutex mutex;
  std::vector<WebSocketChannel> opened;
  std::vector<std::string> messages;
  std::atomic<int> closes{0};

  WebSocketHandler handler() {
    return {.on_open =
                [this](const WebSocketChannel& c, const AdminRequest&) {
                  std::lock_guard lock(mutex);
                  opened.push_back(c);
                },
            .on_message =
                [this](const WebSocketChannel&, std::string m) {
                  std::lock_guard lock(mutex);
                  messages.push_back(std::move(m));
                },
            .on_close = [this](const WebSocketChannel&) { closes.fetch_add(1); }};
  }
  std::optional<WebSocketChannel> channel(std::size_t i = 0) {
    std::lock_guard lock(mutex);
    if (opened.size() <= i) return std::nullopt;
    return opened[i];
  }
};

class AdminWebSocket : public ::testing::Test {
 protected:
  void start(AdminServerOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<AdminServer>(options);
    server_->route_websocket("/ws", recorder_.handler());
    server_->start();
  }
  WebSocketChannel wait_for_channel(std::size_t i = 0) {
    EXPECT_TRUE(eventually([&] { return recorder_.channel(i).has_value(); }));
    return *recorder_.channel(i);
  }

  Recorder recorder_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminWebSocket, MessagesGoBothWaysAndOpenSeesTheUpgradeRequest) {
  AdminServer server({.port = 0});
  std::string seen_query;
  server.route_websocket("/echo", {.on_open =
                                       [&](const WebSocketChannel& c, const AdminRequest& r) {
                                         seen_query = r.query_param("name");
                                         c.send("hello " + seen_query);
                                       },
                                   .on_message = [](const WebSocketChannel& c,
                                                    std::string m) { c.send("echo: " + m); },
                                   .on_close = {}});
  server.start();
  WebSocketClient client(server.port(), "/echo?name=ada");
  EXPECT_EQ(client.receive(5s), "hello ada");
  client.send("one");
  client.send("two");
  EXPECT_EQ(client.receive(5s), "echo: one");
  EXPECT_EQ(client.receive(5s), "echo: two");
  EXPECT_EQ(server.stats().open_websockets, 1U);
}

TEST_F(AdminWebSocket, PushesFromAnotherThreadArriveInTheOrderTheyWereSent) {
  start();
  WebSocketClient client(server_->port(), "/ws");
  const WebSocketChannel channel = wait_for_channel();
  // Fewer than the queue holds, however slow the client is to read them.
  std::jthread pusher([channel] {
    for (int i = 0; i < 200; ++i) EXPECT_TRUE(channel.send(std::to_string(i)));
  });
  for (int i = 0; i < 200; ++i) {
    const auto message = client.receive(5s);
    ASSERT_TRUE(message) << "message " << i << " never came";
    ASSERT_EQ(*message, std::to_string(i));
  }
}

TEST_F(AdminWebSocket, APlainRequestToAWebSocketPathGets426) {
  start();
  const auto reply = lumen::testing::http_get(server_->port(), "/ws");
  EXPECT_EQ(reply.status, 426);
  EXPECT_EQ(reply.headers.at("upgrade"), "websocket");
  EXPECT_EQ(server_->stats().open_websockets, 0U);
}

TEST_F(AdminWebSocket, AServerCloseSendsTheQueuedMessagesFirstThenCode1000) {
  start();
  WebSocketClient client(server_->port(), "/ws");
  WebSocketChannel channel = wait_for_channel();
  EXPECT_TRUE(channel.send("a"));
  EXPECT_TRUE(channel.send("b"));
  channel.close();
  EXPECT_FALSE(channel.is_open());
  EXPECT_FALSE(channel.send("after close"));
  EXPECT_EQ(client.receive(5s), "a");
  EXPECT_EQ(client.receive(5s), "b");
  EXPECT_TRUE(client.closed_by_server_within(5s));
  EXPECT_EQ(client.close_code(), 1000);
  EXPECT_TRUE(eventually([&] { return recorder_.closes.load() == 1; }));
  EXPECT_TRUE(eventually([&] { return server_->stats().open_connections == 0; }));
}

TEST_F(AdminWebSocket, AClientCloseCallsOnCloseOnceAndFreesTheConnection) {
  start();
  {
    WebSocketClient client(server_->port(), "/ws");
    client.send("last words");
    const WebSocketChannel channel = wait_for_channel();
    EXPECT_EQ(server_->stats().open_websockets, 1U);
    client.close();
    EXPECT_TRUE(eventually([&] { return !channel.is_open(); }));
  }
  EXPECT_TRUE(eventually([&] { return recorder_.closes.load() == 1; }));
  EXPECT_TRUE(eventually([&] { return server_->stats().open_connections == 0; }));
  EXPECT_EQ(server_->stats().open_websockets, 0U);
  std::lock_guard lock(recorder_.mutex);
  EXPECT_EQ(recorder_.messages, std::vector<std::string>{"last words"});
}

TEST_F(AdminWebSocket, AClientThatDoesNotReadIsDroppedWhenItsQueueIsFullAndCounted) {
  start({.max_websocket_queue = 4});
  WebSocketClient client(server_->port(), "/ws");  // never reads
  const WebSocketChannel channel = wait_for_channel();
  const std::string chunk(64 * 1024, 'x');
  int accepted = 0;
  // The socket buffers take a few megabytes; after them only four messages may wait.
  while (accepted < 10'000 && channel.send(chunk)) ++accepted;
  EXPECT_LT(accepted, 10'000) << "the queue never filled";
  EXPECT_FALSE(channel.is_open());
  EXPECT_TRUE(eventually([&] { return server_->stats().websocket_overflows == 1; }));
  EXPECT_TRUE(eventually([&] { return recorder_.closes.load() == 1; }));
  EXPECT_TRUE(eventually([&] { return server_->stats().open_websockets == 0; }));
}

TEST_F(AdminWebSocket, StopClosesOpenWebSocketsAndCallsOnClose) {
  start();
  WebSocketClient client(server_->port(), "/ws");
  const WebSocketChannel channel = wait_for_channel();
  server_->stop();
  EXPECT_TRUE(client.closed_by_server_within(5s));
  EXPECT_EQ(recorder_.closes.load(), 1);
  EXPECT_FALSE(channel.send("after stop"));
}

TEST_F(AdminWebSocket, AThrowingHandlerIsCountedAndTheConnectionLivesOn) {
  AdminServer server({.port = 0});
  server.route_websocket("/ws", {.on_open = {},
                                 .on_message =
                                     [](const WebSocketChannel& c, std::string m) {
                                       if (m.size() == 3 && m[0] == 'b')
                                         throw std::runtime_error("handler bug");
                                       c.send("ok " + m);
                                     },
                                 .on_close = {}});
  server.start();
  WebSocketClient client(server.port(), "/ws");
  client.send("bad");
  client.send("good");
  EXPECT_EQ(client.receive(5s), "ok good");
  EXPECT_EQ(server.stats().handler_errors, 1U);
}

TEST_F(AdminWebSocket, WebSocketsCountAgainstTheConnectionLimit) {
  start({.max_connections = 2});
  WebSocketClient first(server_->port(), "/ws");
  WebSocketClient second(server_->port(), "/ws");
  wait_for_channel(1);
  EXPECT_EQ(lumen::testing::http_get(server_->port(), "/healthz").status, 503);
  EXPECT_EQ(server_->stats().open_connections, 2U);
}

}  // namespace
}  // namespace lumen::admin
