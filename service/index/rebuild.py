"""`offentlig reindex`: throw the cached tables away and rebuild them from storage alone."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    Table,
    delete,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)

from service.index import fulltext
from service.index import tables as t
from service.index.db import analyze, writing
from service.index.rules import lock_feed
from service.index.writer import apply_event, apply_version
from service.records.canonical import verify
from service.storage.port import ObjectStore

BATCH = 500


@dataclass
class RebuildReport:
    records: int = 0
    versions: int = 0
    events: int = 0
    corrupt: list[str] | None = None


def _record_prefix(key: str) -> str:
    """`sites/S/posts/1/versions/…` → `sites/S/posts/1/`; other keys map to themselves."""
    parts = key.split("/")
    return (
        "/".join(parts[:4]) + "/" if len(parts) == 6 and parts[4] in ("versions", "events") else key
    )


def record_keys(keys: Iterable[str]) -> list[str]:
    """Every version and event key among `keys` (a listing of the bucket), grouped by
    record (keys sort that way)."""
    return [k for k in keys if k.startswith("sites/") and _record_prefix(k) != k]


def clear(engine: Engine) -> None:
    with writing(engine, durable=False) as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(table.name for table in t.CACHE_TABLES)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
        else:
            search = fulltext.SQLiteFullText()
            search.empty(conn)  # not row by row through the triggers
            for table in t.CACHE_TABLES:
                conn.execute(delete(table))
            for statement in search.trigger_statements():
                conn.exec_driver_sql(statement)


def rebuild(
    engine: Engine,
    storage: ObjectStore,
    keys: Iterable[str],
    advance: Callable[[int], None] = lambda n: None,
) -> RebuildReport:
    """Index every object under `keys` (from `record_keys`), then rebuild the change feed."""
    clear(engine)
    report = RebuildReport(corrupt=[])
    batch: list[tuple[str, dict[str, Any]]] = []
    for _, group in groupby(keys, key=_record_prefix):
        documents = list(_load(storage, group, report))
        # One record's versions and events replayed in capture order, as they happened.
        documents.sort(key=lambda item: (item[1]["captured_at"], item[1]["schema"]))
        batch.extend(documents)
        report.records += 1
        if len(batch) >= BATCH:
            _apply(engine, batch, report)
            advance(len(batch))
            batch = []
    _apply(engine, batch, report)
    advance(len(batch))
    _renumber_records(engine)
    analyze(engine)
    return report


def _load(
    storage: ObjectStore, keys: Iterable[str], report: RebuildReport
) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in keys:
        try:
            yield key, verify(storage.get(key))
        except (ValueError, json.JSONDecodeError):
            assert report.corrupt is not None
            report.corrupt.append(key)


def _apply(engine: Engine, batch: list[tuple[str, dict[str, Any]]], report: RebuildReport) -> None:
    with writing(engine, durable=False) as conn:
        for key, document in batch:
            if "/versions/" in key:
                report.versions += apply_version(conn, document, key)
            else:
                report.events += apply_event(conn, document, key)


def _renumber_records(engine: Engine) -> None:
    """Records get their pks in first-capture order, the order capture inserted them in.

    Search breaks ties (records published the same second) on the pk, and cursors carry it:
    storage order (by key) would give other answers after a reindex. The search structures
    are made again once, at the end (SQLite's FTS5 table is keyed by the pk).
    """
    r = t.records
    names = [c.name for c in r.columns if c.name != "pk"]
    kept = Table(
        "records_in_capture_order",
        MetaData(),
        *[Column(name, r.c[name].type) for name in names],
        prefixes=["TEMPORARY"],
    )
    rank = func.row_number().over(order_by=(kept.c.first_captured_at, kept.c.id))
    with writing(engine, durable=False) as conn:
        search = fulltext.for_dialect(conn.dialect.name)
        if isinstance(search, fulltext.SQLiteFullText):
            search.empty(conn)
        kept.create(conn)
        conn.execute(insert(kept).from_select(names, select(*[r.c[name] for name in names])))
        conn.execute(delete(r))
        conn.execute(
            insert(r).from_select(["pk", *names], select(rank, *[kept.c[n] for n in names]))
        )
        kept.drop(conn)
        if isinstance(search, fulltext.SQLiteFullText):
            search.refill(conn)
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('records', 'pk'), "
                    "coalesce(max(pk), 1), max(pk) IS NOT NULL) FROM records"
                )
            )


def rebuild_feed(engine: Engine, register_rows: Sequence[dict[str, Any]] = ()) -> None:
    """The change feed in capture order, as capture would have appended it: versions and
    events from their tables, and `register_rows` (`change_row`-shaped entries of registers
    about records) as they were recorded."""
    v, e = t.record_versions, t.record_events
    columns = ["site_id", "record_id", "change", "version", "event_id", "event_type", "captured_at"]
    extra = Table(
        "feed_register_rows",
        MetaData(),
        *[Column(name, t.changes.c[name].type) for name in columns],
        prefixes=["TEMPORARY"],
    )
    versions = select(
        v.c.site_id,
        v.c.record_id,
        literal("version").label("change"),
        v.c.version,
        literal(None).label("event_id"),
        v.c.event_type,
        v.c.captured_at,
    )
    events = select(
        t.records.c.site_id,
        e.c.record_id,
        literal("event").label("change"),
        e.c.version,
        e.c.id,
        e.c.type,
        e.c.captured_at,
    ).join(t.records, t.records.c.id == e.c.record_id)
    combined = union_all(versions, events, select(*extra.c)).subquery()
    ordered = select(*combined.c).order_by(
        combined.c.captured_at, combined.c.record_id, combined.c.version, combined.c.change.desc()
    )
    with writing(engine, durable=False) as conn:
        extra.create(conn)
        if register_rows:
            conn.execute(insert(extra), list(register_rows))
        lock_feed(conn)
        conn.execute(delete(t.changes))
        conn.execute(insert(t.changes).from_select(columns, ordered))
        extra.drop(conn)
