"""The service's own exceptions. The API turns each into one HTTP status in `api/errors.py`."""

from __future__ import annotations

from typing import Any


class OffentligError(Exception):
    """Base class; `status` is the HTTP status the API answers with."""

    status = 500
    message = "Internal error."

    def __init__(self, message: str | None = None, errors: dict[str, Any] | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.errors = errors


class InvalidSignature(OffentligError):
    status = 401
    message = "Missing, malformed, expired or wrong webhook signature."


class Unauthorized(OffentligError):
    status = 401
    message = "A valid bearer token is required."


class Forbidden(OffentligError):
    status = 403
    message = "The token lacks the scope this needs."


class NotFound(OffentligError):
    status = 404
    message = "Not found."


class Conflict(OffentligError):
    status = 409
    message = "Conflict."


class Gone(OffentligError):
    """The record was culled under a decision; `errors` carries its culling-log entry."""

    status = 410
    message = "Culled under a culling decision."


class InvalidInput(OffentligError):
    status = 422
    message = "Invalid input."


class Unavailable(OffentligError):
    """Storage or database cannot be reached; the client should retry later."""

    status = 503
    message = "A backend (object storage or database) is unreachable; retry later."


class StorageUnavailable(Unavailable):
    message = "Object storage is unreachable; retry later."


class IndexUnavailable(Unavailable):
    message = "The database is unreachable; retry later."


class NotProjected(IndexUnavailable):
    """Storage took the object at `key`, the database could not be told of it."""

    def __init__(self, key: str, message: str | None = None):
        super().__init__(message)
        self.key = key


class IntegrityError(OffentligError):
    """A stored object does not match its recorded hash."""

    status = 500
    message = "A stored object failed its integrity check."


class ObjectLocked(OffentligError):
    """A legal hold or retention forbids removing (or replacing) a stored object."""

    status = 409
    message = "The object is under legal hold or retention."

    def __init__(self, key: str, reason: str):
        super().__init__(f"{key}: {reason}")
        self.key = key


class WordPressUnavailable(Unavailable):
    """A WordPress site cannot be reached or answered with a server error; retry later."""

    message = "The WordPress site is unreachable; retry later."


class WordPressRefused(OffentligError):
    """A WordPress site refused what we asked: wrong credentials, a missing capability,
    XML-RPC or application passwords turned off, or an answer we cannot read."""

    status = 502
    message = "The WordPress site refused the request."


class WordPressCredentialsRefused(WordPressRefused):
    """WordPress does not know the username or application password."""

    message = "WordPress refused the username or application password."
