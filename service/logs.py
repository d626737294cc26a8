"""JSON logs, one object a line, each carrying the request id of the request it belongs to."""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter
from ulid import ULID

from service import metrics

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
access_log = logging.getLogger("offentlig.access")


def current_request_id() -> str | None:
    """The id of the request being served, if any (for logs and the audit trail)."""
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if any(getattr(h, "_offentlig", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}{request_id}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    handler._offentlig = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def install_request_ids(app: Flask) -> None:
    """Take the caller's X-Request-ID if it is sane, else make one; echo it back; log access."""

    @app.before_request
    def _assign() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else str(ULID())
        g.started = time.perf_counter()

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        metrics.REQUESTS.labels(
            endpoint=request.endpoint or "unknown",
            method=request.method,
            status=response.status_code,
        ).observe(seconds)
        extra: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2),
        }
        access_log.info("request", extra=extra)
        return response
