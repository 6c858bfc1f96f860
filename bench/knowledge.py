#!/usr/bin/env python3
"""Knowledge base measurements of a release build: ingest and rebuild throughput, search latency
over 50 documents x 1 MB of text, and a 10 MB PDF from upload to searchable.

Usage (from the repository root, after `./dev release`):
    pip install reportlab   # only for the PDF figure; skipped without it
    python3 bench/knowledge.py [--docs 50] [--mb 1.0] [--queries 2000]

Starts the release binary on a fresh SQLite data directory, creates the owner through the API,
then over loopback HTTP (as the dashboard does):
  1. uploads --docs Markdown documents of --mb MB each (synthetic prose with headings, from a
     Zipf-distributed vocabulary, so term statistics look like text), waits until all are ready:
     ingest throughput = MB of text / seconds (upload, extraction, passages, database, index);
  2. stops, deletes the index directory, starts again and waits until a search answers as
     before: rebuild throughput (database passages -> index);
  3. runs --queries searches of 1-4 words, one at a time: latency p50/p90/p99 (HTTP included);
  4. uploads a ~10 MB text PDF made with reportlab and times it until its words are found.
Prints each figure with its budget and the ratio to it (above 1.0 = look into it).
"""

import argparse
import io
import itertools
import json
import os
import pathlib
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from processes import Server, note, percentile, rss_parts_mb

BUDGETS = {
    "search_p99_ms": 10.0,
    "pdf_to_searchable_s": 10.0,
    "ingest_mb_s": 1.0,  # 50 MB of text ready within a minute
}
EMAIL, PASSWORD = "bench@example.com", "bench password 123"


def vocabulary(rng: random.Random, size=20000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(words)


def prose(rng: random.Random, words: list[str], weights: list[float], target_bytes: int) -> str:
    out, size, section = [], 0, 0
    while size < target_bytes:
        if size // 6000 >= section:
            section += 1
            heading = f"\n## Section {section} " + " ".join(rng.choices(words, cum_weights=weights, k=3)) + "\n\n"
            out.append(heading)
            size += len(heading)
        sentences = []
        for _ in range(rng.randint(2, 6)):
            s = " ".join(rng.choices(words, cum_weights=weights, k=rng.randint(6, 20)))
            sentences.append(s.capitalize() + ".")
        paragraph = " ".join(sentences) + "\n\n"
        out.append(paragraph)
        size += len(paragraph)
    return "".join(out)


def wait_ready(server: Server, ids: list[int], timeout=600) -> None:
    deadline = time.time() + timeout
    pending = set(ids)
    while pending and time.time() < deadline:
        docs = server.call("/api/knowledge/library")["documents"]
        for d in docs:
            if d["id"] in pending and d["status"] != "processing":
                if d["status"] != "ready":
                    raise SystemExit(f"document {d['id']} failed: {d['error']}")
                pending.discard(d["id"])
        time.sleep(0.05)
    if pending:
        raise SystemExit(f"{len(pending)} documents still processing")


def search(server: Server, text: str) -> list:
    return server.call("/api/knowledge/search", {"query": {"text": text, "limit": 10}})


def pdf_pages(pages: int) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(7)
    words = vocabulary(rng, 5000)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=0)
    for page in range(pages):
        text = c.beginText(40, 800)
        text.setFont("Helvetica", 9)
        for _ in range(80):
            text.textLine(" ".join(rng.choices(words, k=14)))
        c.drawText(text)
        if page == 0:
            c.drawString(40, 60, "Unique marker quokkabench on the first page")
        if page == pages - 1:
            c.drawString(40, 60, "Final page mentions wombatbench")
        c.showPage()
    c.save()
    return buf.getvalue()


