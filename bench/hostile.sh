#!/usr/bin/env bash
# bench/hostile.sh: peak memory of `crier build` on sites of hostile posts: each post as large
# as allowed, with the most tags allowed (every tag gets its own feed in three formats, which
# multiplied memory by the number of tags before feeds were written one by one). Reports peak
# RSS against the total size of the posts, for 1 MB and 10 MB by default.
#
# usage: bench/hostile.sh             # TOTALS_MB="1 10" POST_KB=500 by default
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
TOTALS_MB=${TOTALS_MB:-"1 10"}
POST_KB=${POST_KB:-500}
work=${BENCH_DIR:-$(mktemp -d /tmp/crier-hostile.XXXXXX)}
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
# CRIER=path/to/crier measures that binary (e.g. an earlier release) instead of building.
if [ -z "${CRIER:-}" ]; then
  cargo build --release --quiet
fi
crier=${CRIER:-${CARGO_TARGET_DIR:-$root/target}/release/crier}

echo "crier $($crier --version | cut -d' ' -f2), posts of ${POST_KB} KB with 100 tags each, $(date -u +%Y-%m-%d)"
echo
echo "| posts total | posts | feeds | peak RSS | RSS / posts total |"
echo "|---:|---:|---:|---:|---:|"
for mb in $TOTALS_MB; do
  site=$work/site-$mb
  rm -rf "$site" && mkdir -p "$site/posts"
  printf 'site:\n  title: Hostile\n  url: https://example.com\n  author: A\n' > "$site/crier.yaml"
  python3 - "$site/posts" "$mb" "$POST_KB" <<'PY'
import sys
out, mb, kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
n = max(1, mb * 1024 // kb)
para = ("Talks about *Kubernetes*, [links](https://example.com/x) and `code`. " * 12 + "\n\n")
for i in range(n):
    tags = ", ".join(f"tag{j}" for j in range(100))
    head = f"---\ntitle: Post {i}\ntags: [{tags}]\n---\n"
    body = para * (kb * 1024 // len(para))
    with open(f"{out}/2026-01-{i % 28 + 1:02d}-post-{i}.md", "w") as f:
        f.write(head + body)
PY
  total=$(du -sb "$site/posts" | cut -f1)
  posts=$(ls "$site/posts" | wc -l)
  out=$( { /usr/bin/time -f "TIME %e %M" "$crier" -q --site "$site" build; } 2>&1 )
  feeds=$(printf '%s\n' "$out" | sed -n 's/^built \([0-9]*\) feeds.*/\1/p')
  kb_peak=$(printf '%s\n' "$out" | awk '/^TIME/ {print $3}')
  python3 -c "import sys; t,p,f,k=int(sys.argv[1]),sys.argv[2],sys.argv[3],int(sys.argv[4]); print(f'| {t/1e6:.1f} MB | {p} | {f} | {k/1024:.0f} MiB | {k*1024/t:.1f} |')" "$total" "$posts" "$feeds" "$kb_peak"
done
echo
echo "(work folder: $work)"
