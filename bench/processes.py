"""Helpers the benchmark scripts share: a free loopback port, a process's resident memory, the
release server under test, percentiles."""

import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_parts_mb(pid: int) -> dict[str, float]:
    """Resident memory split into anonymous (heap) and file-backed (mapped files, such as a
    memory-mapped index: the kernel can drop those pages under pressure)."""
    parts = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                parts[key] = int(line.split()[1]) / 1024
    return parts


class Server:
    def __init__(self, binary: str, site: str, data: str, extra_env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATA_DIR": data,
            "LEPTOS_SITE_ROOT": site,
            "RUST_LOG": "warn",
        }
        # Allocator settings under test pass through (e.g. MALLOC_ARENA_MAX).
        env.update({k: v for k, v in os.environ.items() if k.startswith("MALLOC_")})
        env.update(extra_env or {})
        self.binary, self.env = binary, env
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=None if os.environ.get("BENCH_LOGS") else subprocess.DEVNULL)
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/api/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.02)
        raise SystemExit("server did not become healthy")

    def call(self, path: str, body=None, data: bytes | None = None, method="POST", timeout=60):
        headers = {}
        if data is None:
            data = json.dumps(body if body is not None else {}).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        with self.opener.open(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")

    def setup_owner(self, business_name: str, email: str, password: str):
        """Creates the owner (and signs in) with the setup token, as `replydesk setup-token`
        prints it for this server's database."""
        token = subprocess.run([self.binary, "setup-token"], env=self.env, check=True,
                               capture_output=True, text=True).stdout.strip()
        return self.call("/api/auth/setup", {"input": {"business_name": business_name, "email": email,
                                                       "password": password, "setup_token": token}})

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def note(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
