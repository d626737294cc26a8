"""A site's WordPress account, backfill runs and reconciliation reports."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from schemas.common import PlainString
from schemas.snapshots import ScheduledSchema
from service.sites.account import DEFAULT_PERSONAL, PERSONAL_FIELDS

# Run ids become parts of object keys and delivery ids.
RUN_ID = validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$", error="Use 1-40 of A-Z a-z 0-9 _ -.")


class WordPressAccountSchema(Schema):
    username = PlainString(required=True, validate=validate.Length(min=1, max=200))
    app_password = PlainString(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "An application password of that user; stored encrypted."},
    )
    personal_data = fields.List(
        fields.String(validate=validate.OneOf(sorted(PERSONAL_FIELDS))),
        load_default=list(DEFAULT_PERSONAL),
        metadata={
            "description": "The commenter's personal data to keep from what is read: set it "
            "as the plugin's Personal data settings (e-mail only by default)."
        },
    )


class WordPressAccountCheckedSchema(Schema):
    site_id = fields.String(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    roles = fields.List(fields.String(), dump_only=True)
    personal_data = fields.List(fields.String(), dump_only=True)


class BackfillRequestSchema(Schema):
    run_id = fields.String(
        load_default=None,
        validate=RUN_ID,
        metadata={"description": "Resume this run: what it captured is skipped."},
    )


class TallySchema(Schema):
    read = fields.Integer()
    captured = fields.Integer(metadata={"description": "New versions."})
    unchanged = fields.Integer(metadata={"description": "The archive held this content."})
    errors = fields.Integer()


class RecordErrorSchema(Schema):
    record_id = fields.String()
    error = fields.String()


class BackfillReportSchema(Schema):
    run_id = fields.String(dump_only=True)
    site_id = fields.String(dump_only=True)
    kinds = fields.Dict(keys=fields.String(), values=fields.Nested(TallySchema), dump_only=True)
    errors = fields.List(fields.Nested(RecordErrorSchema), dump_only=True)


class ReconciliationCountsSchema(Schema):
    read = fields.Integer()
    unchanged = fields.Integer()
    missing = fields.Integer(metadata={"description": "On the site, not in the archive."})
    changed = fields.Integer(metadata={"description": "Changed without a webhook."})
    gone = fields.Integer(metadata={"description": "No longer on the site."})
    errors = fields.Integer()


class ReconciliationSummarySchema(Schema):
    schema = fields.String(dump_only=True)
    id = fields.String(dump_only=True)
    site_id = fields.String(dump_only=True)
    started_at = fields.String(dump_only=True)
    finished_at = fields.String(dump_only=True)
    counts = fields.Nested(ReconciliationCountsSchema, dump_only=True)
    sha256 = fields.String(dump_only=True)


class ReconciliationReportSchema(ReconciliationSummarySchema):
    missing = fields.List(fields.String(), dump_only=True)
    changed = fields.List(fields.String(), dump_only=True)
    gone = fields.List(fields.String(), dump_only=True)
    errors = fields.List(fields.Nested(RecordErrorSchema), dump_only=True)
    recorded_by = fields.Dict(dump_only=True)


class ReconciliationListArgsSchema(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class KindProgressSchema(Schema):
    done = fields.Integer(metadata={"description": "Objects read and captured so far."})
    total = fields.Integer(allow_none=True, metadata={"description": "What the site says it has."})


class RunProgressSchema(Schema):
    done = fields.Integer()
    total = fields.Integer(allow_none=True)
    kinds = fields.Dict(keys=fields.String(), values=fields.Nested(KindProgressSchema))


def _state() -> fields.String:
    return fields.String(
        dump_only=True,
        metadata={"description": "queued | running | succeeded | failed | cancelled (the job's)"},
    )


class RunStateSchema(Schema):
    """A backfill or reconciliation as its job stands."""

    id = fields.String(dump_only=True, metadata={"description": "The job's id."})
    site_id = fields.String(dump_only=True)
    state = _state()
    requested_at = fields.AwareDateTime(dump_only=True)
    requested_by = fields.String(dump_only=True, allow_none=True)
    started_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    finished_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    progress = fields.Nested(RunProgressSchema, dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)


class BackfillStateSchema(RunStateSchema):
    report = fields.Nested(
        BackfillReportSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "Once it has succeeded: the counts per kind."},
    )


class ReconciliationDetailSchema(ReconciliationReportSchema):
    """The report once the run has finished (`state: succeeded`), else its job's state."""

    state = _state()
    requested_at = fields.AwareDateTime(dump_only=True)
    requested_by = fields.String(dump_only=True, allow_none=True)
    progress = fields.Nested(RunProgressSchema, dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)


class ReconciliationListSchema(ScheduledSchema):
    """`every` is "off" for a site without a WordPress account: it is not reconciled."""

    items = fields.List(fields.Nested(ReconciliationSummarySchema), dump_only=True)
