# Sourced by the saturation scripts: start_cached_hit_gateway BINARY OUT [beautifyai args] starts
# modelsim (MODELSIM, default build/apps/modelsim/modelsim) on 127.0.0.1:18790 and the gateway on
# 127.0.0.1:18180 (admin 19564), waits for both ports, writes OUT/post.lua (wrk's cached
# POST /v1/analyze) and makes one request so that the next ones are cache hits. Sets msp and gp,
# the two processes' ids. Request logs go as in production to rotated files (10 MB x 5) in
# OUT/logs: to a stdout file they grew 3.4 GB a run.
start_cached_hit_gateway() {
  local bin=$1 out=$2
  shift 2
  local here
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  ${MODELSIM:-$here/../build/apps/modelsim/modelsim} --port 18790 >"$out/modelsim.log" 2>&1 &
  msp=$!
  APP_ENV=production LOG_DIR="$out/logs" OTEL_LOGS_EXPORTER=none METRICS_PORT=19564 \
    "$bin" --port 18180 --upstream http://127.0.0.1:18790 "$@" >"$out/gateway.log" 2>&1 &
  gp=$!
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/18180) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/19564) 2>/dev/null && break
    sleep 0.1
  done
  local body='{"user_id":"bench","tier":"pro","document":"the same document, answered from the cache"}'
  printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$body'" >"$out/post.lua"
  curl -sf -X POST http://127.0.0.1:18180/v1/analyze -H 'Content-Type: application/json' -d "$body" >/dev/null
}
