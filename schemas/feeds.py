"""The change feed and the stats a dashboard widget shows."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import BIGINT_MAX, PlainString


class ChangesArgsSchema(Schema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(min=0, max=BIGINT_MAX),
        metadata={"description": "The `next_cursor` of the previous page; 0 from the start."},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    site = PlainString(load_default=None, validate=validate.Length(max=40))


class ChangeSchema(Schema):
    cursor = fields.Integer(attribute="seq")
    site_id = fields.String()
    record_id = fields.String()
    change = fields.String(
        metadata={"description": "`version`, `event`, `review`, `registration`, `hold` or `cull`."}
    )
    version = fields.Integer()
    event_id = fields.String(allow_none=True)
    event_type = fields.String(
        metadata={
            "description": "The webhook's type (`post.published`, …), `review.{state}`, "
            "`registration.registered` / `registration.updated`, `hold.set` / `hold.lifted` "
            "(a hold on a query names no record), or `record.culled`."
        }
    )
    captured_at = fields.AwareDateTime()


class ChangePageSchema(Schema):
    items = fields.List(fields.Nested(ChangeSchema))
    next_cursor = fields.Integer(
        metadata={"description": "Pass as `after` next time; equals `after` when nothing is new."}
    )


class StatsArgsSchema(Schema):
    site = PlainString(load_default=None, validate=validate.Length(max=40))
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))


class DayCountSchema(Schema):
    date = fields.String()
    post = fields.Integer()
    page = fields.Integer()
    comment = fields.Integer()
    total = fields.Integer()


class NextCullingSchema(Schema):
    date = fields.Date(metadata={"description": "Today when records are due already."})
    records = fields.Integer(metadata={"description": "Records due on or before that day."})


class StatsSchema(Schema):
    site_id = fields.String(allow_none=True)
    timezone = fields.String()
    today = fields.Integer()
    this_month = fields.Integer()
    total = fields.Integer()
    days = fields.List(fields.Nested(DayCountSchema))
    review_pending = fields.Integer(
        metadata={"description": "Records awaiting secrecy review (the dashboard widget)."}
    )
    next_culling = fields.Nested(
        NextCullingSchema,
        allow_none=True,
        metadata={"description": "The next day records become due for culling; null: none."},
    )
