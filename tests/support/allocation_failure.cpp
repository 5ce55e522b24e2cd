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

namespace {
void* allocate(std::size_t size) {
  if (lumen::testing::t_fail_next) {
    lumen::testing::t_fail_next = false;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* allocate_or_null(std::size_t size) noexcept {
  try {
    return allocate(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}
}  // namespace

// Every replaceable form but the aligned ones, which keep the library's own pairs: a form left to
// the library would allocate with the sanitizers' allocator and free with ours (AddressSanitizer
// reports the mismatch).
void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
