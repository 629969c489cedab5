#!/usr/bin/env python3
"""Edit-to-served latency of a running `crier run` daemon (used by bench/rebuild.sh).

Edits the newest post's title to a unique marker RUNS times, timestamps each write, and polls
/rss.xml every millisecond (one kept-alive HTTP connection) until the marker is served. Then does
the same through the config (the site description), which makes the daemon read and render
every post again: a full rebuild. Prints one JSON object with the latencies in milliseconds.

usage: rebuild_latency.py HOST:PORT POST_FILE CONFIG_FILE RUNS FULL_RUNS
"""
import http.client
import json
import re
import sys
import time


def fetch(conn):
    conn.request("GET", "/rss.xml")
    response = conn.getresponse()
    return response.read()


def wait_for(addr, marker, started, limit=30.0):
    conn = http.client.HTTPConnection(addr, timeout=10)
    needle = marker.encode()
    while True:
        body = fetch(conn)
        now = time.perf_counter()
        if needle in body:
            conn.close()
            return (now - started) * 1000
        if now - started > limit:
            raise SystemExit(f"{marker} not served after {limit} s")
        # 1 ms between requests: the poller and the server's hashing of each response
        # (ETag) would otherwise take a whole core of the two the daemon rebuilds with.
        time.sleep(0.001)


def write(path, text):
    started = time.perf_counter()
    with open(path, "w") as f:
        f.write(text)
    return started


def main():
    addr, post, config, runs, full_runs = sys.argv[1:]
    runs, full_runs = int(runs), int(full_runs)
    original = open(post).read()
    edits = []
    for i in range(runs):
        marker = f"EditMarker{i:03d}x{int(time.time() * 1000) % 100000}"
        text = re.sub(r'^title: .*$', f'title: "{marker}"', original, count=1, flags=re.M)
        started = write(post, text)
        edits.append(wait_for(addr, marker, started))
        time.sleep(0.3)  # let the daemon go idle before the next edit
    write(post, original)
    time.sleep(0.5)
    config_text = open(config).read()
    fulls = []
    for i in range(full_runs):
        marker = f"ConfigMarker{i:03d}x{int(time.time() * 1000) % 100000}"
        text = re.sub(r'^  description: .*$', f'  description: {marker}', config_text,
                      count=1, flags=re.M)
        started = write(config, text)
        fulls.append(wait_for(addr, marker, started))
        time.sleep(0.5)
    write(config, config_text)
    print(json.dumps({"edit_ms": edits, "full_ms": fulls}))


if __name__ == "__main__":
    main()
