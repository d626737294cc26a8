"""Telling the index about what storage now holds. Used by capture and by `reindex`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Table,
    bindparam,
    insert,
    literal,
    null,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from service.capture.ports import Head, Outcome
from service.index import tables as t
from service.index.db import reading, unavailable_on_db_error, writing
from service.index.text import plain_text
from service.records.model import DELETED_STATUS, EventType


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


# Built once per dialect; the values travel as execute() parameters, so SQLAlchemy neither
# coerces them into a new statement nor recomputes its cache key on every capture.
_PREBUILT: dict[tuple[str, str], Executable] = {}


def _prebuilt(conn: Connection, name: str, build: Callable[[Any], Executable]) -> Executable:
    """The statement `build(dialect module)` makes, built once per dialect."""
    key = (conn.dialect.name, name)
    statement = _PREBUILT.get(key)
    if statement is None:
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = _PREBUILT[key] = build(dialect)
    return statement


def insert_ignoring_duplicates(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    """Insert unless the primary key is taken; True if a row was added."""

    def build(dialect: Any) -> Executable:
        # RETURNING, not rowcount: with implicit RETURNING, psycopg reports rowcount -1.
        first_key = next(iter(table.primary_key.columns))
        return dialect.insert(table).on_conflict_do_nothing().returning(first_key)  # type: ignore[no-any-return]

    return conn.execute(_prebuilt(conn, f"insert {table.name}", build), values).first() is not None


# The columns of `records` a later version sets: all but its identity and first capture.
RECORD_COLUMNS = tuple(
    c.name for c in t.records.columns if c.name not in ("pk", "id", "first_captured_at")
)


def record_values(document: dict[str, Any]) -> dict[str, Any]:
    personal = document.get("personal_data") or {}
    return {
        "site_id": document["site"]["id"],
        "kind": document["kind"],
        "source_id": document["source_id"],
        "origin": document["origin"],
        "status": document["status"],
        "deleted": document["status"] == DELETED_STATUS,
        "title": document["title"],
        "body": plain_text(document["content"]),
        "author": document["author"]["name"],
        "parent_id": document["parent"],
        "permalink": document["permalink"],
        "published_at": parse_time(document["published_at"]),
        "occurred_at": parse_time(document["occurred_at"]),
        "last_captured_at": parse_time(document["captured_at"]),
        "latest_version": document["version"],
        "latest_sha256": document["sha256"],
        "content_sha256": document["content_sha256"],
        "personal_sha256": personal.get("sha256"),
    }


_INSERT_CHANGE = insert(t.changes)


def _upsert_record(dialect: Any) -> Executable:
    """Race-free without a table lock: the first version inserts the row, a later one
    updates it, and an older one arriving late (a concurrent capture, a repair) changes
    nothing. One statement either way."""
    statement = dialect.insert(t.records)
    later = {name: statement.excluded[name] for name in RECORD_COLUMNS}
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[t.records.c.id],
        set_=later,
        where=t.records.c.latest_version < statement.excluded.latest_version,
    )


def apply_version(
    conn: Connection,
    document: dict[str, Any],
    key: str,
    values: dict[str, Any] | None = None,
) -> bool:
    """Index one stored version; False if it was already there.

    `values` are the document's `record_values`, when the caller worked them out before
    taking the write lock."""
    added = insert_ignoring_duplicates(
        conn,
        t.record_versions,
        {
            "record_id": document["record_id"],
            "version": document["version"],
            "sha256": document["sha256"],
            "content_sha256": document["content_sha256"],
            "webhook_id": document["event"]["id"],
            "event_type": document["event"]["type"],
            "kind": document["kind"],
            "site_id": document["site"]["id"],
            "occurred_at": parse_time(document["occurred_at"]),
            "captured_at": parse_time(document["captured_at"]),
            "storage_key": key,
        },
    )
    if not added:
        return False
    values = values or record_values(document)
    first = {"id": document["record_id"], "first_captured_at": values["last_captured_at"]}
    conn.execute(_prebuilt(conn, "upsert records", _upsert_record), {**first, **values})
    return True


def apply_event(conn: Connection, document: dict[str, Any], key: str) -> bool:
    """Index one stored status event; False if it was already there."""
    captured_at = parse_time(document["captured_at"])
    added = insert_ignoring_duplicates(
        conn,
        t.record_events,
        {
            "id": document["id"],
            "record_id": document["record_id"],
            "webhook_id": document["event"]["id"],
            "type": document["event"]["type"],
            "status": document["status"],
            "previous_status": document["previous_status"],
            "version": document["version"],
            "occurred_at": parse_time(document["occurred_at"]),
            "captured_at": captured_at,
            "sha256": document["sha256"],
            "storage_key": key,
        },
    )
    if not added:
        return False
    conn.execute(
        update(t.records)
        .where(
            t.records.c.id == document["record_id"],
            t.records.c.last_captured_at <= captured_at,  # the latest capture decides the status
        )
        .values(
            status=document["status"],
            deleted=document["status"] == DELETED_STATUS,
            occurred_at=parse_time(document["occurred_at"]),
            last_captured_at=captured_at,
        )
    )
    return True


def _lock_feed(conn: Connection) -> None:
    """Feed positions are handed out in commit order, so a reader never skips a late commit.

    Taken just before the `changes` insert, the last statement of the transaction: the lock
    then covers only that insert and the commit, and concurrent captures do the rest of
    their index work in parallel. Still deadlock-free: a holder of this lock waits for no
    row lock, it only inserts a new `changes` row and commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE changes IN EXCLUSIVE MODE"))


