// WebSocket channels under concurrency: threads push to every channel while clients read, close
// and reconnect, and finally the server stops with connections open. Every on_open is matched by
// exactly one on_close, every message a client reads is one that was sent to it, in order, and
// nothing crashes or hangs (the suite also runs under ThreadSanitizer).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "lumen/admin/admin_server.hpp"
#include "websocket_client.hpp"

namespace lumen::admin {
namespace {

using namespace std::chrono_literals;

TEST(AdminWebSocketStress, PushersClosersAndStopRaceWithoutLosingOrder) {
  AdminServer server({.port = 0, .max_websocket_queue = 64});
  std::mutex mutex;
  std::map<std::uint64_t, WebSocketChannel> open;  // by channel id
  std::atomic<int> opened{0};
  std::atomic<int> closed{0};
  server.route_websocket("/ws", {.on_open =
                                     [&](const WebSocketChannel& c, const AdminRequest&) {
                                       opened.fetch_add(1);
                                       std::lock_guard lock(mutex);
                                       open.emplace(c.id(), c);
                                     },
                                 .on_message = {},
                                 .on_close =
                                     [&](const WebSocketChannel& c) {
                                       closed.fetch_add(1);
                                       std::lock_guard lock(mutex);
                                       open.erase(c.id());
                                     }});
  server.start();

  // Pushers: a per-channel sequence number in every message, so a client can check the order.
  std::atomic<bool> pushing{true};
  std::vector<std::jthread> pushers;
  std::mutex sequence_mutex;
  std::map<std::uint64_t, std::uint64_t> next_sequence;
  for (int p = 0; p < 3; ++p) {
    pushers.emplace_back([&] {
      while (pushing.load()) {
        std::vector<WebSocketChannel> targets;
        {
          std::lock_guard lock(mutex);
          for (const auto& [id, channel] : open) targets.push_back(channel);
        }
        for (const WebSocketChannel& channel : targets) {
          // Numbered and sent under one lock, so that numbers go out in order per channel.
          std::lock_guard lock(sequence_mutex);
          channel.send(std::to_string(next_sequence[channel.id()]++));
        }
        std::this_thread::sleep_for(1ms);
      }
    });
  }

  // Clients: connect, read a while checking the order, close; some are left open for stop().
  std::atomic<int> out_of_order{0};
  std::atomic<int> messages{0};
  std::vector<std::jthread> clients;
  std::vector<std::unique_ptr<lumen::testing::WebSocketClient>> left_open(4);
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int round = 0; round < 5; ++round) {
        auto client = std::make_unique<lumen::testing::WebSocketClient>(server.port(), "/ws");
        long previous = -1;
        for (int i = 0; i < 20; ++i) {
          const auto message = client->receive(2s);
          if (!message) break;  // dropped as too slow, or no pusher reached it yet
          const long n = std::stol(*message);
          if (previous >= 0 && n != previous + 1) out_of_order.fetch_add(1);
          previous = n;
          messages.fetch_add(1);
        }
        if (round == 4) {
          left_open[static_cast<std::size_t>(c)] = std::move(client);
        } else {
          client->close();
        }
      }
    });
  }
  clients.clear();  // joins
  pushing.store(false);
  pushers.clear();
  server.stop();

  EXPECT_EQ(out_of_order.load(), 0);
  EXPECT_GT(messages.load(), 0);
  EXPECT_EQ(opened.load(), 20);
  EXPECT_EQ(closed.load(), opened.load());
  EXPECT_EQ(server.stats().open_websockets, 0U);
  for (const auto& client : left_open) EXPECT_TRUE(client->closed_by_server_within(5s));
}

}  // namespace
}  // namespace lumen::admin
