"""Snapshots as the API lists and shows them, their schedule, and replay links."""

from __future__ import annotations

from marshmallow import Schema, fields

from schemas.common import PlainString

SNAPSHOT_STATES = "queued | running | finished"


class ScheduleSchema(Schema):
    every = PlainString(
        required=True,
        metadata={
            "description": 'An ISO 8601 duration, or "off". Defaults: snapshots "P6M", '
            'reconciliation "P1D".'
        },
    )


class ScheduleAnswerSchema(Schema):
    site_id = fields.String(dump_only=True)
    every = fields.String(dump_only=True, metadata={"description": 'The schedule, or "off".'})
    next_due = fields.AwareDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When the schedule next enqueues its job (null: off)."},
    )


class ProgressSchema(Schema):
    fetched = fields.Integer(metadata={"description": "Responses archived so far."})
    pages = fields.Integer()
    requisites = fields.Integer()
    bytes = fields.Integer()
    errors = fields.Integer()
    refusals = fields.Integer()
    queued = fields.Integer(metadata={"description": "URLs found and not yet fetched."})


class FileSchema(Schema):
    url = fields.String(metadata={"description": "Where to download it (this API)."})
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True, metadata={"description": "Of its bytes."})


class SnapshotSchema(Schema):
    id = fields.String(dump_only=True, metadata={"description": "Also its job's id."})
    site_id = fields.String(dump_only=True)
    state = fields.String(dump_only=True, metadata={"description": SNAPSHOT_STATES})
    requested_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    requested_by = fields.String(dump_only=True, allow_none=True)
    started_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    ended_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    site_url = fields.String(dump_only=True, allow_none=True)
    pages = fields.Integer(dump_only=True, allow_none=True)
    requisites = fields.Integer(dump_only=True, allow_none=True)
    responses = fields.Integer(dump_only=True, allow_none=True)
    bytes = fields.Integer(dump_only=True, allow_none=True)
    errors = fields.Integer(dump_only=True, allow_none=True)
    refusals = fields.Integer(dump_only=True, allow_none=True)
    limits_hit = fields.List(
        fields.Dict(),
        dump_only=True,
        allow_none=True,
        metadata={"description": "Limits that ended the crawl early: limit, value, unfetched."},
    )
    manifest_sha256 = fields.String(dump_only=True, allow_none=True)
    files = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(FileSchema),
        dump_only=True,
        allow_none=True,
        metadata={"description": "snapshot.warc.gz, index.cdxj and manifest.json."},
    )
    progress = fields.Nested(ProgressSchema, dump_only=True, allow_none=True)


class SnapshotDetailSchema(SnapshotSchema):
    settings = fields.Dict(dump_only=True, allow_none=True)
    software = fields.Dict(dump_only=True, allow_none=True)
    user_agent = fields.String(dump_only=True, allow_none=True)
    address = fields.String(dump_only=True, allow_none=True)
    by_status = fields.Dict(dump_only=True, allow_none=True)
    error = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "Why its job failed."}
    )


class ScheduledSchema(Schema):
    """A site's scheduled work: its schedule in force, and when it is next due."""

    site_id = fields.String(dump_only=True)
    every = fields.String(dump_only=True, metadata={"description": 'The schedule, or "off".'})
    next_due = fields.AwareDateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When the schedule next enqueues its job (null: off)."},
    )


class SnapshotListSchema(ScheduledSchema):
    last = fields.Nested(
        SnapshotSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The newest finished snapshot."},
    )
    items = fields.List(
        fields.Nested(SnapshotSchema),
        dump_only=True,
        metadata={"description": "Queued and running snapshots, then finished ones, newest first."},
    )


class ReplaySessionSchema(Schema):
    url = fields.String(
        dump_only=True,
        metadata={"description": "Open it in a browser; it needs no token until it expires."},
    )
    expires_at = fields.AwareDateTime(dump_only=True)
