#!/usr/bin/env bash
# Interleaved saturation runs of several beautifyai binaries (before/after a change) beside nginx:
#   bench/saturation_compare.sh OUT SECONDS ROUNDS NAME=BINARY [NAME=BINARY...]
# Per round and binary: wrk -t1 -c32 with tracing off, then on; then nginx `return 200` (one
# worker). Extra beautifyai arguments per binary in GW_ARGS_<NAME>; MODELSIM overrides the
# simulator. Prints medians, spreads, p99, tracing cost and the ratio to nginx per round.
set -uo pipefail
out=$1; seconds=$2; rounds=$3; shift 3
mkdir -p "$out"
here="$(cd "$(dirname "$0")" && pwd)"
MODELSIM=${MODELSIM:-$here/../build/apps/modelsim/modelsim}
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "no port $1" >&2; exit 1; }
$MODELSIM --port 18700 >"$out/modelsim.log" 2>&1 & pids+=($!)
names=(); i=0
for spec in "$@"; do
  name=${spec%%=*}; bin=${spec#*=}; names+=("$name")
  gp=$((18080+i)); ap=$((19464+i))
  argsvar="GW_ARGS_$name"
  # Request logs as in production: rotated files (10 MB x 5), not an unbounded stdout file.
  APP_ENV=production LOG_DIR="$out/$name-logs" OTEL_LOGS_EXPORTER=none METRICS_PORT=$ap \
    $bin --port $gp --upstream http://127.0.0.1:18700 ${!argsvar:-} >"$out/$name.log" 2>&1 & pids+=($!)
  echo "$name $gp $ap $!" >> "$out/servers.txt"
  i=$((i+1))
done
mkdir -p "$out/nginx/logs"
cat >"$out/nginx/nginx.conf" <<EOC
worker_processes 1;
daemon off;
error_log $out/nginx/logs/error.log;
pid $out/nginx/nginx.pid;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:18090; location / { return 200 "ok"; } } }
EOC
nginx -c "$out/nginx/nginx.conf" -p "$out/nginx" & pids+=($!)
body='{"user_id":"bench","tier":"pro","document":"the same document, answered from the cache"}'
cat >"$out/post.lua" <<EOC
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
EOC
wait_port 18090
i=0
for name in "${names[@]}"; do
  wait_port $((18080+i)); wait_port $((19464+i))
  curl -sf -X POST "http://127.0.0.1:$((18080+i))/v1/analyze" -H 'Content-Type: application/json' -d "$body" >/dev/null
  i=$((i+1))
done
run_wrk() { echo "== $1 load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/wrk_$1.txt"; wrk -t1 -c32 -d"${seconds}s" --latency "${@:3}" "$2" >>"$out/wrk_$1.txt"; }
for r in $(seq $rounds); do
  i=0
  for name in "${names[@]}"; do
    ap=$((19464+i)); gp=$((18080+i))
    curl -sf -X POST "http://127.0.0.1:$ap/control/optimizations" -d '{"tracing":false}' >/dev/null
    run_wrk ${name}_off "http://127.0.0.1:$gp/v1/analyze" -s "$out/post.lua"
    curl -sf -X POST "http://127.0.0.1:$ap/control/optimizations" -d '{"tracing":true}' >/dev/null
    run_wrk ${name}_on "http://127.0.0.1:$gp/v1/analyze" -s "$out/post.lua"
    i=$((i+1))
  done
  run_wrk nginx "http://127.0.0.1:18090/"
done
python3 "$here/saturation_summary.py" "$out"
