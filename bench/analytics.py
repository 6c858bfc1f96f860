#!/usr/bin/env python3
"""Analytics with 100,000 messages: the server's time to build the report, and to render the
Analytics page, against a release build on SQLite.

Usage (from the repository root, after `./dev release`):
    python3 bench/analytics.py [--messages 100000] [--binary PATH] [--site PATH]

Creates the owner on a fresh data directory, stops the server, writes --messages messages into
its SQLite file directly (2,000 conversations over the last 365 days: customer questions, AI
answers with latencies, some hand-offs and knowledge gaps, owner replies, and one usage row per
AI answer), starts the server again and times, 7 times each (the first is reported apart: cold
caches):
  * POST /api/analytics/report for the last 30, 90 and 365 days (the whole data set);
  * GET /analytics?days=365, the server-rendered page with the report in it.
Prints medians and ratios to the 500 ms budget (above 1.0 = over budget), and the server's
resident memory after; record them in bench/README.md.
"""

import argparse
import datetime as dt
import pathlib
import random
import sqlite3
import statistics
import tempfile
import time
import urllib.request

from processes import Server, note, rss_mb

BUDGET_MS = 500.0
EMAIL, PASSWORD = "bench@example.com", "bench password 123"
ROOT = pathlib.Path(__file__).resolve().parent.parent
CONVERSATIONS = 2_000
QUESTIONS = ["Do you deliver on Sundays?", "What are your opening hours?", "Can I pay with bitcoin?",
             "Is the cake gluten free?", "Where is my order?", "Do you have vegan bread?"]


def stamp(t: dt.datetime) -> str:
    """Times as SeaORM writes them to SQLite."""
    return t.strftime("%Y-%m-%d %H:%M:%S+00:00")


def seed(db_path: str, messages: int) -> None:
    rng = random.Random(7)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    con = sqlite3.connect(db_path)
    cur = con.cursor()
    per = messages // CONVERSATIONS
    rows, usage = [], []
    for c in range(CONVERSATIONS):
        start = now - dt.timedelta(days=rng.uniform(0, 364), hours=rng.uniform(0, 23))
        cur.execute("insert into customers (wa_id, notes, tags, first_seen_at, last_seen_at, created_at, updated_at)"
                    " values (?, '', '[]', ?, ?, ?, ?)", (f"55119{c:08d}", stamp(start), stamp(start), stamp(start), stamp(start)))
        customer = cur.lastrowid
        cur.execute("insert into conversations (customer_id, status, ai_enabled, handoff, priority, unread_count, tags,"
                    " simulated, replied_through, created_at, updated_at) values (?, 'open', 1, 'none', 0, 0, '[]', 0, 0, ?, ?)",
                    (customer, stamp(start), stamp(start)))
        conversation = cur.lastrowid
        t = start
        for n in range(per):
            t += dt.timedelta(seconds=rng.randint(2, 600))
            if t > now:
                t = now
            if n % 2 == 0:
                rows.append((conversation, "inbound", "customer", rng.choice(QUESTIONS), None, None, 0, stamp(t)))
            elif n % 10 == 5:
                rows.append((conversation, "outbound", "agent", "Let me check.", None, None, 0, stamp(t)))
            else:
                mode = "handoff" if rng.random() < 0.05 else rng.choice(["model", "model", "extractive"])
                gap = 1 if mode == "handoff" or rng.random() < 0.1 else 0
                rows.append((conversation, "outbound", "ai", "An answer.", rng.randint(300, 6_000), mode, gap, stamp(t)))
                usage.append((conversation, "reply", "openai", rng.choice(["gpt-4o-mini", "gpt-4o"]),
                               rng.randint(400, 2_000), rng.randint(20, 200), rng.randint(50, 3_000), rng.randint(300, 5_000), stamp(t)))
    cur.executemany("insert into messages (conversation_id, direction, sender, kind, body, status, latency_ms, answer_mode,"
                    " knowledge_gap, cited_chunk_ids, sent_at, created_at, provider)"
                    " values (?, ?, ?, 'text', ?, 'delivered', ?, ?, ?, '[]', ?, ?, case when ? is null then null else 'openai' end)",
                    [(c, d, s, b, lat, mode, gap, at, at, mode) for (c, d, s, b, lat, mode, gap, at) in rows])
    cur.executemany("insert into llm_usage (conversation_id, purpose, provider, model, tokens_in, tokens_out, cost_micros,"
                    " latency_ms, ok, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)", usage)
    con.commit()
    count = cur.execute("select count(*) from messages").fetchone()[0]
    con.close()
    note(f"seeded {count} messages and {len(usage)} usage rows")


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--binary", default=str(ROOT / "target/release/replydesk"))
    parser.add_argument("--site", default=str(ROOT / "target/site"))
    args = parser.parse_args()
    if not pathlib.Path(args.binary).exists():
        raise SystemExit("build the release first: ./dev release")

    with tempfile.TemporaryDirectory() as data:
        server = Server(args.binary, args.site, data)
        server.setup_owner("Bench Bakery", EMAIL, PASSWORD)
        server.stop()
        seed(str(pathlib.Path(data) / "replydesk.db"), args.messages)

        server = Server(args.binary, args.site, data)
        try:
            server.call("/api/auth/login", {"email": EMAIL, "password": PASSWORD})
            results = []
            for days in (30, 90, 365):
                times = [timed(lambda: server.call("/api/analytics/report", {"query": {"days": days}}))
                         for _ in range(7)]
                results.append((f"report, last {days} days", times))
            report = server.call("/api/analytics/report", {"query": {"days": 365}})

            def page():
                with server.opener.open(server.base + "/analytics?days=365", timeout=60) as r:
                    body = r.read()
                    assert b"messages-chart" in body, "the page did not render its chart"
            results.append(("page /analytics?days=365 (SSR)", [timed(page) for _ in range(7)]))
            rss = rss_mb(server.proc.pid)
        finally:
            server.stop()

    totals = report["totals"]
    print(f"\nAnalytics, {totals['customer'] + totals['ai'] + totals['owner']} messages in 365 days "
          f"({len(report['gaps'])} gap groups, {len(report['models'])} models), release build, SQLite")
    print(f"{'what':34} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'ratio':>6}")
    for name, times in results:
        warm = times[1:]
        median = statistics.median(warm)
        print(f"{name:34} {times[0]:9.0f} {median:10.0f} {max(warm):8.0f} {median / BUDGET_MS:6.2f}")
    print(f"server resident memory after: {rss:.0f} MB")


if __name__ == "__main__":
    main()
