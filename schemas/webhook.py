"""The webhook body, as documented in docs/webhooks.md."""

from __future__ import annotations

from typing import Any

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from service.records.model import PING, EventType, Kind, all_event_types

_TEXT_MAX = 5_000_000  # the request size limit bounds this first; this is a backstop


class Text(fields.String):
    """A string that may be empty but not absent when required."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("validate", validate.Length(max=_TEXT_MAX))
        super().__init__(**kwargs)


class AuthorSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(load_default=None, validate=validate.Range(min=0))
    user_id = fields.Integer(load_default=None, validate=validate.Range(min=0))
    name = Text(required=True, validate=validate.Length(max=1000))
    url = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PostDataSchema(Schema):
    """`data` of `post.*` and `page.*`."""

    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    guid = Text(required=True, validate=validate.Length(max=2000))
    title = Text(required=True)
    content = Text(required=True)
    content_raw = Text(required=True)
    excerpt = Text(load_default="")
    permalink = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    status = fields.String(required=True, validate=validate.Length(min=1, max=20))
    previous_status = fields.String(load_default=None, validate=validate.Length(max=20))
    author = fields.Nested(AuthorSchema, required=True)
    published_at = fields.AwareDateTime(required=True)
    modified_at = fields.AwareDateTime(required=True)
    parent = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))
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

    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    post_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    post_type = fields.String(required=True, validate=validate.OneOf(["post", "page"]))
    post_title = Text(load_default=None, allow_none=True)
    parent = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0))
    content = Text(required=True)
    status = fields.String(required=True, validate=validate.Length(min=1, max=20))
    previous_status = fields.String(load_default=None, validate=validate.Length(max=20))
    author = fields.Nested(AuthorSchema, required=True)
    author_email = fields.String(load_default=None, validate=validate.Length(max=320))
    author_ip = fields.String(load_default=None, validate=validate.Length(max=64))
    author_user_agent = fields.String(load_default=None, validate=validate.Length(max=1000))
    date = fields.AwareDateTime(required=True)
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
    timestamp = fields.AwareDateTime(
        required=True, metadata={"description": "When it happened in WordPress (occurred_at)."}
    )
    data = fields.Dict(
        required=True,
        metadata={"description": "The post, page or comment; its fields depend on `type`."},
    )

    @validates_schema
    def _data_matches_type(self, body: dict[str, Any], **kwargs: Any) -> None:
        if body["type"] == PING:
            return
        schema = data_schema(EventType.parse(body["type"]).kind)
        errors = schema.validate(body["data"])
        if errors:
            raise ValidationError(errors, field_name="data")

    @post_load
    def _load_data(self, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if body["type"] != PING:
            body["data"] = data_schema(EventType.parse(body["type"]).kind).load(body["data"])
        return body


def data_schema(kind: Kind) -> Schema:
    return CommentDataSchema() if kind is Kind.COMMENT else PostDataSchema()


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
