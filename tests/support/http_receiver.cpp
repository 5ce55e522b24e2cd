#include "http_receiver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace lumen::testing {
namespace {

constexpr std::size_t kMaxRequestBytes = 64 * 1024 * 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

enum class Parse { kIncomplete, kComplete, kBad };

// Decodes a chunked body starting at `pos`; on success `end` is just past the final CRLF.
Parse parse_chunked(std::string_view buf, std::size_t pos, std::string& body, std::size_t& end) {
  body.clear();
  for (;;) {
    const std::size_t eol = buf.find("\r\n", pos);
    if (eol == std::string_view::npos) return Parse::kIncomplete;
    std::string_view size_text = buf.substr(pos, eol - pos);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    std::size_t size = 0;
    size_text = trim(size_text);
    if (size_text.empty()) return Parse::kBad;
    for (char c : size_text) {
      if (!std::isxdigit(static_cast<unsigned char>(c)) || size > kMaxRequestBytes)
        return Parse::kBad;
      size = size * 16 +
             static_cast<std::size_t>(std::isdigit(static_cast<unsigned char>(c))
                                          ? c - '0'
                                          : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer lines, then an empty line.
      for (;;) {
        const std::size_t line_end = buf.find("\r\n", pos);
        if (line_end == std::string_view::npos) return Parse::kIncomplete;
        const bool empty = line_end == pos;
        pos = line_end + 2;
        if (empty) {
          end = pos;
          return Parse::kComplete;
        }
      }
    }
    if (buf.size() < pos + size + 2) return Parse::kIncomplete;
    body.append(buf.substr(pos, size));
    if (buf.substr(pos + size, 2) != "\r\n") return Parse::kBad;
    pos += size + 2;
  }
}

struct Connection {
  int fd = -1;
  std::uint64_t id = 0;
  std::string in;
  std::string out;
  bool hanging = false;        // a scripted hang: read and ignore everything until shutdown
  bool sent_continue = false;  // answered "Expect: 100-continue" for the current request
  bool close_after_write = false;
};

}  // namespace

struct HttpReceiver::Impl {
  int listen_fd = -1;
  int wake_pipe[2] = {-1, -1};
  std::uint16_t port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};

  mutable std::mutex mutex;
  std::condition_variable arrived;
  std::deque<ScriptedResponse> script;
  std::vector<ReceivedRequest> requests;

  std::vector<Connection> connections;  // owned by the thread
  std::uint64_t accepted = 0;

