"""gunicorn settings for `offentlig serve`; bind, workers and threads come from the CLI."""

from __future__ import annotations

from typing import Any

accesslog = None  # the app logs each request as JSON
timeout = 60
graceful_timeout = 20


def worker_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the shared Prometheus directory."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
