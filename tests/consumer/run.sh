#!/usr/bin/env bash
# Builds and runs a small outside project against lumen, the four ways a team adopts it:
#   run.sh installed    <build-dir>   cmake --install, then find_package(lumen COMPONENTS ...)
#   run.sh subdirectory <build-dir>   add_subdirectory(lumen), as FetchContent does
#   run.sh deb          <build-dir>   cpack -G DEB, the packages unpacked with dpkg-deb -x
#   run.sh pkgconfig    <build-dir>   cmake --install, then pkg-config --cflags --libs lumen-trace
# The suite runs each against its Release build (static libraries); installed and pkgconfig also
# work against a -DBUILD_SHARED_LIBS=ON build directory.
# The installed and .deb consumers are configured with Boost made unfindable and pkg-config shown
# no system modules (so neither libvips nor hiredis can be found), and their compilations must
# read none of the Boost, libvips or hiredis headers.
set -euo pipefail
mode="$1"
build="$(cd "$2" && pwd)"
source_dir="$(cd "$(dirname "$0")/../.." && pwd)"
# Inside the build directory, at a path that does not change between runs: with ccache's base
# directory at the checkout (scripts/test.sh), the consumers' compilations are then found in the
# cache by the next run, and by another clone. A random directory under /tmp missed every time.
work="$build/consumer-$mode"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

# The README's Quickstart, exactly as a reader copies it.
extract_quickstart() {
  awk '/^## Quickstart/ {in_section = 1} in_section && /^```cpp/ {copy = 1; next}
       copy && /^```/ {exit} copy {print}' "$source_dir/README.md" > "$work/quickstart.cpp"
  grep -q 'lumen::init' "$work/quickstart.cpp" || fail "no quickstart found in README.md"
}

# Configure, build and run tests/consumer/installed against a prefix.
build_installed_consumer() {
  local prefix="$1"
  extract_quickstart
  mkdir -p "$work/no-pkgconfig"
  PKG_CONFIG_LIBDIR="$work/no-pkgconfig" PKG_CONFIG_PATH="" \
    cmake -S "$source_dir/tests/consumer/installed" -B "$work/consumer" "${launcher[@]}" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_DISABLE_FIND_PACKAGE_Boost=ON -DQUICKSTART_SOURCE="$work/quickstart.cpp" \
      > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "configure"; }
  cmake --build "$work/consumer" -j2 > "$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
  # The headers each compilation read (g++ -M), from the commands CMake used.
  python3 - "$work/consumer/compile_commands.json" > "$work/headers.txt" <<'PY'
import json, shlex, subprocess, sys
for entry in json.load(open(sys.argv[1])):
    args = shlex.split(entry["command"])
    out = args.index("-o")
    del args[out:out + 2]
    args = [a for a in args if a != "-c"] + ["-M"]
    print(subprocess.run(args, cwd=entry["directory"], check=True, capture_output=True, text=True).stdout)
PY
  if grep -E '/(boost|vips|hiredis)/' "$work/headers.txt"; then
    fail "a consumer of trace, export and runtime compiled Boost, libvips or hiredis headers"
  fi
  grep -q "$prefix" "$work/headers.txt" || fail "the consumer did not compile lumen's installed headers"
  # A shared lumen (BUILD_SHARED_LIBS=ON) in a prefix the loader does not search.
  export LD_LIBRARY_PATH="$prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  OTEL_TRACES_EXPORTER=console "$work/consumer/quickstart" > "$work/quickstart.out" 2>&1 \
    || { cat "$work/quickstart.out"; fail "the quickstart failed"; }
  grep -q 'ai.provider.analyze' "$work/quickstart.out" || { cat "$work/quickstart.out"; fail "no span printed"; }
  check_trace_only "$work/consumer/trace_only"
}

check_trace_only() {
  local output
  output="$("$1")"
  [ "$output" = $'consumer.step child\nconsumer.request root' ] || fail "trace_only printed: $output"
}

case "$mode" in
  installed)
    cmake --install "$build" --prefix "$work/prefix" --component dev > /dev/null
    [ -f "$work/prefix/lib/cmake/lumen/lumenConfig.cmake" ] || fail "no lumenConfig.cmake installed"
    build_installed_consumer "$work/prefix"
    ;;
  subdirectory)
    cmake -S "$source_dir/tests/consumer/subdirectory" -B "$work/consumer" "${launcher[@]}" \
      -DCMAKE_BUILD_TYPE=Release -DLUMEN_SOURCE_DIR="$source_dir" > "$work/configure.log" 2>&1 \
      || { cat "$work/configure.log"; fail "configure"; }
    grep -q "only library targets" "$work/configure.log" || fail "the target check did not run"
    cmake --build "$work/consumer" -j2 --target trace_only > "$work/build.log" 2>&1 \
      || { cat "$work/build.log"; fail "build"; }
    check_trace_only "$work/consumer/trace_only"
    ;;
  deb)
    (cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/packages" > cpack.log 2>&1) \
      || { cat "$work/cpack.log"; fail "cpack"; }
    dev="$(ls "$work"/packages/liblumen-dev_*.deb)"
    tools="$(ls "$work"/packages/lumen-tools_*.deb)"
    dpkg-deb -f "$dev" Depends | grep -q 'libcurl4-openssl-dev' || fail "liblumen-dev: $(dpkg-deb -f "$dev" Depends)"
    dpkg-deb -f "$tools" Depends | grep -q 'libvips42' || fail "lumen-tools: $(dpkg-deb -f "$tools" Depends)"
    dpkg-deb -x "$dev" "$work/root"
    dpkg-deb -x "$tools" "$work/root"
    "$work/root/usr/bin/lumen-image" --help > /dev/null || fail "lumen-image from the package does not run"
    build_installed_consumer "$work/root/usr"
    ;;
  pkgconfig)
    cmake --install "$build" --prefix "$work/prefix" --component dev > /dev/null
    flags="$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs lumen-trace)"
    case "$flags" in *-llumen-trace*-llumen-core*) ;; *) fail "pkg-config gave: $flags" ;; esac
    # shellcheck disable=SC2086  # the flags are words
    g++ -std=c++20 -O2 "$source_dir/tests/consumer/trace_only/trace_only.cpp" $flags -o "$work/trace_only" \
      || fail "the pkg-config build failed with: $flags"
    LD_LIBRARY_PATH="$work/prefix/lib" check_trace_only "$work/trace_only"
    ;;
  *) fail "unknown mode $mode" ;;
esac
echo "consumer ($mode): ok"
