#!/usr/bin/env bash
# bench/feeds.sh: crier vs Hugo building feeds from the same posts, in one run.
#
# For each site (the reference Jekyll posts when ../shared/reference/posts exists, the example
# site, and generated recap-shaped sites of 300, 10,000 and 100,000 posts) it measures wall time
# with hyperfine and peak memory with /usr/bin/time -v, for `crier build` and for `hugo`
# building its RSS feeds (home, sections, tags; pages disabled) from the same Markdown files.
#
# usage: bench/feeds.sh            # all sizes
#        SIZES="300 10000" bench/feeds.sh
# Installs hugo, hyperfine and GNU time with apt-get when missing. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZES=${SIZES:-"300 10000 100000"}
work=${BENCH_DIR:-$(mktemp -d /tmp/crier-bench.XXXXXX)}

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need hugo hugo
need hyperfine hyperfine
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build --release --quiet
crier=$root/target/release/crier

# prepare NAME POSTS_DIR: a crier site and a Hugo site over the same files.
prepare() {
  local name=$1 posts=$2 dir=$work/$1
  mkdir -p "$dir/crier/posts" "$dir/hugo/content/posts"
  cp "$posts"/*.md "$dir/crier/posts/" 2>/dev/null || true
  cp "$posts"/*.md "$dir/hugo/content/posts/" 2>/dev/null || true
  python3 "$root/bench/gen_site.py" 0 "$dir" >/dev/null   # writes the two configs only
}

runs_for() { if [ "$1" -ge 100000 ]; then echo 3; elif [ "$1" -ge 10000 ]; then echo 5; else echo 20; fi; }

# peak_kb CMD...: the command's maximum resident set size in KiB.
peak_kb() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}'; }

mean_ms() { python3 -c "import json,sys; print('%.1f' % (json.load(open(sys.argv[1]))['results'][${2}]['mean']*1000))" "$1"; }

measure() {
  local name=$1 dir=$work/$1 posts runs
  posts=$(find "$dir/crier/posts" -name '*.md' | wc -l)
  runs=$(runs_for "$posts")
  local c="$crier -q --site $dir/crier build --out $dir/crier-out"
  local h="hugo --quiet -s $dir/hugo -d $dir/hugo-out"
  hyperfine -N -i --warmup 1 --runs "$runs" --export-json "$dir/times.json" "$c" "$h" >/dev/null 2>&1
  local ct ht cm hm
  ct=$(mean_ms "$dir/times.json" 0); ht=$(mean_ms "$dir/times.json" 1)
  cm=$(peak_kb $c); hm=$(peak_kb $h)
  python3 - "$name" "$posts" "$ct" "$cm" "$ht" "$hm" <<'PY'
import sys
name, posts, ct, cm, ht, hm = sys.argv[1:]
ct, ht, cm, hm = float(ct), float(ht), int(cm), int(hm)
print(f"| {name} | {posts} | {ct:.1f} ms | {cm/1024:.1f} MiB | {ht:.1f} ms | {hm/1024:.1f} MiB | {ct/ht:.3f} | {cm/hm:.2f} |")
PY
}

echo "crier $($crier --version | cut -d' ' -f2), $(hugo version | cut -d' ' -f2), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| site | posts | crier time | crier peak RSS | hugo time | hugo peak RSS | time ratio | memory ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
if [ -d "$root/../shared/reference/posts" ]; then
  prepare reference "$root/../shared/reference/posts"
  measure reference
fi
prepare example "$root/posts"
measure example
for n in $SIZES; do
  [ -d "$work/gen-$n/crier/posts" ] || python3 "$root/bench/gen_site.py" "$n" "$work/gen-$n"
  measure "gen-$n"
done
echo
echo "(work folder: $work)"
