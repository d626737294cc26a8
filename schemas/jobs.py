"""Jobs as the API lists and shows them (each feature creates its own through its endpoint)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PageArgsSchema, PlainString
from service.jobs.model import STATES


class JobListArgsSchema(PageArgsSchema):
    kind = PlainString(load_default=None, validate=validate.Length(max=40))
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    site = PlainString(load_default=None, validate=validate.Length(max=40))


class JobSchema(Schema):
    id = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    site_id = fields.String(dump_only=True, allow_none=True)
    params = fields.Dict(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": " | ".join(STATES)})
    attempts = fields.Integer(dump_only=True, metadata={"description": "Runs started."})
    max_attempts = fields.Integer(dump_only=True)
    lease_owner = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "host:pid:uuid of its worker."}
    )
    lease_expires_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    progress_done = fields.Integer(dump_only=True)
    progress_total = fields.Integer(dump_only=True, allow_none=True)
    progress_note = fields.String(dump_only=True, allow_none=True)
    checkpoint = fields.Raw(
        dump_only=True, allow_none=True, metadata={"description": "Where a resumed run continues."}
    )
    result = fields.Raw(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    not_before = fields.AwareDateTime(dump_only=True)
    started_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    finished_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_by = fields.String(dump_only=True, allow_none=True)


class JobPageSchema(Schema):
    items = fields.List(fields.Nested(JobSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page."}
    )
