// A TCP server on 127.0.0.1 that plays a script: the first connection after set_reply() receives
// those bytes and then the end of the stream; later connections (a client's retry) receive only the
// end. It reads what the client sends until the client closes. One connection at a time, on its own
// thread, for as long as the object lives.
// Header-only, without GoogleTest: the Redis reply fuzzer (fuzz/) and the unit tests share it.
//
//   ScriptedTcpServer server;
//   server.set_reply("$2\r\nhi\r\n");
//   RedisClient redis({.url = "redis://127.0.0.1:" + std::to_string(server.port())});
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace lumen::testing {

class ScriptedTcpServer {
 public:
  ScriptedTcpServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("ScriptedTcpServer: cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedTcpServer() {
    stop_.store(true);
    thread_.join();
    ::close(listener_);
  }
  ScriptedTcpServer(const ScriptedTcpServer&) = delete;
  ScriptedTcpServer& operator=(const ScriptedTcpServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  void set_reply(std::string_view reply) {
    const std::lock_guard lock(mutex_);
    reply_.assign(reply);
  }

 private:
  // Waits for `fd` to be readable, checking every 50 ms whether the server is stopping.
  bool readable(int fd) const {
    pollfd p{fd, POLLIN, 0};
    while (!stop_.load()) {
      if (::poll(&p, 1, 50) > 0) return true;
    }
    return false;
  }

  void serve() {
    while (readable(listener_)) {
      const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      std::string reply;
      {
        const std::lock_guard lock(mutex_);
        reply.swap(reply_);
      }
      for (std::size_t sent = 0; sent < reply.size();) {
        const ssize_t n =
            ::send(connection, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      ::shutdown(connection, SHUT_WR);
      char sink[4096];
      while (readable(connection) && ::recv(connection, sink, sizeof sink, 0) > 0) {
      }
      ::close(connection);
    }
  }

  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string reply_;
  std::thread thread_;
};

}  // namespace lumen::testing
