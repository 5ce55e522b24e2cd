#!/usr/bin/env bash
# CPU per request of a beautifyai binary, by thread name, tracing off and on, at saturation:
#   bench/cpu_per_request.sh BINARY SECONDS ROUNDS [extra beautifyai args]
# Starts modelsim and the gateway on 127.0.0.1 (bench/cached_hit_gateway.sh), then per round
# runs wrk -t1 -c32 on cached POST /v1/analyze with tracing off, then on, and prints each thread
# name's CPU time (utime + stime from /proc) per answered request.
set -uo pipefail
bin=$1; secs=$2; rounds=$3; shift 3
out=$(mktemp -d)
source "$(cd "$(dirname "$0")" && pwd)/cached_hit_gateway.sh"
start_cached_hit_gateway "$bin" "$out" "$@"
trap 'kill $msp $gp 2>/dev/null; wait; rm -rf "$out"' EXIT
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
