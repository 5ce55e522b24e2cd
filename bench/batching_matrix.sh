#!/usr/bin/env bash
# loadgen --compare across clients (32, 64) and model mixes (0 and 25 % of requests naming other
# models than gemini-2.0-flash), three saturated pairs each, a fresh modelsim and gateway per
# configuration, all on 127.0.0.1:
#   bench/batching_matrix.sh BUILD_DIR OUT
set -uo pipefail
b=$1; out=$2; mkdir -p $out
for clients in 32 64; do for other in 0 0.25; do
  tag=c${clients}_o${other}
  $b/apps/modelsim/modelsim --port 18800 >$out/ms_$tag.log 2>&1 & msp=$!
  METRICS_PORT=19700 $b/apps/beautifyai/beautifyai --port 18280 --upstream http://127.0.0.1:18800 >/dev/null 2>&1 & gp=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/18280) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/19700) 2>/dev/null && break; sleep 0.1; done
  echo "== $tag load $(cut -d' ' -f1-3 /proc/loadavg)"
  $b/apps/loadgen/loadgen --target http://127.0.0.1:18280 --admin http://127.0.0.1:19700 --compare \
     --phase-seconds 8 --batch-clients $clients --other-models $other --batch-runs 3 --json $out/$tag.json > $out/$tag.txt 2>&1
  grep -iE "batch|latency reduction" $out/$tag.txt | tail -8
  kill $msp $gp; wait $msp $gp 2>/dev/null
done; done
