"""Exports as a register family: what was asked for, by whom, and what was handed out.

An export's document is written to storage before its job is queued
(`authority/exports/{id}/0000000001.json`: `requested`), and again when the job ends
(revision 2: `finished`, naming the ZIP's key, size and SHA-256, or `failed`). The ZIP itself
is `authority/exports/{id}/{name}.zip`, covered by the document that names its hash (as a WARC
is by its snapshot's manifest). `reindex` shows every export again from these documents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from service.audit.trail import AuditTrail
from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.jobs.model import Job
from service.jobs.queue import JobQueue
from service.registers.family import AUTHORITY, Family
from service.registers.projection import latest_row
from service.registers.register import Register
from service.storage.port import ObjectStore

KIND = "export"  # the job kind
DISCLOSURE = "disclosure"
SIP = "sip"  # an e-archive transfer (service/exports/transfer.py)
REQUESTED, FINISHED, FAILED = "requested", "finished", "failed"
BODY = (
    "kind",
    "state",
    "requested_at",
    "requested_by",
    "request",
    "access",
    "result",
    "error",
    "finished_at",
)


def _row(document: dict[str, Any]) -> dict[str, Any]:
    finished = document.get("finished_at")
    return {
        "kind": document["kind"],
        "state": document["state"],
        "requested_at": datetime.fromisoformat(document["requested_at"]),
        "requested_by": document["requested_by"],
        "site_id": document["access"]["site_id"],
        "finished_at": datetime.fromisoformat(finished) if finished else None,
        "document": document,
    }


EXPORTS = Family("exports", "offentlig.export/1", latest_row(t.exports, _row), tables=(t.exports,))


def file_key(export_id: str, name: str) -> str:
    return f"{AUTHORITY}{EXPORTS.name}/{export_id}/{name}"


class Exports:
    def __init__(
        self,
        storage: ObjectStore,
        engine: Engine,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        audit: AuditTrail,
        jobs: JobQueue,
        max_records: int,
    ):
        self.storage = storage
        self.engine = engine
        self.clock = clock
        self.new_id = new_id
        self.audit = audit
        self.jobs = jobs
        self.max_records = max_records
        self.register = Register(EXPORTS, storage, engine, clock)

    def request(
        self,
        kind: str,
        request: dict[str, Any],
        access: dict[str, Any],
        *,
        actor: Actor,
        request_id: str | None = None,
    ) -> tuple[dict[str, Any], Job]:
        """Store the request, audit it, queue its job (whose id is the export's)."""
        export_id = self.new_id()
        document = self.register.write(
            export_id,
            {
                "kind": kind,
                "state": REQUESTED,
                "requested_at": iso(self.clock()),
                "requested_by": actor.name,
                "request": request,
                "access": access,
                "result": None,
                "error": None,
                "finished_at": None,
            },
            actor=actor,
        )
        self.audit.record(
            "export-requested",
            export_id,
            actor=actor,
            details={"kind": kind, **request},
            decision=True,
            request_id=request_id,
        )
        job = self.jobs.enqueue(KIND, site_id=access.get("site_id"), actor=actor, job_id=export_id)
        return document, job

    def document(self, export_id: str) -> dict[str, Any]:
        """The latest revision, from storage (the job reads it there, not from the index)."""
        return self.register.latest(export_id)

    def conclude(
        self,
        previous: dict[str, Any],
        *,
        actor: Actor,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> dict[str, Any]:
        """The export's last revision: finished with its `result`, or failed with `error`."""
        body = {name: previous[name] for name in BODY}
        body.update(
            state=FINISHED if error is None else FAILED,
            result=result,
            error=error,
            finished_at=iso(self.clock()),
        )
        return self.register.write(previous["id"], body, actor=actor, previous=previous)

    @unavailable_on_db_error
    def get(self, export_id: str) -> dict[str, Any]:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.exports).where(t.exports.c.id == export_id)).first()
        if row is None:
            raise NotFound(f"No export {export_id!r}.")
        document: dict[str, Any] = row.document
        return document

    @unavailable_on_db_error
    def list(
        self, *, site_ids: list[str] | None, limit: int, before: str | None
    ) -> list[dict[str, Any]]:
        """Newest first (ids are ULIDs); `before` is the last id of the previous page."""
        query = select(t.exports.c.document).order_by(t.exports.c.id.desc()).limit(limit)
        if site_ids is not None:
            query = query.where(t.exports.c.site_id.in_(site_ids))
        if before is not None:
            query = query.where(t.exports.c.id < before)
        with self.engine.connect() as conn:
            return [row.document for row in conn.execute(query)]
