"""Helpers the benchmark scripts share: a free loopback port, a process's resident memory."""

import socket


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
