#include <atomic>
#include <mutex>

#include "lumen/core/internal/mutex.hpp"
#include "lumen/trace/span_data_pool.hpp"
#include "lumen/trace/span_processor.hpp"

namespace lumen::trace {

struct SimpleSpanProcessor::State {
  std::shared_ptr<SpanExporter> exporter;
  std::chrono::milliseconds export_timeout;
  lumen::internal::Mutex mutex;  // exporters are called by one thread at a time
  std::atomic<bool> shut_down{false};
};

SimpleSpanProcessor::SimpleSpanProcessor(std::shared_ptr<SpanExporter> exporter,
                                         std::chrono::milliseconds export_timeout)
    : state_(std::make_unique<State>()) {
  state_->exporter = std::move(exporter);
  state_->export_timeout = export_timeout;
}

SimpleSpanProcessor::~SimpleSpanProcessor() {
  shutdown(std::chrono::seconds(5));
}

void SimpleSpanProcessor::on_end(std::unique_ptr<SpanData> span) noexcept {
  if (state_->shut_down.load(std::memory_order_acquire)) return;
  lumen::internal::MutexLock lock(state_->mutex);
  std::unique_ptr<SpanData> batch[] = {std::move(span)};
  (void)state_->exporter->export_owned(batch,
                                       std::chrono::steady_clock::now() + state_->export_timeout);
  recycle(std::move(batch[0]));
}

bool SimpleSpanProcessor::force_flush(std::chrono::milliseconds) noexcept {
  return true;
}

bool SimpleSpanProcessor::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (state_->shut_down.exchange(true)) return true;
  state_->exporter->shutdown(std::chrono::steady_clock::now() + timeout);
  return true;
}

}  // namespace lumen::trace
