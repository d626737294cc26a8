"""Exports as the API takes and shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from schemas.common import PlainString
from schemas.records import RecordSearchArgsSchema
from schemas.snapshots import FileSchema
from service.exports.rendering import LANGUAGES

EXPORT_KINDS = ["disclosure"]
MAX_RECORD_IDS = 10_000
# A search's paging and order mean nothing to an export: it takes every record found.
NOT_FILTERS = ("limit", "cursor", "sort")


def export_query_schema() -> RecordSearchArgsSchema:
    """The filters `GET /v1/records` takes, without paging."""
    return RecordSearchArgsSchema(exclude=NOT_FILTERS)


class DisclosureRequestSchema(Schema):
    kind = fields.String(load_default="disclosure", validate=validate.OneOf(EXPORT_KINDS))
    record_ids = fields.List(
        PlainString(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(min=1, max=MAX_RECORD_IDS),
        load_default=None,
        metadata={"description": "The records to export (every version of each)."},
    )
    query = fields.Nested(
        export_query_schema,
        load_default=None,
        metadata={
            "description": "Or: every record a search finds, with the filters of "
            "`GET /v1/records` (`q`, `site`, `kind`, `origin`, `published_after`, …)."
        },
    )
    mask_personal_data = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Mask identity numbers and e-mail addresses, leave out commenters' "
            "e-mail, IP and user agent (default). `false` needs `records:read-personal`."
        },
    )
    include_events = fields.Boolean(
        load_default=False, metadata={"description": "Each record's status events too."}
    )
    include_secret = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Records marked secret are left out unless this is `true` and the "
            "token has `records:read-secret`."
        },
    )
    language = fields.String(
        load_default="sv",
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "Of the pages and the PDF."},
    )

    @validates_schema
    def _one_selection(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("record_ids") is None) == (data.get("query") is None):
            raise ValidationError("Give `record_ids` or `query` (one of them).", "record_ids")


class SipRequestSchema(Schema):
    """An e-archive transfer: one site's records of a period, as a SIP."""

    site = PlainString(required=True, validate=validate.Length(min=1, max=40))
    first_day = fields.Date(
        required=True,
        data_key="from",
        metadata={"description": "The period's first day (local), ISO 8601: `2026-01-01`."},
    )
    last_day = fields.Date(
        required=True,
        data_key="to",
        metadata={"description": "Its last day, included: `2026-06-30`."},
    )
    personal_data = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Commenters' e-mail, IP and user agent go along (each record's "
            "personal-data objects); needs `records:read-personal`, audited."
        },
    )
    submission_agreement = PlainString(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "The submission agreement (leveransöverenskommelse)."},
    )
    reference_code = PlainString(
        load_default=None,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Where in the archive the package belongs (referenskod)."},
    )


class ExportFileSchema(FileSchema):
    """The ZIP: its SHA-256 is also its download's ETag."""

    name = fields.String()


class ExportProgressSchema(Schema):
    done = fields.Integer(metadata={"description": "Versions written so far."})
    total = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class ExportSchema(Schema):
    id = fields.String(dump_only=True, metadata={"description": "Also its job's id."})
    kind = fields.String(dump_only=True)
    state = fields.String(
        dump_only=True, metadata={"description": "queued | running | finished | failed"}
    )
    requested_at = fields.String(dump_only=True)
    requested_by = fields.String(dump_only=True)
    request = fields.Dict(dump_only=True, metadata={"description": "What was asked for."})
    progress = fields.Nested(ExportProgressSchema, dump_only=True, allow_none=True)
    counts = fields.Dict(dump_only=True, allow_none=True)
    unavailable = fields.List(
        fields.String(),
        dump_only=True,
        allow_none=True,
        metadata={"description": "Named records no longer to be had when it was made."},
    )
    manifest_sha256 = fields.String(dump_only=True, allow_none=True)
    objid = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "A transfer's package id."}
    )
    mets_sha256 = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "A transfer's METS.xml, which names every file's SHA-256."},
    )
    file = fields.Nested(ExportFileSchema, dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    finished_at = fields.String(dump_only=True, allow_none=True)


class ExportPageSchema(Schema):
    items = fields.List(fields.Nested(ExportSchema))
    next_cursor = fields.String(allow_none=True)
