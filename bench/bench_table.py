#!/usr/bin/env python3
"""The table scripts/bench.sh prints: each target of the performance work beside its peer, measured
in one run (Google Benchmark JSON files and wrk outputs in the directory given), then every
benchmark's median wall and CPU time.

    python3 bench/bench_table.py DIR
"""
import json
import re
import statistics
import sys
from pathlib import Path

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load_benchmarks(directory):
    """{run name: {"wall": ns, "cpu": ns, "counters": {...}}} from the medians of every file (the
    single run when there was one repetition)."""
    medians = {}
    for path in sorted(directory.glob("*_bench.json")):
        for b in json.loads(path.read_text())["benchmarks"]:
            aggregate = b.get("aggregate_name")
            if aggregate not in (None, "median") or (aggregate is None and b["run_name"] in medians):
                continue
            scale = UNIT_NS[b.get("time_unit", "ns")]
            known = {"name", "run_name", "run_type", "aggregate_name", "aggregate_unit", "family_index",
                     "per_family_instance_index", "repetitions", "repetition_index", "threads",
                     "iterations", "real_time", "cpu_time", "time_unit"}
            medians[b["run_name"]] = {
                "file": path.stem,
                "wall": b["real_time"] * scale,
                "cpu": b["cpu_time"] * scale,
                "counters": {k: v for k, v in b.items() if k not in known},
            }
    return medians


def parse_wrk(path):
    """[(requests per second, p99 in ms)] for each run appended to a wrk output file."""
    runs = []
    rate = None
    for line in path.read_text().splitlines():
        m = re.match(r"\s*99%\s+([\d.]+)(us|ms|s)\s*$", line)
        if m:
            p99 = float(m.group(1)) * UNIT_NS[m.group(2)] / 1e6
            runs.append([None, p99])
        m = re.match(r"Requests/sec:\s+([\d.]+)", line)
        if m:
            rate = float(m.group(1))
            if runs and runs[-1][0] is None:
                runs[-1][0] = rate
    return [(r, p) for r, p in runs if r is not None]


def ns(value):
    return "n/a" if value is None else (f"{value:.3g} ns" if value < 1e5 else f"{value / 1e6:.3g} ms")


