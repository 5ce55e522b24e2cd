// Span: one timed operation in a trace. A move-only handle returned by Tracer::start; it ends when
// end() is called or when it is destroyed, whichever comes first (end is idempotent).
//
// A span that the sampler dropped is non-recording: it still has a valid SpanContext (children and
// outgoing traceparent headers need it) but every setter is a cheap no-op.
// Thread-safety: a Span is used by one thread at a time; move it to hand it over.
//
//   lumen::trace::Span span = tracer.start("ai.provider.analyze", {.kind =
//   lumen::trace::SpanKind::kClient}); auto scope = span.activate();                  // children
//   started here get this parent span.set("ai.model", "gemini-2.0-flash").set("ai.tokens", 812);
//   span.add_event("retry", {{"attempt", 2}});
//   span.set_status(lumen::trace::StatusCode::kOk);
#pragma once

#include <exception>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lumen/core/attributes.hpp"
#include "lumen/core/context.hpp"
#include "lumen/trace/internal/span_record.hpp"
#include "lumen/trace/span_data.hpp"

namespace lumen::trace {

class Tracer;
class Span {
 public:
  Span() = default;  // invalid and non-recording
  Span(Span&& other) noexcept
      : data_(std::move(other.data_)),
        record_(std::exchange(other.record_, nullptr)),
        tracer_(other.tracer_),
        context_(std::move(other.context_)) {}
  Span& operator=(Span&& other) noexcept {
    if (this != &other) {
      end();
      data_ = std::move(other.data_);
      record_ = std::exchange(other.record_, nullptr);
      tracer_ = other.tracer_;
      context_ = std::move(other.context_);
    }
    return *this;
  }
  // Inline even where Span::set has grown its caller: an unsampled span ends in a few instructions.
  [[gnu::always_inline]] ~Span() { end(); }

  [[nodiscard]] const SpanContext& context() const noexcept { return context_; }
  [[nodiscard]] bool is_recording() const noexcept {
    return data_ != nullptr || record_ != nullptr;
  }

  // Sets an attribute (replacing one with the same key). Values: strings, bool, integers,
  // floating point and vectors of these.
  template <typename V>
  Span& set(std::string_view key, V&& value) {
    if (!is_recording()) return *this;
    using T = std::remove_cvref_t<V>;
    if constexpr (std::is_convertible_v<V, std::string_view>) {
      // A new key into a record, the common case, is written here (internal/span_record.hpp).
      const std::string_view text(value);
      if (record_ == nullptr || !detail::append_new_string(*record_, key, text)) {
        set_string_attribute(key, text);
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      set_scalar(key, static_cast<bool>(value));
    } else if constexpr (std::is_integral_v<T>) {
      set_scalar(key, static_cast<std::int64_t>(value));
    } else if constexpr (std::is_floating_point_v<T>) {
      set_scalar(key, static_cast<double>(value));
    } else {
      set_attribute(key, to_attribute_value(std::forward<V>(value)));
    }
    return *this;
  }
  Span& add_event(std::string_view name, Attributes attributes = {}, std::uint64_t time_ns = 0);
  Span& add_link(const SpanContext& linked, Attributes attributes = {});
  // An OK status is final; a later ERROR does not replace it (OpenTelemetry's rule).
  Span& set_status(StatusCode code, std::string_view description = {});
  // Adds an "exception" event with exception.type, exception.message and exception.stacktrace
  // (the stack where it was recorded). Does not change the status.
  Span& record_exception(const std::exception& error);
  Span& record_exception(const std::exception_ptr& error);
  Span& update_name(std::string_view name);

  // Ends the span (now, or at end_ns on the wall clock); later calls do nothing.
  void end(std::uint64_t end_ns = 0) noexcept {
    if (is_recording()) finish(end_ns);
  }

  // Makes this span the current one on this thread until the scope ends.
  [[nodiscard]] ContextScope activate() const {
    return Context::current().with_span(context_).activate();
  }

 private:
  friend class Tracer;
  Span(std::unique_ptr<SpanData> data, detail::SpanRecord* record, const Tracer* tracer,
       SpanContext context) noexcept
      : data_(std::move(data)), record_(record), tracer_(tracer), context_(std::move(context)) {}
  template <typename T>  // bool, std::int64_t or double; the span is recording
  void set_scalar(std::string_view key, T value) {
    if (record_ == nullptr || !detail::append_new_scalar(*record_, key, value)) {
      set_scalar_attribute(key, value);
    }
  }
  void set_attribute(std::string_view key, AttributeValue value);
  void set_string_attribute(std::string_view key, std::string_view value);
  // bool, std::int64_t or double (instantiated in span.cpp).
  template <typename T>
  void set_scalar_attribute(std::string_view key, T value);
  void finish(std::uint64_t end_ns) noexcept;
  void finish_record(std::uint64_t end_ns) noexcept;
  // Moves the span from its record to a SpanData, for what a record does not hold.
  void promote();

  // A recording span has one of the two until it ends: a compact record when the processor takes
  // records (span_record.hpp), else, or once promoted, a SpanData.
  std::unique_ptr<SpanData> data_;
  detail::SpanRecord* record_ = nullptr;  // owned: from and back to the thread's record pool
  const Tracer* tracer_ = nullptr;
  SpanContext context_;
};

}  // namespace lumen::trace