def make_pdf(target_mb: float) -> bytes | None:
    """A text PDF (uncompressed pages, like many exports) just under `target_mb`."""
    try:
        import reportlab  # noqa: F401
    except ImportError:
        return None
    per_page = len(pdf_pages(20)) / 20
    return pdf_pages(int(target_mb * 1024 * 1024 / per_page))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default="target/release/replydesk")
    ap.add_argument("--site", default="target/site")
    ap.add_argument("--docs", type=int, default=50)
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    if not pathlib.Path(args.binary).exists():
        raise SystemExit("build first: ./dev release")

    rng = random.Random(42)
    words = vocabulary(rng)
    # Zipf: the n-th word is 1/n as frequent as the first (cumulative, computed once).
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    note("generating the corpus")
    docs = [prose(rng, words, weights, int(args.mb * 1024 * 1024)) for _ in range(args.docs)]
    total_mb = sum(len(d.encode()) for d in docs) / (1024 * 1024)
    data = tempfile.mkdtemp(prefix="replydesk-bench-")
    try:
        server = Server(args.binary, args.site, data)
        server.setup_owner("Bench", EMAIL, PASSWORD)
        server.call("/api/auth/state")

        # 1. ingest
        note(f"uploading {args.docs} documents, {total_mb:.1f} MB")
        started = time.perf_counter()
        ids = []
        for i, text in enumerate(docs):
            q = urllib.parse.urlencode({"name": f"doc{i:02}.md"})
            ids.append(server.call(f"/api/knowledge/upload?{q}", data=text.encode())["id"])
        uploaded = time.perf_counter() - started
        note("waiting until every document is ready")
        wait_ready(server, ids)
        ingest_s = time.perf_counter() - started
        passages = sum(d["passages"] for d in server.call("/api/knowledge/library")["documents"])
        rss_after_ingest = rss_parts_mb(server.proc.pid)

        probe = " ".join(words[100:103])
        # The same passages (a rebuilt index lays its segments out anew, so passages that tie
        # may swap places and scores differ in the last digits).
        found = lambda hits: sorted(h["passage_id"] for h in hits)  # noqa: E731
        expected = found(search(server, probe))

        # 3. search latency
        note(f"{args.queries} searches")
        queries = [" ".join(rng.choices(words, cum_weights=weights, k=rng.randint(1, 4))) for _ in range(args.queries)]
        for q in queries[:50]:
            search(server, q)  # warm-up
        latencies = []
        for q in queries:
            t = time.perf_counter()
            search(server, q)
            latencies.append((time.perf_counter() - t) * 1000)
        rss_after_search = rss_parts_mb(server.proc.pid)
        index_mb = sum(f.stat().st_size for f in pathlib.Path(data, "index").rglob("*") if f.is_file()) / (1024 * 1024)

        # 2. rebuild from the database
        note("rebuilding the index from the database")
        server.stop()
        shutil.rmtree(pathlib.Path(data, "index"))
        started = time.perf_counter()
        server = Server(args.binary, args.site, data)
        server.call("/api/auth/login", {"email": EMAIL, "password": PASSWORD})
        while found(search(server, probe)) != expected:
            time.sleep(0.05)
            if time.perf_counter() - started > 600:
                raise SystemExit("rebuild did not finish")
        rebuild_s = time.perf_counter() - started

        # 4. a 10 MB PDF, upload to searchable
        note("making a 10 MB PDF")
        pdf = make_pdf(9.9)
        pdf_s = pdf_mb = None
        if pdf is not None:
            for d in server.call("/api/knowledge/library")["documents"][:1]:
                server.call("/api/knowledge/delete", {"id": d["id"]})  # room for the 51st
            pdf_mb = len(pdf) / (1024 * 1024)
            note("uploading the PDF")
            started = time.perf_counter()
            doc = server.call("/api/knowledge/upload?name=big.pdf", data=pdf)
            wait_ready(server, [doc["id"]], timeout=300)
            while not search(server, "quokkabench wombatbench"):
                time.sleep(0.02)
            pdf_s = time.perf_counter() - started
        server.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)

    def line(name, value, unit, budget_key=None, lower_is_better=True):
        budget = BUDGETS.get(budget_key) if budget_key else None
        ratio = ""
        if budget:
            r = value / budget if lower_is_better else budget / value
            ratio = f"  budget {budget:g} {unit}  ratio {r:.2f}"
        print(f"{name:<44} {value:>10.2f} {unit}{ratio}")

    print(f"\ncorpus: {args.docs} documents, {total_mb:.1f} MB of text, {passages} passages; index {index_mb:.1f} MB on disk")
    line("ingest throughput (upload -> all ready)", total_mb / ingest_s, "MB/s", "ingest_mb_s", lower_is_better=False)
    line("  of which uploading", uploaded, "s")
    line("  total", ingest_s, "s")
    line("rebuild throughput (restart -> searchable)", total_mb / rebuild_s, "MB/s")
    line("  total", rebuild_s, "s")
    line("search latency p50", percentile(latencies, 50), "ms")
    line("search latency p90", percentile(latencies, 90), "ms")
    line("search latency p99", percentile(latencies, 99), "ms", "search_p99_ms")
    line("search latency max", max(latencies), "ms")
    line("search mean", statistics.fmean(latencies), "ms")
    for when, parts in (("after ingest", rss_after_ingest), ("after searches", rss_after_search)):
        line(f"RSS {when}", parts["VmRSS"], "MB")
        line("  anonymous (heap)", parts["RssAnon"], "MB")
        line("  file-backed (mapped index)", parts["RssFile"], "MB")
    if pdf_s is not None:
        line(f"PDF of {pdf_mb:.1f} MB, upload -> searchable", pdf_s, "s", "pdf_to_searchable_s")
    else:
        print("PDF figure skipped: pip install reportlab")


if __name__ == "__main__":
    main()
