"""The audit trail, as admins read it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import PageArgsSchema, PlainString, UTCDateTime


class AuditArgsSchema(PageArgsSchema):
    action = PlainString(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "e.g. `capture`, `read-version`, `read-personal-data`."},
    )
    actor = PlainString(
        load_default=None,
        validate=validate.Length(max=300),
        metadata={"description": "Who, by name: a token's, an operator's login, a site's."},
    )
    token_id = PlainString(load_default=None, validate=validate.Length(max=40))
    subject = PlainString(
        load_default=None,
        validate=validate.Length(max=300),
        metadata={"description": "What: a record id, a token id, a site id, …"},
    )
    since = UTCDateTime(load_default=None, metadata={"description": "From this moment on."})
    until = UTCDateTime(load_default=None, metadata={"description": "Before this moment."})

    @validates_schema
    def _range(self, args: dict[str, Any], **kwargs: Any) -> None:
        since, until = args.get("since"), args.get("until")
        if since and until and since >= until:
            raise ValidationError("Must be later than `since`.", "until")


class AuditActorSchema(Schema):
    kind = fields.String(metadata={"description": "`token`, `cli`, `site` or `service`."})
    name = fields.String()
    id = fields.String(allow_none=True)
    address = fields.String(allow_none=True, metadata={"description": "The caller's IP."})


class AuditEntrySchema(Schema):
    id = fields.String(metadata={"description": "ULID."})
    at = fields.AwareDateTime()
    action = fields.String()
    subject = fields.String()
    actor = fields.Nested(AuditActorSchema)
    details = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    batch_key = fields.String(
        allow_none=True,
        metadata={
            "description": "The storage object that holds the entry (null: from before "
            "the audit trail was kept in storage)."
        },
    )


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_cursor = fields.String(allow_none=True)
