"""What a transfer holds: a site's records drawn up or received in a period — secret ones
included — and the site's snapshots taken in it.

The period is whole local days (OFFENTLIG_TIMEZONE), first and last included. A record
belongs to it by its register date (`published_at`: when a post or page was published, when
a comment arrived). Rows are read a page at a time, by primary key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Row, and_, func, select

from service.exports.sip.context import Secret
from service.exports.sip.xml import timestamp
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.records.model import Kind

PAGE = 500


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[first day 00:00, the day after the last 00:00) in `zone`."""
        start = datetime.combine(self.first_day, time(), zone)
        end = datetime.combine(self.last_day + timedelta(days=1), time(), zone)
        return start, end


class Selection:
    """The records and snapshots of one site in one period, read from the index."""

    def __init__(self, engine: Engine, site_id: str, period: Period, zone: ZoneInfo):
        self.engine = engine
        self.site_id = site_id
        self.period = period
        self.zone = zone
        self.start, self.end = period.bounds(zone)

    def _in_period(self) -> Any:
        r = t.records.c
        return and_(
            r.site_id == self.site_id, r.published_at >= self.start, r.published_at < self.end
        )

    @unavailable_on_db_error
    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(self._in_period())).scalar_one())

    @unavailable_on_db_error
    def _page(self, after: int) -> list[Row[Any]]:
        r = t.records
        statement = select(r).where(self._in_period(), r.c.pk > after).order_by(r.c.pk).limit(PAGE)
        with self.engine.connect() as conn:
            return list(conn.execute(statement))

    def records(self) -> Iterator[Row[Any]]:
        """Every record of the period (secret ones too), oldest row first."""
        after = 0
        while True:
            rows = self._page(after)
            yield from rows
            if len(rows) < PAGE:
                return
            after = rows[-1].pk

    @unavailable_on_db_error
    def secret(self) -> dict[str, Secret]:
        """The records of the period decided secret, with the decision."""
        v = t.reviews.c
        statement = (
            select(v.id, v.recorded_at, v.recorded_by, v.note)
            .join(t.records, t.records.c.id == v.id)
            .where(self._in_period(), t.records.c.secret)
        )
        with self.engine.connect() as conn:
            rows = list(conn.execute(statement))
        return {
            row.id: Secret(row.id, timestamp(row.recorded_at), row.recorded_by, row.note)
            for row in rows
        }

    @unavailable_on_db_error
    def snapshots(self) -> list[Row[Any]]:
        """The site's finished snapshots that started in the period, oldest first."""
        s = t.snapshots.c
        statement = (
            select(t.snapshots)
            .where(s.site_id == self.site_id, s.started_at >= self.start, s.started_at < self.end)
            .order_by(s.started_at, s.id)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(statement))

    def local_day(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).date().isoformat()


def record_folder(row: Any) -> str:
    """Where a record's objects are under `sites/{site}/`: e.g. "posts/12"."""
    return f"{Kind(row.kind).folder}/{row.source_id}"
