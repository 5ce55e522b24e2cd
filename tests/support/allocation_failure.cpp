#include "allocation_failure.hpp"

#include <cstdlib>
#include <new>

namespace lumen::testing {
namespace {
thread_local bool t_fail_next = false;
}  // namespace

void fail_next_allocation() noexcept {
  t_fail_next = true;
}

}  // namespace lumen::testing

// The replacements (the array, nothrow and sized forms reach these through the standard library's
// defaults). Aligned allocations keep the library's own pair.
void* operator new(std::size_t size) {
  if (lumen::testing::t_fail_next) {
    lumen::testing::t_fail_next = false;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept {
  std::free(p);
}

void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
