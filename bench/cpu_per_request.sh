#!/usr/bin/env bash
# CPU per request of a beautifyai binary, by thread name, tracing off and on, at saturation:
#   bench/cpu_per_request.sh BINARY SECONDS ROUNDS [extra beautifyai args]
# Starts modelsim (MODELSIM, default build/apps/modelsim/modelsim) and the gateway on 127.0.0.1,
# then per round runs wrk -t1 -c32 on cached POST /v1/analyze with tracing off, then on, and
# prints each thread name's CPU time (utime + stime from /proc) per answered request.
set -uo pipefail
bin=$1; secs=$2; rounds=$3; shift 3
out=$(mktemp -d)
here="$(cd "$(dirname "$0")" && pwd)"
ms=${MODELSIM:-$here/../build/apps/modelsim/modelsim}
$ms --port 18790 >$out/ms.log 2>&1 & msp=$!
# Request logs as in production: rotated files (10 MB x 5), not an unbounded stdout file.
APP_ENV=production LOG_DIR=$out/logs OTEL_LOGS_EXPORTER=none METRICS_PORT=19564 \
  $bin --port 18180 --upstream http://127.0.0.1:18790 "$@" >$out/gw.log 2>&1 & gp=$!
trap 'kill $msp $gp 2>/dev/null; wait; rm -rf "$out"' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/18180) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/19564) 2>/dev/null && break; sleep 0.1; done
body='{"user_id":"bench","tier":"pro","document":"the same document, answered from the cache"}'
printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$body'" > $out/post.lua
curl -sf -X POST http://127.0.0.1:18180/v1/analyze -H 'Content-Type: application/json' -d "$body" >/dev/null
threads() { for t in /proc/$gp/task/*; do awk -v n="$(cat $t/comm)" '{print n"\t"$14+$15}' $t/stat; done | awk -F'\t' '{s[$1]+=$2} END{for(k in s) print k"\t"s[k]}' | sort; }
hz=$(getconf CLK_TCK)
for r in $(seq $rounds); do
 for mode in false true; do
  curl -sf -X POST http://127.0.0.1:19564/control/optimizations -d "{\"tracing\":$mode}" >/dev/null
  threads > $out/a
  req=$(wrk -t1 -c32 -d${secs}s -s $out/post.lua http://127.0.0.1:18180/v1/analyze | awk '/requests in/{print $1}')
  threads > $out/b
  join -t$'\t' $out/a $out/b | awk -F'\t' -v req=$req -v hz=$hz -v m=$mode -v r=$r '{d=($3-$2)/hz*1e6/req; tot+=d; printf "r%d tracing=%s %-16s %7.2f us/req\n", r, m, $1, d} END{printf "r%d tracing=%s TOTAL %7.2f us/req  (%d req)\n", r, m, tot, req}'
 done
done
