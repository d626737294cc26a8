"""Pieces shared by several API schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

# The largest value of a signed 64-bit column (BIGINT): larger ones are 422, not a 500.
BIGINT_MAX = 2**63 - 1


def no_nul(text: str) -> None:
    """PostgreSQL text cannot hold NUL characters: refuse them as input (422), not at the
    database (500)."""
    if "\x00" in text:
        raise ValidationError("Must not contain NUL characters.")


class PlainString(fields.String):
    """A string without NUL characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        no_nul(text)
        return text


class WebAddress(fields.Url):
    """An http(s) address of at most 2000 characters (what the tables keep) without NUL."""

    def __init__(self, **kwargs: Any):
        super().__init__(
            require_tld=False,
            schemes={"http", "https"},
            validate=[validate.Length(max=2000), no_nul],
            **kwargs,
        )


class UTCDateTime(fields.AwareDateTime):
    """An aware datetime that still exists once converted to UTC (it is stored as UTC)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Out of range once converted to UTC.") from None
        return moment


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = PlainString(load_default=None, validate=validate.Length(max=500))
