"""`offentlig serve`: gunicorn with the app factory, one app per worker."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


def _worker_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


class OffentligApplication(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from service import create_app

        return create_app({"AUTO_MIGRATE": False})


def run(host: str, port: int, workers: int, threads: int) -> None:
    OffentligApplication(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread" if threads > 1 else "sync",
            "worker_exit": _worker_exit,
            "accesslog": None,
            "timeout": 60,
            "graceful_timeout": 20,
        }
    ).run()
