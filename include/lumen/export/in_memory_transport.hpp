// InMemoryTransport: an HttpTransport for tests. It keeps every request and answers each with a
// handler the test gives (by default, 200 with an empty body), so retries, back-off, Retry-After,
// gzip and timeouts are tested without a server and, with a ManualClock, without waiting.
//
//   auto transport = std::make_shared<lumen::exporters::InMemoryTransport>(
//       [](const lumen::exporters::HttpRequest& request) {
//         return lumen::exporters::HttpExchange{.status = request.body.empty() ? 400 : 200};
//       });
//   // ... hand `transport` to the component under test, make it send ...
//   for (const auto& request : transport->requests()) { /* request.url, .headers, .body */ }
//
// Thread-safety: every member may be called from any thread; the handler is called on the
// sending thread, never twice at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "lumen/core/internal/mutex.hpp"
#include "lumen/export/http_transport.hpp"

namespace lumen::exporters {

class InMemoryTransport final : public HttpTransport {
 public:
  using Handler = std::function<HttpExchange(const HttpRequest&)>;

  // A request as it was sent, with its own copy of the body.
  struct Recorded {
    std::string method;
    std::string url;
    HttpHeaders headers;
    std::string body;
    Deadline deadline;
  };

  explicit InMemoryTransport(Handler handler = {});

  // Records the request, then answers it with the handler; kAborted without either after abort().
  HttpExchange perform(const HttpRequest& request) override;
  void abort() noexcept override;

  [[nodiscard]] std::vector<Recorded> requests() const;

 private:
  // Held while the handler runs, which may block (a hung server): abort() does not take it.
  lumen::internal::Mutex handler_mutex_;
  const Handler handler_;
  mutable lumen::internal::Mutex mutex_;
  std::vector<Recorded> requests_ LUMEN_GUARDED_BY(mutex_);
  bool aborted_ LUMEN_GUARDED_BY(mutex_) = false;
};

}  // namespace lumen::exporters
