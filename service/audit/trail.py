"""`AuditTrail.record`: the one way anything is audited.

Decisions and configuration changes (`decision=True`: reviews, registrations, holds, culls,
rules, channels, tokens, sites) are in storage before `record` returns. Captures and reads
wait in the process's buffer for at most `AUDIT_FLUSH_SECONDS` (or 1,000 entries), and are
written on shutdown: `close()` (the app's and the CLI's), an `atexit` hook, and gunicorn's
`worker_exit`. What a hard kill (SIGKILL, power loss) takes is that window of reads and
captures, never a decision.

When storage is unreachable, entries stay buffered and are tried again. A decision is
already durable in its own register, so its request still succeeds (the failure is logged
and counted). A read or capture whose entry cannot even be buffered (the buffer is full)
fails with a 503: no personal data or full content leaves without its entry (rule 9).
"""

from __future__ import annotations

import atexit
import json
import logging
import weakref
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from service import metrics
from service.audit.batches import Batcher, Entry
from service.audit.projection import project_batch
from service.audit.queries import AuditEntries, AuditPage, AuditQuery
from service.audit.store import new_ulid, write_batch
from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.storage.port import ObjectStore

log = logging.getLogger("offentlig.audit")


def no_request() -> str | None:
    return None


class AuditTrail:
    def __init__(
        self,
        storage: ObjectStore,
        engine: Engine,
        clock: Callable[[], datetime],
        flush_seconds: float = 60,
    ):
        self.storage = storage
        self.engine = engine
        self.clock = clock
        # The current request's id, for entries whose caller gives none (set by the app).
        self.request_ids: Callable[[], str | None] = no_request
        self.batches = Batcher(self._write, flush_seconds)
        self.queries = AuditEntries(engine)
        _LIVE.add(self)

    def record(
        self,
        action: str,
        subject: str,
        *,
        actor: Actor,
        details: dict[str, Any] | None = None,
        decision: bool = False,
        request_id: str | None = None,
    ) -> None:
        """One entry of the audit trail; see the module's docstring for when it is written.

        Call it before returning what is read: no entry, no data."""
        entry = self._entry(action, subject, actor, details, request_id)
        if not decision:
            self.batches.add(entry)
            return
        self.batches.add(entry, bounded=False)
        if not self.batches.flush():
            log.error("audit entry of a decision is waiting for storage: %s %s", action, subject)

    def record_decisions(
        self, action: str, details: dict[str, dict[str, Any] | None], *, actor: Actor
    ) -> None:
        """One kind of decision about many subjects at once (the records of a culling
        batch), each with its details: all in storage, batched together, before this returns."""
        for subject, detail in details.items():
            self.batches.add(self._entry(action, subject, actor, detail, None), bounded=False)
        if details and not self.batches.flush():
            log.error("audit entries of %d decisions are waiting for storage", len(details))

    def _entry(
        self,
        action: str,
        subject: str,
        actor: Actor,
        details: dict[str, Any] | None,
        request_id: str | None,
    ) -> Entry:
        at = self.clock()
        return {
            "id": new_ulid(at),
            "at": iso(at),
            "action": action,
            "subject": subject,
            "actor": actor.as_dict(),
            "details": details,
            "request_id": request_id if request_id is not None else self.request_ids(),
        }

    def flush(self) -> bool:
        """Write what is buffered now; False if storage refused it (it stays buffered)."""
        return self.batches.flush()

    def pending(self) -> int:
        return len(self.batches)

    def entries(self, query: AuditQuery) -> AuditPage:
        """Entries written so far, newest first (not those still in a process's buffer)."""
        return self.queries.page(query)

    def close(self) -> None:
        """Flush before the process goes; what storage will not take goes to the error log
        in full, so that even then no entry is lost without a trace."""
        self.batches.stop()
        if self.batches.flush():
            return
        left = self.batches.drain()
        metrics.AUDIT_UNWRITTEN.inc(len(left))
        for entry in left:
            log.error("audit entry not written: %s", json.dumps(entry, ensure_ascii=False))

    def _write(self, entries: list[Entry]) -> None:
        key = write_batch(self.storage, entries)
        try:
            project_batch(self.engine, key, entries)
        except SQLAlchemyError as exc:  # storage has the batch: `reindex` shows it
            metrics.INDEX_WRITE_FAILURES.inc()
            log.error("audit batch %s not indexed: %s", key, exc)


_LIVE: weakref.WeakSet[AuditTrail] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    for trail in list(_LIVE):
        trail.close()
