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

AUDIT_FLUSH_FAILURES = Counter(
    "offentlig_audit_flush_failures_total",
    "Audit batches storage did not take; their entries stay buffered and are tried again.",
)
AUDIT_REFUSED = Counter(
    "offentlig_audit_refused_total",
    "Reads and captures answered 503 because the audit buffer was full (storage unreachable).",
)
AUDIT_UNWRITTEN = Counter(
    "offentlig_audit_unwritten_at_exit_total",
    "Audit entries a process could not write before it stopped (each is in its error log).",
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
