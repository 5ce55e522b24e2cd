// SpanContext: the part of a span that crosses process boundaries (W3C Trace Context): trace id,
// span id, trace flags (bit 0: sampled; bit 1, Level 2: the trace id is random), tracestate, and
// whether it came from a remote parent.
//
//   lumen::SpanContext ctx = span.context();
//   if (ctx.is_valid() && ctx.is_sampled()) { ... }
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "lumen/core/ids.hpp"

namespace lumen {

class SpanContext {
 public:
  static constexpr std::uint8_t kSampledFlag = 0x01;
  // At least the right-most 7 bytes of the trace id are random (W3C Trace Context Level 2).
  static constexpr std::uint8_t kRandomFlag = 0x02;
  // The flags the specification defines; a sender sets the others to zero.
  static constexpr std::uint8_t kKnownFlags = kSampledFlag | kRandomFlag;

  SpanContext() = default;
  SpanContext(TraceId trace_id, SpanId span_id, std::uint8_t flags, bool remote = false,
              std::shared_ptr<const std::string> trace_state = nullptr) noexcept
      : trace_id_(trace_id),
        span_id_(span_id),
        flags_(flags),
        remote_(remote),
        trace_state_(std::move(trace_state)) {}

  [[nodiscard]] const TraceId& trace_id() const noexcept { return trace_id_; }
  [[nodiscard]] const SpanId& span_id() const noexcept { return span_id_; }
  [[nodiscard]] std::uint8_t flags() const noexcept { return flags_; }
  [[nodiscard]] bool is_sampled() const noexcept { return (flags_ & kSampledFlag) != 0; }
  [[nodiscard]] bool is_remote() const noexcept { return remote_; }
  [[nodiscard]] bool is_valid() const noexcept {
    return trace_id_.is_valid() && span_id_.is_valid();
  }
  // The W3C tracestate header value, shared and immutable; empty when there is none.
  [[nodiscard]] const std::string& trace_state() const noexcept {
    static const std::string kEmpty;
    return trace_state_ ? *trace_state_ : kEmpty;
  }
  [[nodiscard]] const std::shared_ptr<const std::string>& trace_state_ptr() const noexcept {
    return trace_state_;
  }

 private:
  TraceId trace_id_;
  SpanId span_id_;
  std::uint8_t flags_ = 0;
  bool remote_ = false;
  // Shared because every child inherits it; null (the common case) costs no reference count.
  std::shared_ptr<const std::string> trace_state_;
};

}  // namespace lumen
