"""Capture throughput: concurrent signed webhooks, against the service and the reference.

Each client thread owns its own WordPress posts and alternates new posts with edits of its
previous one (publish 1, publish 2, update 1, publish 3, update 2, …), so the service really
creates version 1 of one record and version 2, 3, … of another, never an unchanged re-send.
Every request is signed just before it is sent (Standard Webhooks), on one keep-alive
connection per thread.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from bench.common import CpuMeter, percentile
from bench.corpus import Corpus


@dataclass
class Target:
    name: str
    base_url: str
    site_id: str
    secret: str
    pid: int = 0  # gunicorn master, for the CPU the server used
    # The servers this target uses besides its own, for the CPU they used: process trees
    # (SeaweedFS) and command names (PostgreSQL's backends).
    uses_trees: dict[str, int] = field(default_factory=dict)
    uses_names: dict[str, str] = field(default_factory=dict)

    def meter(self) -> CpuMeter:
        return CpuMeter({"server": self.pid, **self.uses_trees}, dict(self.uses_names))


@dataclass
class PhaseResult:
    target: str
    seconds: float
    ok: int
    statuses: dict[int, int]
    latencies_ms: list[float] = field(repr=False)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # by part (CpuMeter)

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def cpu_ms_per_request(self, part: str) -> float:
        return 1000 * self.cpu_seconds.get(part, 0.0) / self.ok if self.ok else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "seconds": round(self.seconds, 3),
            "ok": self.ok,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "req_per_s": round(self.rate, 1),
            "latency_p50_ms": round(percentile(self.latencies_ms, 0.5), 2),
            "latency_p95_ms": round(percentile(self.latencies_ms, 0.95), 2),
            "cpu_ms_per_request": {
                part: round(self.cpu_ms_per_request(part), 2) for part in self.cpu_seconds
            },
        }


class _Client(threading.Thread):
    """One WordPress site's sender: own posts, own keep-alive connection."""

    def __init__(
        self,
        target: Target,
        corpus: Corpus,
        number: int,
        phase: str,
        phase_number: int,
        start: threading.Event,
        stop_at: list[float],
        max_requests: int,
    ):
        super().__init__(daemon=True)
        self.target = target
        self.corpus = corpus
        self.rng = random.Random(phase_number * 1000 + number)
        self.webhook = Webhook(target.secret)
        parts = urllib.parse.urlsplit(target.base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.path = f"/v1/sites/{target.site_id}/events"
        self.prefix = f"{phase}-c{number}"
        # Post ids unique per phase and client, so every phase records new posts.
        self.first_post = phase_number * 10_000_000 + number * 100_000 + 1
        self.start_event = start
        self.stop_at = stop_at
        self.max_requests = max_requests
        self.statuses: dict[int, int] = {}
        self.latencies: list[float] = []
        self.error: str | None = None

    def _request(self, n: int) -> tuple[bytes, dict[str, str]]:
        # publish p0, update p0, update p0, publish p1, …: versions 1, 2 and 3 of each post
        post, edit = self.first_post + n // 3, n % 3
        kind = "post.updated" if edit else "post.published"
        data = self.corpus.post_payload(self.rng, post, edit)
        body = json.dumps(
            {"type": kind, "timestamp": datetime.now(UTC).isoformat(), "data": data},
            ensure_ascii=False,
        ).encode()
        webhook_id = f"{self.prefix}-{n}"
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.webhook.sign(webhook_id, now, body.decode()),
        }
        return body, headers

    def run(self) -> None:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.start_event.wait(timeout=60)
        try:
            for n in range(self.max_requests):
                if time.monotonic() >= self.stop_at[0]:
                    break
                body, headers = self._request(n)
                started = time.perf_counter()
                try:
                    conn.request("POST", self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    answer.read()
                    status = answer.status
                except (http.client.HTTPException, OSError) as exc:
                    conn.close()
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                    status = 0
                    self.error = repr(exc)
                self.latencies.append((time.perf_counter() - started) * 1000)
                self.statuses[status] = self.statuses.get(status, 0) + 1
        finally:
            conn.close()


def run_phase(
    target: Target,
    corpus: Corpus,
    phase: str,
    phase_number: int,
    clients: int,
    seconds: float,
    max_requests: int,
) -> PhaseResult:
    """`clients` threads for `seconds` (each at most `max_requests`); 2xx answers count."""
    start = threading.Event()
    stop_at = [float("inf")]
    threads = [
        _Client(target, corpus, n, phase, phase_number, start, stop_at, max_requests)
        for n in range(clients)
    ]
    for thread in threads:
        thread.start()
    meter = target.meter()
    cpu_before = meter.read()
    began = time.monotonic()
    stop_at[0] = began + seconds
    start.set()
    for thread in threads:
        thread.join(timeout=seconds + 90)
    elapsed = time.monotonic() - began
    cpu = meter.spent(cpu_before, meter.read())
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    for thread in threads:
        for status, count in thread.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
        latencies.extend(thread.latencies)
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    return PhaseResult(target.name, elapsed, ok, statuses, latencies, cpu)
