"""Culling one record, in an order that survives interruption at any point:

1. its culling-log entry is written (`put_new`: a second attempt finds the first), naming
   every object that is to go — the record's whole prefix (versions, events, entries about
   it) and the personal-data objects its versions refer to, read before anything is erased;
2. those objects are erased in storage, every version of them;
3. its index rows go (records, versions, events, deliveries; the change feed keeps history).

Run again after a crash, the same steps finish the job from the entry's list of objects and
nothing is logged, audited or fed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, select

from service.audit.trail import AuditTrail
from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import Conflict
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.records import keys
from service.records.canonical import verify
from service.records.model import Kind, parse_record_id
from service.registers.register import Register
from service.retention.log import CULLING_LOG, CullingLog, entry_id
from service.retention.planning import DUE, blockers, outcome
from service.storage.port import ObjectStore


@dataclass(frozen=True)
class Decision:
    """The rule a record is culled under, as its log entry cites it."""

    rule_id: str
    decision_reference: str
    covers_registered: bool


class Culler:
    def __init__(
        self,
        engine: Engine,
        storage: ObjectStore,
        clock: Callable[[], datetime],
        audit: AuditTrail,
        *,
        bypass_governance: bool = False,
    ):
        self.engine = engine
        self.storage = storage
        self.clock = clock
        self.audit = audit
        self.bypass_governance = bypass_governance
        self.register = Register(CULLING_LOG, storage, engine, clock)
        self.log = CullingLog(engine)

    @unavailable_on_db_error
    def still_due(self, decisions: dict[str, Decision], held: ColumnElement[bool]) -> set[str]:
        """Of the records in `decisions`, those nothing spares now (a hold set since the
        run was planned counts)."""
        r = t.records
        statement = select(r.c.id, *blockers(held)).where(r.c.id.in_(list(decisions)))
        with self.engine.connect() as conn:
            rows = list(conn.execute(statement))
        return {
            row[0] for row in rows if outcome(row[1:], decisions[row[0]].covers_registered) == DUE
        }

    def cull(self, run_id: str, record_id: str, decision: Decision, *, actor: Actor) -> bool:
        """Cull one record (or finish culling it); False if it is gone already."""
        entry = entry_id(run_id, record_id)
        if self.log.exists(entry):
            document = self.register.latest(entry)
        else:
            row = self._record(record_id)
            if row is None:
                return False
            document = self._log(entry, run_id, row, decision, actor)
        self._erase(document)
        self._forget(record_id)
        return True

    def _log(
        self, entry: str, run_id: str, row: Any, decision: Decision, actor: Actor
    ) -> dict[str, Any]:
        objects = sorted(
            self.storage.list(keys.record_prefix(row.site_id, Kind(row.kind), row.source_id))
        )
        versions = [key for key in objects if "/versions/" in key]
        personal = sorted(self._personal_keys(row.site_id, versions))
        body = {
            "record_id": row.id,
            "kind": row.kind,
            "origin": row.origin,
            "published_at": iso(row.published_at),
            "last_changed_at": iso(row.occurred_at),
            "subject": row.title,
            "site_id": row.site_id,
            "latest_version": row.latest_version,
            "rule_id": decision.rule_id,
            "decision_reference": decision.decision_reference,
            "run_id": run_id,
            "culled_by": actor.name,
            "culled_at": iso(self.clock()),
            "versions_erased": len(versions),
            "objects_erased": len(objects) + len(personal),
            "objects": [*objects, *personal],
        }
        try:
            document = self.register.write(entry, body, actor=actor)
        except Conflict:  # written before an interruption, but never shown in the index
            document = self.register.latest(entry)
            self.register.project(document)
        self.audit.record(
            "record.culled",
            row.id,
            actor=actor,
            details={"rule_id": decision.rule_id, "run_id": run_id},
            decision=True,
        )
        return document

    def _personal_keys(self, site_id: str, versions: list[str]) -> set[str]:
        found = set()
        for key in versions:
            reference = (verify(self.storage.get(key)).get("personal_data") or {}).get("sha256")
            if reference:
                found.add(keys.personal_key(site_id, reference))
        return found

    def _erase(self, document: dict[str, Any]) -> None:
        record_id = document["record_id"]
        prefix = keys.record_prefix(*parse_record_id(record_id))
        self.storage.erase_prefix(prefix, bypass_governance=self.bypass_governance)
        for key in document["objects"]:
            if not key.startswith(prefix):
                self.storage.erase(key, bypass_governance=self.bypass_governance)

    @unavailable_on_db_error
    def _record(self, record_id: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(t.records).where(t.records.c.id == record_id)).first()

    @unavailable_on_db_error
    def _forget(self, record_id: str) -> None:
        """The record's rows, and those of the registers about it (their entries lived under
        the record's prefix, erased with it)."""
        with writing(self.engine) as conn:
            for table in (t.record_versions, t.record_events, t.deliveries):
                conn.execute(delete(table).where(table.c.record_id == record_id))
            for table in (t.reviews, t.registrations):
                conn.execute(delete(table).where(table.c.id == record_id))
            conn.execute(delete(t.records).where(t.records.c.id == record_id))
