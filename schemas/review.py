"""The secrecy review queue and decisions, and registrations written back by the registry
system."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PageArgsSchema, PlainString, UTCDateTime
from schemas.records import RecordSchema, ReviewSchema
from service.secrecy.review import DECISIONS, ReviewState

STATES = [str(state) for state in ReviewState]


class ReviewQueueArgsSchema(PageArgsSchema):
    state = fields.String(load_default=str(ReviewState.PENDING), validate=validate.OneOf(STATES))
    site = PlainString(load_default=None, validate=validate.Length(max=40))


class ReviewItemSchema(Schema):
    record = fields.Nested(RecordSchema)
    review = fields.Nested(ReviewSchema)


class ReviewPageSchema(Schema):
    items = fields.List(fields.Nested(ReviewItemSchema))
    next_cursor = fields.String(allow_none=True)


class ReviewDecisionSchema(Schema):
    decision = fields.String(
        required=True,
        validate=validate.OneOf([str(d) for d in DECISIONS]),
        metadata={"description": "`cleared`, `register` (to be registered) or `secret`."},
    )
    note = PlainString(load_default=None, validate=validate.Length(max=2000))


class RegistrationBodySchema(Schema):
    case_number = PlainString(
        required=True,
        validate=[validate.Length(min=1, max=100), validate.Regexp(r".*\S")],
        metadata={"description": "The case number (diarienummer), e.g. `KS 2026/245`."},
    )
    case_title = PlainString(load_default=None, validate=validate.Length(max=1000))
    registered_at = UTCDateTime(
        load_default=None, metadata={"description": "Default: as before, or now."}
    )
    registered_by = PlainString(load_default=None, validate=validate.Length(max=200))
