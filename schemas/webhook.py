"""The webhook body, as documented in docs/webhooks.md."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
)

from schemas.common import UTCDateTime
from service.records.model import PING, EventType, Kind, all_event_types

_TEXT_MAX = 5_000_000  # the request size limit bounds this first; this is a backstop
# WordPress ids: the largest integer canonical JSON (RFC 8785) keeps exact.
_ID = validate.Range(min=1, max=2**53 - 1)
_OPTIONAL_ID = validate.Range(min=0, max=2**53 - 1)
# Neither canonical JSON (lone surrogates) nor PostgreSQL text (NUL) can keep these.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_UNSTORABLE_MESSAGE = "Must be valid Unicode without NUL characters."


class Text(fields.String):
    """A string that may be empty but not absent when required."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("validate", validate.Length(max=_TEXT_MAX))
        super().__init__(**kwargs)


def unstorable_strings(document: Any) -> dict[Any, Any]:
    """Error messages, nested like `document`, for every string nothing can store.

    Iterative: the body may be nested as deep as the JSON parser allows.
    """
    errors: dict[Any, Any] = {}
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                _nest(errors, path, [_UNSTORABLE_MESSAGE])
        elif isinstance(value, dict):
            for key, item in value.items():
                if _UNSTORABLE.search(key):
                    _nest(errors, (*path, key), [_UNSTORABLE_MESSAGE])
                else:
                    stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, n), item) for n, item in enumerate(value))
    return errors


def _nest(errors: dict[Any, Any], path: tuple[Any, ...], messages: list[str]) -> None:
    node = errors
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1] if path else "_schema"] = messages


class AuthorSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(load_default=None, validate=_OPTIONAL_ID)
    user_id = fields.Integer(load_default=None, validate=_OPTIONAL_ID)
    name = Text(required=True, validate=validate.Length(max=1000))
    url = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PostDataSchema(Schema):
    """`data` of `post.*` and `page.*`."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(required=True, strict=True, validate=_ID)
    guid = Text(required=True, validate=validate.Length(max=2000))
    title = Text(required=True)
    content = Text(required=True)
    content_raw = Text(required=True)
    excerpt = Text(load_default="")
    permalink = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    status = fields.String(required=True, validate=validate.Length(min=1, max=20))
    previous_status = fields.String(load_default=None, validate=validate.Length(max=20))
    author = fields.Nested(AuthorSchema, required=True)
    published_at = UTCDateTime(required=True)
    modified_at = UTCDateTime(required=True)
    parent = fields.Integer(load_default=0, strict=True, validate=_OPTIONAL_ID)
    terms = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.List(fields.String(validate=validate.Length(max=1000))),
        load_default=dict,
    )
    featured_image = fields.Url(
        load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"}
    )


class CommentDataSchema(Schema):
    """`data` of `comment.*`."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(required=True, strict=True, validate=_ID)
    post_id = fields.Integer(required=True, strict=True, validate=_ID)
    post_type = fields.String(required=True, validate=validate.OneOf(["post", "page"]))
    post_title = Text(load_default=None, allow_none=True)
    parent = fields.Integer(load_default=0, strict=True, validate=_OPTIONAL_ID)
    content = Text(required=True)
    status = fields.String(required=True, validate=validate.Length(min=1, max=20))
    previous_status = fields.String(load_default=None, validate=validate.Length(max=20))
    author = fields.Nested(AuthorSchema, required=True)
    author_email = fields.String(load_default=None, validate=validate.Length(max=320))
    author_ip = fields.String(load_default=None, validate=validate.Length(max=64))
    author_user_agent = fields.String(load_default=None, validate=validate.Length(max=1000))
    date = UTCDateTime(required=True)
    permalink = fields.Url(
        load_default=None, allow_none=True, require_tld=False, schemes={"http", "https"}
    )


class WebhookEventSchema(Schema):
    """The body of `POST /v1/sites/{site_id}/events`."""

    class Meta:
        unknown = EXCLUDE

    type = fields.String(
        required=True,
        validate=validate.OneOf(all_event_types()),
        metadata={"description": "Event type, e.g. `post.published`; see docs/webhooks.md."},
    )
    timestamp = UTCDateTime(
        required=True, metadata={"description": "When it happened in WordPress (occurred_at)."}
    )
    data = fields.Dict(
        required=True,
        metadata={
            "description": "The post or page (`PostData`) or comment (`CommentData`) as it is "
            "at that moment; any object for `offentlig.ping`."
        },
    )

    @pre_load
    def _storable(self, body: Any, **kwargs: Any) -> Any:
        errors = unstorable_strings(body)
        if errors:
            raise ValidationError(errors)
        return body

    @post_load
    def _load_data(self, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """`data` checked and loaded by the schema of the event's kind, in one pass."""
        if body["type"] != PING:
            schema = data_schema(EventType.parse(body["type"]).kind)
            try:
                body["data"] = schema.load(body["data"])
            except ValidationError as exc:
                raise ValidationError(exc.messages, field_name="data") from None
        return body


def data_schema(kind: Kind) -> Schema:
    """One shared instance per kind: creating a schema deep-copies its fields, which cost more
    than a load itself; `load` and `validate` keep no state on the instance."""
    return DATA_SCHEMAS[kind]


_POST_DATA = PostDataSchema()
DATA_SCHEMAS: dict[Kind, Schema] = {
    Kind.POST: _POST_DATA,
    Kind.PAGE: _POST_DATA,
    Kind.COMMENT: CommentDataSchema(),
}


class EventAcceptedSchema(Schema):
    record_id = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Current version number."})
    event_id = fields.String(
        allow_none=True, metadata={"description": "Set when a status event was recorded."}
    )


class PingAnswerSchema(Schema):
    ok = fields.Boolean(required=True)
    site_id = fields.String(required=True)
    site_name = fields.String(required=True)
