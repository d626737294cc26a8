"""Telling the index about what storage now holds. Used by capture and by `reindex`.

On SQLite a capture's index write is a few statements in one transaction; on PostgreSQL it
is one statement (`single_statement`): the same rows, the same rules (`rules`)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Select,
    Table,
    bindparam,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite

from service.capture.ports import Head, Outcome
from service.index import single_statement
from service.index import tables as t
from service.index.db import autocommit, unavailable_on_db_error, writing
from service.index.rows import (
    change_row,
    event_row,
    prefixed,
    record_row,
    record_values,
    status_values,
    version_row,
)
from service.index.rules import lock_feed, on_later_version, status_update
from service.index.search_vector import FIELDS
from service.records.model import EventType
from service.search import words

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


_INSERT_CHANGE = insert(t.changes)
_SET_STATUS = status_update("b_")


def apply_version(
    conn: Connection,
    document: dict[str, Any],
    key: str,
    values: dict[str, Any] | None = None,
) -> bool:
    """Index one stored version; False if it was already there.

    `values` are the document's `record_values`, when the caller worked them out before
    taking the write lock."""
    if not insert_ignoring_duplicates(conn, t.record_versions, version_row(document, key)):
        return False
    row = record_row(document, values or record_values(document))
    conn.execute(_prebuilt(conn, "upsert records", _upsert_record), row)
    return True


def _upsert_record(dialect: Any) -> Executable:
    return on_later_version(dialect.insert(t.records))  # type: ignore[no-any-return]


def apply_event(conn: Connection, document: dict[str, Any], key: str) -> bool:
    """Index one stored status event; False if it was already there."""
    if not insert_ignoring_duplicates(conn, t.record_events, event_row(document, key)):
        return False
    status = prefixed("b_", status_values(document))
    conn.execute(_SET_STATUS, {"b_record_id": document["record_id"], **status})
    return True


def append_change(conn: Connection, document: dict[str, Any], change: str) -> None:
    """The feed entry of a new "version" or "event", under the feed lock."""
    append_feed_row(conn, change_row(document, change))


def append_feed_row(conn: Connection, row: dict[str, Any]) -> None:
    """A feed entry (`rows.change_row`'s shape), under the feed lock: the transaction's last
    statement."""
    lock_feed(conn)
    conn.execute(_INSERT_CHANGE, row)


def _answer_row(label: str, table: Table, answer: Any, found_by: Any) -> Select[Any]:
    """`table`'s row made by this delivery (`found_by` = the record's id or the site's), if any."""
    return select(
        literal(label).label("row"),
        table.c.record_id.label("record_id"),
        table.c.version.label("version"),
        answer.label("a"),
        null().label("b"),
        null().label("c"),
        cast(null(), t.UTCDateTime()).label("d"),
    ).where(found_by, table.c.webhook_id == bindparam("webhook_id"))


# The one read of every capture, built once: the answer this delivery already had (from the
# version or event it made, or the `deliveries` row of one that made nothing) and the
# record's head, as a few rows. Versions and events are found through their record (a
# primary key or index prefix), so making them needs no second row to remember the answer.
_EVENTS, _VERSIONS, _DELIVERIES = t.record_events, t.record_versions, t.deliveries
_RECALL = union_all(
    _answer_row("event", _EVENTS, _EVENTS.c.id, _EVENTS.c.record_id == bindparam("record_id")),
    _answer_row(
        "version",
        _VERSIONS,
        _VERSIONS.c.event_type,
        _VERSIONS.c.record_id == bindparam("record_id"),
    ),
    _answer_row(
        "delivery",
        _DELIVERIES,
        _DELIVERIES.c.event_id,
        _DELIVERIES.c.site_id == bindparam("site_id"),
    ),
    select(
        literal("head"),
        t.records.c.id,
        t.records.c.latest_version,
        t.records.c.latest_sha256,
        t.records.c.content_sha256,
        t.records.c.personal_sha256,
        select(func.max(_VERSIONS.c.occurred_at))
        .where(_VERSIONS.c.record_id == bindparam("record_id"))
        .scalar_subquery(),
    ).where(t.records.c.id == bindparam("record_id")),
)


def _earlier_answer(rows: dict[str, Any]) -> Outcome | None:
    """A status delivery's answer names its event; a content delivery's, its version. (A
    status delivery about an unknown record also made version 1: that is not its answer.)"""
    if (row := rows.get("event")) is not None:
        return Outcome(row.record_id, row.version, row.a, created=False, made_earlier=True)
    row = rows.get("version")
    if row is not None and EventType.parse(row.a).action.changes_content:
        return Outcome(row.record_id, row.version, None, created=False, made_earlier=True)
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
        with autocommit(self.engine) as conn:
            rows = {
                row.row: row
                for row in conn.execute(
                    _RECALL, {"site_id": site_id, "webhook_id": webhook_id, "record_id": record_id}
                )
            }
        head = rows.get("head")
        return _earlier_answer(rows), (
            Head(head.version, head.a, head.b, head.c, head.d) if head is not None else None
        )

    def _capture_write(self) -> contextlib.AbstractContextManager[Connection]:
        """PostgreSQL: a connection whose one statement commits by itself (each capture write
        there is one statement). SQLite: a write transaction."""
        if self.engine.dialect.name == "postgresql":
            return autocommit(self.engine)
        return writing(self.engine, durable=False)

    @unavailable_on_db_error
    def add_version(self, document: dict[str, Any], key: str) -> None:
        values = record_values(document)  # plain text of the content: before the lock
        if self.engine.dialect.name == "sqlite":  # the terms its FTS5 triggers will ask for
            for name in FIELDS:
                words.term_text(values[name])
        with self._capture_write() as conn:
            if conn.dialect.name == "postgresql":
                parameters = single_statement.version_parameters(document, key, values)
                conn.execute(single_statement.ADD_VERSION, parameters)
            elif apply_version(conn, document, key, values):
                append_change(conn, document, "version")

    @unavailable_on_db_error
    def add_event(self, document: dict[str, Any], key: str) -> None:
        with self._capture_write() as conn:
            if conn.dialect.name == "postgresql":
                parameters = single_statement.event_parameters(document, key)
                conn.execute(single_statement.ADD_EVENT, parameters)
            elif apply_event(conn, document, key):
                append_change(conn, document, "event")

    @unavailable_on_db_error
    def add_delivery(self, site_id: str, webhook_id: str, outcome: Outcome) -> None:
        """The answer to a delivery that stored nothing new, for its redeliveries."""
        with self._capture_write() as conn:
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
