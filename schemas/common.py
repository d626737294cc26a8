"""Pieces shared by several API schemas."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))
