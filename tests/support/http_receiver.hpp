// HttpReceiver: a real HTTP/1.1 server on 127.0.0.1 (an ephemeral port) for integration tests.
// It records every request (method, path, headers, raw body) and answers each with the next
// scripted response (default 200 with an empty body). It can also hang (accept and never answer)
// to test deadlines.
//
//   lumen::testing::HttpReceiver receiver;
//   receiver.script({{503, "", {{"Retry-After", "0"}}}, {200, ""}});
//   std::string url = receiver.url("/v1/traces");
//   ...
//   auto requests = receiver.wait_for_requests(2, std::chrono::seconds(5));
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lumen::testing {

struct ReceivedRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;                            // raw, as received (still gzip if it was sent so)
  std::uint64_t connection = 0;  // 1 for the first accepted connection, 2 for the next...
};

struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool hang = false;  // never answer this request (the connection stays open until shutdown)
};

class HttpReceiver {
 public:
  HttpReceiver();
  ~HttpReceiver();
  HttpReceiver(const HttpReceiver&) = delete;
  HttpReceiver& operator=(const HttpReceiver&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  [[nodiscard]] std::string url(const std::string& path) const;
  // Responses for the next requests, in order; after they run out, 200 with an empty body.
  void script(std::vector<ScriptedResponse> responses);
  // Waits until at least n requests arrived or the timeout passes; returns what arrived.
  std::vector<ReceivedRequest> wait_for_requests(std::size_t n, std::chrono::milliseconds timeout);
  [[nodiscard]] std::vector<ReceivedRequest> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lumen::testing
