"""Keyset cursors: the sort values of a page's last row, opaque to the client (urlsafe
base64 of a JSON list), and a 422 naming `cursor` for anything this API did not write."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from service.errors import InvalidInput

T = TypeVar("T")


def encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode(cursor: str, parse: Callable[[list[Any]], T]) -> T:
    """`parse` checks the values and raises ValueError (or TypeError) if they are not ours."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list):
            raise ValueError("bad cursor")
        return parse(values)
    except (ValueError, TypeError, OverflowError, binascii.Error):
        raise InvalidInput(
            "Invalid cursor.", errors={"query": {"cursor": ["Not a cursor from this API."]}}
        ) from None


def moment(value: Any) -> datetime:
    """An aware time that survives conversion to UTC (OverflowError near year 1 or 9999)."""
    found = datetime.fromisoformat(value)
    if found.tzinfo is None:
        raise ValueError("bad cursor")
    found.astimezone(UTC)
    return found
