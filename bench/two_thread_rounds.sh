#!/usr/bin/env bash
# "2 threads not slower per span than 1", against where the host has put the two vCPUs.
#
# On this VM, handing a cache line to the other vCPU and back takes about 60 ns or about 320 ns,
# and it switches every few seconds. This runs trace_bench binaries in turn for SECONDS, measures
# that round trip (BM_CacheLineRoundTrip) right before and right after each run of BM_SpanStartEnd
# with 1 and 2 threads, and sorts the runs by it: fast (both under 200 ns), slow (both over), or
# mixed. Run it with nothing else on the machine.
#
#   bench/two_thread_rounds.sh 180 build/bench/trace_bench /tmp/trace_bench.before
set -euo pipefail
seconds="$1"
shift
bench_args=(--benchmark_min_time=0.3 --benchmark_repetitions=3 --benchmark_report_aggregates_only=true)
round_trip() {
  "$1" --benchmark_filter=CacheLineRoundTrip --benchmark_min_time=0.05 2>/dev/null |
    awk '/^BM_CacheLineRoundTrip/ { print int($2) }'
}
log="$(mktemp)"
end=$(($(date +%s) + seconds))
echo "time binary round_trip_before round_trip_after 1_thread_ns share 2_threads_ns share"
while [ "$(date +%s)" -lt "$end" ]; do
  for binary in "$@"; do
    before="$(round_trip "$binary")"
    spans="$("$binary" "${bench_args[@]}" --benchmark_filter=SpanStartEnd 2>/dev/null |
      awk '/_median/ { sub("exported_share=", "", $7); printf "%s %s ", $2, $7 }')"
    after="$(round_trip "$binary")"
    echo "$(date +%T) $binary $before $after $spans" | tee -a "$log"
  done
done
echo
echo "binary mode runs 2_threads_not_slower median_1_thread median_2_threads"
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for binary in "$@"; do
  for mode in fast slow mixed; do
    rows="$(awk -v b="$binary" -v m="$mode" '$2 == b {
      mode = ($3 < 200 && $4 < 200) ? "fast" : ($3 >= 200 && $4 >= 200) ? "slow" : "mixed"
      if (mode == m) print $5, $7 }' "$log")"
    [ -z "$rows" ] && continue
    runs="$(wc -l <<<"$rows")"
    won="$(awk '$2 <= $1' <<<"$rows" | wc -l)"
    echo "$binary $mode $runs $won $(cut -d' ' -f1 <<<"$rows" | median) $(cut -d' ' -f2 <<<"$rows" | median)"
  done
done
rm -f "$log"
