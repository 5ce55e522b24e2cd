#include "stacktrace.hpp"

#include <execinfo.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <optional>
#include <unordered_map>

#include "lumen/core/fork_safety.hpp"
#include "lumen/core/internal/mutex.hpp"

namespace lumen::trace::detail {
namespace {

constexpr std::size_t kMaxFrames = 64;

struct Stack {
  std::array<void*, kMaxFrames> frames{};
  std::size_t size = 0;
  friend bool operator==(const Stack& a, const Stack& b) {
    return a.size == b.size &&
           std::equal(a.frames.begin(), a.frames.begin() + a.size, b.frames.begin());
  }
};

struct StackHash {
  std::size_t operator()(const Stack& stack) const noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the return addresses
    for (std::size_t i = 0; i < stack.size; ++i) {
      h = (h ^ reinterpret_cast<std::uintptr_t>(stack.frames[i])) * 0x100000001b3ULL;
    }
    return static_cast<std::size_t>(h);
  }
};

// The text of the stacks seen so far. Full, it forgets them all and starts again: a process that
// fails in more than kKeptStacks places at once pays for symbolizing, as before, and no more.
class KeptStacks final : public ForkAware {
 public:
  KeptStacks() { ForkRegistry::add(this); }

  std::optional<std::string> find(const Stack& stack) {
    lumen::internal::MutexLock lock(mutex_);
    const auto it = texts_.find(stack);
    if (it == texts_.end()) return std::nullopt;
    return it->second;
  }

  void keep(const Stack& stack, const std::string& text) {
    lumen::internal::MutexLock lock(mutex_);
    if (texts_.size() >= kKeptStacks) texts_.clear();
    texts_.emplace(stack, text);
  }

  std::size_t size() {
    lumen::internal::MutexLock lock(mutex_);
    return texts_.size();
  }

  // A fork while another thread holds the lock would leave the child's copy locked forever.
  void before_fork() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS { mutex_.lock(); }
  void after_fork_in_parent() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS { mutex_.unlock(); }
  void after_fork_in_child() noexcept override LUMEN_NO_THREAD_SAFETY_ANALYSIS { mutex_.unlock(); }

 private:
  lumen::internal::Mutex mutex_;
  std::unordered_map<Stack, std::string, StackHash> texts_ LUMEN_GUARDED_BY(mutex_);
};

KeptStacks& kept_stacks() {
  // Leaked on purpose: an exception may be recorded during static destruction.
  static auto* stacks = new KeptStacks;
  return *stacks;
}

std::atomic<std::uint64_t> g_symbolized{0};

std::string symbolize(const Stack& stack) {
  char** symbols = backtrace_symbols(stack.frames.data(), static_cast<int>(stack.size));
  if (symbols == nullptr) return {};
  std::string out;
  for (std::size_t i = 0; i < stack.size; ++i) {
    out += symbols[i];
    out += '\n';
  }
  std::free(symbols);
  return out;
}

}  // namespace

// Not inlined: the first frame backtrace() gives is this function's, and it is left out.
[[gnu::noinline]] std::string current_stacktrace() {
  std::array<void*, kMaxFrames + 1> frames;
  const int n = backtrace(frames.data(), static_cast<int>(frames.size()));
  Stack stack;
  stack.size = n > 1 ? static_cast<std::size_t>(n - 1) : 0;
  std::copy(frames.begin() + 1, frames.begin() + 1 + stack.size, stack.frames.begin());
  KeptStacks& kept = kept_stacks();
  if (std::optional<std::string> text = kept.find(stack)) return std::move(*text);
  std::string text = symbolize(stack);
  g_symbolized.fetch_add(1, std::memory_order_relaxed);
  kept.keep(stack, text);
  return text;
}

std::uint64_t stacks_symbolized() noexcept {
  return g_symbolized.load(std::memory_order_relaxed);
}

std::size_t stacks_kept() {
  return kept_stacks().size();
}

}  // namespace lumen::trace::detail
