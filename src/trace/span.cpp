#include "lumen/trace/span.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <typeinfo>

#include "attribute_limits.hpp"
#include "lumen/trace/span_data_pool.hpp"
#include "lumen/trace/tracer.hpp"
#include "span_record.hpp"
#include "span_record_write.hpp"
#include "stacktrace.hpp"
#include "tracer_shared.hpp"

namespace lumen::trace {
namespace {

// Spans usually carry a handful of attributes: one allocation up front instead of three growths.
constexpr std::size_t kInitialAttributeCapacity = 8;

std::string demangle(const char* mangled) {
  int status = 0;
  char* name = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string out = (status == 0 && name != nullptr) ? name : mangled;
  std::free(name);
  return out;
}

}  // namespace

void Span::promote() {
  std::unique_ptr<SpanData> data = make_span_data();
  detail::fill_span_data(*record_, *data);
  detail::recycle_record(std::exchange(record_, nullptr));
  data_ = std::move(data);
}

void Span::set_attribute(std::string_view key, AttributeValue value) {
  if (record_) {
    // A string or a scalar goes into the record as if set with its own type; an array is not
    // kept in records, and moves the span to a SpanData.
    if (const auto* text = std::get_if<std::string>(&value))
      return set_string_attribute(key, *text);
    if (const auto* b = std::get_if<bool>(&value)) return set_scalar_attribute(key, *b);
    if (const auto* i = std::get_if<std::int64_t>(&value)) return set_scalar_attribute(key, *i);
    if (const auto* d = std::get_if<double>(&value)) return set_scalar_attribute(key, *d);
    promote();
  }
  const SpanLimits& limits = tracer_->shared_->limits;
  if (data_->attributes.empty()) data_->attributes.reserve(kInitialAttributeCapacity);
  detail::set_limited(data_->attributes, key, std::move(value), limits.attribute_count,
                      limits.attribute_value_length, data_->dropped_attributes);
}

[[gnu::hot]] void Span::set_string_attribute(std::string_view key, std::string_view value) {
  if (record_) {
    if (detail::set_record_string(*record_, key, value)) return;
    promote();
  }
  const SpanLimits& limits = tracer_->shared_->limits;
  if (data_->attributes.empty()) data_->attributes.reserve(kInitialAttributeCapacity);
  detail::set_string_limited(data_->attributes, key, value, limits.attribute_count,
                             limits.attribute_value_length, data_->dropped_attributes);
}

template <typename T>
[[gnu::hot]] void Span::set_scalar_attribute(std::string_view key, T value) {
  if (record_) {
    if (detail::set_record_scalar(*record_, key, value)) return;
    promote();
  }
  if (data_->attributes.empty()) data_->attributes.reserve(kInitialAttributeCapacity);
  detail::set_scalar_limited(data_->attributes, key, value,
                             tracer_->shared_->limits.attribute_count, data_->dropped_attributes);
}
template void Span::set_scalar_attribute(std::string_view, bool);
template void Span::set_scalar_attribute(std::string_view, std::int64_t);
template void Span::set_scalar_attribute(std::string_view, double);

Span& Span::add_event(std::string_view name, Attributes attributes, std::uint64_t time_ns) {
  if (!is_recording()) return *this;
  if (record_) promote();
  const SpanLimits& limits = tracer_->shared_->limits;
  if (data_->events.size() >= limits.event_count) {
    ++data_->dropped_events;
    return *this;
  }
  Event event;
  event.name = std::string(name);
  event.time_ns = time_ns != 0 ? time_ns : tracer_->shared_->wall_ns();
  event.attributes = detail::limit_all(std::move(attributes), limits.attributes_per_event,
                                       limits.attribute_value_length, event.dropped_attributes);
  data_->events.push_back(std::move(event));
  return *this;
}

Span& Span::add_link(const SpanContext& linked, Attributes attributes) {
  if (!is_recording() || !linked.is_valid()) return *this;
  if (record_) promote();
  const SpanLimits& limits = tracer_->shared_->limits;
  if (data_->links.size() >= limits.link_count) {
    ++data_->dropped_links;
    return *this;
  }
  Link link;
  link.context = linked;
  link.attributes = detail::limit_all(std::move(attributes), limits.attributes_per_link,
                                      limits.attribute_value_length, link.dropped_attributes);
  data_->links.push_back(std::move(link));
  return *this;
}

Span& Span::set_status(StatusCode code, std::string_view description) {
  if (record_) {
    if (record_->body.status == StatusCode::kOk || code == StatusCode::kUnset) return *this;
    // A description only accompanies ERROR, and a record has no room for one.
    if (code != StatusCode::kError || description.empty()) {
      record_->body.status = code;
      return *this;
    }
    promote();
  }
  if (!data_ || data_->status == StatusCode::kOk || code == StatusCode::kUnset) return *this;
  data_->status = code;
  // A description only accompanies ERROR.
  data_->status_message = code == StatusCode::kError ? std::string(description) : std::string();
  return *this;
}

Span& Span::record_exception(const std::exception& error) {
  if (!is_recording()) return *this;
  return add_event("exception", {{"exception.type", demangle(typeid(error).name())},
                                 {"exception.message", std::string(error.what())},
                                 {"exception.stacktrace", detail::current_stacktrace()}});
}

Span& Span::record_exception(const std::exception_ptr& error) {
  if (!is_recording() || !error) return *this;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return record_exception(e);
  } catch (...) {
    return add_event("exception", {{"exception.type", std::string("unknown")},
                                   {"exception.message", std::string("non-standard exception")},
                                   {"exception.stacktrace", detail::current_stacktrace()}});
  }
}

