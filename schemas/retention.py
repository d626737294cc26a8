"""Culling rules, legal holds, culling runs and the culling log, as the API shows them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from schemas.common import PageArgsSchema, PlainString, UTCDateTime
from schemas.records import KINDS, ORIGINS
from service.errors import InvalidInput
from service.retention.durations import parse_retention
from service.retention.planning import DUE, SKIPPED
from service.retention.rules import COUNTED_FROM

_ID = validate.Length(min=1, max=40)


class Moment(UTCDateTime):
    """A date-time, or a date meaning the end of that day (UTC)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError:
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                raise ValidationError("Not a date or an aware date-time.") from None
            return datetime.combine(day, time.max, UTC)


# --- culling rules ----------------------------------------------------------------------


class RuleScopeSchema(Schema):
    """Which records a rule covers: any value of each list; every list and taxonomy given."""

    sites = fields.List(PlainString(validate=_ID), load_default=list)
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), load_default=list)
    origins = fields.List(fields.String(validate=validate.OneOf(ORIGINS)), load_default=list)
    statuses = fields.List(PlainString(validate=validate.Length(max=20)), load_default=list)
    terms = fields.Dict(
        keys=PlainString(validate=validate.Length(min=1, max=100)),
        values=fields.List(PlainString(validate=validate.Length(min=1, max=300))),
        load_default=dict,
        metadata={"description": 'Per taxonomy, term names: {"category": ["Trafik"]}.'},
    )


class RuleBodySchema(Schema):
    decision_reference = PlainString(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'The culling decision, e.g. "KS 2026/114 § 12".'},
    )
    decision_date = fields.Date(required=True)
    description = PlainString(load_default="", validate=validate.Length(max=5000))
    scope = fields.Nested(RuleScopeSchema, load_default=lambda: RuleScopeSchema().load({}))
    retention = PlainString(
        required=True,
        validate=validate.Length(max=40),
        metadata={"description": "ISO 8601 duration: P2Y, P6M, P30D."},
    )
    counted_from = fields.String(required=True, validate=validate.OneOf(COUNTED_FROM))
    covers_registered = fields.Boolean(
        load_default=False, metadata={"description": "May cull registered records too."}
    )

    @validates("retention")
    def _period(self, value: str, **kwargs: Any) -> None:
        try:
            parse_retention(value)
        except InvalidInput as exc:
            raise ValidationError((exc.errors or {})["retention"]) from None


class RuleSchema(Schema):
    id = fields.String(dump_only=True)
    revision = fields.Integer(dump_only=True)
    decision_reference = fields.String()
    decision_date = fields.Date()
    description = fields.String()
    scope = fields.Nested(RuleScopeSchema)
    retention = fields.String()
    counted_from = fields.String()
    covers_registered = fields.Boolean()
    state = fields.String(dump_only=True, metadata={"description": "`active` or `superseded`."})
    supersedes = fields.String(dump_only=True, allow_none=True)
    superseded_by = fields.String(dump_only=True, allow_none=True)
    used = fields.Boolean(
        dump_only=True, metadata={"description": "Has culled records: never edited again."}
    )
    created_at = fields.AwareDateTime(dump_only=True)
    recorded_at = fields.AwareDateTime(dump_only=True)
    recorded_by = fields.String(dump_only=True)


class RuleDetailSchema(RuleSchema):
    history = fields.List(fields.Nested(RuleSchema), dump_only=True)


# --- legal holds ------------------------------------------------------------------------


class HoldCreateSchema(Schema):
    reason = PlainString(required=True, validate=validate.Length(min=1, max=5000))
    record_id = PlainString(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "One record; or else a query (sites, kinds, dates, text)."},
    )
    sites = fields.List(PlainString(validate=_ID), load_default=list)
    kinds = fields.List(fields.String(validate=validate.OneOf(KINDS)), load_default=list)
    published_after = UTCDateTime(load_default=None)
    published_before = UTCDateTime(load_default=None)
    text = PlainString(
        load_default=None,
        validate=validate.Length(max=500),
        metadata={"description": "Full text, as `q` of /v1/records."},
    )

    @validates_schema
    def _range(self, body: dict[str, Any], **kwargs: Any) -> None:
        after, before = body.get("published_after"), body.get("published_before")
        if after and before and after >= before:
            raise ValidationError("Must be later than published_after.", "published_before")


