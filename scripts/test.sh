#!/usr/bin/env bash
# The layout check (scripts/check_format.sh); clang-tidy (scripts/tidy.sh: only the files whose
# preprocessed text changed since a clean check); the whole test suite, three times: Release,
# AddressSanitizer+UBSan, ThreadSanitizer; then the fuzzers, each for a short fixed time on its
# seed corpus (scripts/fuzz.sh). The tidy stage's clang is also the thread-safety check
# (-Werror=thread-safety on the LUMEN_GUARDED_BY annotations).
#   scripts/test.sh            all six stages
#   scripts/test.sh release    one of: format, tidy, release, asan, tsan, fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
# ccache hashes paths relative to the checkout, so that another clone of the same commit (CI's, at
# another path) reuses what this one compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"

run_suite() {
  local name="$1" dir="$2"
  shift 2
  echo "== $name: configure and build ($dir)"
  # ccache (installed by bootstrap) makes the second and third builds, and a re-run, cheaper.
  local built=$SECONDS
  scripts/bootstrap.sh "$dir" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "$@"
  cmake --build "$dir" -j"$jobs"
  echo "== $name: configured and built in $(($SECONDS - built)) s"
  echo "== $name: test"
  # Two tests per core: many wait on real servers and subprocesses (Prometheus's scrapes, the
  # programs' starts); at one per core the Release tests kept the two cores 50 % busy. Measured in
  # one clone, -j2 then -j4: Release 75.6 -> 50.8 s, ASan 156.6 -> 136.2 s, TSan 109.7 -> 98.2 s.
  local args=(--test-dir "$dir" --no-tests=error --output-on-failure -j"$((2 * jobs))" --timeout 300)
  ctest "${args[@]}"
}

# Each GoogleTest suite runs in one process (tests/register_suites.cmake): starting a sanitized
# process costs 0.3-0.9 s, which one process per test paid about 950 times; a Release one 60-90 ms
# (libvips and GLib load), which 1,040 tests of under 0.3 s each paid.
per_suite=-DLUMEN_TESTS_PER_SUITE=ON
# The sanitizer builds compile at -O1 with line tables only (-g1: file and line in the reports):
# half the compile time of RelWithDebInfo's -O2 -g per file (admin_server.cpp under ASan: 114 s
# of CPU against 71; an integration test batch 130 against 67), the level the sanitizers'
# documentation suggests; the tests took about as long (ASan 131 s against 139, TSan 107 against 99).
sanitizer_build_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
tsan_excluded_suites='ForkSafety.*:HostileInputTest.*:ImageInstrumentationTest.*:ImageOptimizerTest.*:LibvipsRuntime.*:ImageOptimizerStress.*:LumenImageCliTest.*:PngDecoder.*:ReferenceService.*'
tsan_excluded_tests='GatewayTest.ImagesOverTheMemoryBudget*:MemoryBudget.AnOptimizer*:MemoryBudget.AnImagesCost*'
want="${1:-all}"
# Each stage's wall time, printed as it ends and again at the end (docs/TESTING.md quotes them).
timings=()
took() { timings+=("$1 $(($SECONDS - $2)) s"); echo "== $1 took $(($SECONDS - $2)) s"; }
if [ "$want" = all ] || [ "$want" = format ]; then
  start=$SECONDS
  scripts/bootstrap.sh build >/dev/null  # installs clang-format-14 on a fresh machine
  scripts/check_format.sh
  took format "$start"
fi
if [ "$want" = all ] || [ "$want" = tidy ]; then
  start=$SECONDS
  scripts/tidy.sh  # installs clang-tidy-14 and configures build-tidy on a fresh machine
  took tidy "$start"
fi
if [ "$want" = all ] || [ "$want" = release ]; then
  start=$SECONDS
  run_suite "Release" build -DCMAKE_BUILD_TYPE=Release "$per_suite"
  took release "$start"
fi
if [ "$want" = all ] || [ "$want" = asan ]; then
  start=$SECONDS
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite "ASan+UBSan" build-asan "${sanitizer_build_flags[@]}" -DLUMEN_SANITIZE=address "$per_suite"
  took asan "$start"
fi
if [ "$want" = all ] || [ "$want" = tsan ]; then
  # The documented TSan subset (docs/TESTING.md): ThreadSanitizer does not support fork() in a
  # multi-threaded process, so the ForkSafety tests run in the two builds above only; and the image
  # tests spend their time inside libvips and GLib, which are not instrumented (GLib's futex-based
  # locks look like races to TSan), so they run in the two builds above only as well; so does the
  # gateway's image memory budget test, which pushes 5000 x 5000 PNGs through libvips, and the two
  # memory budget tests that go through the optimizer (libvips: 67-138 s under TSan, and past the
  # optimizer's time budget when the machine is loaded).
  # tests/tsan.supp covers what libvips's threads still report from other tests; nothing of
  # lumen's code is suppressed.
  start=$SECONDS
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
    run_suite "TSan" build-tsan "${sanitizer_build_flags[@]}" -DLUMEN_SANITIZE=thread \
      "$per_suite" -DLUMEN_TESTS_EXCLUDE="$tsan_excluded_suites:$tsan_excluded_tests"
  took tsan "$start"
fi
if [ "$want" = all ] || [ "$want" = fuzz ]; then
  start=$SECONDS
  scripts/fuzz.sh
  took fuzz "$start"
fi
echo "== all suites passed (wall time: ${timings[*]/%/,} $SECONDS s in all)"
