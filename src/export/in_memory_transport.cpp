#include "lumen/export/in_memory_transport.hpp"

#include <utility>

namespace lumen::exporters {

InMemoryTransport::InMemoryTransport(Handler handler) : handler_(std::move(handler)) {}

HttpExchange InMemoryTransport::perform(const HttpRequest& request) {
  try {
    {
      lumen::internal::MutexLock lock(mutex_);
      if (aborted_) return {.error = TransportError::kAborted, .error_text = "aborted"};
      requests_.push_back({std::string(request.method), request.url, request.headers,
                           std::string(request.body), request.deadline});
    }
    if (!handler_) return {.status = 200};
    lumen::internal::MutexLock lock(handler_mutex_);
    return handler_(request);
  } catch (const std::exception& e) {  // out of memory, or the handler threw
    return {.error = TransportError::kFailed, .error_text = e.what()};
  }
}

void InMemoryTransport::abort() noexcept {
  lumen::internal::MutexLock lock(mutex_);
  aborted_ = true;
}

std::vector<InMemoryTransport::Recorded> InMemoryTransport::requests() const {
  lumen::internal::MutexLock lock(mutex_);
  return requests_;
}

}  // namespace lumen::exporters
