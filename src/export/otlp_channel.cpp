#include "export/otlp_channel.hpp"

namespace lumen::exporters::detail {

OtlpPostOutcome OtlpChannel::post(Deadline deadline) {
  OtlpSendResult result = sender_.send(body, deadline);
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

void OtlpChannel::set_last_error(std::string error) {
  lumen::internal::MutexLock lock(mutex_);
  last_error_ = std::move(error);
}

std::string OtlpChannel::last_error() const {
  lumen::internal::MutexLock lock(mutex_);
  return last_error_;
}

}  // namespace lumen::exporters::detail
