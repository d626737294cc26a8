"""Sites and API tokens, as admins create and list them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PlainString, WebAddress
from service.auth.tokens import SCOPES


class SiteCreateSchema(Schema):
    name = PlainString(required=True, validate=validate.Length(min=1, max=300))
    url = WebAddress(required=True)


class SiteSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String()
    url = fields.String()
    created_at = fields.AwareDateTime(dump_only=True)


class SiteCreatedSchema(SiteSchema):
    secret = fields.String(
        dump_only=True, metadata={"description": "Webhook secret (whsec_…); shown only once."}
    )


class TokenCreateSchema(Schema):
    name = PlainString(required=True, validate=validate.Length(min=1, max=200))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        validate=validate.Length(min=1),
    )
    site_id = PlainString(
        load_default=None, metadata={"description": "Limit the token to this one site."}
    )


class TokenSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String()
    scopes = fields.List(fields.String())
    site_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    revoked_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class TokenCreatedSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "Shown only once."})
