"""PostgreSQL: a capture's whole index write as one statement, so in one round trip.

The rows `apply_version` and `apply_event` write (writer.py), and then the change feed's
entry, as data-modifying CTEs of one statement run on its own (autocommit): on a busy
server each round trip costs more CPU than the statement's own work. PostgreSQL runs the
parts of such a statement in an order of its choosing, except where one reads another, so
the order that matters is forced by reads:

    new row ─► record's row (upsert or status) ─► feed lock ─► feed entry (its position)

The feed lock is taken after the row locks, as `rules.lock_feed` is, and only when the
version or event is new; the entry gets its position while the lock is held.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CTE,
    Executable,
    Table,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql

from service.index import rows
from service.index import tables as t
from service.index.rules import feed_lock, on_later_version, status_update

_CHANGE_COLUMNS = [c.name for c in t.changes.columns if c.name != "seq"]
_RECORD_ROW_COLUMNS = ["id", "first_captured_at", *rows.RECORD_COLUMNS]


def _insert_new(table: Table, returning: Any) -> CTE:
    """The version or event row, unless it is already there."""
    names = [c.name for c in table.columns]
    return (
        postgresql.insert(table)
        .values(rows.bind_parameters("n_", table, names))
        .on_conflict_do_nothing()
        .returning(returning)
        .cte("new_row")
    )


def _feed_entry(new_row: CTE, record: CTE) -> Executable:
    """The feed entry of `new_row`, after `record` is done and the feed lock is held."""
    record_done = select(func.count()).select_from(record).scalar_subquery() >= 0
    locked = select(feed_lock().label("held")).select_from(new_row).where(record_done).cte("locked")
    entry = select(*rows.bind_parameters("c_", t.changes, _CHANGE_COLUMNS).values())
    entry = entry.select_from(locked)
    return insert(t.changes).from_select(_CHANGE_COLUMNS, entry).add_cte(new_row, record, locked)


def _add_version() -> Executable:
    new_row = _insert_new(t.record_versions, t.record_versions.c.record_id)
    source = select(*rows.bind_parameters("r_", t.records, _RECORD_ROW_COLUMNS).values())
    source = source.select_from(new_row)
    upsert = on_later_version(postgresql.insert(t.records).from_select(_RECORD_ROW_COLUMNS, source))
    return _feed_entry(new_row, upsert.returning(t.records.c.id).cte("record"))


def _add_event() -> Executable:
    new_row = _insert_new(t.record_events, t.record_events.c.id)
    status = status_update("s_").where(exists(select(new_row.c.id)))
    return _feed_entry(new_row, status.returning(t.records.c.id).cte("record"))


ADD_VERSION = _add_version()
ADD_EVENT = _add_event()


def version_parameters(
    document: dict[str, Any], key: str, values: dict[str, Any]
) -> dict[str, Any]:
    return {
        **rows.prefixed("n_", rows.version_row(document, key)),
        **rows.prefixed("r_", rows.record_row(document, values)),
        **rows.prefixed("c_", rows.change_row(document, "version")),
    }


def event_parameters(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {
        **rows.prefixed("n_", rows.event_row(document, key)),
        "s_record_id": document["record_id"],
        **rows.prefixed("s_", rows.status_values(document)),
        **rows.prefixed("c_", rows.change_row(document, "event")),
    }
