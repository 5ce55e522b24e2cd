// HttpTransport: the one seam between lumen and an HTTP server, as LevelDB's Env is between a
// database and the file system. Every exporter, the webhook notifier and the Prometheus report
// source send through it; the real one is libcurl (kept out of public headers), pooled, with
// deadlines, TLS and gzip. Retries, back-off and Retry-After are the sender's (they read the
// exchanges this returns), so a test that hands a component an InMemoryTransport sees every
// attempt and decides every answer without a server.
//
//   class Refusing final : public lumen::exporters::HttpTransport {
//    public:
//     lumen::exporters::HttpExchange perform(const lumen::exporters::HttpRequest&) override {
//       return {.status = 503};
//     }
//     void abort() noexcept override {}
//   };
//
// Thread-safety: perform() may be called from several threads at once; abort() from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lumen/core/deadline.hpp"

namespace lumen::exporters {

// Header or trailer fields in order. Response names are in lower case.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string_view method = "POST";  // "GET" or "POST"
  std::string url;
  HttpHeaders headers;       // sent as given; an empty value sends the header with no value
  std::string_view body;     // POST only; must stay valid until perform() returns
  Deadline deadline;         // for the whole exchange, the connection included
  bool accept_gzip = false;  // ask for a compressed answer, decoded on arrival
  std::size_t max_response_body =
      std::size_t{64} * 1024;  // the rest of a longer body is read and dropped
};

// Why no whole response arrived.
enum class TransportError : std::uint8_t {
  kNone,
  kCannotConnect,     // refused or unreachable: the server may be restarting
  kConnectionFailed,  // resolved, sent or received in part: worth another try
  kTimedOut,          // the deadline came first
  kAborted,           // abort() was called
  kFailed,            // anything else (a bad URL, a TLS certificate refused, out of memory)
};

struct HttpExchange {
  long status = 0;     // 0 unless a response arrived
  HttpHeaders fields;  // headers then trailers, names in lower case
  std::string body;    // at most the request's max_response_body
  TransportError error = TransportError::kNone;
  std::string error_text;  // why, when error is not kNone
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // One request and its response, by the request's deadline. Never throws.
  virtual HttpExchange perform(const HttpRequest& request) = 0;
  // Makes every running and later perform() return kAborted promptly (used at shutdown).
  virtual void abort() noexcept = 0;
};

}  // namespace lumen::exporters
