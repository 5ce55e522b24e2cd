#!/usr/bin/env python3
"""Reads the two profiles of bench/saturation_profile.sh and prints nanoseconds per answered
request: in all, for each mode, then per symbol, tracing on minus off, largest first, and the sum
over the tracing SDK's own symbols, then that sum with the C library's mutex functions added (the
embedded store's lock is taken there; so are the HTTP stack's, whose noise comes with it).

    bench/profile_per_request.py OUT SECONDS [REGEX]

A sample of `perf record -e cpu-clock -F 4000` stands for 250 us of CPU; the requests answered
while perf ran are wrk's rate times SECONDS. REGEX (default: the tracing SDK's symbols) picks
the symbols that the last line sums.
"""
import re
import subprocess
import sys

SAMPLE_NS = 1e9 / 4000
# The span's own code, and the embedded store that keeps each span as it ends (lumen::exporters,
# SpanStoreProcessor), which the pattern missed until 2026-12-05 evening: 6-10 ns a request then.
TRACING_SYMBOLS = (r"lumen::trace|same_bytes|SpanData|PerCpuQueue|Attributes|lumen::exporters"
                   r"|SpanStoreProcessor")

# The store's lock: at saturation its locked instruction waits for the writes still in flight,
# 80-90 ns a request when it came right after the request's log line (2026-12-05 evening).
MUTEX_SYMBOLS = r"pthread_mutex_(un)?lock"


def ns_per_request(out, tracing, seconds):
    """{symbol: ns per request} of one mode's profile."""
    report = subprocess.run(
        ["perf", "report", "-i", f"{out}/perf_{tracing}.data", "--no-children", "-g", "none", "-n",
         "--sort", "sym", "--stdio"],
        capture_output=True, text=True, check=True).stdout
    wrk = open(f"{out}/wrk_{tracing}.txt", encoding="utf-8").read()
    requests = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)) * seconds
    costs = {}
    for line in report.splitlines():
        fields = line.split(None, 2)  # percentage, samples, "[.] symbol"
        if line.startswith("#") or len(fields) < 3 or not fields[0].endswith("%"):
            continue
        symbol = fields[2].split("] ", 1)[-1].strip()
        costs[symbol] = costs.get(symbol, 0.0) + int(fields[1]) * SAMPLE_NS / requests
    return costs


def main():
    out, seconds = sys.argv[1], float(sys.argv[2])
    pattern = sys.argv[3] if len(sys.argv) > 3 else TRACING_SYMBOLS
    off = ns_per_request(out, "false", seconds)
    on = ns_per_request(out, "true", seconds)
    print(f"CPU per request: tracing off {sum(off.values()):.0f} ns, on {sum(on.values()):.0f} ns")
    deltas = sorted(((on.get(s, 0.0) - off.get(s, 0.0), s) for s in set(off) | set(on)),
                    reverse=True)
    for delta, symbol in deltas[:25]:
        print(f"{delta:+8.1f} ns  {symbol[:110]}")
    chosen = sum(d for d, s in deltas if re.search(pattern, s))
    print(f"tracing SDK's symbols, on minus off: {chosen:+.1f} ns per request")
    locks = sum(d for d, s in deltas if re.search(MUTEX_SYMBOLS, s))
    print(f"with the C library's mutex functions: {chosen + locks:+.1f} ns per request")


if __name__ == "__main__":
    main()
