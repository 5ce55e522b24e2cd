#include "lumen/report/webhook.hpp"

#include "export/http_sender.hpp"
#include "lumen/export/curl_transport.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "core/background_worker.hpp"
#include "lumen/core/error.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::report {
namespace {

bool retryable(int status) {
  return status == 0 || status == 429 || status >= 500;
}

}  // namespace

WebhookTransport curl_webhook_transport() {
  // One pool of connections for every post, so that posts to the same receiver reuse one.
  std::shared_ptr<exporters::HttpTransport> transport = exporters::make_curl_transport();
  return [transport](const std::string& url, const std::string& body,
                     std::chrono::milliseconds timeout) {
    try {
      // One attempt: the notifier retries itself, with its own back-off and shutdown.
      exporters::detail::HttpSender sender({.url = url,
                                            .content_type = "application/json",
                                            .max_attempts = 1,
                                            .transport = transport});
      const exporters::detail::HttpSendResult result =
          sender.send(body, std::chrono::steady_clock::now() + timeout);
      return static_cast<int>(result.status);
    } catch (const std::exception&) {  // a URL libcurl cannot use, or out of memory
      return 0;
    }
  };
}

struct WebhookNotifier::Impl {
  WebhookOptions opt;
  mutable lumen::internal::Mutex mu;
  std::condition_variable stopped;  // set with `stopping`: ends a back-off at once
  std::condition_variable idle;     // flush(): the queue drained
  std::deque<std::string> queue LUMEN_GUARDED_BY(mu);
  bool in_flight LUMEN_GUARDED_BY(mu) = false;
  bool stopping LUMEN_GUARDED_BY(mu) = false;
  WebhookStats st LUMEN_GUARDED_BY(mu);
  std::unique_ptr<lumen::detail::BackgroundWorker> worker;  // none without a URL

  // The worker's step when woken: delivers what is queued, until told to stop.
  void deliver_queued() {
    lumen::internal::UniqueLock lock(mu);
    while (!stopping && !queue.empty()) {
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
        stopped.wait_for(lock.native(), backoff, [&]() LUMEN_REQUIRES(mu) { return stopping; });
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
  }

  // The worker's last step: what is still queued is dropped.
  void drop_queued() {
    lumen::internal::MutexLock lock(mu);
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
  if (impl_->opt.url.empty()) return;
  // The step may use the Impl: the destructor always joins the worker.
  impl_->worker = std::make_unique<lumen::detail::BackgroundWorker>(
      lumen::detail::BackgroundWorkerOptions{.name = "lumen-webhook"},
      [impl = impl_.get()](lumen::detail::WorkerEvent event) {
        if (event == lumen::detail::WorkerEvent::kStop) {
          impl->drop_queued();
        } else {
          impl->deliver_queued();
        }
      });
  if (!impl_->worker->start()) throw Error("webhook notifier: could not start its thread");
}

WebhookNotifier::~WebhookNotifier() {
  if (!impl_->worker) return;
  (void)flush(impl_->opt.shutdown_timeout);
  {
    lumen::internal::MutexLock lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->stopped.notify_all();
  (void)impl_->worker->stop(Deadline::max());
}

bool WebhookNotifier::post(std::string json) noexcept {
  try {
    lumen::internal::MutexLock lock(impl_->mu);
    if (impl_->opt.url.empty() || impl_->stopping ||
        impl_->queue.size() >= impl_->opt.queue_capacity) {
      ++impl_->st.dropped;
      return false;
    }
    impl_->queue.push_back(std::move(json));
  } catch (...) {
    return false;
  }
  impl_->worker->wake();
  return true;
}

bool WebhookNotifier::flush(std::chrono::milliseconds timeout) {
  lumen::internal::UniqueLock lock(impl_->mu);
  return impl_->idle.wait_for(lock.native(), timeout, [&]() LUMEN_REQUIRES(impl_->mu) {
    return impl_->queue.empty() && !impl_->in_flight;
  });
}

WebhookStats WebhookNotifier::stats() const noexcept {
  lumen::internal::MutexLock lock(impl_->mu);
  return impl_->st;
}

}  // namespace lumen::report
