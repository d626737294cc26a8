"""The `audit_log` table: one row per entry of the batches in storage, rebuilt by `reindex`.

Rows are inserted ignoring ids already there: a batch written twice (a write that reached
storage but whose answer was lost, then tried again) shows each entry once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from service.audit.store import SCHEMA, is_batch_key
from service.index import tables as t
from service.index.db import writing
from service.records.canonical import verify
from service.registers.projection import DIALECTS
from service.storage.port import ObjectStore


@dataclass
class AuditReport:
    entries: int = 0
    corrupt: list[str] = field(default_factory=list)


def row(entry: dict[str, Any], batch_key: str | None) -> dict[str, Any]:
    actor = entry["actor"]
    details = entry.get("details")
    return {
        "id": entry["id"],
        "at": datetime.fromisoformat(entry["at"]),
        "action": entry["action"],
        "subject": entry["subject"],
        "actor_kind": actor["kind"],
        "actor_name": actor["name"],
        "actor_id": actor.get("id"),
        "address": actor.get("address"),
        "details": None if details is None else json.dumps(details, ensure_ascii=False),
        "request_id": entry.get("request_id"),
        "batch_key": batch_key,
    }


def entry(found: Any) -> dict[str, Any]:
    """A row as the entry it shows (and where it is stored)."""
    return {
        "id": found.id,
        "at": found.at,
        "action": found.action,
        "subject": found.subject,
        "actor": {
            "kind": found.actor_kind,
            "name": found.actor_name,
            "id": found.actor_id,
            "address": found.address,
        },
        "details": None if found.details is None else json.loads(found.details),
        "request_id": found.request_id,
        "batch_key": found.batch_key,
    }


def insert_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        statement = DIALECTS[conn.dialect.name].insert(t.audit_log)
        conn.execute(statement.on_conflict_do_nothing(index_elements=[t.audit_log.c.id]), rows)


def project_batch(engine: Engine, key: str, entries: Iterable[dict[str, Any]]) -> None:
    with writing(engine, durable=False) as conn:
        insert_rows(conn, [row(e, key) for e in entries])


def batch_keys(keys: Iterable[str]) -> list[str]:
    return [key for key in keys if is_batch_key(key)]


def rebuild_audit(
    engine: Engine,
    storage: ObjectStore,
    keys: Sequence[str],
    advance: Callable[[int], None] = lambda n: None,
) -> AuditReport:
    """Empty `audit_log` and show every batch under `keys` (from `batch_keys`) again."""
    report = AuditReport()
    with writing(engine, durable=False) as conn:
        conn.execute(delete(t.audit_log))
        for key in keys:
            try:
                document = verify(storage.get(key))
                if document.get("schema") != SCHEMA:
                    raise ValueError("not an audit batch")
                rows = [row(e, key) for e in document["entries"]]
            except (ValueError, TypeError, KeyError, AttributeError):  # JSONDecodeError too
                report.corrupt.append(key)
            else:
                insert_rows(conn, rows)
            advance(1)
        report.entries = conn.execute(select(func.count()).select_from(t.audit_log)).scalar_one()
    return report
