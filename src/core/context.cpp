#include "lumen/core/context.hpp"

namespace lumen {

namespace detail {
constinit thread_local ContextScope* t_innermost_scope = nullptr;
constinit const Context kNoContext;
}  // namespace detail

ContextScope::ContextScope(const Context& context) noexcept
    : context_(context), outer_(detail::t_innermost_scope) {
  detail::t_innermost_scope = this;
}

ContextScope::ContextScope(Context&& context) noexcept
    : context_(std::move(context)), outer_(detail::t_innermost_scope) {
  detail::t_innermost_scope = this;
}

ContextScope::~ContextScope() {
  if (detail::t_innermost_scope == this) {
    detail::t_innermost_scope = outer_;
    return;
  }
  // Ended before a scope inside it: that scope now hides what this one hid.
  for (ContextScope* inner = detail::t_innermost_scope; inner != nullptr; inner = inner->outer_) {
    if (inner->outer_ == this) {
      inner->outer_ = outer_;
      return;
    }
  }
}

}  // namespace lumen
