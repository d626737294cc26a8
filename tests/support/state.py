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
    """Taken after the pending log leaves are written, so that a batch the log's timer writes
    a second later never passes for what a request left behind. (The audit trail is not
    flushed: it records requests, a refused one too, and is not what this compares.)"""
    svc = app.extensions["offentlig"]
    if svc.integrity is not None:
        svc.integrity.queue.flush()
    with svc.engine.connect() as conn:
        rows = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }
    return State(tuple(svc.storage.list("")), rows)
