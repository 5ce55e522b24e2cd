#include "lumen/core/context.hpp"

namespace lumen {
namespace {
thread_local Context t_current;
}  // namespace

const Context& Context::current() noexcept {
  return t_current;
}

ContextScope::ContextScope(Context context) noexcept : previous_(std::move(t_current)) {
  t_current = std::move(context);
}

ContextScope::~ContextScope() {
  t_current = std::move(previous_);
}

}  // namespace lumen
