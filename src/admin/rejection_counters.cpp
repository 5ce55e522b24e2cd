#include "rejection_counters.hpp"

namespace lumen::admin::detail {

std::string_view reason_name(Rejection rejection) {
  switch (rejection) {
    case Rejection::kBadRequest:
      return "bad_request";
    case Rejection::kHeaderTooLarge:
      return "header_too_large";
    case Rejection::kBodyTooLarge:
      return "body_too_large";
    case Rejection::kExpectationFailed:
      return "expectation_failed";
    case Rejection::kConnectionLimit:
      return "connection_limit";
    case Rejection::kDescriptorsExhausted:
      return "descriptors_exhausted";
    case Rejection::kReadTimeout:
      return "read_timeout";
    case Rejection::kWriteTimeout:
      return "write_timeout";
    case Rejection::kHandlerError:
      return "handler_error";
    case Rejection::kAbandoned:
      return "abandoned_response";
    case Rejection::kWebSocketOverflow:
      return "websocket_overflow";
    case Rejection::kCount:
      break;
  }
  return "unknown";
}

metrics::ObservableRegistration RejectionCounters::export_to(metrics::MeterProvider& provider,
                                                             std::uint16_t port) const {
  // Two servers in one process (a public API and the admin endpoint) share a provider: the port
  // tells their series apart.
  return provider.meter("lumen").create_observable_counter(
      "lumen.http.server.rejections",
      [this, port](metrics::ObserverResult& result) {
        for (std::size_t i = 0; i < counts_.size(); ++i) {
          const auto rejection = static_cast<Rejection>(i);
          result.observe(static_cast<std::int64_t>(get(rejection)),
                         {{"reason", reason_name(rejection)},
                          {"server.port", static_cast<std::int64_t>(port)}});
        }
      },
      {.description =
           "Requests and connections the HTTP server refused or failed to serve, by reason",
       .unit = "{rejection}"});
}

}  // namespace lumen::admin::detail
