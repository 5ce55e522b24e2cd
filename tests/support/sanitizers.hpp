// Which sanitizer the test code is built with (GCC defines __SANITIZE_*__, Clang answers
// __has_feature), for tests that must size their work or skip what a sanitizer cannot do.
#pragma once

namespace lumen::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
#else
inline constexpr bool kThreadSanitizer = false;
#endif

// Code under either runs several times slower than in Release.
inline constexpr bool kSanitized = kAddressSanitizer || kThreadSanitizer;

}  // namespace lumen::testing
