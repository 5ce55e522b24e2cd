#include "lumen/report/webhook.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace lumen::report {
namespace {

std::size_t discard_body(char*, std::size_t size, std::size_t n, void*) { return size * n; }

bool retryable(int status) { return status == 0 || status == 429 || status >= 500; }

}  // namespace

WebhookTransport curl_webhook_transport() {
  return [](const std::string& url, const std::string& body, std::chrono::milliseconds timeout) {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return 0;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return static_cast<int>(status);
  };
}

struct WebhookNotifier::Impl {
  WebhookOptions opt;
  mutable std::mutex mu;
  std::condition_variable wake;   // the worker: new work or stop
  std::condition_variable idle;   // flush(): the queue drained
  std::deque<std::string> queue;
  bool in_flight = false;
  bool stopping = false;
  WebhookStats st;
  std::thread worker;

  void run() {
    std::unique_lock lock(mu);
    while (true) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping) break;
      std::string body = std::move(queue.front());
      queue.pop_front();
      in_flight = true;
      auto backoff = opt.initial_backoff;
      bool done = false;
      for (int attempt = 1; attempt <= opt.max_attempts && !stopping; ++attempt) {
        lock.unlock();
        const int status = opt.transport(opt.url, body, opt.request_timeout);
        lock.lock();
        if (status >= 200 && status < 300) {
          ++st.delivered;
          done = true;
          break;
        }
        if (!retryable(status) || attempt == opt.max_attempts) break;
        ++st.retries;
        // Sleeps on the condition variable so that shutdown interrupts the backoff.
        wake.wait_for(lock, backoff, [&] { return stopping; });
        backoff = std::min(backoff * 2, opt.max_backoff);
      }
      if (!done) {
        if (stopping) {
          ++st.dropped;
        } else {
          ++st.failed;
        }
      }
      in_flight = false;
      if (queue.empty()) idle.notify_all();
    }
    st.dropped += queue.size();
    queue.clear();
    in_flight = false;
    idle.notify_all();
  }
};

WebhookNotifier::WebhookNotifier(WebhookOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->opt = std::move(options);
  if (!impl_->opt.transport) impl_->opt.transport = curl_webhook_transport();
  impl_->opt.max_attempts = std::max(1, impl_->opt.max_attempts);
  if (!impl_->opt.url.empty()) impl_->worker = std::thread([this] { impl_->run(); });
}

WebhookNotifier::~WebhookNotifier() {
  if (!impl_->worker.joinable()) return;
  (void)flush(impl_->opt.shutdown_timeout);
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->worker.join();
}

bool WebhookNotifier::post(std::string json) noexcept {
  try {
    std::lock_guard lock(impl_->mu);
    if (impl_->opt.url.empty() || impl_->stopping ||
        impl_->queue.size() >= impl_->opt.queue_capacity) {
      ++impl_->st.dropped;
      return false;
    }
    impl_->queue.push_back(std::move(json));
  } catch (...) {
    return false;
  }
  impl_->wake.notify_one();
  return true;
}

bool WebhookNotifier::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->idle.wait_for(lock, timeout,
                              [&] { return impl_->queue.empty() && !impl_->in_flight; });
}

WebhookStats WebhookNotifier::stats() const noexcept {
  std::lock_guard lock(impl_->mu);
  return impl_->st;
}

}  // namespace lumen::report
