"""A culling run's plan in storage: JSON Lines objects of `CHUNK` items each,

    authority/culling-run-plans/{run id}/000000.jsonl

one `[record_id, site_id, rule_id, outcome, due_on, subject]` array per line, each object's
SHA-256 kept in the run's (sealed) document. A plan can list a million records: plain JSON
Lines cost milliseconds per chunk where canonical JSON (RFC 8785) costs a tenth of a second.

The `culling_run_items` table is the plan's projection. `reindex` empties it with the runs;
a run's items come back from storage the first time they are asked for (a dry run's too: it
answers sooner by not indexing its plan before it is read).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import islice
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from service.errors import IntegrityError
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.records.canonical import sha256_hex
from service.retention.planning import PlannedItem
from service.storage.port import ObjectStore

PREFIX = "authority/culling-run-plans/"
CHUNK = 5000
FIELDS = ("record_id", "site_id", "rule_id", "outcome", "due_on", "subject")
JSON_LINES = "application/jsonl"


def chunk_key(run_id: str, number: int) -> str:
    return f"{PREFIX}{run_id}/{number:06d}.jsonl"


def _chunks(items: Iterable[PlannedItem]) -> Iterator[list[PlannedItem]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def _line(item: PlannedItem) -> str:
    values = [item.record_id, item.site_id, item.rule_id, item.outcome]
    return json.dumps([*values, item.due_on.isoformat(), item.subject], ensure_ascii=False)


def _row(run_id: str, position: int, item: PlannedItem) -> dict[str, Any]:
    values = (item.record_id, item.site_id, item.rule_id, item.outcome, item.due_on, item.subject)
    return {"run_id": run_id, "position": position, **dict(zip(FIELDS, values, strict=True))}


def _rows(run_id: str, first: int, data: bytes) -> list[dict[str, Any]]:
    rows = []
    for offset, line in enumerate(data.decode().splitlines()):
        row = dict(zip(FIELDS, json.loads(line), strict=True))
        row["due_on"] = date.fromisoformat(row["due_on"])
        rows.append({"run_id": run_id, "position": first + offset, **row})
    return rows


class Plans:
    def __init__(self, storage: ObjectStore, engine: Engine):
        self.storage = storage
        self.engine = engine

    def write(
        self, run_id: str, items: Iterable[PlannedItem], *, index: bool
    ) -> list[dict[str, Any]]:
        """Store the plan a chunk at a time (and index it: a dry run's plan is indexed when
        first read); the chunks' keys, hashes and sizes."""
        chunks = []
        first = 0
        for number, chunk in enumerate(_chunks(items)):
            data = "".join(_line(item) + "\n" for item in chunk).encode()
            key = chunk_key(run_id, number)
            self.storage.put_new(key, data, content_type=JSON_LINES)
            if index:
                self._index([_row(run_id, first + n, item) for n, item in enumerate(chunk)])
            chunks.append({"key": key, "sha256": sha256_hex(data), "items": len(chunk)})
            first += len(chunk)
        return chunks

    @unavailable_on_db_error
    def _index(self, rows: list[dict[str, Any]], replace: str | None = None) -> None:
        with writing(self.engine, durable=False) as conn:
            if replace is not None:
                items = t.culling_run_items
                conn.execute(delete(items).where(items.c.run_id == replace))
            if rows:
                conn.execute(insert(t.culling_run_items), rows)

    def ensure_indexed(self, run_id: str, chunks: list[dict[str, Any]]) -> None:
        """Bring a run's items back from storage if the index lacks them (after `reindex`)."""
        if self._indexed(run_id) == sum(chunk["items"] for chunk in chunks):
            return
        first = 0
        for number, chunk in enumerate(chunks):
            data = self.storage.get(chunk["key"])
            if sha256_hex(data) != chunk["sha256"]:
                raise IntegrityError(f"{chunk['key']} does not match its sha256")
            self._index(_rows(run_id, first, data), replace=run_id if number == 0 else None)
            first += chunk["items"]

    @unavailable_on_db_error
    def _indexed(self, run_id: str) -> int:
        items = t.culling_run_items
        count = select(func.count()).where(items.c.run_id == run_id)
        with self.engine.connect() as conn:
            return int(conn.execute(count).scalar_one())
