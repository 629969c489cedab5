#!/usr/bin/env bash
# bench/deliver.sh: crier sending a digest over SMTP vs Postfix's smtp-source, in one run.
#
# Starts Postfix's smtp-sink on 127.0.0.1, then for each size pushes N messages of crier's
# message size with smtp-source, and sends the example site's digest to N generated subscribers
# with `crier send`, both with the same number of parallel SMTP sessions. Reports messages per
# second for both, their ratio, and crier's peak memory. Installs postfix (for smtp-sink and
# smtp-source) and GNU time with apt-get when missing.
#
# usage: bench/deliver.sh            # SIZES="10000 100000" SESSIONS=4 by default
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
SIZES=${SIZES:-"10000 100000"}
SESSIONS=${SESSIONS:-4}
PORT=${PORT:-25250}
work=${BENCH_DIR:-$(mktemp -d /tmp/crier-deliver.XXXXXX)}
export DEBIAN_FRONTEND=noninteractive
if ! command -v smtp-sink >/dev/null 2>&1 && [ ! -x /usr/sbin/smtp-sink ]; then
  apt-get update -qq && apt-get install -y -qq postfix >/dev/null
fi
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
PATH=$PATH:/usr/sbin
# CRIER=path/to/crier measures that binary (e.g. an earlier release) instead of building.
if [ -z "${CRIER:-}" ]; then
  cargo build --release --quiet
fi
crier=${CRIER:-${CARGO_TARGET_DIR:-$root/target}/release/crier}
export CRIER_TOKEN_KEY=bench-key-bench-key-bench-key-bench-key

smtp-sink -u postfix 127.0.0.1:$PORT 1024 &
sink=$!
trap 'kill $sink 2>/dev/null || true' EXIT
sleep 0.5

echo "crier $($crier --version | cut -d' ' -f2), postfix $(postconf -h mail_version 2>/dev/null || echo '?'), $SESSIONS sessions, $(nproc) cores, $(date -u +%Y-%m-%d)"
echo
echo "| messages | message size | smtp-source | crier send | crier / smtp-source | crier peak RSS |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
  site=$work/site-$n
  rm -rf "$site" && mkdir -p "$site/subscribers"
  cp -r "$root/posts" "$root/templates" "$site/"
  sed '/^delivery:/,$d' "$root/crier.yaml" > "$site/crier.yaml"
  printf 'smtp:\n  host: 127.0.0.1\n  port: %s\n  security: none\n  max_connections: %s\n' "$PORT" "$SESSIONS" >> "$site/crier.yaml"
  python3 - "$n" "$site/subscribers/members.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("email,name\n")
    for i in range(n):
        f.write(f"member{i}@example.com,Member {i}\n")
PY
  size=$("$crier" -q --site "$site" send --dry-run --no-files --json | python3 -c "import json,sys; print(json.load(sys.stdin)['largest_message_bytes'])")
  start=$(date +%s.%N)
  smtp-source -l "$size" -m "$n" -s "$SESSIONS" -f news@example.com -t member@example.com 127.0.0.1:$PORT
  end=$(date +%s.%N)
  source_rate=$(python3 -c "print($n / ($end - $start))")
  out=$( { /usr/bin/time -f "TIME %e %M" "$crier" -q --site "$site" send; } 2>&1 )
  printf '%s\n' "$out" | grep -q "$n sent, 0 failed, 0 pending" || { echo "crier did not send everything:"; printf '%s\n' "$out"; exit 1; }
  read -r secs kb < <(printf '%s\n' "$out" | awk '/^TIME/ {print $2, $3}')
  python3 -c "
n, size, src, secs, kb = $n, $size, $source_rate, $secs, $kb
crier = n / max(secs, 0.001)
print(f'| {n:,} | {size:,} B | {src:,.0f} msg/s | {crier:,.0f} msg/s | {crier/src:.2f} | {kb/1024:.1f} MiB |')"
done
echo
echo "(work folder: $work)"
