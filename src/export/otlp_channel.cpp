#include "export/otlp_channel.hpp"

#include "lumen/core/error.hpp"

namespace lumen::exporters::detail {

const std::string& checked_otlp_endpoint(const OtlpSignal& signal, const std::string& endpoint,
                                         std::chrono::milliseconds timeout) {
  if (endpoint.rfind("http://", 0) != 0 && endpoint.rfind("https://", 0) != 0) {
    throw Error("OTLP " + std::string(signal.noun) + "endpoint '" + endpoint +
                "' is not an http:// or https:// URL; set OTEL_EXPORTER_OTLP_ENDPOINT (for example "
                "http://localhost:4318) or " +
                std::string(signal.endpoint_variable));
  }
  if (timeout <= std::chrono::milliseconds(0)) {
    throw Error("OTLP " + std::string(signal.noun) + "export timeout must be positive (" +
                std::string(signal.timeout_variable) + ", in milliseconds)");
  }
  return endpoint;
}

OtlpPostOutcome OtlpChannel::post(Deadline deadline) {
  OtlpSendResult result = sender_.send(body_, deadline);
  requests_.fetch_add(static_cast<std::uint64_t>(result.attempts), std::memory_order_relaxed);
  if (result.attempts > 1) {
    retries_.fetch_add(static_cast<std::uint64_t>(result.attempts - 1), std::memory_order_relaxed);
  }
  OtlpPostOutcome outcome;
  outcome.delivered = result.delivered;
  if (!result.delivered) {
    outcome.error = std::move(result.error);  // with the receiver's explanation (OtlpSender)
    return outcome;
  }
  outcome.partial = parse_partial_success(result.response, result.json);
  return outcome;
}

void OtlpChannel::fail(std::string_view what, const std::string& reason) {
  set_last_error(reason);
  reporter.report("lumen: " + std::string(what) + " to " + endpoint_ + " failed: " + reason);
}

void OtlpChannel::report_partial(std::string line, const PartialSuccess& partial, bool rejected) {
  if (!partial.message.empty()) line += ": " + partial.message;
  if (rejected) set_last_error(line);
  reporter.report("lumen: " + line);
}

void OtlpChannel::set_last_error(std::string error) {
  lumen::internal::MutexLock lock(mutex_);
  last_error_ = std::move(error);
}

std::string OtlpChannel::last_error() const {
  lumen::internal::MutexLock lock(mutex_);
  return last_error_;
}

}  // namespace lumen::exporters::detail
