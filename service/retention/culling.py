"""Culling a batch of records, in an order that survives interruption at any point:

1. each record's objects are found — every version under its prefix (versions, events,
   entries about it) and of the personal-data objects its versions refer to — with what
   locks them; a record that storage would refuse to erase (a legal hold, COMPLIANCE
   retention) stops here, before anything about it is written;
2. its culling-log entry is written to storage (`put_new`: a second attempt finds the
   first), naming every object that is to go;
3. the batch's new entries are shown in the index (one transaction), then audited (one
   audit batch, in storage before anything is erased);
4. only then exactly the versions found are erased (`erase_versions`; on S3 a
   DeleteObjects request for every `ERASE_CHUNK` versions, a few at once);
5. the erased records' index rows go (records, versions, events, deliveries; the change
   feed keeps history), one transaction for each request's records.

Run again after a crash, the same steps finish the job from each entry's list of objects
and nothing is logged, audited or fed twice: an entry in storage but not in the index is
found by its `put_new`, an entry in the index is audited unless the audit trail has it.
Steps 1–2 wait on five storage round trips, so the records of a batch go through them
side by side.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, select

from service.audit.queries import AuditQuery
from service.audit.trail import AuditTrail
from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import Conflict
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.records import keys
from service.records.canonical import verify
from service.records.model import parse_record_id
from service.registers.register import Register
from service.retention.log import CULLING_LOG, CullingLog, entry_id
from service.retention.planning import DUE, blockers, outcome
from service.storage.port import ObjectStore, StoredVersion, check_removable

ERASE_CHUNK = 100  # versions to a DeleteObjects request (S3 takes up to 1,000)


@dataclass(frozen=True)
class Found:
    """A record ready to be erased: its log entry in storage, its versions found."""

    record_id: str
    versions: list[StoredVersion]
    written: dict[str, Any] | None  # its log entry, if written now (to be shown)
    audit: dict[str, Any] | None  # its "record.culled" details, unless audited already


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

    def cull(
        self,
        run_id: str,
        decisions: dict[str, Decision],
        held: ColumnElement[bool],
        *,
        actor: Actor,
        threads: int = 1,
    ) -> int:
        """Cull the records of `decisions` that are still due, and finish those an earlier
        attempt of the run logged; return how many went. A record storage refuses to
        erase fails the run once the others of the batch are culled."""
        due = self.still_due(decisions, held)
        logged = self.log.logged(run_id, list(decisions))
        rows = self.rows([r for r in decisions if r in due and r not in logged])
        chosen = [*rows, *logged]
        found: list[Found] = []
        failures: list[Exception] = []
        with ThreadPoolExecutor(max(1, min(threads, len(chosen)))) as pool:
            futures = [
                pool.submit(self.prepare, run_id, decisions[r], actor, record_id=r, row=rows.get(r))
                for r in chosen
            ]
            for future in as_completed(futures):
                try:
                    found.append(future.result())
                except Exception as exc:  # noqa: BLE001 - raised below, after the others
                    failures.append(exc)
            self.record(found, actor=actor)
            # A DeleteObjects request is worked through one key after another: a few at
            # once keep the storage's cores busy.
            for erased in pool.map(self._erase, _chunks(found, ERASE_CHUNK)):
                self._forget(erased)
        if failures:
            raise failures[0]
        return len(found)

    def _erase(self, records: list[Found]) -> list[str]:
        versions = [version for record in records for version in record.versions]
        self.storage.erase_versions(versions, bypass_governance=self.bypass_governance)
        return [record.record_id for record in records]

    def prepare(
        self, run_id: str, decision: Decision, actor: Actor, *, record_id: str, row: Any
    ) -> Found:
        """Steps 1–2 for one record: its versions found and its log entry written to
        storage (from its index `row`), or read back (`row` None: an earlier attempt
        logged it)."""
        entry = entry_id(run_id, record_id)
        prefix = keys.record_prefix(*parse_record_id(record_id))
        if row is None:
            logged = self.register.latest(entry)
            versions = self.storage.versions(prefix)
            others = [key for key in logged["objects"] if not key.startswith(prefix)]
        else:
            versions = self.storage.versions(prefix, read=_is_version)
            others = sorted(self._personal_keys(row.site_id, versions))
        under_prefix = sorted({v.key for v in versions if not v.marker})
        for key in others:
            versions.extend(self.storage.versions(key))
        # Refused before its entry is written: the log never names a record storage kept.
        check_removable(versions, bypass_governance=self.bypass_governance, now=datetime.now(UTC))
        details = {"rule_id": decision.rule_id, "run_id": run_id}
        if row is None:
            audited = self._audited(record_id, logged["culled_at"])
            return Found(record_id, versions, None, None if audited else details)
        written = self._log(entry, run_id, row, decision, actor, [*under_prefix, *others])
        return Found(record_id, versions, written, details)

    def record(self, found: list[Found], *, actor: Actor) -> None:
        """Step 3: the new log entries in the index, and every one not yet audited in the
        audit trail."""
        self.register.project_all([f.written for f in found if f.written is not None])
        self.audit.record_decisions(
            "record.culled", {f.record_id: f.audit for f in found if f.audit}, actor=actor
        )

    def _log(
        self,
        entry: str,
        run_id: str,
        row: Any,
        decision: Decision,
        actor: Actor,
        objects: list[str],
    ) -> dict[str, Any]:
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
            "versions_erased": sum("/versions/" in key for key in objects),
            "objects_erased": len(objects),
            "objects": objects,
        }
        try:
            return self.register.write(entry, body, actor=actor, shown=False)
        except Conflict:  # written before an interruption, but never shown in the index
            return self.register.latest(entry)

    def _audited(self, record_id: str, culled_at: str) -> bool:
        """Whether an interrupted attempt audited the culling of a record it logged (a
        process killed between the two did not)."""
        since = datetime.fromisoformat(culled_at)
        query = AuditQuery(action="record.culled", subject=record_id, since=since, limit=1)
        return bool(self.audit.entries(query).items)

    def _personal_keys(self, site_id: str, versions: list[StoredVersion]) -> set[str]:
        """The personal-data objects the record's versions (as stored now) refer to."""
        found = set()
        for version in versions:
            if version.data is None or not _is_version(version.key):
                continue
            document = verify(version.data)
            reference = (document.get("personal_data") or {}).get("sha256")
            if reference:
                found.add(keys.personal_key(site_id, reference))
        return found

    @unavailable_on_db_error
    def rows(self, record_ids: list[str]) -> dict[str, Any]:
        """The index rows of those of `record_ids` that are still there, by id."""
        if not record_ids:
            return {}
        with self.engine.connect() as conn:
            found = conn.execute(select(t.records).where(t.records.c.id.in_(record_ids)))
            return {row.id: row for row in found}

    @unavailable_on_db_error
    def _forget(self, record_ids: list[str]) -> None:
        """The records' rows, and those of the registers about them (their entries lived
        under each record's prefix, erased with it)."""
        if not record_ids:
            return
        with writing(self.engine) as conn:
            for table in (t.record_versions, t.record_events, t.deliveries):
                conn.execute(delete(table).where(table.c.record_id.in_(record_ids)))
            for table in (t.reviews, t.registrations):
                conn.execute(delete(table).where(table.c.id.in_(record_ids)))
            conn.execute(delete(t.records).where(t.records.c.id.in_(record_ids)))


def _chunks(found: list[Found], versions: int) -> list[list[Found]]:
    """Records in groups of about `versions` versions (a record is never split)."""
    chunks: list[list[Found]] = [[]]
    size = 0
    for record in found:
        if chunks[-1] and size + len(record.versions) > versions:
            chunks.append([])
            size = 0
        chunks[-1].append(record)
        size += len(record.versions)
    return chunks


def _is_version(key: str) -> bool:
    """A record version's document: what names the personal data to cull with it."""
    return "/versions/" in key
