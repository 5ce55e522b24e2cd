#!/usr/bin/env bash
# The main job: build the reference service and run it for about a minute on this machine, with
# embedded defaults (no collector, Prometheus or Redis needed):
#   modelsim (the AI models, simulated) <- beautifyai (the gateway) <- loadgen --compare
# prints each phase, the success-criteria table and the gateway's performance report, then leaves
# the dashboard running (on a terminal; Ctrl-C stops it) or stops everything (otherwise).
# Ports: GATEWAY_PORT (8080), MODELSIM_PORT (8700), METRICS_PORT (9464, the admin endpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh build
cmake --build build -j"$(nproc)" --target modelsim beautifyai loadgen

gateway_port="${GATEWAY_PORT:-8080}"
modelsim_port="${MODELSIM_PORT:-8700}"
export METRICS_PORT="${METRICS_PORT:-9464}"
export LOG_LEVEL="${LOG_LEVEL:-warn}"
# A report over a one-minute run needs samples more often than the default 10 s.
export REPORT_SAMPLE_INTERVAL_MS="${REPORT_SAMPLE_INTERVAL_MS:-2000}"
phase_seconds="${DEMO_PHASE_SECONDS:-8}"
logs="$(mktemp -d /tmp/lumen-demo.XXXXXX)"

# The image mix: IMAGES_DIR, else the shared corpus beside the project, else a few generated
# photo-like PNGs (smooth noise: what re-encoding does to a photograph).
images="${IMAGES_DIR:-../shared/corpus/images}"
if ! compgen -G "$images/*.png" >/dev/null && ! compgen -G "$images/*.jpg" >/dev/null; then
  images="$logs/images"
  mkdir -p "$images"
  for i in 1 2 3 4 5 6; do
    vips gaussnoise "$logs/n.v" $((1200 + 100 * i)) 1200 --mean 128 --sigma 60
    vips gaussblur "$logs/n.v" "$logs/b.v" $((3 + i))
    vips cast "$logs/b.v" "$logs/c.v" uchar
    vips bandjoin "$logs/c.v $logs/c.v $logs/c.v" "$images/photo$i.png"
  done
  rm -f "$logs"/*.v
fi

pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT

# Waits until a program has printed its "listening" line; fails with its log otherwise.
wait_listening() {
  local name="$1" log="$2"
  for _ in $(seq 1 100); do
    grep -q "listening" "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: $name did not start; its log ($log):" >&2
  cat "$log" >&2
  exit 1
}

build/apps/modelsim/modelsim --port "$modelsim_port" >"$logs/modelsim.log" 2>&1 &
pids+=($!)
wait_listening modelsim "$logs/modelsim.log"
build/apps/beautifyai/beautifyai --port "$gateway_port" --upstream "http://127.0.0.1:$modelsim_port" \
  >"$logs/beautifyai.log" 2>&1 &
pids+=($!)
wait_listening beautifyai "$logs/beautifyai.log"
head -1 "$logs/modelsim.log"
head -1 "$logs/beautifyai.log"
echo

# --require: a missed criterion makes the demo's exit status 1 (after the report is shown).
criteria_status=0
build/apps/loadgen/loadgen --target "http://127.0.0.1:$gateway_port" --admin "http://127.0.0.1:$METRICS_PORT" --compare \
  --phase-seconds "$phase_seconds" --images "$images" --json "$logs/criteria.json" --require || criteria_status=$?

sleep "$(( REPORT_SAMPLE_INTERVAL_MS / 1000 + 1 ))"  # one more sample after the last phase
echo
echo "The gateway's performance report (GET /report?period=5m):"
curl -s "http://127.0.0.1:$METRICS_PORT/report?period=5m"
echo
echo
echo "Gateway counters (GET /control/stats, on the admin endpoint):"
curl -s "http://127.0.0.1:$METRICS_PORT/control/stats"
echo
echo
echo "Dashboard: http://127.0.0.1:$METRICS_PORT/dashboard   Metrics: http://127.0.0.1:$METRICS_PORT/metrics"
echo "Logs: $logs"
if [ "$criteria_status" -ne 0 ]; then
  echo "A success criterion was missed on this run (the table above says which): exit status $criteria_status."
fi
if [ -t 1 ]; then
  echo "The services keep running; press Ctrl-C to stop them."
  wait "${pids[1]}" || true
fi
exit "$criteria_status"
