"""What storage and the index hold, to show a rejected request left nothing behind."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from sqlalchemy import func, select

from service.index import tables as t


@dataclass(frozen=True)
class State:
    keys: tuple[str, ...]
    rows: dict[str, int]


def state(app: Flask) -> State:
    svc = app.extensions["offentlig"]
    with svc.engine.connect() as conn:
        rows = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }
    return State(tuple(svc.storage.list("")), rows)