Span& Span::update_name(std::string_view name) {
  if (record_) promote();
  if (data_) data_->name = std::string(name);
  return *this;
}

[[gnu::hot]] void Span::finish_record(std::uint64_t end_ns) noexcept {
  // As in finish(): the record's scope keeps the tracer's state alive.
  const detail::TracerShared& shared = *tracer_->shared_;
  detail::SpanRecord* record = std::exchange(record_, nullptr);
  if (shared.shut_down.load(std::memory_order_acquire)) [[unlikely]] {
    detail::count_span_ended_after_shutdown();
    detail::recycle_record(record);
    return;
  }
  detail::SpanRecord::Body& body = record->body;
  body.end_ns = end_ns != 0 ? end_ns : shared.wall_ns();
  body.trace_id = context_.trace_id();
  body.span_id = context_.span_id();
  body.flags = context_.flags();
  body.remote = context_.is_remote();
  if (record->trace_state != context_.trace_state_ptr()) {
    record->trace_state = context_.trace_state_ptr();
  }
  if (detail::SpanRecord* back = shared.record_sink->keep(record)) detail::recycle_record(back);
}

[[gnu::hot]] void Span::finish(std::uint64_t end_ns) noexcept {
  if (record_) {
    finish_record(end_ns);
    return;
  }
  // data_ holds a share of the tracer's state, so this is valid even when the provider is gone.
  const detail::TracerShared& shared = *tracer_->shared_;
  if (shared.shut_down.load(std::memory_order_acquire)) [[unlikely]] {
    // The processor may have been destroyed with the provider: never reached once shut down.
    detail::count_span_ended_after_shutdown();
    recycle(std::move(data_));
    return;
  }
  data_->end_ns = end_ns != 0 ? end_ns : shared.wall_ns();
  data_->context = context_;
  if (shared.processor) {
    shared.processor->on_end(std::move(data_));
  } else {
    recycle(std::move(data_));
  }
}

namespace detail {
void mark_failed(Span& span, const std::exception_ptr& error) noexcept {
  if (!span.is_recording()) return;
  try {
    span.record_exception(error);
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      span.set_status(StatusCode::kError, e.what());
    } catch (...) {
      span.set_status(StatusCode::kError, "non-standard exception");
    }
  } catch (...) {
    // Out of memory while recording: the span keeps what it has; the application's error wins.
  }
}
}  // namespace detail

}  // namespace lumen::trace
