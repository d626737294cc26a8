"""Reading the index: search with filters and keyset pages, versions, events, feed, stats,
the review queue.

Records marked secret are kept but hidden (DOMAIN rule 5): every read that can show a record
or count it takes `secret`, whether the caller may see them (`records:read-secret`), and
applies the one condition `not_secret` when not."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, Row, Select, and_, func, or_, select, true

from service.index import cursors, fulltext
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.records.model import KIND_NAMES

_PK_MAX = 2**63 - 1  # BIGINT

# The records marked secret, for `not_secret`: few, found through `ix_records_secret`.
_SECRET_RECORDS = select(t.records.c.id).where(t.records.c.secret)


def not_secret(record_id: ColumnElement[Any], secret: bool) -> ColumnElement[bool]:
    """Rows about records not marked secret (or about no record), unless `secret`: the
    caller may see secret records."""
    if secret:
        return true()
    return or_(record_id.is_(None), record_id.not_in(_SECRET_RECORDS))


SORTS = {
    "published_at": t.records.c.published_at,
    "captured_at": t.records.c.first_captured_at,
}


@dataclass
class RecordQuery:
    q: str | None = None
    site_ids: list[str] | None = None  # None: every site; the token's limit narrows it
    kind: str | None = None
    origin: str | None = None
    status: str | None = None
    author: str | None = None
    parent: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    captured_after: datetime | None = None
    captured_before: datetime | None = None
    registered: bool | None = None  # has a case number, or has none
    case_number: str | None = None
    secret: bool = False  # include records marked secret (`records:read-secret`)
    sort: str = "-published_at"
    limit: int = 50
    cursor: str | None = None


@dataclass
class Page:
    items: list[Row[Any]]
    next_cursor: str | None


def _records_cursor(values: list[Any]) -> tuple[datetime, int]:
    """The (sort value, pk) a cursor carries; only what `cursors.encode` can have written."""
    moment, pk = values
    if type(pk) is not int or not 0 < pk <= _PK_MAX:
        raise ValueError("bad cursor")
    return cursors.moment(moment), pk


class RecordQueries:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.fulltext = fulltext.for_dialect(engine.dialect.name)

    def _conditions(self, query: RecordQuery) -> list[ColumnElement[bool]]:
        r = t.records.c
        conditions: list[ColumnElement[bool]] = [not_secret(r.id, query.secret)]
        if query.site_ids is not None:
            conditions.append(r.site_id.in_(query.site_ids))
        for column, value in (
            (r.kind, query.kind),
            (r.origin, query.origin),
            (r.status, query.status),
            (r.author, query.author),
            (r.parent_id, query.parent),
            (r.case_number, query.case_number),
        ):
            if value is not None:
                conditions.append(column == value)
        for column, after, before in (
            (r.published_at, query.published_after, query.published_before),
            (r.first_captured_at, query.captured_after, query.captured_before),
        ):
            if after is not None:
                conditions.append(column >= after)
            if before is not None:
                conditions.append(column < before)
        if query.registered is not None:
            conditions.append(
                r.case_number.isnot(None) if query.registered else r.case_number.is_(None)
            )
        if query.q:
            match = self.fulltext.condition(query.q)
            if match is not None:
                conditions.append(match)
        return conditions

    @unavailable_on_db_error
    def search(self, query: RecordQuery) -> Page:
        descending = query.sort.startswith("-")
        sort_column = SORTS[query.sort.lstrip("-")]
        statement = select(t.records).where(*self._conditions(query))
        return self._page(
            statement, sort_column, sort_column.name, descending, query.limit, query.cursor
        )

    @unavailable_on_db_error
    def review_queue(
        self,
        state: str,
        site_ids: list[str] | None,
        limit: int,
        cursor: str | None,
        *,
        secret: bool = False,
    ) -> Page:
        """Records whose review is in `state`, longest waiting first: each row has the
        record's columns and the review's as `review_{column}`."""
        rv = t.reviews.c
        statement = (
            select(t.records, *[column.label(f"review_{column.name}") for column in rv])
            .join(t.reviews, rv.id == t.records.c.id)
            .where(rv.state == state, not_secret(t.records.c.id, secret))
        )
        if site_ids is not None:
            statement = statement.where(rv.site_id.in_(site_ids))
        return self._page(statement, rv.recorded_at, "review_recorded_at", False, limit, cursor)

    def _page(
        self,
        statement: Select[Any],
        sort_column: ColumnElement[datetime],
        sort_key: str,
        descending: bool,
        limit: int,
        cursor: str | None,
    ) -> Page:
        """One keyset page of `statement` (over `records`) by `sort_column` (in each row as
        `sort_key`), ties broken by the record's pk; `next_cursor` carries the last row's
        (sort value, pk)."""
        pk = t.records.c.pk
        if cursor:
            boundary, last_pk = cursors.decode(cursor, _records_cursor)
            if descending:
                after = or_(sort_column < boundary, and_(sort_column == boundary, pk < last_pk))
            else:
                after = or_(sort_column > boundary, and_(sort_column == boundary, pk > last_pk))
            statement = statement.where(after)
        order = [sort_column.desc(), pk.desc()] if descending else [sort_column.asc(), pk.asc()]
        with self.engine.connect() as conn:
            rows = list(conn.execute(statement.order_by(*order).limit(limit + 1)))
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            sort_value = last._mapping[sort_key]
            next_cursor = cursors.encode([sort_value.isoformat(), last.pk])
        return Page(rows, next_cursor)

    @unavailable_on_db_error
    def record(self, record_id: str, *, secret: bool = False) -> Row[Any] | None:
        r = t.records.c
        statement = select(t.records).where(r.id == record_id, not_secret(r.id, secret))
        with self.engine.connect() as conn:
            return conn.execute(statement).first()

    @unavailable_on_db_error
    def versions(self, record_id: str) -> list[Row[Any]]:
        v = t.record_versions
        with self.engine.connect() as conn:
            return list(
                conn.execute(select(v).where(v.c.record_id == record_id).order_by(v.c.version))
            )

    @unavailable_on_db_error
    def version(self, record_id: str, number: int) -> Row[Any] | None:
        v = t.record_versions
        with self.engine.connect() as conn:
            return conn.execute(
                select(v).where(v.c.record_id == record_id, v.c.version == number)
            ).first()

    @unavailable_on_db_error
    def events(self, record_id: str) -> list[Row[Any]]:
        e = t.record_events
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(e).where(e.c.record_id == record_id).order_by(e.c.captured_at, e.c.id)
                )
            )

    @unavailable_on_db_error
    def changes(
        self, after: int, limit: int, site_ids: list[str] | None, *, secret: bool = False
    ) -> list[Row[Any]]:
        c = t.changes
        statement = (
            select(c)
            .where(c.c.seq > after, not_secret(c.c.record_id, secret))
            .order_by(c.c.seq)
            .limit(limit)
        )
        if site_ids is not None:
            statement = statement.where(c.c.site_id.in_(site_ids))
        with self.engine.connect() as conn:
            return list(conn.execute(statement))

    @unavailable_on_db_error
    def review_pending(self, site_ids: list[str] | None) -> int:
        """Records awaiting secrecy review (they are never secret yet)."""
        r = t.records.c
        statement = select(func.count()).where(r.review == "pending")
        if site_ids is not None:
            statement = statement.where(r.site_id.in_(site_ids))
        with self.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())

    @unavailable_on_db_error
    def stats(
        self,
        site_ids: list[str] | None,
        days: int,
        zone: ZoneInfo,
        now: datetime,
        *,
        secret: bool = False,
    ) -> dict[str, Any]:
        """Captured versions per local day and kind, for the last `days` days."""
        today = now.astimezone(zone).date()
        first_day = today - timedelta(days=days - 1)
        month_start = today.replace(day=1)
        since = datetime.combine(min(first_day, month_start), time(), zone)
        v = t.record_versions
        shown = not_secret(v.c.record_id, secret)
        recent = select(v.c.captured_at, v.c.kind).where(v.c.captured_at >= since, shown)
        total = select(func.count()).select_from(v).where(shown)
        if site_ids is not None:
            recent = recent.where(v.c.site_id.in_(site_ids))
            total = total.where(v.c.site_id.in_(site_ids))
        per_day: Counter[tuple[date, str]] = Counter()
        with self.engine.connect() as conn:
            for captured_at, kind in conn.execute(recent):
                per_day[(captured_at.astimezone(zone).date(), kind)] += 1
            count = conn.execute(total).scalar_one()
        kinds = KIND_NAMES
        series = []
        for offset in range(days):
            day = first_day + timedelta(days=offset)
            counts = {kind: per_day[(day, kind)] for kind in kinds}
            series.append({"date": day.isoformat(), **counts, "total": sum(counts.values())})
        return {
            "today": sum(per_day[(today, kind)] for kind in kinds),
            "this_month": sum(n for (day, _), n in per_day.items() if day >= month_start),
            "total": count,
            "days": series,
        }
