"""Records, versions and events as the API shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from webargs.fields import DelimitedList

from schemas.common import PageArgsSchema, PlainString, UTCDateTime
from service.index.facets import NAMES as FACETS
from service.records.model import KIND_NAMES
from service.search import syntax

KINDS = KIND_NAMES
ORIGINS = ["drawn_up", "received"]


def readable_query(q: str) -> None:
    """A 422 naming `q` (and what is wrong) for what the query language cannot read."""
    try:
        syntax.parse(q)
    except syntax.QuerySyntaxError as exc:
        raise ValidationError(str(exc)) from None


class RecordFilterArgsSchema(Schema):
    """What finds records, and their order: for a page (`/v1/records`) or everything
    (`/v1/records.csv`, `.jsonl`)."""

    q = PlainString(
        load_default=None,
        validate=[validate.Length(max=500), readable_query],
        metadata={
            "description": "Free text in title, text or author, matched by Swedish stems "
            '("beslutet" finds "beslut"): `word` (every word must occur), `"exact phrase"`, '
            "`prefix*`, `-excluded`, `this OR that`. Invalid syntax: 422 naming `q`."
        },
    )
    site = PlainString(load_default=None, validate=validate.Length(max=40))
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    origin = fields.String(load_default=None, validate=validate.OneOf(ORIGINS))
    status = PlainString(load_default=None, validate=validate.Length(max=20))
    author = PlainString(load_default=None, validate=validate.Length(max=1000))
    parent = PlainString(load_default=None, validate=validate.Length(max=200))
    published_after = UTCDateTime(load_default=None)
    published_before = UTCDateTime(load_default=None)
    captured_after = UTCDateTime(load_default=None)
    captured_before = UTCDateTime(load_default=None)
    registered = fields.Boolean(
        load_default=None,
        metadata={"description": "`true`: only records with a case number; `false`: without."},
    )
    case_number = PlainString(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "The registry system's case number (diarienummer), exactly."},
    )
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(
            ["relevance", "published_at", "-published_at", "captured_at", "-captured_at"]
        ),
        metadata={
            "description": "`relevance` (the default when `q` has words: best match first), "
            "else newest published first (`-published_at`). `-` sorts descending."
        },
    )

    @validates_schema
    def _ranges(self, args: dict[str, Any], **kwargs: Any) -> None:
        for name in ("published", "captured"):
            after, before = args.get(f"{name}_after"), args.get(f"{name}_before")
            if after and before and after >= before:
                raise ValidationError("Must be later than the _after bound.", f"{name}_before")


class RecordSearchArgsSchema(RecordFilterArgsSchema, PageArgsSchema):
    facets = DelimitedList(
        fields.String(validate=validate.OneOf(FACETS)),
        validate=validate.Length(min=1, max=len(FACETS)),
        metadata={
            "description": "Counts over the whole result for these, comma-separated: "
            f"{', '.join(FACETS)} (`year`: the local year of publication)."
        },
    )


class RecordEventSchema(Schema):
    id = fields.String()
    type = fields.String()
    status = fields.String()
    previous_status = fields.String(allow_none=True)
    version = fields.Integer()
    occurred_at = fields.AwareDateTime()
    captured_at = fields.AwareDateTime()
    sha256 = fields.String()


class RegisterEntrySchema(Schema):
    """What a register entry shows (OSL 5:2), for every record, registered or not."""

    date = fields.AwareDateTime(
        metadata={
            "description": "When it was drawn up (published) or received (the comment arrived)."
        }
    )
    date_kind = fields.String(metadata={"description": "`drawn_up` or `received`."})
    identifier = fields.String(
        metadata={"description": "The case number (diarienummer) if registered, else the id."}
    )
    sender = fields.String(
        allow_none=True,
        metadata={"description": "The sender of a received document; null if drawn up."},
    )
    subject = fields.String(
        metadata={"description": "Briefly what it concerns: the title, or the text's start."}
    )


class FindingSchema(Schema):
    reason = fields.String(metadata={"description": "`personnummer`, `samordningsnummer`, `term`."})
    field = fields.String(metadata={"description": "`title` or `text`."})
    match = fields.String(
        metadata={"description": "What was found; identity numbers masked (XXXXXX-XXXX)."}
    )
    term = fields.String(allow_none=True, metadata={"description": "The configured term."})


class ReviewSchema(Schema):
    """A record's secrecy review at its latest revision."""

    record_id = fields.String(attribute="id")
    revision = fields.Integer()
    state = fields.String(metadata={"description": "`pending`, `cleared`, `register`, `secret`."})
    version = fields.Integer(metadata={"description": "The record's version it is about."})
    findings = fields.List(fields.Nested(FindingSchema))
    flagged_at = fields.AwareDateTime(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_at = fields.AwareDateTime()
    recorded_by = fields.String()


class RegistrationSchema(Schema):
    """The record's entry in the registry system (diarium), as it wrote it back."""

    record_id = fields.String(attribute="id")
    revision = fields.Integer()
    case_number = fields.String()
    case_title = fields.String(allow_none=True)
    registered_at = fields.AwareDateTime()
    registered_by = fields.String(allow_none=True)
    version = fields.Integer(metadata={"description": "The record's latest version then."})
    recorded_at = fields.AwareDateTime()


class RecordSchema(Schema):
    """A captured record with its register entry (OSL 5:2)."""

    id = fields.String()
    site_id = fields.String()
    kind = fields.String()
    source_id = fields.Integer()
    origin = fields.String(
        metadata={"description": "`drawn_up` (upprättad) or `received` (inkommen)."}
    )
    status = fields.String()
    deleted = fields.Boolean(metadata={"description": "Deleted on the site; the record is kept."})
    title = fields.String()
    summary = fields.String()
    author = fields.String()
    parent = fields.String(attribute="parent_id", allow_none=True)
    permalink = fields.String(allow_none=True)
    published_at = fields.AwareDateTime()
    occurred_at = fields.AwareDateTime()
    first_captured_at = fields.AwareDateTime()
    last_captured_at = fields.AwareDateTime()
    latest_version = fields.Integer()
    latest_sha256 = fields.String()
    register_entry = fields.Nested(RegisterEntrySchema)
    review = fields.String(
        allow_none=True,
        metadata={
            "description": "Secrecy review: null, `pending`, `cleared`, `register`, `secret`."
        },
    )
    secret = fields.Boolean(
        metadata={"description": "Marked secret: shown only with `records:read-secret`."}
    )
    case_number = fields.String(allow_none=True)
    registered_at = fields.AwareDateTime(allow_none=True)


class SnippetSchema(Schema):
    """Why a search hit matched."""

    field = fields.String(metadata={"description": "Where it is from: `text`, `title`, `author`."})
    html = fields.String(
        metadata={
            "description": "A short passage, HTML-escaped, the words that matched in `<mark>`."
        }
    )


class RecordHitSchema(RecordSchema):
    """A record as search finds it."""

    snippet = fields.Nested(
        SnippetSchema,
        allow_none=True,
        metadata={"description": "Only when `q` has words: where the words matched."},
    )


class RecordDetailSchema(RecordSchema):
    events = fields.List(fields.Nested(RecordEventSchema))
    personal_data = fields.Dict(
        metadata={
            "description": "Commenter's e-mail, IP, user agent: `records:read-personal` only."
        }
    )
    review_entry = fields.Nested(ReviewSchema, allow_none=True)
    registration = fields.Nested(RegistrationSchema, allow_none=True)
    holds = fields.List(
        fields.String(), metadata={"description": "The legal holds that stop its culling."}
    )


class FacetValueSchema(Schema):
    value = fields.Raw(metadata={"description": "A kind, origin, site id, status, year, author."})
    count = fields.Integer()


class RecordPageSchema(Schema):
    items = fields.List(fields.Nested(RecordHitSchema))
    facets = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(FacetValueSchema)),
        metadata={
            "description": "Only when `facets` asks: per facet, its most frequent values "
            "(at most 20) among every record found, with their counts."
        },
    )
    facets_sampled = fields.Boolean(
        metadata={
            "description": "With `facets`: true when the result was too large to count in "
            "time and the counts are estimated from an even sample of the index (5,000 "
            "records in 20 runs over the whole capture history), scaled up; false: exact."
        }
    )
    next_cursor = fields.String(allow_none=True)


class VersionSchema(Schema):
    version = fields.Integer()
    sha256 = fields.String()
    content_sha256 = fields.String()
    event_type = fields.String()
    occurred_at = fields.AwareDateTime()
    captured_at = fields.AwareDateTime()


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema))
