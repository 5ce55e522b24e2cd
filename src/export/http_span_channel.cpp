#include "export/http_span_channel.hpp"

#include <algorithm>

namespace lumen::exporters::detail {
namespace {

std::string describe_failed_post(const std::string& endpoint, const HttpSendResult& result) {
  std::string reason = "POST " + endpoint + " failed";
  if (result.status != 0) reason += " with HTTP " + std::to_string(result.status);
  reason += " after " + std::to_string(result.attempts) +
            (result.attempts == 1 ? " attempt" : " attempts");
  if (!result.error.empty()) reason += ": " + result.error;
  return reason;
}

}  // namespace

Deadline HttpSpanChannel::deadline_for(Deadline deadline) const noexcept {
  return std::min(deadline, clock_.now() + timeout_);
}

bool HttpSpanChannel::post(const std::string& body, std::size_t spans, Deadline deadline) noexcept {
  std::string failure;
  try {
    const HttpSendResult result = sender_.send(body, deadline);
    if (result.delivered) {
      spans_exported_.fetch_add(spans, std::memory_order_relaxed);
      requests_sent_.fetch_add(1, std::memory_order_relaxed);
      bytes_sent_.fetch_add(body.size(), std::memory_order_relaxed);
      return true;
    }
    failure = describe_failed_post(endpoint_, result);
  } catch (const std::exception& e) {  // out of memory
    try {
      failure = "POST " + endpoint_ + " failed: " + e.what();
    } catch (...) {
    }
  }
  fail(spans, failure);
  return false;
}

void HttpSpanChannel::fail(std::size_t spans, const std::string& reason) noexcept {
  spans_failed_.fetch_add(spans, std::memory_order_relaxed);
  requests_failed_.fetch_add(1, std::memory_order_relaxed);
  try {
    reporter_.report(std::string("lumen: ") + exporter_ + " export: " + reason + "; " +
                         std::to_string(spans) + (spans == 1 ? " span" : " spans") + " dropped",
                     spans);
  } catch (...) {
    // No memory for the line; the failure is counted.
  }
}

bool HttpSpanChannel::accepts(std::size_t spans) noexcept {
  if (!shut_down_.load(std::memory_order_acquire)) return true;
  spans_failed_.fetch_add(spans, std::memory_order_relaxed);
  return false;
}

void HttpSpanChannel::shut_down() noexcept {
  shut_down_.store(true, std::memory_order_release);
  sender_.abort();
}

HttpSpanExportStats HttpSpanChannel::stats() const noexcept {
  return HttpSpanExportStats{
      .spans_exported = spans_exported_.load(std::memory_order_relaxed),
      .spans_failed = spans_failed_.load(std::memory_order_relaxed),
      .requests_sent = requests_sent_.load(std::memory_order_relaxed),
      .requests_failed = requests_failed_.load(std::memory_order_relaxed),
      .bytes_sent = bytes_sent_.load(std::memory_order_relaxed),
  };
}

}  // namespace lumen::exporters::detail
