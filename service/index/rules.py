"""The rules every index write follows, on either database and from capture or `reindex`:

- a later version wins: a record's row shows its highest version, whatever order versions
  arrive in (concurrent captures, repairs);
- the latest capture decides a record's status, whatever order versions and events are
  indexed in;
- change feed positions are handed out in commit order, so a reader never skips a late commit.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    FunctionElement,
    Update,
    bindparam,
    case,
    func,
    select,
    update,
)

from service.index import tables as t
from service.index.rows import RECORD_COLUMNS, STATUS_COLUMNS, bind_parameters

# pg_advisory_xact_lock key: every writer of `changes` holds it from its feed entry to commit.
FEED_LOCK = 7_214_002

Insert = TypeVar("Insert", bound=Any)


def on_later_version(statement: Insert) -> Insert:
    """`statement` (an INSERT into `records`, of either dialect) made race-free without a
    table lock: the first version inserts the row, a later one updates it, and an older one
    arriving late changes nothing. One statement either way."""
    excluded = statement.excluded
    # A status event captured after this version may have been indexed first (a repair
    # after an outage): the latest capture still decides the status.
    later_event = t.records.c.last_captured_at > excluded.last_captured_at
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[t.records.c.id],
        set_={
            name: (
                case((later_event, t.records.c[name]), else_=excluded[name])
                if name in STATUS_COLUMNS
                else excluded[name]
            )
            for name in RECORD_COLUMNS
        },
        where=t.records.c.latest_version < excluded.latest_version,
    )


def status_update(prefix: str) -> Update:
    """A status event's change to its record's row (`rows.status_values`, parameters named
    `prefix` + column, the record's id as `prefix` + "record_id"), unless a later capture
    already changed the row: the latest capture decides the status."""
    values = bind_parameters(prefix, t.records, STATUS_COLUMNS)
    return (
        update(t.records)
        .where(
            t.records.c.id == bindparam(f"{prefix}record_id"),
            t.records.c.last_captured_at <= values["last_captured_at"],
        )
        .values(values)
    )


def feed_lock() -> FunctionElement[Any]:
    """PostgreSQL: the feed lock as an expression, for statements that take it themselves.

    Deadlock-free as long as it is taken after the row locks of the same transaction: its
    holder then waits for no row lock, it only adds a `changes` row and commits."""
    return func.pg_advisory_xact_lock(FEED_LOCK)


def lock_feed(conn: Connection) -> None:
    """Take the feed lock just before the `changes` insert, the last statement of the
    transaction: it then covers only that insert and the commit, and concurrent captures
    do the rest of their index work in parallel. (SQLite has one writer at a time.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(select(feed_lock()))
