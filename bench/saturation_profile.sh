#!/usr/bin/env bash
# Where a beautifyai binary's CPU goes per answered cache hit at saturation, tracing off then on:
#   bench/saturation_profile.sh BINARY OUT [SECONDS]
# Starts modelsim (MODELSIM, default build/apps/modelsim/modelsim) and the gateway on 127.0.0.1;
# per mode runs wrk -t1 -c32 on a cached POST /v1/analyze and, one second in, `perf record -e
# cpu-clock -F 4000` of the gateway for SECONDS (default 10). Then bench/profile_per_request.py
# prints the nanoseconds per request of each symbol, on minus off. The profiles stay in OUT.
set -uo pipefail
bin=$1; out=$2; seconds=${3:-10}
mkdir -p "$out"
here="$(cd "$(dirname "$0")" && pwd)"
ms=${MODELSIM:-$here/../build/apps/modelsim/modelsim}
$ms --port 18790 >"$out/modelsim.log" 2>&1 & msp=$!
# Request logs as in production: rotated files (10 MB x 5), not an unbounded stdout file.
APP_ENV=production LOG_DIR="$out/logs" OTEL_LOGS_EXPORTER=none METRICS_PORT=19564 \
  $bin --port 18180 --upstream http://127.0.0.1:18790 >"$out/gateway.log" 2>&1 & gp=$!
trap 'kill $msp $gp 2>/dev/null; wait' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/18180) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/19564) 2>/dev/null && break; sleep 0.1; done
body='{"user_id":"bench","tier":"pro","document":"the same document, answered from the cache"}'
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$body'" >"$out/post.lua"
curl -sf -X POST http://127.0.0.1:18180/v1/analyze -H 'Content-Type: application/json' -d "$body" >/dev/null
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
