// WebhookNotifier: delivers alert JSON documents by HTTP POST (ALERT_WEBHOOK_URL) from a background
// thread, retried with exponential backoff. post() never blocks: it puts the document in a bounded
// queue, and when the queue is full the document is dropped and counted.
//
//   lumen::report::WebhookNotifier hook({.url = env.get("ALERT_WEBHOOK_URL")});
//   hook.post(R"({"alert":"error_rate","state":"firing"})");
//   hook.flush(std::chrono::seconds(2));       // tests and shutdown
//
// Thread safety: every method may be called from any thread. The destructor stops the worker within
// `shutdown_timeout` (an attempt in flight is bounded by `request_timeout`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lumen::report {

struct WebhookStats {
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;   // gave up after max_attempts, or a 4xx answer
  std::uint64_t dropped = 0;  // queue full, or still queued at shutdown
  std::uint64_t retries = 0;
};

// Sends one POST; returns the HTTP status, or 0 when no answer came (connection refused, timeout).
using WebhookTransport = std::function<int(const std::string& url, const std::string& body,
                                           std::chrono::milliseconds timeout)>;

struct WebhookOptions {
  std::string url;  // empty: post() counts the document as dropped
  std::size_t queue_capacity = 256;
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  std::chrono::milliseconds request_timeout{5'000};
  std::chrono::milliseconds shutdown_timeout{2'000};
  WebhookTransport transport;  // empty: libcurl
};

class WebhookNotifier {
 public:
  explicit WebhookNotifier(WebhookOptions options);
  ~WebhookNotifier();
  WebhookNotifier(const WebhookNotifier&) = delete;
  WebhookNotifier& operator=(const WebhookNotifier&) = delete;

  // Queues `json` for delivery; false when it was dropped (full queue, no URL, stopped).
  bool post(std::string json) noexcept;
  // Waits until the queue is empty and nothing is in flight, or the timeout passes.
  bool flush(std::chrono::milliseconds timeout);
  [[nodiscard]] WebhookStats stats() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The libcurl transport: one POST (Content-Type: application/json) through the exporters' HTTP
// sender, so http:// and https:// only; the notifier does the retrying.
[[nodiscard]] WebhookTransport curl_webhook_transport();

}  // namespace lumen::report
