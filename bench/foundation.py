#!/usr/bin/env python3
"""Foundation measurements of a release build: cold start to healthy, idle memory, sizes.

Usage (from the repository root, after `./dev release`):
    python3 bench/foundation.py [--runs 10] [--binary target/release/replydesk] [--site target/site]

Each run starts the binary on a fresh SQLite data directory (so migrations run every time: a true
cold start), polls /api/health until it answers 200, waits for the process to settle, reads its
resident memory from /proc, and stops it with SIGTERM. Only loopback traffic; bounded in count
and time. Prints each figure with the project's budget and the ratio to it.
"""

import argparse
import gzip
import os
import pathlib
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.request

from processes import free_port, rss_mb

BUDGETS = {  # what we hold ourselves to; a ratio above 1.0 is a regression to look at
    "cold_start_ms": 1000.0,
    "idle_rss_mb": 64.0,
    "wasm_gzip_kb": 400.0,
    "binary_mb": 40.0,
}


def one_run(binary: str, site: str) -> tuple[float, float]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="replydesk-bench-") as data:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATA_DIR": data,
            "LEPTOS_SITE_ROOT": site,
            "RUST_LOG": "warn",
        }
        started = time.perf_counter()
        proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = started + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if time.perf_counter() > deadline or proc.poll() is not None:
                    raise SystemExit(f"server did not become healthy: {proc.stderr.read().decode() if proc.stderr else ''}")
                time.sleep(0.002)
            cold_ms = (time.perf_counter() - started) * 1000
            time.sleep(2)  # idle: pools settled, worker waiting
            idle = rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    return cold_ms, idle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--binary", default="target/release/replydesk")
    parser.add_argument("--site", default="target/site")
    args = parser.parse_args()

    runs = [one_run(args.binary, args.site) for _ in range(args.runs)]
    cold = [r[0] for r in runs]
    idle = [r[1] for r in runs]

    wasm = next(pathlib.Path(args.site, "pkg").glob("*.wasm"))
    wasm_raw = wasm.stat().st_size
    wasm_gz = len(gzip.compress(wasm.read_bytes(), compresslevel=9))
    binary = os.path.getsize(args.binary)

    figures = {
        "cold_start_ms": statistics.median(cold),
        "idle_rss_mb": statistics.median(idle),
        "wasm_gzip_kb": wasm_gz / 1024,
        "binary_mb": binary / (1024 * 1024),
    }
    print(f"runs: {args.runs}")
    print(f"cold start to healthy: median {figures['cold_start_ms']:.0f} ms (min {min(cold):.0f}, max {max(cold):.0f})")
    print(f"idle RSS: median {figures['idle_rss_mb']:.1f} MB (min {min(idle):.1f}, max {max(idle):.1f})")
    print(f"dashboard WASM: {wasm_raw / 1024:.0f} KB raw, {figures['wasm_gzip_kb']:.0f} KB gzipped")
    print(f"release binary: {figures['binary_mb']:.1f} MB")
    print()
    print(f"{'figure':<16}{'measured':>10}{'budget':>10}{'ratio':>8}")
    for name, value in figures.items():
        print(f"{name:<16}{value:>10.1f}{BUDGETS[name]:>10.0f}{value / BUDGETS[name]:>8.2f}")


if __name__ == "__main__":
    main()