class HoldLiftSchema(Schema):
    reason = PlainString(required=True, validate=validate.Length(min=1, max=5000))


class HoldSchema(Schema):
    id = fields.String()
    revision = fields.Integer()
    reason = fields.String()
    set_by = fields.String()
    set_at = fields.AwareDateTime()
    active = fields.Boolean()
    lifted_at = fields.AwareDateTime(allow_none=True)
    lifted_by = fields.String(allow_none=True)
    lift_reason = fields.String(allow_none=True)
    record_id = fields.String(allow_none=True)
    sites = fields.List(fields.String())
    kinds = fields.List(fields.String())
    published_after = fields.AwareDateTime(allow_none=True)
    published_before = fields.AwareDateTime(allow_none=True)
    text = fields.String(allow_none=True)


# --- culling runs -----------------------------------------------------------------------


class RunLimitSchema(Schema):
    limit = fields.Integer(
        load_default=1000,
        validate=validate.Range(min=1, max=10000),
        metadata={"description": "Cull at most this many records in this request."},
    )


class RunCreateSchema(RunLimitSchema):
    dry_run = fields.Boolean(load_default=True)
    rule_ids = fields.List(PlainString(validate=_ID), load_default=list)
    as_of = Moment(load_default=None, metadata={"description": "Evaluate at (default: now)."})


class RunSchema(Schema):
    id = fields.String()
    revision = fields.Integer()
    state = fields.String(metadata={"description": "planned, executing, finished or failed."})
    dry_run = fields.Boolean()
    as_of = fields.AwareDateTime()
    rule_ids = fields.List(fields.String())
    started_by = fields.String()
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    counts = fields.Dict(
        metadata={
            "description": "items, culled, and per rule: decision_reference, "
            f"{DUE}, culled, {', '.join(SKIPPED)}."
        }
    )
    error = fields.String(allow_none=True)


class RunItemsArgsSchema(Schema):
    after = fields.Integer(load_default=-1, validate=validate.Range(min=-1, max=2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class RunItemSchema(Schema):
    position = fields.Integer()
    record_id = fields.String()
    site_id = fields.String()
    subject = fields.String()
    rule_id = fields.String()
    due_on = fields.Date()
    outcome = fields.String(metadata={"description": f"{DUE}, or {', '.join(SKIPPED)}."})
    culled = fields.Boolean()


class RunItemPageSchema(Schema):
    items = fields.List(fields.Nested(RunItemSchema))
    next_cursor = fields.Integer(allow_none=True, metadata={"description": "Pass as `after`."})


# --- the culling log --------------------------------------------------------------------


class CullingLogFilterSchema(Schema):
    site = PlainString(load_default=None, validate=validate.Length(max=40))
    rule = PlainString(load_default=None, validate=_ID)
    run = PlainString(load_default=None, validate=_ID)
    since = UTCDateTime(load_default=None, metadata={"description": "Culled at or after."})


class CullingLogArgsSchema(CullingLogFilterSchema, PageArgsSchema):
    pass


class CullingLogEntrySchema(Schema):
    id = fields.String()
    record_id = fields.String()
    kind = fields.String()
    origin = fields.String()
    published_at = fields.AwareDateTime()
    last_changed_at = fields.AwareDateTime()
    subject = fields.String()
    site_id = fields.String()
    rule_id = fields.String()
    decision_reference = fields.String()
    run_id = fields.String()
    culled_by = fields.String()
    culled_at = fields.AwareDateTime()
    versions_erased = fields.Integer()
    objects_erased = fields.Integer()


class CullingLogPageSchema(Schema):
    items = fields.List(fields.Nested(CullingLogEntrySchema))
    next_cursor = fields.String(allow_none=True)
