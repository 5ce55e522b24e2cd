// Which sanitizer the test code is built with (GCC defines __SANITIZE_*__, Clang answers
// __has_feature), for tests that must size their work or skip what a sanitizer cannot do.
#pragma once

#if defined(__has_feature)
#define LUMEN_TEST_HAS_FEATURE(feature) __has_feature(feature)
#else
#define LUMEN_TEST_HAS_FEATURE(feature) 0
#endif

namespace lumen::testing {

#if defined(__SANITIZE_ADDRESS__) || LUMEN_TEST_HAS_FEATURE(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__) || LUMEN_TEST_HAS_FEATURE(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif

// Code under either runs several times slower than in Release.
inline constexpr bool kSanitized = kAddressSanitizer || kThreadSanitizer;

}  // namespace lumen::testing
