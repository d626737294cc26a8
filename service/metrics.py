"""Prometheus metrics. Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR
(`offentlig serve` does) so /metrics adds up every worker."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

EVENTS = Counter(
    "offentlig_webhook_events_total",
    "Webhook deliveries recorded, by event type and whether something new was stored.",
    ["type", "created"],
)
REQUESTS = Histogram(
    "offentlig_http_request_seconds",
    "HTTP request duration by endpoint and status.",
    ["endpoint", "method", "status"],
)
INDEX_WRITE_FAILURES = Counter(
    "offentlig_index_write_failures_total",
    "Index writes that failed after storage had the object (noted, and told again once the "
    "database answers).",
)
STORAGE_RECALLS = Counter(
    "offentlig_storage_recalls_total",
    "Deliveries captured while the database was unreachable (recalled from storage).",
)
INDEX_REPAIRS = Counter(
    "offentlig_index_repairs_total",
    "Stored objects told to the index again after a failed index write.",
)

SECRECY_SCREEN_FAILURES = Counter(
    "offentlig_secrecy_screen_failures_total",
    "New versions the secrecy screen could not scan or flag (the version is kept as captured).",
)


def exposition() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
