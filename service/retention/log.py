"""The culling log: one permanent entry per culled record — what, when, under which decision,
by whom. It lives in storage like every register (`authority/culling-log/{run}.{record}/`),
is never culled and survives `reindex`; each entry is also a "cull" in the change feed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, select, update

from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.registers.family import Family
from service.registers.projection import latest_row

COLUMNS = (
    "record_id",
    "kind",
    "origin",
    "published_at",
    "last_changed_at",
    "subject",
    "site_id",
    "rule_id",
    "decision_reference",
    "run_id",
    "culled_by",
    "culled_at",
    "versions_erased",
    "objects_erased",
)
MOMENTS = ("published_at", "last_changed_at", "culled_at")
CSV_BATCH = 1000


def entry_id(run_id: str, record_id: str) -> str:
    """Deterministic, so that a run carried on after an interruption finds its own entries."""
    return f"{run_id}.{record_id}"


def _row(document: dict[str, Any]) -> dict[str, Any]:
    row = {name: document[name] for name in COLUMNS}
    for name in MOMENTS:
        row[name] = datetime.fromisoformat(row[name])
    return row


_show_entry = latest_row(t.culling_log, _row)


def _project(conn: Connection, document: dict[str, Any]) -> None:
    """Show the entry; the rule it names has now been used (and is never edited again)."""
    _show_entry(conn, document)
    rules = t.retention_rules
    conn.execute(update(rules).where(rules.c.id == document["rule_id"]).values(used=True))


def _feed(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "site_id": document["site_id"],
        "record_id": document["record_id"],
        "change": "cull",
        "version": document["latest_version"],
        "event_id": None,
        "event_type": "record.culled",
        "captured_at": datetime.fromisoformat(document["culled_at"]),
    }


CULLING_LOG = Family(
    "culling-log", "offentlig.culling-log-entry/1", _project, tables=(t.culling_log,), feed=_feed
)


@dataclass
class LogFilter:
    site_ids: list[str] | None = None  # None: every site (a token's limit narrows it)
    rule: str | None = None
    run: str | None = None
    since: datetime | None = None


def _public(row: Any) -> dict[str, Any]:
    return {"id": row.id, **{name: row._mapping[name] for name in COLUMNS}}


class CullingLog:
    def __init__(self, engine: Engine):
        self.engine = engine

    def _select(self, where: LogFilter) -> Select[Any]:
        log = t.culling_log.c
        statement = select(t.culling_log).order_by(log.id)
        if where.site_ids is not None:
            statement = statement.where(log.site_id.in_(where.site_ids))
        for column, value in ((log.rule_id, where.rule), (log.run_id, where.run)):
            if value is not None:
                statement = statement.where(column == value)
        if where.since is not None:
            statement = statement.where(log.culled_at >= where.since)
        return statement

    @unavailable_on_db_error
    def page(self, where: LogFilter, after: str | None, limit: int) -> dict[str, Any]:
        """Entries in id order (run, then record); `next_cursor` is the last id shown."""
        statement = self._select(where).limit(limit + 1)
        if after:
            statement = statement.where(t.culling_log.c.id > after)
        with self.engine.connect() as conn:
            rows = list(conn.execute(statement))
        items = [_public(row) for row in rows[:limit]]
        more = len(rows) > limit
        return {"items": items, "next_cursor": items[-1]["id"] if more else None}

    def csv(self, where: LogFilter) -> Iterator[str]:
        """The entries as CSV with a header row, read and sent a batch at a time."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", *COLUMNS])
        after: str | None = None
        while True:
            page = self.page(where, after, CSV_BATCH)
            for item in page["items"]:
                writer.writerow([_csv_value(item[name]) for name in ("id", *COLUMNS)])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            after = page["next_cursor"]
            if after is None:
                return

    @unavailable_on_db_error
    def of_record(self, record_id: str) -> dict[str, Any] | None:
        """The entry that tells why a record is gone, if it was culled."""
        log = t.culling_log.c
        statement = (
            select(t.culling_log)
            .where(log.record_id == record_id)
            .order_by(log.culled_at.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(statement).first()
        return None if row is None else _public(row)

    @unavailable_on_db_error
    def logged(self, run_id: str, record_ids: list[str]) -> set[str]:
        """Of `record_ids`, those the run has logged already (culled, or culling them was
        interrupted)."""
        log = t.culling_log.c
        wanted = [entry_id(run_id, record_id) for record_id in record_ids]
        with self.engine.connect() as conn:
            found = conn.execute(select(log.record_id).where(log.id.in_(wanted)))
            return {row.record_id for row in found}


def _csv_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value
