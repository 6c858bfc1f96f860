#!/usr/bin/env python3
"""A flood of wrong logins against the release server: memory, how many guesses reach the
password check, and whether the owner still gets in.

    ./dev release
    python3 bench/login-flood.py [--flood 300]

Two floods of `--flood` concurrent wrong logins at the owner's email:
1. all from one address (the attacker): at most 5 may reach the password check;
2. each from its own address (a botnet): every one may be checked, but at most one argon2
   hash per core runs at a time, so memory stays flat and the excess is told to come back
   (503 + Retry-After).
Then the owner logs in from their own address. The server's resident memory is sampled every
10 ms throughout. Addresses are given with X-Forwarded-For, which the server believes from
loopback (its default TRUSTED_PROXIES: a local tunnel).
"""

import argparse
import json
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import Server, note, rss_mb  # noqa: E402

EMAIL = "owner@example.com"
PASSWORD = "the owner's password 2026"
RSS_BUDGET_MB = 256
CHECKED_BUDGET = 5


def login(base: str, address: str, password: str) -> int:
    body = json.dumps({"email": EMAIL, "password": password}).encode()
    req = urllib.request.Request(base + "/api/auth/login", data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          "X-Forwarded-For": address})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def flood(base: str, addresses: list[str]) -> dict[int, int]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(len(addresses))

    def one(address: str):
        start.wait()
        status = login(base, address, "a wrong guess")
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=one, args=(a,)) for a in addresses]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return dict(sorted(statuses.items()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/replydesk")
    parser.add_argument("--site", default="target/site")
    parser.add_argument("--flood", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data:
        server = Server(args.binary, args.site, data)
        server.setup_owner("Bench", EMAIL, PASSWORD)
        idle = rss_mb(server.proc.pid)
        peak = [idle]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_mb(server.proc.pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()

        t0 = time.time()
        one_address = flood(server.base, ["203.0.113.7"] * args.flood)
        t1 = time.time()
        many = flood(server.base, [f"10.{i // 250}.{i % 250}.1" for i in range(args.flood)])
        t2 = time.time()
        owner = login(server.base, "198.51.100.20", PASSWORD)
        done.set()
        sampler.join()
        server.stop()

    checked = one_address.get(401, 0)
    print(f"flood from one address ({args.flood} at once, {t1 - t0:.1f} s): statuses {one_address}")
    print(f"flood from {args.flood} addresses ({t2 - t1:.1f} s): statuses {many}")
    print(f"owner from another address afterwards: {owner}")
    print()
    print("| figure | measured | budget | ratio |")
    print("|---|---|---|---|")
    print(f"| resident memory, peak (idle {idle:.1f} MB) | {peak[0]:.1f} MB | {RSS_BUDGET_MB} MB | {peak[0] / RSS_BUDGET_MB:.2f} |")
    print(f"| guesses from one address that reached the password check | {checked} | {CHECKED_BUDGET} | {checked / CHECKED_BUDGET:.2f} |")
    print(f"| owner's login from another address | {owner} | 200 | {'ok' if owner == 200 else 'FAILED'} |")


if __name__ == "__main__":
    main()
