"""Finished snapshots in the database: one row per manifest in storage.

A manifest is written last, so a row here means the WARC and CDXJ it lists are complete.
`reindex` empties the table and shows every `sites/*/snapshots/*/manifest.json` again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, select

from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.records.canonical import verify
from service.registers.projection import DIALECTS
from service.snapshots.snapshot import MANIFEST_NAME
from service.storage.port import ObjectStore


def snapshot_prefix(site_id: str, snapshot_id: str) -> str:
    return f"sites/{site_id}/snapshots/{snapshot_id}/"


def manifest_of(key: str) -> tuple[str, str] | None:
    """(site id, snapshot id) if `key` is a snapshot's manifest, else None."""
    parts = key.split("/")
    if len(parts) == 5 and (parts[0], parts[2], parts[4]) == ("sites", "snapshots", MANIFEST_NAME):
        return parts[1], parts[3]
    return None


def row_of(key: str, document: dict[str, Any]) -> dict[str, Any]:
    found = manifest_of(key)
    if found is None:
        raise ValueError(f"not a snapshot manifest's key: {key}")
    site_id, snapshot_id = found
    files = {item["role"]: item for item in document["files"]}
    counts = document["counts"]
    return {
        "id": snapshot_id,
        "site_id": site_id,
        "site_url": document["site"],
        "started_at": datetime.fromisoformat(document["started_at"]),
        "ended_at": datetime.fromisoformat(document["ended_at"]),
        "pages": counts["pages"],
        "requisites": counts["requisites"],
        "responses": counts["responses"],
        "bytes": counts["bytes"],
        "errors": counts["errors"],
        "refusals": counts["refusals"],
        "limits_hit": document["limits_hit"],
        "manifest_key": key,
        "manifest_sha256": document["sha256"],
        "warc_key": files["warc"]["key"],
        "warc_size": files["warc"]["size"],
        "warc_sha256": files["warc"]["sha256"],
        "cdxj_key": files["cdxj"]["key"],
        "cdxj_size": files["cdxj"]["size"],
        "cdxj_sha256": files["cdxj"]["sha256"],
    }


def _show(conn: Connection, row: dict[str, Any]) -> None:
    statement = DIALECTS[conn.dialect.name].insert(t.snapshots).values(row)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[t.snapshots.c.id],
            set_={name: statement.excluded[name] for name in row if name != "id"},
        )
    )


class SnapshotIndex:
    def __init__(self, engine: Engine):
        self.engine = engine

    @unavailable_on_db_error
    def show(self, key: str, document: dict[str, Any]) -> dict[str, Any]:
        """Show a stored manifest (again: the same row)."""
        row = row_of(key, document)
        with writing(self.engine) as conn:
            _show(conn, row)
        return row

    @unavailable_on_db_error
    def of_site(self, site_id: str) -> list[Row[Any]]:
        """A site's finished snapshots, newest first."""
        query = (
            select(t.snapshots)
            .where(t.snapshots.c.site_id == site_id)
            .order_by(t.snapshots.c.ended_at.desc(), t.snapshots.c.id.desc())
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    @unavailable_on_db_error
    def get(self, site_id: str, snapshot_id: str) -> Row[Any] | None:
        query = select(t.snapshots).where(
            t.snapshots.c.site_id == site_id, t.snapshots.c.id == snapshot_id
        )
        with self.engine.connect() as conn:
            return conn.execute(query).one_or_none()


@dataclass
class SnapshotRebuild:
    shown: int = 0
    corrupt: list[str] = field(default_factory=list)


def snapshot_manifests(keys: Iterable[str]) -> list[str]:
    return [key for key in keys if manifest_of(key) is not None]


def rebuild_snapshots(
    engine: Engine,
    storage: ObjectStore,
    manifests: list[str],
    advance: Callable[[int], None] = lambda n: None,
) -> SnapshotRebuild:
    """Empty the table and show every manifest that passes its hash check."""
    report = SnapshotRebuild()
    with writing(engine, durable=True) as conn:
        conn.execute(delete(t.snapshots))
        for key in manifests:
            try:
                _show(conn, row_of(key, verify(storage.get(key))))
                report.shown += 1
            except (ValueError, KeyError, TypeError, json.JSONDecodeError):
                report.corrupt.append(key)
            advance(1)
    return report
