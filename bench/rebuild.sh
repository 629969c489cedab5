#!/usr/bin/env bash
# bench/rebuild.sh: how soon an edited post is served by `crier run` (issue #11).
#
# Generates a recap-shaped site of N posts (bench/gen_site.py, 10,000 by default), starts the
# release daemon (`crier run --no-send --bind 127.0.0.1:0`), waits for its first build, then
# RUNS times edits the newest post's title to a unique marker and polls /rss.xml until the
# marker is served (bench/rebuild_latency.py): the latency from the write, debounce included.
# In the same run it times a config edit (the daemon then reads and renders every post again)
# and a full `crier build` of the same site. Prints a Markdown table.
#
# usage: bench/rebuild.sh                 # N=10000 RUNS=20 FULL_RUNS=5 (BENCHMARKS.md: RUNS=30)
#        N=100000 RUNS=10 bench/rebuild.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-10000}
RUNS=${RUNS:-20}
FULL_RUNS=${FULL_RUNS:-5}
work=${BENCH_DIR:-$(mktemp -d /tmp/crier-rebuild.XXXXXX)}
target=${CARGO_TARGET_DIR:-$root/target}

cargo build --release --quiet
crier=$target/release/crier
site=$work/gen-$N/crier
[ -d "$site/posts" ] || python3 "$root/bench/gen_site.py" "$N" "$work/gen-$N" >/dev/null
newest=$(ls "$site/posts" | sort | tail -n 1)

export CRIER_TOKEN_KEY=${CRIER_TOKEN_KEY:-bench-only-token-key-not-a-secret-0123456789}
export XDG_CONFIG_HOME=$work/.config

# Full build: the median of 5 runs, the output folder holding the previous build (as the
# daemon's does).
"$crier" -q --site "$site" build --out "$work/build-out" >/dev/null 2>&1 || true
build_ms=$(python3 - "$crier" "$site" "$work/build-out" <<'PY'
import statistics, subprocess, sys, time
crier, site, out = sys.argv[1:]
times = []
for _ in range(5):
    t = time.perf_counter()
    subprocess.run([crier, "-q", "--site", site, "build", "--out", out],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print("%.1f" % statistics.median(times))
PY
)

"$crier" --site "$site" run --no-send --bind 127.0.0.1:0 >"$work/daemon.out" 2>"$work/daemon.err" &
daemon=$!
trap 'kill $daemon 2>/dev/null || true' EXIT
# The daemon prints its address once the first build is written.
for _ in $(seq 600); do
  grep -q '^listening on http://' "$work/daemon.out" 2>/dev/null && break
  sleep 0.1
done
addr=$(sed -n 's#^listening on http://\([^ ]*\)$#\1#p' "$work/daemon.out" | head -n 1)
[ -n "$addr" ] || { echo "the daemon did not start:" >&2; cat "$work/daemon.err" >&2; exit 1; }

result=$(python3 "$root/bench/rebuild_latency.py" "$addr" "$site/posts/$newest" "$site/crier.yaml" "$RUNS" "$FULL_RUNS")
kill $daemon
wait $daemon 2>/dev/null || true
trap - EXIT

echo "crier $($crier --version | cut -d' ' -f2), $(nproc) cores, $(date -u +%Y-%m-%d), $N posts"
echo
python3 - "$result" "$build_ms" "$RUNS" "$FULL_RUNS" <<'PY'
import json, statistics, sys
r, build_ms, runs, full_runs = json.loads(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.9 * (len(xs) - 1)))]
e, f = r["edit_ms"], r["full_ms"]
print("| measure | runs | median | p90 | min | max |")
print("|---|---:|---:|---:|---:|---:|")
print(f"| post edited -> served by the daemon | {runs} | {statistics.median(e):.1f} ms | {p90(e):.1f} ms | {min(e):.1f} ms | {max(e):.1f} ms |")
print(f"| config edited -> served (daemon reads every post) | {full_runs} | {statistics.median(f):.1f} ms | {p90(f):.1f} ms | {min(f):.1f} ms | {max(f):.1f} ms |")
print(f"| full `crier build` (process) | 5 | {build_ms:.1f} ms | | | |")
print()
print("edit latencies (ms):", " ".join(f"{x:.0f}" for x in e))
PY
echo
echo "(work folder: $work)"
