#!/usr/bin/env python3
"""The reply pipeline of a release build: time from a WhatsApp webhook received to the Graph API
send request of the AI's answer, with a 0 ms fake LLM (so the figure is Replydesk's own time).

Usage (from the repository root, after `./dev release`):
    python3 bench/pipeline.py [--messages 300]
    BENCH_LOGS=1 BENCH_LOG_LEVEL=debug python3 bench/pipeline.py --messages 1   # to see why not

Starts the release binary on a fresh SQLite data directory with WhatsApp and a custom LLM
provider pointed at one in-process fake (Graph API + OpenAI-compatible chat, answering at
once), creates the owner, adds an FAQ, sets the burst window to 0, then sends --messages signed
webhooks one at a time, each from a new customer, and measures webhook POST -> the fake Graph
receiving the answer's send request: retrieval, template, provider call, storing the answer and
usage, the send job and the Graph call are all inside. Prints p50/p90/p99/max with the budgets
(p50 <= 15 ms, p99 <= 50 ms) and ratios (above 1.0 = look into it).
"""

import argparse
import hashlib
import hmac
import json
import os
import pathlib
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from processes import Server, free_port, note, percentile

BUDGETS = {"p50_ms": 15.0, "p99_ms": 50.0}
SECRET = "bench-app-secret"
PHONE_ID = "301122334455667"
EMAIL, PASSWORD = "bench@example.com", "bench password 123"

arrivals: dict[str, float] = {}
arrived = threading.Condition()


class Fake(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without TCP_NODELAY the body waits for the client's
    # delayed ACK (40 ms on Linux), which would be the fake's latency, not Replydesk's.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, body: dict):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        now = time.perf_counter()
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if os.environ.get("BENCH_LOGS"):
            print(self.path, json.dumps(body)[:300], file=sys.stderr)
        if self.path.endswith("/chat/completions"):
            self.reply({
                "id": "c", "object": "chat.completion", "created": 0, "model": "fake",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": "Delivery costs $5 in the city."}}],
                "usage": {"prompt_tokens": 900, "completion_tokens": 12, "total_tokens": 912},
            })
            return
        if body.get("type") == "text":
            with arrived:
                arrivals[body["to"].lstrip("+")] = now
                arrived.notify_all()
        self.reply({"messaging_product": "whatsapp", "messages": [{"id": f"wamid.out.{time.time_ns()}"}],
                    "success": True})


def webhook(wa_id: str, n: int) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001234", "phone_number_id": PHONE_ID},
            "contacts": [{"profile": {"name": f"Customer {n}"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": f"wamid.bench.{n}", "timestamp": str(int(time.time())),
                          "type": "text", "text": {"body": "How much is delivery?"}}]}}]}]}).encode()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--binary", default="target/release/replydesk")
    ap.add_argument("--site", default="target/site")
    args = ap.parse_args()
    if not pathlib.Path(args.binary).exists():
        raise SystemExit(f"{args.binary} not found: run ./dev release first")

    fake_port = free_port()
    fake = ThreadingHTTPServer(("127.0.0.1", fake_port), Fake)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    fake_url = f"http://127.0.0.1:{fake_port}"

    with tempfile.TemporaryDirectory() as data:
        server = Server(args.binary, args.site, data, {
            "WHATSAPP_ACCESS_TOKEN": "bench-token",
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID,
            "WHATSAPP_APP_SECRET": SECRET,
            "WHATSAPP_VERIFY_TOKEN": "bench-verify",
            "WHATSAPP_GRAPH_URL": fake_url,
            "LLM_BASE_URL": f"{fake_url}/v1",
            "LLM_MODEL": "fake-0ms",
            "RUST_LOG": os.environ.get("BENCH_LOG_LEVEL", "warn"),
        })
        try:
            server.setup_owner("Bench Bakery", EMAIL, PASSWORD)
            server.call("/api/knowledge/entry", {"entry": {"kind": "faq", "title": "How much is delivery?",
                        "body": "Delivery within the city costs $5. Orders above $50 ship free."}})
            behaviour = server.call("/api/ai/settings")["behaviour"]
            behaviour["burst_ms"] = 0
            server.call("/api/ai/behaviour", {"behaviour": behaviour})
            deadline = time.time() + 30
            while not server.call("/api/knowledge/search", {"query": {"text": "delivery"}}):
                if time.time() > deadline:
                    raise SystemExit("the FAQ never became searchable")
                time.sleep(0.05)

            latencies = []
            for n in range(args.messages):
                wa_id = f"55119{n:08d}"
                body = webhook(wa_id, n)
                signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                req = urllib.request.Request(server.base + "/api/webhook/whatsapp", data=body, method="POST",
                                             headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature})
                started = time.perf_counter()
                with urllib.request.urlopen(req, timeout=10) as r:
                    assert r.status == 200
                with arrived:
                    if not arrived.wait_for(lambda: wa_id in arrivals, timeout=10):
                        raise SystemExit(f"no answer was sent for message {n}")
                latencies.append((arrivals[wa_id] - started) * 1000)
                if n % 100 == 99:
                    note(f"{n + 1} messages answered")
        finally:
            server.stop()
            fake.shutdown()

    p50, p90, p99 = (percentile(latencies, p) for p in (50, 90, 99))
    print(f"webhook -> Graph send, {len(latencies)} messages, 0 ms LLM, SQLite:")
    print(f"  p50 {p50:.1f} ms  (budget {BUDGETS['p50_ms']:.0f} ms, ratio {p50 / BUDGETS['p50_ms']:.2f})")
    print(f"  p90 {p90:.1f} ms")
    print(f"  p99 {p99:.1f} ms  (budget {BUDGETS['p99_ms']:.0f} ms, ratio {p99 / BUDGETS['p99_ms']:.2f})")
    print(f"  max {max(latencies):.1f} ms")
    sys.exit(0)


if __name__ == "__main__":
    main()
