"""One error shape for the whole API: `{code, status, message, errors}`."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException, NotFound

from service.errors import OffentligError, Unauthorized, Unavailable

log = logging.getLogger(__name__)


def error_response(
    code: int, message: str | None = None, errors: dict[str, Any] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = code
    return response


def install(app: Flask, api: Api) -> None:
    @app.before_request
    def _no_nul_in_the_path() -> None:
        # Nothing here has a NUL in its name, and PostgreSQL cannot even compare one.
        if "\x00" in request.path:
            raise NotFound()

    @app.errorhandler(OffentligError)
    def _ours(exc: OffentligError) -> Response:
        message = exc.message
        if exc.status >= 500:
            log.error("%s: %s", type(exc).__name__, exc.message)
            # The details (endpoints, keys, driver errors) are for the log, not the caller.
            message = type(exc).message
        response = error_response(exc.status, message, exc.errors)
        if isinstance(exc, Unauthorized):
            response.headers["WWW-Authenticate"] = 'Bearer realm="offentlig"'
        if isinstance(exc, Unavailable):
            response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = exc.code or 500
        data = getattr(exc, "data", {}) or {}
        message = data.get("message") or exc.description
        response = error_response(code, message, data.get("messages") or data.get("errors"))
        for name, value in exc.get_headers():
            if name.lower() not in ("content-type", "content-length"):
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(500, "Internal error; the request id in the logs tells more.")
