// SpanProcessor: receives every recorded span when it ends and passes it on to an exporter.
//
// on_end runs on the application's thread (the hot path): it must be cheap, never block for long
// and never throw. force_flush and shutdown return by their deadline even if the exporter hangs.
//
//   auto processor = std::make_unique<lumen::trace::SimpleSpanProcessor>(exporter);
#pragma once

#include <chrono>
#include <memory>

#include "lumen/trace/span_data.hpp"
#include "lumen/trace/span_exporter.hpp"

namespace lumen::trace {

namespace detail {
struct SpanRecord;

// Not API: what takes spans held as compact records (src/trace/span_record.hpp) as they end: the
// embedded store, when the Runtime feeds it alone, and the batch processor, when its exporter reads
// records (SpanProcessor::record_sink).
class SpanRecordSink {
 public:
  // Takes the ended span's record. Returns a record for the calling thread's pool: the one the sink
  // let go to make room, `record` itself when it could not keep it, or null.
  [[nodiscard]] virtual SpanRecord* keep(SpanRecord* record) noexcept = 0;

 protected:
  ~SpanRecordSink() = default;
};
}  // namespace detail

class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  // Takes ownership of a finished, sampled span.
  virtual void on_end(std::unique_ptr<SpanData> span) noexcept = 0;
  // Exports everything received so far; false if the deadline passed first.
  virtual bool force_flush(std::chrono::milliseconds timeout) noexcept = 0;
  // Flushes, then stops; later spans are discarded. False if the deadline passed first.
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
  // Not API: where a processor takes spans held as compact records (src/trace/span_record.hpp):
  // the Runtime's embedded store alone, and a batch processor whose exporter reads records; null
  // for the others. Asked once, when the provider is made.
  [[nodiscard]] virtual detail::SpanRecordSink* record_sink() noexcept { return nullptr; }
};

// Exports each span synchronously on the caller's thread, under a lock. For tests, tools and
// debugging; use BatchSpanProcessor in services.
class SimpleSpanProcessor final : public SpanProcessor {
 public:
  explicit SimpleSpanProcessor(std::shared_ptr<SpanExporter> exporter,
                               std::chrono::milliseconds export_timeout = std::chrono::seconds(30));
  ~SimpleSpanProcessor() override;
  void on_end(std::unique_ptr<SpanData> span) noexcept override;
  bool force_flush(std::chrono::milliseconds timeout) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace lumen::trace
