#!/usr/bin/env bash
# Every benchmark and the saturation test, measured in this run, and one table of each target
# beside its peer (prometheus-cpp, spdlog, nginx, the physical floor), ours and the ratio.
#   scripts/bench.sh [--repetitions N] [--rounds R] [--seconds S] [--out DIR]
# --repetitions: Google Benchmark repetitions (medians are quoted; 5 by default);
# --rounds, --seconds: the saturation test's rounds (6 by default), each a wrk run of S seconds (5
# by default) with tracing off, one with it on, and one of nginx.
# Everything listens on 127.0.0.1. Quiet the machine first: these figures are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."

repetitions=5
rounds=6
seconds=5
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --repetitions) repetitions="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# The load generator and the HTTP stack's ceiling: only this script needs them.
for p in wrk nginx-light; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  fi
done
scripts/bootstrap.sh build -DCMAKE_BUILD_TYPE=Release
benches=(trace_bench log_bench metrics_bench perf_bench report_bench image_bench)
cmake --build build -j"$(nproc)" --target "${benches[@]}" modelsim beautifyai

[ -n "$out" ] || out="$(mktemp -d /tmp/lumen-bench.XXXXXX)"
mkdir -p "$out"
for b in "${benches[@]}"; do
  echo "== $b"
  build/bench/"$b" --benchmark_repetitions="$repetitions" --benchmark_report_aggregates_only=true \
    --benchmark_min_time=0.3 --benchmark_format=json --benchmark_out="$out/$b.json" \
    --benchmark_out_format=json >/dev/null
done

# The saturation test: the gateway's cache-hit path under wrk (one connection per client, 32 of
# them), tracing off and on interleaved, and nginx's `return 200` with one worker as the ceiling.
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench.sh: nothing listens on port $1" >&2
  exit 1
}
gateway_port=18080 modelsim_port=18700 admin_port=19464 nginx_port=18090
build/apps/modelsim/modelsim --port "$modelsim_port" >"$out/modelsim.log" 2>&1 &
pids+=($!)
# The gateway logs every request: as in production, to combined.log rotated at 10 MB x 5, not to
# stdout, which filled the disk (3.4 GB a run).
APP_ENV=production LOG_DIR="$out/gateway-logs" OTEL_LOGS_EXPORTER=none METRICS_PORT="$admin_port" \
  build/apps/beautifyai/beautifyai --port "$gateway_port" \
  --upstream "http://127.0.0.1:$modelsim_port" >"$out/beautifyai.log" 2>&1 &
pids+=($!)
mkdir -p "$out/nginx/logs"
cat >"$out/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
error_log $out/nginx/logs/error.log;
pid $out/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$nginx_port; location / { return 200 "ok"; } }
}
EOF
nginx -c "$out/nginx/nginx.conf" -p "$out/nginx" &
pids+=($!)
wait_port "$gateway_port"
wait_port "$admin_port"
wait_port "$nginx_port"

body='{"user_id":"bench","tier":"pro","document":"the same document, answered from the cache"}'
cat >"$out/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
EOF
curl -sf -X POST "http://127.0.0.1:$gateway_port/v1/analyze" -H 'Content-Type: application/json' \
  -d "$body" >/dev/null  # the one call that reaches the model; every later one is a cache hit
tracing() {
  curl -sf -X POST "http://127.0.0.1:$admin_port/control/optimizations" -d "{\"tracing\":$1}" >/dev/null
}
run_wrk() {  # name url [script]
  local args=(-t1 -c32 -d"${seconds}s" --latency)
  [ $# -gt 2 ] && args+=(-s "$3")
  echo "== wrk $1"
  wrk "${args[@]}" "$2" >>"$out/wrk_$1.txt"
}
# This VM's host changes speed for tens of seconds at a time (the same gateway ran 126,000 and
# 198,000 req/s minutes apart), which is many times tracing's cost: the runs are short and paired,
# each round's off and on runs back to back, in the order off-on, then on-off (a drift that spans
# two rounds cancels), and bench_table.py quotes the median of the rounds' own costs.
for round in $(seq "$rounds"); do
  order=(false true)
  [ $((round % 2)) -eq 0 ] && order=(true false)
  for t in "${order[@]}"; do
    tracing "$t"
    name=gateway_tracing_off
    [ "$t" = true ] && name=gateway_tracing_on
    run_wrk "$name" "http://127.0.0.1:$gateway_port/v1/analyze" "$out/post.lua"
  done
  run_wrk nginx "http://127.0.0.1:$nginx_port/"
done

{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at $(git rev-parse --short HEAD) on $(nproc) CPUs:" \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  python3 bench/bench_table.py "$out"
} | tee "$out/table.md"
echo
echo "Raw results: $out"
