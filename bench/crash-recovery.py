#!/usr/bin/env python3
"""`kill -9` while 20 customers' replies are in flight, then a restart: how long until every
customer is answered, and that each is answered exactly once.

    ./dev release
    python3 bench/crash-recovery.py [--customers 20] [--database-url postgres://…]

The release server runs against fakes on loopback: Meta's Graph API (records every send) and an
OpenAI-compatible provider that takes 2 s per answer, so replies are still in flight when the
process is killed (SIGKILL, after the first answers were asked for). A second process starts on
the same data at once. Measured: seconds from the kill until the last customer was answered,
and the number of replies each customer got. Budget: 60 s, exactly one reply each.
"""

import argparse
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from processes import free_port, note  # noqa: E402

APP_SECRET = "bench-app-secret"
TOKEN = "bench-token"
PHONE_ID = "301122334455667"
EMAIL, PASSWORD = "owner@example.com", "bench password 2026"
BUDGET_S = 60


class Fakes:
    """Meta's Graph API and an AI provider, on one loopback server."""

    def __init__(self, answer_delay: float):
        self.sends: list[dict] = []
        self.asked = 0
        self.lock = threading.Lock()
        fakes = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                if self.path.endswith("/chat/completions"):
                    with fakes.lock:
                        fakes.asked += 1
                    time.sleep(answer_delay)
                    reply = {"id": "c", "object": "chat.completion", "created": 1, "model": "bench",
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": "Yes, every day."}}],
                             "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14}}
                elif self.path.endswith("/messages"):
                    with fakes.lock:
                        fakes.sends.append(body)
                        n = len(fakes.sends)
                    reply = ({"success": True} if body.get("status") == "read" else
                             {"messaging_product": "whatsapp", "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                              "messages": [{"id": f"wamid.bench.{n}"}]})
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answered(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for send in self.sends:
                if send.get("type") == "text":
                    to = str(send.get("to", "")).lstrip("+")
                    counts[to] = counts.get(to, 0) + 1
        return counts


def start(binary: str, site: str, data: str, port: int, fakes: Fakes, database_url: str | None):
    env = {
        "PATH": os.environ.get("PATH", ""), "HOST": "127.0.0.1", "PORT": str(port), "DATA_DIR": data,
        "LEPTOS_SITE_ROOT": site, "RUST_LOG": "warn", "ADMIN_EMAIL": EMAIL, "ADMIN_PASSWORD": PASSWORD,
        "WHATSAPP_GRAPH_URL": f"http://127.0.0.1:{fakes.port}", "WHATSAPP_ACCESS_TOKEN": TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID, "WHATSAPP_APP_SECRET": APP_SECRET,
        "LLM_BASE_URL": f"http://127.0.0.1:{fakes.port}/v1", "LLM_MODEL": "bench",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server did not become healthy")


def post(url: str, body: dict, headers: dict | None = None, opener=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"content-type": "application/json", **(headers or {})})
    with (opener or urllib.request.build_opener()).open(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/replydesk")
    parser.add_argument("--site", default="target/site")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    args = parser.parse_args()

    fakes = Fakes(answer_delay=2.0)
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        first = start(args.binary, args.site, data, port, fakes, args.database_url)
        base = f"http://127.0.0.1:{port}"
        import http.cookiejar
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        post(base + "/api/auth/login", {"email": EMAIL, "password": PASSWORD}, opener=opener)
        post(base + "/api/knowledge/entry", {"entry": {"kind": "faq", "title": "Do you deliver?",
                                                      "body": "Yes, within 5 km, every day."}}, opener=opener)
        while not post(base + "/api/knowledge/search", {"query": {"text": "deliver"}}, opener=opener):
            time.sleep(0.05)

        now = int(time.time())
        customers = [f"55119000000{n:02d}" for n in range(args.customers)]
        for n, customer in enumerate(customers):
            envelope = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550001234", "phone_number_id": PHONE_ID},
                "contacts": [{"profile": {"name": f"Customer {n}"}, "wa_id": customer}],
                "messages": [{"from": customer, "id": f"wamid.bench.in.{now}.{n}", "timestamp": str(now),
                              "type": "text", "text": {"body": "Do you deliver?"}}]}}]}]}
            body = json.dumps(envelope).encode()
            signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
            req = urllib.request.Request(base + "/api/webhook/whatsapp", data=body, method="POST",
                                         headers={"content-type": "application/json", "x-hub-signature-256": signature})
            urllib.request.urlopen(req, timeout=10).read()
        while fakes.asked == 0:
            time.sleep(0.01)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed = time.time()
        before = sum(fakes.answered().values())
        note(f"killed with {before} of {args.customers} answered")

        second = start(args.binary, args.site, data, port, fakes, args.database_url)
        while len(fakes.answered()) < args.customers and time.time() - killed < 300:
            time.sleep(0.05)
        took = time.time() - killed
        time.sleep(3)  # any duplicate would arrive by now
        counts = fakes.answered()
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)

    once = sum(1 for c in customers if counts.get(c) == 1)
    engine = "PostgreSQL" if args.database_url else "SQLite"
    print(f"{engine}: {before} answered before the kill; all {len(counts)} answered {took:.1f} s after it")
    print()
    print("| figure | measured | budget | ratio |")
    print("|---|---|---|---|")
    print(f"| last customer answered, after kill -9 ({engine}) | {took:.1f} s | {BUDGET_S} s | {took / BUDGET_S:.2f} |")
    print(f"| customers answered exactly once | {once} of {args.customers} | {args.customers} | {once / args.customers:.2f} |")


if __name__ == "__main__":
    main()
