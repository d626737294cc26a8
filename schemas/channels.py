"""The channel register: what admins send, what readers and the public see."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PlainString, WebAddress
from service.channels.model import ACTIVE, CLOSED, PLATFORMS
from service.channels.public import LANGUAGES


def _text(max_length: int, **kwargs: object) -> PlainString:
    return PlainString(validate=validate.Length(max=max_length), **kwargs)  # type: ignore[arg-type]


class ChannelFieldsSchema(Schema):
    """What an admin sets. `status` follows from `closed_on`; `site_id` from the site register."""

    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    name = PlainString(required=True, validate=validate.Length(min=1, max=300))
    url = WebAddress(required=True)
    purpose = _text(5000, metadata={"description": "Why the authority is on this channel."})
    responsible_unit = _text(300)
    contact = _text(300)
    started_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True, metadata={"description": "On or after started_on."})
    capture = _text(
        300,
        metadata={"description": 'How it is captured, e.g. "manual screenshots".'},
    )
    rule_ids = fields.List(
        PlainString(validate=validate.Regexp(r"^\S{1,40}$", error="An id, without spaces.")),
        validate=validate.Length(max=100),
        metadata={"description": "The culling rules that apply to the channel's records."},
    )


class ChannelCreateSchema(ChannelFieldsSchema):
    note = _text(1000, load_default=None, metadata={"description": "Why; kept with the revision."})


class ChannelChangeSchema(ChannelFieldsSchema):
    """Only the fields sent change (load it with `partial=True`). Send the `revision` you read
    to refuse a stale change (409)."""

    revision = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "The revision this change is based on."},
    )
    note = _text(1000, load_default=None)


class ChannelCloseSchema(Schema):
    closed_on = fields.Date(
        load_default=None, metadata={"description": "Default: today (OFFENTLIG_TIMEZONE)."}
    )
    note = _text(1000, load_default=None)


class ChannelArgsSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf((ACTIVE, CLOSED)))
    platform = fields.String(load_default=None, validate=validate.OneOf(PLATFORMS))


class PublicChannelSchema(Schema):
    """What anyone may read of a channel (`service.channels.public.PUBLIC_FIELDS`)."""

    id = fields.String(dump_only=True)
    platform = fields.String()
    name = fields.String()
    url = fields.String()
    purpose = fields.String()
    responsible_unit = fields.String()
    contact = fields.String()
    started_on = fields.Date(allow_none=True)
    closed_on = fields.Date(allow_none=True)
    status = fields.String(dump_only=True, metadata={"enum": [ACTIVE, CLOSED]})


class ChannelSchema(PublicChannelSchema):
    revision = fields.Integer(dump_only=True)
    capture = fields.String()
    rule_ids = fields.List(fields.String())
    site_id = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The registered WordPress site this channel is."},
    )


class RecordedBySchema(Schema):
    kind = fields.String()
    name = fields.String()


class ChannelRevisionSchema(ChannelSchema):
    note = fields.String(dump_only=True, allow_none=True)
    recorded_at = fields.String(dump_only=True)
    recorded_by = fields.Nested(RecordedBySchema, dump_only=True)
    sha256 = fields.String(dump_only=True)
    previous_sha256 = fields.String(dump_only=True, allow_none=True)


class ChannelDetailSchema(ChannelRevisionSchema):
    revisions = fields.List(
        fields.Nested(ChannelRevisionSchema),
        dump_only=True,
        metadata={"description": "Every revision, oldest first."},
    )


class PublicPageArgsSchema(Schema):
    lang = fields.String(
        load_default=None,
        metadata={
            "enum": list(LANGUAGES),
            "description": "sv or en; otherwise Accept-Language decides (default sv).",
        },
    )


class PublicRegisterSchema(Schema):
    authority = fields.String()
    channels = fields.List(fields.Nested(PublicChannelSchema))