# The one read of every capture, built once: the answer this delivery already had (from the
# version or event it made, or the `deliveries` row of one that made nothing) and the
# record's head, as a few rows. Versions and events are found through their record (a
# primary key or index prefix), so making them needs no second row to remember the answer.
_RECALL = union_all(
    select(
        literal("event").label("row"),
        t.record_events.c.record_id.label("record_id"),
        t.record_events.c.version.label("version"),
        t.record_events.c.id.label("a"),
        null().label("b"),
        null().label("c"),
    ).where(
        t.record_events.c.record_id == bindparam("record_id"),
        t.record_events.c.webhook_id == bindparam("webhook_id"),
    ),
    select(
        literal("version"),
        t.record_versions.c.record_id,
        t.record_versions.c.version,
        t.record_versions.c.event_type,
        null(),
        null(),
    ).where(
        t.record_versions.c.record_id == bindparam("record_id"),
        t.record_versions.c.webhook_id == bindparam("webhook_id"),
    ),
    select(
        literal("delivery"),
        t.deliveries.c.record_id,
        t.deliveries.c.version,
        t.deliveries.c.event_id,
        null(),
        null(),
    ).where(
        t.deliveries.c.site_id == bindparam("site_id"),
        t.deliveries.c.webhook_id == bindparam("webhook_id"),
    ),
    select(
        literal("head"),
        t.records.c.id,
        t.records.c.latest_version,
        t.records.c.latest_sha256,
        t.records.c.content_sha256,
        t.records.c.personal_sha256,
    ).where(t.records.c.id == bindparam("record_id")),
)


def _earlier_answer(rows: dict[str, Any]) -> Outcome | None:
    """A status delivery's answer names its event; a content delivery's, its version. (A
    status delivery about an unknown record also made version 1: that is not its answer.)"""
    if (row := rows.get("event")) is not None:
        return Outcome(row.record_id, row.version, row.a, created=False)
    row = rows.get("version")
    if row is not None and EventType.parse(row.a).action.changes_content:
        return Outcome(row.record_id, row.version, None, created=False)
    if (row := rows.get("delivery")) is not None:
        return Outcome(row.record_id, row.version, row.a, created=False)
    return None


class RecordIndex:
    """The capture side of the index (`service.capture.ports.CaptureIndex`)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @unavailable_on_db_error
    def recall(
        self, site_id: str, webhook_id: str, record_id: str
    ) -> tuple[Outcome | None, Head | None]:
        with reading(self.engine) as conn:
            rows = {
                row.row: row
                for row in conn.execute(
                    _RECALL, {"site_id": site_id, "webhook_id": webhook_id, "record_id": record_id}
                )
            }
        head = rows.get("head")
        return _earlier_answer(rows), (
            Head(head.version, head.a, head.b, head.c) if head is not None else None
        )

    @unavailable_on_db_error
    def add_version(self, document: dict[str, Any], key: str) -> None:
        values = record_values(document)  # plain text of the content: before the lock
        with writing(self.engine, durable=False) as conn:
            if apply_version(conn, document, key, values):
                _lock_feed(conn)
                self._append_change(conn, document, "version", None)

    @unavailable_on_db_error
    def add_event(self, document: dict[str, Any], key: str) -> None:
        with writing(self.engine, durable=False) as conn:
            if apply_event(conn, document, key):
                _lock_feed(conn)
                self._append_change(conn, document, "event", document["id"])

    @unavailable_on_db_error
    def add_delivery(self, site_id: str, webhook_id: str, outcome: Outcome) -> None:
        with writing(self.engine, durable=False) as conn:
            insert_ignoring_duplicates(
                conn,
                t.deliveries,
                {
                    "site_id": site_id,
                    "webhook_id": webhook_id,
                    "record_id": outcome.record_id,
                    "version": outcome.version,
                    "event_id": outcome.event_id,
                },
            )

    @staticmethod
    def _append_change(
        conn: Connection, document: dict[str, Any], change: str, event_id: str | None
    ) -> None:
        site_id = document["site"]["id"] if "site" in document else document["site_id"]
        conn.execute(
            _INSERT_CHANGE,
            {
                "site_id": site_id,
                "record_id": document["record_id"],
                "change": change,
                "version": document["version"],
                "event_id": event_id,
                "event_type": document["event"]["type"],
                "captured_at": parse_time(document["captured_at"]),
            },
        )
