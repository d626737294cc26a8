"""Reading the audit trail: filters and keyset pages, newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, or_, select

from service.audit.projection import entry
from service.index import cursors
from service.index import tables as t
from service.index.db import unavailable_on_db_error

_ULID = re.compile(r"^[0-9a-hjkmnp-tv-z]{26}$")


@dataclass
class AuditQuery:
    action: str | None = None
    actor: str | None = None  # the actor's name: a token's, an operator's, a site's
    token_id: str | None = None
    subject: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    limit: int = 50
    cursor: str | None = None


@dataclass
class AuditPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _audit_cursor(values: list[Any]) -> tuple[datetime, str]:
    """The (time, id) of the last entry of the page before."""
    moment, entry_id = values
    if not _ULID.match(entry_id):
        raise ValueError("bad cursor")
    return cursors.moment(moment), entry_id


class AuditEntries:
    def __init__(self, engine: Engine):
        self.engine = engine

    @unavailable_on_db_error
    def page(self, query: AuditQuery) -> AuditPage:
        a = t.audit_log.c
        conditions: list[ColumnElement[bool]] = []
        for column, value in (
            (a.action, query.action),
            (a.actor_name, query.actor),
            (a.actor_id, query.token_id),
            (a.subject, query.subject),
        ):
            if value is not None:
                conditions.append(column == value)
        if query.since is not None:
            conditions.append(a.at >= query.since)
        if query.until is not None:
            conditions.append(a.at < query.until)
        if query.cursor:
            at, entry_id = cursors.decode(query.cursor, _audit_cursor)
            conditions.append(or_(a.at < at, and_(a.at == at, a.id < entry_id)))
        statement = (
            select(t.audit_log)
            .where(*conditions)
            .order_by(a.at.desc(), a.id.desc())
            .limit(query.limit + 1)
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(statement))
        next_cursor = None
        if len(rows) > query.limit:
            rows = rows[: query.limit]
            next_cursor = cursors.encode([rows[-1].at.isoformat(), rows[-1].id])
        return AuditPage([entry(row) for row in rows], next_cursor)
