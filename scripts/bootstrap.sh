#!/usr/bin/env bash
# Installs what lumen needs on Debian 12 (apt packages, the npm test tools) and configures the
# build. Idempotent, and quiet when nothing is missing. Run as root (or with sudo available).
#   scripts/bootstrap.sh [build-dir] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake make pkg-config git ca-certificates
  libcurl4-openssl-dev zlib1g-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libspdlog-dev
  prometheus-cpp-dev prometheus libboost-dev
  libvips-dev libvips-tools libdeflate-dev
  chromium libhiredis-dev redis-server
  python3-grpcio
  dpkg-dev ccache ninja-build
  python3-jsonschema openssl
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (its own npm included): only the commands matter.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Independent decoders for the export tests (protobufjs from the OpenTelemetry JS SDK, thriftrw).
# A node_modules that is a symbolic link is another checkout's (a git worktree's): npm ci would
# empty that checkout's folder through the link, so it is left alone.
if [ ! -L tests/tools/node_modules ] &&
   { [ ! -d tests/tools/node_modules ] || [ tests/tools/package-lock.json -nt tests/tools/node_modules ]; }; then
  echo "bootstrap: installing the npm test tools"
  npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error >/dev/null
  touch tests/tools/node_modules
fi

build_dir="${1:-build}"
shift || true
# Ninja, not Make: Make compiles a target's files only once the libraries it links are built, so
# a long file (the admin server's batch, 56 s under ASan) left one core idle; Ninja starts every
# file whose inputs exist. The ASan build from nothing, ccache off, kept the two cores 88 % busy
# with Make and 95 % with Ninja.
# A directory configured for another generator is configured again from scratch (ccache keeps
# its objects) when options are given; without options it is left as it is.
if [ -f "$build_dir/CMakeCache.txt" ] && [ $# -gt 0 ] &&
   ! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$build_dir/CMakeCache.txt"; then
  rm -rf "$build_dir/CMakeCache.txt" "$build_dir/CMakeFiles"
fi
if [ ! -f "$build_dir/CMakeCache.txt" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$build_dir" -G Ninja "$@" >/dev/null
fi
