"""Facets: how many of a search's records fall under each kind, origin, site, status, year
and author — counted over the whole result, not the page, with the same filters and words.

Counted exactly: over the matching rows, one GROUP BY per facet, each the most frequent
`TOP` values. A year is the local calendar year of publication (`OFFENTLIG_TIMEZONE`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, Integer, Select, cast, desc, func, literal

from service.index import tables as t

NAMES = ("kind", "origin", "site", "status", "year", "author")
TOP = 20  # values per facet, the most frequent first

_COLUMNS = {
    "kind": t.records.c.kind,
    "origin": t.records.c.origin,
    "site": t.records.c.site_id,
    "status": t.records.c.status,
    "author": t.records.c.author,
}


def _year(dialect: str, zone: ZoneInfo) -> ColumnElement[Any]:
    published = t.records.c.published_at
    if dialect == "postgresql":
        local = func.timezone(literal(zone.key), published)
        return cast(func.extract("year", local), Integer)
    # SQLite keeps naive UTC text: shift by the zone's offset at the turn of the year
    # (Europe/Stockholm: +1 h, every year), then take the year.
    offset = zone.utcoffset(datetime(datetime.now(UTC).year, 1, 1))
    seconds = int(offset.total_seconds()) if offset is not None else 0
    return cast(func.strftime("%Y", published, f"{seconds:+d} seconds"), Integer)


def facet_column(name: str, dialect: str, zone: ZoneInfo) -> ColumnElement[Any]:
    return _year(dialect, zone) if name == "year" else _COLUMNS[name]


def count(
    conn: Connection, matching: Select[Any], names: list[str], zone: ZoneInfo
) -> dict[str, list[dict[str, Any]]]:
    """Per facet in `names`, its values among the rows of `matching` (a select over
    `records`) and how many rows have each, the most frequent first (ties by value)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        value = facet_column(name, conn.dialect.name, zone).label("value")
        rows = matching.with_only_columns(value, func.count().label("count")).group_by(value)
        rows = rows.order_by(desc("count"), value).limit(TOP)
        found[name] = [{"value": r.value, "count": r.count} for r in conn.execute(rows)]
    return found
