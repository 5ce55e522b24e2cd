// fail_next_allocation(): makes the calling thread's next `operator new` throw std::bad_alloc, to
// test what code leaves behind when memory runs out. The object that defines it also replaces the
// global operator new and delete with malloc and free, which fail only when armed; it is linked
// into the test binaries that call it, and only into those.
#pragma once

namespace lumen::testing {

void fail_next_allocation() noexcept;

}  // namespace lumen::testing
