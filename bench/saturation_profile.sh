#!/usr/bin/env bash
# Where a beautifyai binary's CPU goes per answered cache hit at saturation, tracing off then on:
#   bench/saturation_profile.sh BINARY OUT [SECONDS]
# Starts modelsim and the gateway on 127.0.0.1 (bench/cached_hit_gateway.sh); per mode runs
# wrk -t1 -c32 on a cached POST /v1/analyze and, one second in, `perf record -e cpu-clock -F 4000`
# of the gateway for SECONDS (default 10). Then bench/profile_per_request.py
# prints the nanoseconds per request of each symbol, on minus off. The profiles stay in OUT.
set -uo pipefail
bin=$1; out=$2; seconds=${3:-10}
mkdir -p "$out"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/cached_hit_gateway.sh"
start_cached_hit_gateway "$bin" "$out"
trap 'kill $msp $gp 2>/dev/null; wait' EXIT
for tracing in false true; do
  curl -sf -X POST http://127.0.0.1:19564/control/optimizations -d "{\"tracing\":$tracing}" >/dev/null
  wrk -t1 -c32 -d$((seconds + 2))s -s "$out/post.lua" http://127.0.0.1:18180/v1/analyze >"$out/wrk_$tracing.txt" &
  wp=$!
  sleep 1
  perf record -e cpu-clock -F 4000 -o "$out/perf_$tracing.data" -p $gp -- sleep "$seconds" >/dev/null 2>&1
  wait $wp
  echo "tracing=$tracing $(grep Requests/sec "$out/wrk_$tracing.txt")"
done
python3 "$here/profile_per_request.py" "$out" "$seconds"
