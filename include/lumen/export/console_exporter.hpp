// ConsoleSpanExporter: prints one readable line per finished span, for development and debugging.
//
//   2026-05-01T12:00:00.123456Z trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7
//   parent=- name=checkout.order.place kind=server duration_ms=12.345 status=ERROR("boom")
//   attributes={user.id="u-17", ai.tokens=812} events=1
//
// (one line in the output; wrapped here). Times are UTC; control characters in names and values
// are escaped so that a span never spans two lines.
// Thread-safety: export_spans may be called concurrently; each line is written whole.
//
//   auto console = std::make_shared<lumen::exporters::ConsoleSpanExporter>(std::cerr);
//   lumen::trace::TracerProvider provider({
//       .processor = std::make_unique<lumen::trace::SimpleSpanProcessor>(console)});
#pragma once

#include <atomic>
#include <iostream>
#include <mutex>
#include <ostream>
#include <string>

#include "lumen/trace/span_exporter.hpp"

namespace lumen::exporters {

class ConsoleSpanExporter final : public trace::SpanExporter {
 public:
  // `out` must outlive the exporter.
  explicit ConsoleSpanExporter(std::ostream& out = std::cout) : out_(out) {}

  [[nodiscard]] trace::ExportResult export_spans(trace::SpanBatch batch,
                                                 Deadline deadline) noexcept override;
  // Later exports print nothing and fail.
  void shutdown(Deadline deadline) noexcept override;

  // The line printed for `span`, without the newline.
  [[nodiscard]] static std::string format(const trace::SpanData& span);

 private:
  std::ostream& out_;
  std::mutex mutex_;
  std::atomic<bool> shut_down_{false};
};

}  // namespace lumen::exporters
