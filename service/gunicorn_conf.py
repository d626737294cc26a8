"""gunicorn settings for `offentlig serve`; bind, workers and threads come from the CLI."""

from __future__ import annotations

from typing import Any

accesslog = None  # the app logs each request as JSON
timeout = 60
graceful_timeout = 20


def worker_exit(server: Any, worker: Any) -> None:
    """Write the worker's buffered audit entries; drop its live gauges from the shared
    Prometheus directory."""
    from prometheus_client import multiprocess

    app = getattr(worker, "wsgi", None)  # None when the app failed to load
    built = getattr(app, "extensions", {}).get("offentlig")
    if built is not None:
        built.close()

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