def main():
    directory = Path(sys.argv[1])
    b = load_benchmarks(directory)

    def wall(name):
        return b[name]["wall"] if name in b else None

    def cpu(name):
        return b[name]["cpu"] if name in b else None

    rows = []  # what, target, peer, peer's figure, ours, ratio (peer / ours unless said)

    def row(what, target, peer_name, peer_value, ours, ratio_text):
        rows.append((what, target, peer_name, peer_value, ours, ratio_text))

    clock = wall("BM_ClockNow")
    tsc = wall("BM_TscWallNow")
    row("clock read for a timestamp (TSC clock)", "< 10 ns", "clock_gettime(CLOCK_REALTIME)", ns(clock),
        ns(tsc), f"{clock / tsc:.2f}x (peer / lumen)" if clock and tsc else "n/a")
    for what, name, target in [
        ("sampled span, 3 attributes, 1 thread (wall)", "BM_SpanStartEnd/real_time/threads:1", "<= 60 ns"),
        ("sampled span, 2 threads (wall per span)", "BM_SpanStartEnd/real_time/threads:2", "<= 60 ns"),
        ("sampled span, 1 thread, to an exporter reading SpanData only", "BM_SpanStartEnd_SpanDataExporter/real_time/threads:1", ""),
        ("unsampled span", "BM_SpanUnsampled", "<= 8 ns"),
        ("nested pair of spans", "BM_SpanNested", "<= 150 ns"),
    ]:
        ours = wall(name)
        share = b.get(name, {}).get("counters", {}).get("exported_share")
        extra = f"; exported share {share:.4f} (>= 0.99)" if share is not None else ""
        ratio = f"{ours / clock:.1f}x the clock{extra}" if ours and clock else "n/a"
        row(what, target, "clock read (CLOCK_REALTIME)", ns(clock), ns(ours), ratio)

    def per_record(name):  # a batch per iteration: the benchmark's own per-record counter
        return b.get(name, {}).get("counters", {}).get("ns_per_record")

    def versus(what, target, peer_label, peer, ours_name, measure=wall, ours_measure=None):
        p, o = measure(peer), (ours_measure or measure)(ours_name)
        row(what, target, peer_label, ns(p), ns(o), f"{p / o:.2f}x (peer / lumen)" if p and o else "n/a")

    versus("the gateway's cache-hit span (7 attributes), kept by the store alone", "", "floor: its content as one 256-byte record",
           "BM_GatewaySpanFloor_CompactRecord", "BM_GatewaySpan/1/process_time/real_time")
    versus("log record, 5 fields: caller's wall time", "<= 300 ns, >= 5x", "spdlog async, wall",
           "BM_Spdlog_AsyncInfo_5Fields", "BM_LogInfo_5Fields")
    versus("log record, 5 fields: caller's CPU time", "", "spdlog async, CPU",
           "BM_Spdlog_AsyncInfo_5Fields", "BM_LogInfo_5Fields", cpu)
    versus("log record, 5 fields: a caller the queue does not hold back (wall)", "<= 60 ns",
           "spdlog async, same bursts, wall", "BM_Spdlog_AsyncInfo_5Fields_QueueNotFull/real_time",
           "BM_LogInfo_5Fields_QueueNotFull/real_time", per_record)
    versus("log record, 5 fields: end to end to a file", "<= 250 ns, >= 3.5x", "spdlog sync file sink",
           "BM_Spdlog_SyncFile_5Fields", "BM_LogEndToEnd_5Fields/real_time", ours_measure=per_record)
    versus("the writer's floor: the file sink alone, lines already formatted", "", "spdlog sync file sink",
           "BM_Spdlog_SyncFile_5Fields", "BM_FileSinkOnly_FormattedLines/real_time", ours_measure=per_record)
    versus("the writer's other part: formatting a line alone", "", "spdlog sync file sink",
           "BM_Spdlog_SyncFile_5Fields", "BM_WriterFormatOnly_5Fields")
    versus("histogram record, 3 attributes", "<= 60 ns", "prometheus-cpp Observe (bound)",
           "BM_Prom_HistogramObserve", "BM_HistogramRecord_Attrs3")
    versus("histogram record, bound", "<= 8 ns", "prometheus-cpp Observe (bound)",
           "BM_Prom_HistogramObserve", "BM_HistogramRecord_Bound")
    versus("counter add, 3 attributes", "", "prometheus-cpp Add with labels",
           "BM_Prom_CounterAdd_Labels", "BM_CounterAdd_Attrs3")
    versus("counter add, bound", "", "prometheus-cpp Increment",
           "BM_Prom_CounterIncrement", "BM_CounterAdd_Bound")
    versus("coalescer cache hit", "", "std::mutex + unordered_map", "BM_MutexMap_Hit", "BM_Coalescer_CacheHit")
    versus("scrape of 10k series", "", "prometheus-cpp Serialize", "BM_Prom_Scrape_10k", "BM_Scrape_10k")

    off = parse_wrk(directory / "wrk_gateway_tracing_off.txt") if (directory / "wrk_gateway_tracing_off.txt").exists() else []
    on = parse_wrk(directory / "wrk_gateway_tracing_on.txt") if (directory / "wrk_gateway_tracing_on.txt").exists() else []
    nginx = parse_wrk(directory / "wrk_nginx.txt") if (directory / "wrk_nginx.txt").exists() else []
    if off and on:
        off_rate = statistics.median(r for r, _ in off)
        on_rate = statistics.median(r for r, _ in on)
        # Each round's off and on runs are back to back (scripts/bench.sh): the median of the
        # rounds' own costs, which the host's changes of speed between rounds do not enter.
        costs = [1 - n / f for (f, _), (n, _) in zip(off, on)]
        row("tracing's cost at saturation (cache hits, wrk -t1 -c32)", "< 1 %",
            "tracing off", f"{off_rate:,.0f} req/s", f"{on_rate:,.0f} req/s",
            f"{statistics.median(costs) * 100:.1f} % (median of {len(costs)} rounds: "
            f"{', '.join(f'{c * 100:.1f}' for c in costs)}; of the medians {(1 - on_rate / off_rate) * 100:.1f} %)")
    if on and nginx:
        nginx_rate = statistics.median(r for r, _ in nginx)
        on_rate = statistics.median(r for r, _ in on)
        p99 = statistics.median(p for _, p in on)
        row("gateway cache hits against nginx return 200 (one worker)", ">= 50 %, p99 < 5 ms",
            "nginx", f"{nginx_rate:,.0f} req/s", f"{on_rate:,.0f} req/s",
            f"{on_rate / nginx_rate * 100:.0f} % of nginx; p99 {p99:.2f} ms (nginx {statistics.median(p for _, p in nginx):.2f} ms)")

    print("| target | goal | peer | peer's figure | lumen | ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print()
    print("Every benchmark (medians; wall and CPU time per iteration):")
    print()
    print("| binary | benchmark | wall | CPU | counters |")
    print("| --- | --- | --- | --- | --- |")
    for name, m in b.items():
        counters = ", ".join(f"{k} {v:.4g}" for k, v in m["counters"].items() if isinstance(v, (int, float)))
        print(f"| {m['file']} | {name} | {ns(m['wall'])} | {ns(m['cpu'])} | {counters} |")


if __name__ == "__main__":
    main()
