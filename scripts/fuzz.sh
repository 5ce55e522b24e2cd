#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, one per parser of outside input) with clang 14, ASan and
# UBSan, and runs each for a fixed time on a copy of its seed corpus (fuzz/corpus/<name>), as many
# at once as there are cores. Fails if any target crashes, leaks, hangs or violates a property; the
# input that did it is left in build-fuzz/crashes/. docs/TESTING.md, "Fuzzing", says more.
#   scripts/fuzz.sh [seconds-per-target] [target...]     e.g. scripts/fuzz.sh 300 png_decoder
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
dir=build-fuzz

echo "== fuzz: configure and build ($dir)"
# The libraries are built again, instrumented (the root CMakeLists.txt, LUMEN_BUILD_FUZZERS);
# -O1 with line tables keeps the build short and the stack traces readable, and keeps assert().
CC=clang-14 CXX=clang++-14 scripts/bootstrap.sh "$dir" -DLUMEN_BUILD_FUZZERS=ON \
  -DLUMEN_BUILD_TESTS=OFF -DLUMEN_BUILD_BENCHMARKS=OFF -DLUMEN_BUILD_EXAMPLES=OFF \
  -DLUMEN_BUILD_APPS=ON -DLUMEN_INSTALL=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
# Only what the fuzzers link: clang's thread-safety analysis of every library and program is the
# tidy stage's (scripts/tidy.sh compiles each with clang and -Werror=thread-safety).
cmake --build "$dir" -j"$(nproc)" --target fuzzers

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for source in fuzz/*_fuzzer.cpp; do
    name="$(basename "$source" _fuzzer.cpp)"
    [ -x "$dir/fuzz/${name}_fuzzer" ] && targets+=("$name")
  done
fi

# The JSON parsers share one dictionary.
dictionary() {
  case "$1" in
    otlp_response | document_request) echo fuzz/json.dict ;;
    *) [ -f "fuzz/$1.dict" ] && echo "fuzz/$1.dict" ;;
  esac
  return 0
}

# A target that passed before with the same binary, seed corpus, dictionary, seed, time and script
# is not run again: with a fixed seed libFuzzer would repeat the same mutations. Another clone whose
# objects come from ccache links the same binary, so a run that passed in one counts for the next.
results="${XDG_CACHE_HOME:-$HOME/.cache}/lumen-fuzz"
mkdir -p "$results"
result_key() {
  local name="$1" dict="$2"
  {
    sha256sum "$dir/fuzz/${name}_fuzzer" | cut -d' ' -f1
    (cd fuzz/corpus/"$name" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
    [ -n "$dict" ] && sha256sum "$dict" | cut -d' ' -f1
    echo "seed=${LUMEN_FUZZ_SEED:-1} seconds=$seconds"
    sha256sum "$0" | cut -d' ' -f1  # the options each run is given
  } | sha256sum | cut -d' ' -f1
}

run_target() {
  local name="$1" work="$dir/fuzz-run/$1"
  local dict key=""
  dict="$(dictionary "$name")"
  if [ "${LUMEN_FUZZ_SEED:-1}" != 0 ]; then
    key="$(result_key "$name" "$dict")"
    if [ -f "$results/$key" ]; then
      echo "   $name: ok, unchanged since a run that passed ($(cat "$results/$key"))"
      return 0
    fi
  fi
  rm -rf "$work"
  mkdir -p "$work/corpus" "$dir/crashes"
  cp fuzz/corpus/"$name"/* "$work/corpus/"
  # A fixed seed: the same mutations in every run of the test command, so that a failure in CI
  # is one the same command finds again here (LUMEN_FUZZ_SEED=0 picks a new seed each run).
  local args=(-seed="${LUMEN_FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$dir/crashes/$name-")
  [ -n "$dict" ] && args+=(-dict="$dict")
  # A failure's report is printed whole; a pass shows its final line (runs, coverage, corpus).
  if UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     "$dir/fuzz/${name}_fuzzer" "${args[@]}" "$work/corpus" >"$work/log" 2>&1; then
    local summary
    summary="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/log" |
               sed -E 's/^#([0-9]+)[[:space:]]+DONE +/\1 runs, /')"
    echo "   $name: ok, $summary"
    [ -z "$key" ] || echo "$summary" >"$results/$key"
  else
    echo "   $name: FAILED (input in $dir/crashes/$name-*)"
    tail -n 60 "$work/log"
    return 1
  fi
}

echo "== fuzz: ${#targets[@]} targets, ${seconds} s each"
failed=0
running=0
for name in "${targets[@]}"; do
  if [ "$running" -ge "$(nproc)" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_target "$name" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
if [ "$failed" -ne 0 ]; then
  echo "== fuzz: FAILED; reproduce with $dir/fuzz/<name>_fuzzer <input>"
  exit 1
fi
echo "== fuzz: passed"
