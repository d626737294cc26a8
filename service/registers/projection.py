"""Showing register entries in the index: each family's table keeps its latest revisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from service.index import tables as t
from service.registers.family import Projector

DIALECTS: dict[str, Any] = {"postgresql": postgresql, "sqlite": sqlite}


def latest_row(table: Table, row_of: Callable[[dict[str, Any]], dict[str, Any]]) -> Projector:
    """A projector that keeps one row per entry, its highest revision's: an older revision
    replayed late changes nothing. `table` has an `id` primary key and a `revision` column."""

    def project(conn: Connection, document: dict[str, Any]) -> None:
        row = {"id": document["id"], "revision": document["revision"], **row_of(document)}
        statement = DIALECTS[conn.dialect.name].insert(table).values(row)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.id],
                set_={name: statement.excluded[name] for name in row if name != "id"},
                where=table.c.revision < statement.excluded.revision,
            )
        )

    return project


def latest_row_shown_on_record(
    table: Table,
    row_of: Callable[[dict[str, Any]], dict[str, Any]],
    record_values: Callable[[Row[Any]], dict[str, Any]],
) -> Projector:
    """`latest_row` for a family about records (`per_record`), which also sets the record's
    own columns (`record_values` of the entry's latest row): from the latest row, not the
    revision at hand, so revisions projected out of order still leave the latest showing."""
    keep = latest_row(table, row_of)

    def project(conn: Connection, document: dict[str, Any]) -> None:
        keep(conn, document)
        latest = conn.execute(select(table).where(table.c.id == document["id"])).one()
        conn.execute(
            update(t.records).where(t.records.c.id == document["id"]).values(record_values(latest))
        )

    return project
