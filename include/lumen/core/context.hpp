// The current context: the active span's SpanContext and the baggage, per thread.
//
// A Context is a small immutable value. `activate()` makes it current on this thread until the
// returned scope ends (scopes nest, innermost wins). Work that runs on another thread carries the
// context explicitly: `wrap(fn)` captures it now and runs fn inside it later, wherever that is.
//
//   {
//     auto scope = lumen::Context::current().with_span(span.context()).activate();
//     pool.submit(lumen::Context::current().wrap([] { /* same trace here */ }));
//   }
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "lumen/core/baggage.hpp"
#include "lumen/core/span_context.hpp"

namespace lumen {

class ContextScope;

class Context {
 public:
  Context() = default;

  // This thread's current context (empty when nothing is active).
  [[nodiscard]] static const Context& current() noexcept;

  [[nodiscard]] const SpanContext& span() const noexcept { return span_; }
  [[nodiscard]] const Baggage& baggage() const noexcept {
    static const Baggage kEmpty;
    return baggage_ ? *baggage_ : kEmpty;
  }

  [[nodiscard]] Context with_span(SpanContext span) const {
    return Context(std::move(span), baggage_);  // this span is not copied only to be replaced
  }
  [[nodiscard]] Context with_baggage(Baggage baggage) const {
    Context c = *this;
    c.baggage_ = baggage.empty() ? nullptr : std::make_shared<const Baggage>(std::move(baggage));
    return c;
  }

  // Makes this context current on the calling thread until the scope is destroyed. A temporary
  // (`Context::current().with_span(s).activate()`) is moved in rather than copied.
  [[nodiscard]] ContextScope activate() const&;
  [[nodiscard]] ContextScope activate() &&;

  // Returns a callable that runs `fn` with this context current, on whichever thread calls it.
  template <typename F>
  [[nodiscard]] auto wrap(F&& fn) const;

 private:
  Context(SpanContext span, std::shared_ptr<const Baggage> baggage) noexcept
      : span_(std::move(span)), baggage_(std::move(baggage)) {}

  SpanContext span_;
  std::shared_ptr<const Baggage> baggage_;  // null when empty: copying the context stays cheap
};

// RAII: makes a context current on this thread until destruction, when the one it hid is current
// again. Not copyable or movable: a scope belongs to the stack frame (and thread) that made it.
// The scope holds its context, and the thread's current context is the innermost scope's: making
// one current moves one value and sets one pointer. Scopes end in reverse order on the stack; one
// kept elsewhere (an optional, a member) may end out of order, and then leaves the scopes inside it
// restoring what it hid.
class ContextScope {
 public:
  explicit ContextScope(const Context& context) noexcept;
  explicit ContextScope(Context&& context) noexcept;
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  friend class Context;

  Context context_;
  ContextScope* outer_;  // the scope this one hides, or null
};

namespace detail {
// This thread's innermost scope, and the context current outside every scope (context.cpp), here
// so that Context::current() reads them inline. Both are constant-initialized: no guard to test.
extern constinit thread_local ContextScope* t_innermost_scope;
extern constinit const Context kNoContext;
}  // namespace detail

inline const Context& Context::current() noexcept {
  const ContextScope* scope = detail::t_innermost_scope;
  return scope != nullptr ? scope->context_ : detail::kNoContext;
}

inline ContextScope Context::activate() const& {
  return ContextScope(*this);
}
inline ContextScope Context::activate() && {
  return ContextScope(std::move(*this));
}

template <typename F>
auto Context::wrap(F&& fn) const {
  return [ctx = *this, fn = std::forward<F>(fn)](auto&&... args) mutable -> decltype(auto) {
    ContextScope scope(ctx);
    return fn(std::forward<decltype(args)>(args)...);
  };
}

}  // namespace lumen
