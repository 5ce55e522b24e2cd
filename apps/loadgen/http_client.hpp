// A blocking HTTP/1.1 client on libcurl, one per thread (the connection is kept alive between
// requests). What the load generator uses to talk to the gateway.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace loadgen {

struct HttpResult {
  int status = 0;  // 0: no answer (refused, timed out)
  std::string body;
  std::string error;  // when status is 0
};

class HttpClient {
 public:
  explicit HttpClient(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult post(const std::string& url, std::string_view json_body);
  HttpResult get(const std::string& url);

 private:
  HttpResult perform();
  void* handle_;  // CURL*
  std::string reply_;
};

}  // namespace loadgen
