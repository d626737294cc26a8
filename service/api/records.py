"""`/v1/records`: search, one record, its versions, and the exact stored version JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import Row

from schemas.records import (
    RecordDetailSchema,
    RecordPageSchema,
    RecordSearchArgsSchema,
    VersionListSchema,
)
from schemas.retention import CullingLogEntrySchema
from service.api.auth import actor, check_site, principal, require, sees_secret, site_filter
from service.api.context import services
from service.auth.tokens import READ, READ_PERSONAL
from service.errors import Gone, IntegrityError, NotFound
from service.index.queries import RecordQuery
from service.index.text import summary
from service.records import keys
from service.records.canonical import sha256_hex, verify
from service.records.register_entry import register_entry
from service.search.snippets import snippet
from service.search.syntax import SearchQuery

blp = Blueprint(
    "records", __name__, url_prefix="/v1/records", description="Captured public records."
)

SHA256_HEADER = "X-Offentlig-SHA256"
# Version numbers are INTEGER in the index: a larger number names no version (404, not 500).
VERSION_NUMBER = "<int(min=1, max=2147483647):number>"


def as_record(columns: Mapping[Any, Any]) -> dict[str, Any]:
    """A `records` row as the API shows it."""
    record = dict(columns)
    record["register_entry"] = register_entry(record)
    record["summary"] = summary(record.pop("body"))
    return record


def as_hit(columns: Mapping[Any, Any], search: SearchQuery | None) -> dict[str, Any]:
    """A search hit: the record, and (when there were words) the snippet that says why."""
    found = (
        snippet(columns["title"], columns["body"], columns["author"], search) if search else None
    )
    record = as_record(columns)
    if search is not None:
        record["snippet"] = {"field": found.field, "html": found.html} if found else None
    return record


def visible_record(record_id: str, *, secret: bool | None = None) -> Row[Any]:
    """The record if the caller may see it, else 404 as if it did not exist: another site's
    (for a site-limited token) or, unless `secret` (default: the caller's scope), a record
    marked secret."""
    row = services().queries.record(record_id, secret=sees_secret() if secret is None else secret)
    if row is None:
        _culled(record_id)
        raise NotFound(f"No record {record_id!r}.")
    check_site(row.site_id)
    return row


def _culled(record_id: str) -> None:
    """A culled record answers 410 with its culling-log entry (within the token's sites)."""
    entry = services().retention.log.of_record(record_id)
    if entry is not None:
        check_site(entry["site_id"])
        raise Gone(
            f"Record {record_id!r} was culled under {entry['decision_reference']}.",
            errors={"culling_log": CullingLogEntrySchema().dump(entry)},
        )


@blp.route("")
class Records(MethodView):
    @require(READ)
    @blp.arguments(RecordSearchArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, RecordPageSchema)
    def get(
        self, site: str | None = None, facets: list[str] | None = None, **args: Any
    ) -> dict[str, Any]:
        """Search and filter records: best match first when `q` has words, else newest
        first; follow `next_cursor`; `facets` for counts over the whole result"""
        query = RecordQuery(site_ids=site_filter(site), secret=sees_secret(), **args)
        queries = services().queries
        page = queries.search(query)
        answer: dict[str, Any] = {
            "items": [as_hit(row._mapping, page.search) for row in page.items],
            "next_cursor": page.next_cursor,
        }
        if facets:
            counts, sampled = queries.facets(query, list(dict.fromkeys(facets)))
            answer["facets"], answer["facets_sampled"] = counts, sampled
        return answer


@blp.route("/<record_id>")
class RecordDetail(MethodView):
    @require(READ)
    @blp.response(200, RecordDetailSchema)
    @blp.alt_response(410, description="Culled: the culling-log entry is in `errors`.")
    def get(self, record_id: str) -> dict[str, Any]:
        """One record with its status events, secrecy review and registration; personal data
        only with `records:read-personal`"""
        svc = services()
        row = visible_record(record_id)
        record = as_record(row._mapping)
        record["events"] = [dict(e._mapping) for e in svc.queries.events(record_id)]
        record["review_entry"] = svc.reviews.entry(record_id)
        record["registration"] = svc.registrations.entry(record_id)
        record["holds"] = svc.retention.holds.covering(record_id)
        if READ_PERSONAL in principal().scopes and row.personal_sha256:
            record["personal_data"] = _personal_data(
                row.site_id, record_id, row.personal_sha256, row.latest_version
            )
        return record


@blp.route("/<record_id>/versions")
class Versions(MethodView):
    @require(READ)
    @blp.response(200, VersionListSchema)
    def get(self, record_id: str) -> dict[str, Any]:
        """Every version of a record, oldest first"""
        visible_record(record_id)
        return {"items": [dict(v._mapping) for v in services().queries.versions(record_id)]}


@blp.route(f"/<record_id>/versions/{VERSION_NUMBER}")
class VersionDocument(MethodView):
    @require(READ)
    @blp.response(
        200,
        description="The version exactly as stored (canonical JSON); its SHA-256 in "
        f"`{SHA256_HEADER}`.",
        content_type="application/json",
    )
    def get(self, record_id: str, number: int) -> Response:
        """One version, byte for byte as it is kept in storage"""
        visible_record(record_id)
        svc = services()
        row = svc.queries.version(record_id, number)
        if row is None:
            raise NotFound(f"No version {number} of {record_id!r}.")
        svc.audit.record("read-version", record_id, actor=actor(), details={"version": number})
        data = svc.storage.get(row.storage_key)
        document = verify(data)
        response = Response(data, mimetype="application/json")
        response.headers[SHA256_HEADER] = document["sha256"]
        return response


@blp.route(f"/<record_id>/versions/{VERSION_NUMBER}/personal-data")
class VersionPersonalData(MethodView):
    @require(READ_PERSONAL)
    @blp.response(200, description="The commenter's e-mail, IP and user agent of this version.")
    def get(self, record_id: str, number: int) -> dict[str, Any]:
        """Personal data referenced by one version (every read is audited)"""
        row = visible_record(record_id)
        version = services().queries.version(record_id, number)
        if version is None:
            raise NotFound(f"No version {number} of {record_id!r}.")
        document = verify(services().storage.get(version.storage_key))
        reference = (document.get("personal_data") or {}).get("sha256")
        if not reference:
            raise NotFound("This version has no personal data.")
        return _personal_data(row.site_id, record_id, reference, number)


def _personal_data(site_id: str, record_id: str, reference: str, version: int) -> dict[str, Any]:
    """Audited first: no entry in the audit trail (not even buffered), no personal data."""
    svc = services()
    svc.audit.record("read-personal-data", record_id, actor=actor(), details={"version": version})
    try:
        data = svc.storage.get(keys.personal_key(site_id, reference))
    except FileNotFoundError:
        raise NotFound("The personal data has been erased.") from None
    if sha256_hex(data) != reference:
        raise IntegrityError(f"personal data of {record_id} does not match its sha256")
    stored = json.loads(data)
    return {name: stored.get(name) for name in ("email", "ip", "user_agent")}
