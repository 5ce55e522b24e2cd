#include "lumen/trace/tracer.hpp"

#include "attribute_limits.hpp"
#include "core/id_generator.hpp"
#include "lumen/core/internal/short_bytes.hpp"
#include "lumen/trace/span_data_pool.hpp"
#include "sampler_shortcut.hpp"
#include "span_record.hpp"
#include "tracer_shared.hpp"

namespace lumen::trace {
namespace {

// Makes `held` (a pooled span's share of a provider) a share of `shared` pointing to `scope`. A
// pooled span keeps its share: no reference count is touched when it comes back to the same
// tracer, nor to another tracer of the same provider (their scopes all point to its resource),
// where the share only moves to this scope.
void share_scope(std::shared_ptr<const InstrumentationScope>& held,
                 const InstrumentationScope& scope, const detail::TracerShared& shared) {
  if (held.get() == &scope) return;
  if (held != nullptr && held->resource == &shared.resource) {
    held = std::shared_ptr<const InstrumentationScope>(std::move(held), &scope);
  } else {
    held = std::shared_ptr<const InstrumentationScope>(shared.shared_from_this(), &scope);
  }
}

// What the sampler's rule comes to for this span: kSample, kDrop, or kAsk (the sampler decides, on
// the ids). A provider that is shut down drops every span; kFollowParent is the parent's flag.
detail::SamplerRule rule_for(const detail::TracerShared& shared, const SpanContext& parent,
                             bool has_parent) noexcept {
  if (shared.shut_down.load(std::memory_order_relaxed)) return detail::SamplerRule::kDrop;
  const detail::SamplerShortcut shortcut = shared.sampler_shortcut;
  const detail::SamplerRule rule = has_parent ? shortcut.with_parent : shortcut.root;
  if (rule != detail::SamplerRule::kFollowParent) return rule;
  return parent.is_sampled() ? detail::SamplerRule::kSample : detail::SamplerRule::kDrop;
}

// The random flag describes the trace id: true of the ids generated here, and of a parent's only
// when its sender said so.
std::uint8_t random_flag(const SpanContext& parent, bool has_parent) noexcept {
  return has_parent ? (parent.flags() & SpanContext::kRandomFlag) : SpanContext::kRandomFlag;
}

}  // namespace

// An unsampled span's context is made in the Span it returns. Made in a local first and moved in,
// its trace state's null pointer was written as one 16-byte store and read back as two 8-byte
// loads, which are not forwarded from it and wait for the store to reach the cache: a fifth of
// the unsampled span's 11 ns (bench/RESULTS.md, "The unsampled span's context").
[[gnu::hot]] Span Tracer::start_span(std::string_view name, const StartOptions* options,
                                     const SpanContext& parent) const {
  const detail::TracerShared& shared = *shared_;
  const bool has_parent = parent.is_valid();
  // A parent's trace state would be copied, and a thread's first ids seeded: both call.
  if (rule_for(shared, parent, has_parent) != detail::SamplerRule::kDrop ||
      (has_parent && parent.trace_state_ptr() != nullptr) || !IdGenerator::seeded()) {
    return start_span_in_full(name, options, parent);
  }
  const std::uint8_t flags = random_flag(parent, has_parent);
  if (has_parent) {
    return Span(nullptr, nullptr, this,
                SpanContext(parent.trace_id(), IdGenerator::span_id_when_seeded(), flags));
  }
  const IdGenerator::SpanIds ids = IdGenerator::root_ids_when_seeded();
  return Span(nullptr, nullptr, this, SpanContext(ids.trace_id, ids.span_id, flags));
}

// [[gnu::hot]] here and on the rest of a recorded span's path (span.cpp, span_record.cpp, the
// store's keep): GCC puts them together in .text.hot, and at a gateway's saturation, where 10 us
// of other work separate two spans, the span's code then costs fewer cache and TLB misses
// (bench/RESULTS.md, "Spans start as compact records": 154 -> 145 ns a request).
[[gnu::hot]] Span Tracer::start_span_in_full(std::string_view name, const StartOptions* options,
                                             const SpanContext& parent) const {
  const detail::TracerShared& shared = *shared_;
  const SpanKind kind = options ? options->kind : SpanKind::kInternal;
  const bool has_parent = parent.is_valid();
  const IdGenerator::SpanIds ids =
      has_parent ? IdGenerator::SpanIds{parent.trace_id(), IdGenerator::span_id()}
                 : IdGenerator::root_ids();
  const TraceId& trace_id = ids.trace_id;
  const SpanId& span_id = ids.span_id;
  const detail::SamplerRule rule = rule_for(shared, parent, has_parent);
  const bool sampled = rule == detail::SamplerRule::kAsk
                           ? shared.sampler->should_sample(parent, trace_id, name, kind) ==
                                 SamplingDecision::kRecordAndSample
                           : rule == detail::SamplerRule::kSample;
  const auto flags = static_cast<std::uint8_t>((sampled ? SpanContext::kSampledFlag : 0) |
                                               random_flag(parent, has_parent));
  // Record-only spans would be recorded but never exported; no processor here wants them.
  if (!sampled) {
    if (has_parent && parent.trace_state_ptr() != nullptr) {
      return Span(nullptr, nullptr, this,
                  SpanContext(trace_id, span_id, flags, false, parent.trace_state_ptr()));
    }
    return Span(nullptr, nullptr, this, SpanContext(trace_id, span_id, flags));
  }
  SpanContext context(trace_id, span_id, flags, false,
                      has_parent ? parent.trace_state_ptr() : nullptr);

  const std::uint64_t start_ns =
      options && options->start_ns != 0 ? options->start_ns : shared.wall_ns();
  if (shared.record_sink != nullptr &&
      (!options || (options->attributes.empty() && options->links.empty()))) {
    detail::SpanRecord* record = detail::make_span_record();
    if (detail::set_record_name(*record, name)) {
      detail::SpanRecord::Body& body = record->body;
      body.kind = kind;
      body.start_ns = start_ns;
      record->max_attributes = shared.limits.attribute_count;
      record->max_value_length = shared.limits.attribute_value_length;
      share_scope(record->scope, scope_, shared);
      if (has_parent) {
        body.parent_span_id = parent.span_id();
        body.parent_is_remote = parent.is_remote();
      }
      return Span(nullptr, record, this, std::move(context));
    }
    detail::recycle_record(record);  // a name too long for a record
  }

  std::unique_ptr<SpanData> data = make_span_data();
  // A recycled span often had this name already.
  if (!lumen::detail::same_bytes(data->name, name)) data->name.assign(name);
  data->kind = kind;
  data->start_ns = start_ns;
  share_scope(data->scope, scope_, shared);
  if (has_parent) {
    data->parent_span_id = parent.span_id();
    data->parent_is_remote = parent.is_remote();
  }
  if (options && !options->attributes.empty()) {
    data->attributes =
        detail::limit_all(options->attributes, shared.limits.attribute_count,
                          shared.limits.attribute_value_length, data->dropped_attributes);
  }
  Span span(std::move(data), nullptr, this, std::move(context));
  if (options) {
    for (const auto& link : options->links) span.add_link(link.context, link.attributes);
  }
  return span;
}

}  // namespace lumen::trace
