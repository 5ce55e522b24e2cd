#!/usr/bin/env bash
# Fails, listing the findings, when clang-tidy-14 with the checked-in .clang-tidy reports anything
# in a .cpp under src/, apps/ or examples/ (or in a lumen header one of them includes). Uses the
# compile database of build-tidy/ (configured here, with clang 14, when missing or older than a
# CMakeLists.txt or this script). The libraries' sources are checked in their unity batches
# (cmake/LumenUnity.cmake), sixteen files a translation unit: clang-tidy spends most of a file's
# time matching the headers' declarations, which a batch then does once for all of them. A named
# file is checked with its batch. docs/TESTING.md, "clang-tidy", says more.
#   scripts/tidy.sh [file.cpp...]       e.g. scripts/tidy.sh src/trace/span.cpp
# A clean result is cached in ${XDG_CACHE_HOME:-~/.cache}/lumen-tidy, keyed by the contents of the
# file and of every header it reads (so NOLINT comments count), its flags, the configuration the
# root .clang-tidy makes and the clang-tidy version (scripts/tidy_keys.py): a re-run checks only
# what changed. A finding is never cached. The version is pinned: another clang-tidy has other checks
# and other false positives.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
dir=build-tidy
tidy=clang-tidy-14
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lumen-tidy"

# Installs clang-tidy-14 and the libraries' headers on a fresh machine, then the compile database.
# Nothing is built: no header is generated (configuring writes the unity batches).
stale=""
if [ -f "$dir/compile_commands.json" ]; then
  stale="$(find CMakeLists.txt cmake src apps examples \( -name CMakeLists.txt -o -name '*.cmake' \) \
             -newer "$dir/compile_commands.json" -print -quit)"
  if [ "$0" -nt "$dir/compile_commands.json" ]; then stale="$0"; fi
fi
if [ ! -f "$dir/compile_commands.json" ] || [ -n "$stale" ]; then
  CC=clang-14 CXX=clang++-14 scripts/bootstrap.sh "$dir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DCMAKE_BUILD_TYPE=Release -DLUMEN_UNITY_BUILD=ON -DLUMEN_BUILD_TESTS=OFF -DLUMEN_BUILD_BENCHMARKS=OFF \
    -DLUMEN_BUILD_EXAMPLES=ON -DLUMEN_BUILD_APPS=ON -DLUMEN_BUILD_FUZZERS=OFF
  touch "$dir/compile_commands.json"
else
  scripts/bootstrap.sh "$dir" >/dev/null
fi

mkdir -p "$cache"
results="$dir/tidy-results"
rm -rf "$results"
mkdir -p "$results"
# The configuration as clang-tidy reads it (a comment added to .clang-tidy checks nothing again).
config="$( { "$tidy" --dump-config; "$tidy" --version; } | sha256sum | cut -c1-64)"
# "unit<TAB>key" for each translation unit to check (its clean check is not cached), then the counts.
list="$dir/tidy-files.tsv"
scripts/tidy_keys.py "$root" "$dir/compile_commands.json" "$config" "$cache" "$@" >"$list.all"
grep -v '^total'$'\t' "$list.all" >"$list" || true
IFS=$'\t' read -r _ count cached < <(grep '^total'$'\t' "$list.all")
if [ "$count" -eq 0 ]; then
  echo "tidy: no file to check (is it a .cpp under src/, apps/ or examples/?)" >&2
  exit 1
fi

check_file() {
  local file key log
  IFS=$'\t' read -r file key <<<"$1"
  log="$results/${file//\//_}.log"
  if "$tidy" -p "$dir" --quiet "$file" >"$log" 2>&1; then
    rm -f "$log"
    : >"$cache/$key"
    return 0
  fi
  return 1
}
export -f check_file
export dir tidy cache results

echo "tidy: $count translation units, $cached unchanged since a clean check, $(nproc) at a time"
status=0
xargs -r -d '\n' -n 1 -P "$(nproc)" bash -c 'check_file "$1"' _ <"$list" || status=$?
if [ "$status" -ne 0 ]; then
  shopt -s nullglob
  failed=("$results"/*.log)
  # A header's finding shows once per file that includes it: listed once.
  findings="$(cat "${failed[@]}" | grep -E ': (warning|error): .*\[[a-z0-9.,-]+\]$' |
              sed "s|^$root/||; s|,-warnings-as-errors\]$|]|" | sort -u)"
  echo "tidy: $(printf '%s\n' "$findings" | grep -c .) finding(s) in ${#failed[@]} of $count translation units" \
       "($cached unchanged since a clean check):" >&2
  printf '%s\n' "$findings" | sed 's/^/  /' >&2
  if [ -z "$findings" ]; then cat "${failed[@]}" | tail -n 40 >&2; fi
  echo "each in context: scripts/tidy.sh FILE.cpp; a false positive takes a // NOLINT(check): reason" >&2
  exit 1
fi
echo "tidy: $count translation units pass .clang-tidy ($cached unchanged since a clean check)"
