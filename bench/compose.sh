#!/usr/bin/env bash
# bench/compose.sh: how fast `crier send --dry-run` composes the example site's digest for
# large lists, on one core, writing no files. Reports messages per second and peak memory for
# 1,000, 10,000 and 100,000 subscribers (memory should not grow with the list).
#
# usage: bench/compose.sh            # SIZES="1000 10000 100000" by default
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZES=${SIZES:-"1000 10000 100000"}
work=${BENCH_DIR:-$(mktemp -d /tmp/crier-compose.XXXXXX)}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
# CRIER=path/to/crier measures that binary (e.g. an earlier release) instead of building.
if [ -z "${CRIER:-}" ]; then
  cargo build --release --quiet
fi
crier=${CRIER:-${CARGO_TARGET_DIR:-$root/target}/release/crier}

echo "crier $($crier --version | cut -d' ' -f2), one core (taskset -c 0), $(date -u +%Y-%m-%d)"
echo
echo "| subscribers | composed | wall time | messages/s | peak RSS |"
echo "|---:|---:|---:|---:|---:|"
for n in $SIZES; do
  site=$work/site-$n
  rm -rf "$site" && mkdir -p "$site/subscribers"
  cp -r "$root/crier.yaml" "$root/posts" "$root/templates" "$site/"
  python3 - "$n" "$site/subscribers/members.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("email,name,company\n")
    for i in range(n):
        name = f"Member {i}" if i % 3 else ""
        company = "Example Ltd" if i % 5 == 0 else ""
        f.write(f"member{i}@example.com,{name},{company}\n")
PY
  out=$( { CRIER_TOKEN_KEY=bench-key-bench-key-bench-key-bench-key \
      /usr/bin/time -f "TIME %e %M" taskset -c 0 "$crier" -q --site "$site" send --dry-run \
      --at 2026-11-25T09:00:00Z --no-files --json; } 2>&1 )
  composed=$(printf '%s\n' "$out" | python3 -c "import json,sys; t=sys.stdin.read(); print(json.loads(t[:t.rindex('}')+1])['composed'])")
  read -r secs kb < <(printf '%s\n' "$out" | awk '/^TIME/ {print $2, $3}')
  python3 -c "import sys; n,c,s,k=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print(f'| {n:,} | {c:,} | {s:.2f} s | {c/max(s,0.01):,.0f} | {k/1024:.1f} MiB |')" "$n" "$composed" "$secs" "$kb"
done
echo
echo "(work folder: $work)"
