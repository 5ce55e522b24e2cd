#!/usr/bin/env bash
# The whole test suite, three times: Release, AddressSanitizer+UBSan, ThreadSanitizer; then the
# fuzzers, each for a short fixed time on its seed corpus (scripts/fuzz.sh).
#   scripts/test.sh            all four stages
#   scripts/test.sh release    one of: release, asan, tsan, fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"

run_suite() {
  local name="$1" dir="$2" exclude="$3"
  shift 3
  echo "== $name: configure and build ($dir)"
  # ccache (installed by bootstrap) makes the second and third builds, and a re-run, cheaper.
  scripts/bootstrap.sh "$dir" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@"
  cmake --build "$dir" -j"$jobs"
  echo "== $name: test"
  local args=(--test-dir "$dir" --no-tests=error --output-on-failure -j"$jobs" --timeout 300)
  [ -n "$exclude" ] && args+=(-E "$exclude")
  ctest "${args[@]}"
}

tsan_excluded='^(ForkSafety|HostileInputTest|ImageInstrumentationTest|ImageOptimizerTest|LibvipsRuntime|ImageOptimizerStress|LumenImageCliTest|PngDecoder|ReferenceService)\.|^GatewayTest\.ImagesOverTheMemoryBudget'
want="${1:-all}"
if [ "$want" = all ] || [ "$want" = release ]; then
  run_suite "Release" build "" -DCMAKE_BUILD_TYPE=Release
fi
if [ "$want" = all ] || [ "$want" = asan ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "ASan+UBSan" build-asan "" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUMEN_SANITIZE=address
fi
if [ "$want" = all ] || [ "$want" = tsan ]; then
  # The documented TSan subset (docs/TESTING.md): ThreadSanitizer does not support fork() in a
  # multi-threaded process, so the ForkSafety tests run in the two builds above only; and the image
  # tests spend their time inside libvips and GLib, which are not instrumented (GLib's futex-based
  # locks look like races to TSan), so they run in the two builds above only as well; so does the
  # gateway's image memory budget test, which pushes 5000 x 5000 PNGs through libvips.
  # tests/tsan.supp covers what libvips's threads still report from other tests; nothing of
  # lumen's code is suppressed.
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
    run_suite "TSan" build-tsan "$tsan_excluded" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLUMEN_SANITIZE=thread
fi
if [ "$want" = all ] || [ "$want" = fuzz ]; then
  scripts/fuzz.sh
fi
echo "== all suites passed"