  Impl() {
    listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) throw std::runtime_error("HttpReceiver: socket() failed");
    const int one = 1;
    ::setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd, 64) != 0 ||
        ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      const std::string why = std::strerror(errno);
      close_all();
      throw std::runtime_error("HttpReceiver: cannot listen on 127.0.0.1: " + why);
    }
    port = ntohs(addr.sin_port);
    thread = std::thread([this] { run(); });
  }

  ~Impl() {
    stopping.store(true);
    const char byte = 1;
    (void)!::write(wake_pipe[1], &byte, 1);
    if (thread.joinable()) thread.join();
    for (auto& c : connections) ::close(c.fd);
    close_all();
  }

  void close_all() {
    if (listen_fd >= 0) ::close(listen_fd);
    for (int& fd : wake_pipe) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
    listen_fd = -1;
  }

  void run() {
    std::vector<pollfd> fds;
    while (!stopping.load()) {
      fds.clear();
      fds.push_back({wake_pipe[0], POLLIN, 0});
      fds.push_back({listen_fd, POLLIN, 0});
      for (const auto& c : connections) {
        fds.push_back({c.fd, static_cast<short>(POLLIN | (c.out.empty() ? 0 : POLLOUT)), 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[0].revents != 0) return;  // woken by the destructor
      // Connections first (indices match `fds` before any accept adds to the vector).
      for (std::size_t i = 0; i < connections.size(); ++i) {
        const short ev = fds[i + 2].revents;
        if (ev != 0 && !service(connections[i], ev)) {
          ::close(connections[i].fd);
          connections[i].fd = -1;
        }
      }
      std::erase_if(connections, [](const Connection& c) { return c.fd < 0; });
      if ((fds[1].revents & POLLIN) != 0) {
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) connections.push_back(Connection{.fd = fd, .id = ++accepted});
      }
    }
  }

  // Reads, answers and writes for one connection; false when it should be closed.
  bool service(Connection& c, short events) {
    if ((events & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buf[16384];
      for (;;) {
        const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
        if (n > 0) {
          if (!c.hanging) c.in.append(buf, static_cast<std::size_t>(n));
          if (c.in.size() > kMaxRequestBytes) return false;
          continue;
        }
        if (n == 0) return false;  // the client closed
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        return false;
      }
      if (!c.hanging && !handle_requests(c)) return false;
    }
    return flush(c);
  }

  bool flush(Connection& c) {
    while (!c.out.empty()) {
      const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n < 0 && errno == EINTR) continue;
      return false;
    }
    return !c.close_after_write;
  }

  // Parses every complete request in c.in and queues its answer; false on a malformed request.
  bool handle_requests(Connection& c) {
    while (!c.hanging) {
      const std::size_t head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) return true;
      ReceivedRequest req;
      req.connection = c.id;
      const std::string_view head(c.in.data(), head_end);
      std::size_t line_end = head.find("\r\n");
      const std::string_view request_line = head.substr(0, line_end);
      const std::size_t sp1 = request_line.find(' ');
      const std::size_t sp2 = request_line.find(' ', sp1 == std::string_view::npos ? sp1 : sp1 + 1);
      if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return reject(c);
      req.method = std::string(request_line.substr(0, sp1));
      req.path = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
      while (line_end != std::string_view::npos && line_end < head.size()) {
        const std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        const std::string_view line =
            head.substr(start, line_end == std::string_view::npos ? head.npos : line_end - start);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name = lower(trim(line.substr(0, colon)));
        const std::string value(trim(line.substr(colon + 1)));
        auto [it, inserted] = req.headers.emplace(name, value);
        if (!inserted) it->second += ", " + value;
      }
      const std::size_t body_start = head_end + 4;
      std::size_t request_end = 0;
      const auto te = req.headers.find("transfer-encoding");
      if (te != req.headers.end() && lower(te->second).find("chunked") != std::string::npos) {
        const Parse p = parse_chunked(c.in, body_start, req.body, request_end);
        if (p == Parse::kBad) return reject(c);
        if (p == Parse::kIncomplete) return answer_continue(c, req);
      } else {
        std::size_t length = 0;
        if (const auto cl = req.headers.find("content-length"); cl != req.headers.end()) {
          try {
            length = std::stoul(cl->second);
          } catch (...) {
            return reject(c);
          }
        }
        if (length > kMaxRequestBytes) return reject(c);
        if (c.in.size() < body_start + length) return answer_continue(c, req);
        req.body = c.in.substr(body_start, length);
        request_end = body_start + length;
      }
      c.in.erase(0, request_end);
      c.sent_continue = false;
      respond(c, std::move(req));
    }
    return true;
  }

  bool answer_continue(Connection& c, const ReceivedRequest& req) {
    const auto expect = req.headers.find("expect");
    if (!c.sent_continue && expect != req.headers.end() &&
        lower(expect->second) == "100-continue") {
      c.out += "HTTP/1.1 100 Continue\r\n\r\n";
      c.sent_continue = true;
    }
    return true;
  }

  bool reject(Connection& c) {
    c.out += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    c.close_after_write = true;
    c.in.clear();
    c.hanging = true;  // read nothing more from it
    return true;
  }

  void respond(Connection& c, ReceivedRequest req) {
    const auto connection = req.headers.find("connection");
    const bool close = connection != req.headers.end() && lower(connection->second) == "close";
    ScriptedResponse response;
    {
      std::lock_guard lock(mutex);
      if (!script.empty()) {
        response = std::move(script.front());
        script.pop_front();
      }
      requests.push_back(std::move(req));
    }
    arrived.notify_all();
    if (response.hang) {
      c.hanging = true;
      c.in.clear();
      return;
    }
    std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                      reason_phrase(response.status) +
                      "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n";
    for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
    if (close) out += "Connection: close\r\n";
    out += "\r\n";
    out += response.body;
    c.out += out;
    if (close) c.close_after_write = true;
  }
};

HttpReceiver::HttpReceiver() : impl_(std::make_unique<Impl>()) {}
HttpReceiver::~HttpReceiver() = default;

std::uint16_t HttpReceiver::port() const {
  return impl_->port;
}

std::string HttpReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + path;
}

void HttpReceiver::script(std::vector<ScriptedResponse> responses) {
  std::lock_guard lock(impl_->mutex);
  for (auto& r : responses) impl_->script.push_back(std::move(r));
}

std::vector<ReceivedRequest> HttpReceiver::wait_for_requests(std::size_t n,
                                                             std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  impl_->arrived.wait_for(lock, timeout, [&] { return impl_->requests.size() >= n; });
  return impl_->requests;
}

std::vector<ReceivedRequest> HttpReceiver::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace lumen::testing
