"""`/healthz` (the process answers), `/readyz` (storage and database reachable), `/metrics`."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response

from service import metrics
from service.api.context import services
from service.errors import Unavailable
from service.index.db import check


def install(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, Any], int]:
        svc = services()
        checks: dict[str, str] = {}
        for name, probe in (
            ("storage", svc.storage.check),
            ("database", lambda: check(svc.engine)),
        ):
            try:
                probe()
                checks[name] = "ok"
            except Unavailable as exc:
                checks[name] = exc.message
        ready = all(v == "ok" for v in checks.values())
        return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503

    @app.get("/metrics")
    def prometheus() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)
