# Summarizes the wrk_*.txt files bench/saturation_compare.sh writes: medians, spreads, p99, the
# tracing cost per round and each run against the same round's nginx.
import sys, re, glob, os, statistics
out = sys.argv[1]
def ms(v, u):
    return float(v) * {'us': 1e-3, 'ms': 1, 's': 1e3}[u]
rows = {}
for f in sorted(glob.glob(os.path.join(out, 'wrk_*.txt'))):
    name = os.path.basename(f)[4:-4]
    txt = open(f).read()
    rps = [float(x) for x in re.findall(r'Requests/sec:\s+([\d.]+)', txt)]
    p99 = [ms(v, u) for v, u in re.findall(r'\s99%\s+([\d.]+)(us|ms|s)\b', txt)]
    non2xx = re.findall(r'Non-2xx or 3xx responses: (\d+)', txt)
    rows[name] = (rps, p99, non2xx)
ng = statistics.median(rows['nginx'][0]) if 'nginx' in rows else None
for name, (rps, p99, bad) in rows.items():
    med = statistics.median(rps)
    s = f"{name:14s} req/s median {med:9.0f} [{min(rps):.0f}..{max(rps):.0f}] runs {' '.join('%.0f'%x for x in rps)}  p99 median {statistics.median(p99):.2f} ms [{min(p99):.2f}..{max(p99):.2f}]"
    if ng: s += f"  /nginx {med/ng:.3f}"
    if bad: s += f"  non2xx {bad}"
    print(s)
for name in rows:
    if name.endswith('_off') and name[:-4]+'_on' in rows:
        off = rows[name][0]; on = rows[name[:-4]+'_on'][0]
        costs = [1 - b/a for a, b in zip(off, on)]
        print(f"{name[:-4]}: tracing cost per round {' '.join('%.1f%%'%(c*100) for c in costs)}, median {statistics.median(costs)*100:.1f}%, medians {100*(1-statistics.median(on)/statistics.median(off)):.1f}%")
if 'nginx' in rows:
    ng = rows['nginx'][0]
    for name, (rps, p99, bad) in rows.items():
        if name == 'nginx': continue
        r = [a/b for a, b in zip(rps, ng)]
        print(f"{name:14s} /nginx per round {' '.join('%.2f'%x for x in r)}  median {statistics.median(r):.2f}")
