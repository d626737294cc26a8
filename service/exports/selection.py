"""Which records an export holds: those its request names or its query finds, as the
archive had them when the request was made, never a record marked secret unless the request
asked for secret records explicitly (and its requester could see them).

Secrecy is judged when the export is made, not only when it was asked for: a record marked
secret in between is withheld all the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from schemas.exports import export_query_schema
from service.index.queries import RecordQueries, RecordQuery

PAGE = 500


@dataclass(frozen=True)
class Request:
    """What a stored request says, as the selection needs it."""

    record_ids: list[str] | None
    query: dict[str, Any] | None  # RecordQuery's filters, loaded
    site_ids: list[str] | None  # the requester's limit (None: every site)
    include_secret: bool  # asked for explicitly, by a requester who may see them
    sees_secret: bool  # the requester may see records marked secret
    as_of: datetime  # when it was asked for: later versions are not part of it
    max_records: int


@dataclass
class Selection:
    records: list[Row[Any]] = field(default_factory=list)
    # Named records no longer to be had (culled, or hidden from the requester since).
    unavailable: list[str] = field(default_factory=list)
    # Secret records left out; counted only for a requester who may see them.
    withheld_secret: int = 0


def stored_request(
    request: dict[str, Any], sees_secret: bool, as_of: datetime, limit: int
) -> Request:
    """The selection a stored request (an export document's `request`) asks for."""
    query = None
    if request["query"] is not None:
        query = export_query_schema().load(request["query"])
        query.pop("site", None)  # in `site_ids`
    return Request(
        record_ids=request["record_ids"],
        query=query,
        site_ids=request["site_ids"],
        include_secret=request["include_secret"],
        sees_secret=sees_secret,
        as_of=as_of,
        max_records=limit,
    )


def select(queries: RecordQueries, request: Request) -> Selection:
    chosen = Selection()
    rows = (
        _named(queries, request, chosen)
        if request.record_ids is not None
        else _found(queries, request)
    )
    for row in rows:
        if row.first_captured_at > request.as_of:
            continue
        if row.secret and not request.include_secret:
            chosen.withheld_secret += 1 if request.sees_secret else 0
            continue
        chosen.records.append(row)
        if len(chosen.records) >= request.max_records:
            break
    return chosen


def _named(queries: RecordQueries, request: Request, chosen: Selection) -> Iterator[Row[Any]]:
    for record_id in request.record_ids or ():
        row = queries.record(record_id, secret=request.sees_secret)
        if row is None or (request.site_ids is not None and row.site_id not in request.site_ids):
            chosen.unavailable.append(record_id)
            continue
        yield row


def _found(queries: RecordQueries, request: Request) -> Iterator[Row[Any]]:
    """Every record the query finds, newest first (`RecordQueries.every`)."""
    query = RecordQuery(
        **(request.query or {}), site_ids=request.site_ids, secret=request.sees_secret
    )
    for page in queries.every(query, PAGE):
        yield from page.items


def versions_as_of(queries: RecordQueries, record_id: str, as_of: datetime) -> list[Row[Any]]:
    return [v for v in queries.versions(record_id) if v.captured_at <= as_of]


def events_as_of(queries: RecordQueries, record_id: str, as_of: datetime) -> list[Row[Any]]:
    return [e for e in queries.events(record_id) if e.captured_at <= as_of]
