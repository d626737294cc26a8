"""The job queue in the database: enqueue, claim with a lease, renew, finish.

Every change of a running job is conditional on its lease (owner and attempt): a worker
that lost its lease — it hung past the expiry and another worker took the job, or the job
was cancelled — can neither renew nor finish it, and learns so from the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, case, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Update

from service.auth.actor import Actor
from service.errors import Conflict, NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error, writing
from service.jobs.model import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED, Job, Lease

DEFAULT_MAX_ATTEMPTS = 3
ABANDONED = "abandoned: the lease of its last attempt expired (its worker died or hung)"
_NOTE_MAX = 500
KEEP: Any = object()  # heartbeat(): leave the saved checkpoint as it is


def exponential_backoff(attempt: int) -> timedelta:
    """30 s after the first failed attempt, doubling, at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 3600))


@dataclass(frozen=True)
class Progress:
    done: int = 0
    total: int | None = None
    note: str | None = None

    def values(self) -> dict[str, Any]:
        note = self.note[:_NOTE_MAX] if self.note else self.note
        return {"progress_done": self.done, "progress_total": self.total, "progress_note": note}


class JobQueue:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        id_factory: Callable[[], str],
        lease_seconds: float = 60,
        backoff: Callable[[int], timedelta] = exponential_backoff,
    ):
        self.engine = engine
        self.clock = clock
        self.id_factory = id_factory
        self.lease = timedelta(seconds=lease_seconds)
        self.backoff = backoff

    # --- creating and reading -------------------------------------------------------------

    @unavailable_on_db_error
    def enqueue(
        self,
        kind: str,
        *,
        site_id: str | None = None,
        params: dict[str, Any] | None = None,
        actor: Actor | None = None,
        not_before: datetime | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        dedupe_key: str | None = None,
        job_id: str | None = None,
    ) -> Job:
        """A new queued job; with a `dedupe_key` already taken, the job that took it.
        `job_id` gives it the id of what it makes (an export's), instead of a new one."""
        now = self.clock()
        job_id = job_id or self.id_factory()
        row: dict[str, Any] = {
            "id": job_id,
            "kind": kind,
            "site_id": site_id,
            "params": params or {},
            "state": QUEUED,
            "attempts": 0,
            "max_attempts": max_attempts,
            "progress_done": 0,
            "created_at": now,
            "not_before": not_before or now,
            "created_by": actor.name if actor else None,
            "dedupe_key": dedupe_key,
        }
        with writing(self.engine) as conn:
            if dedupe_key is None:
                conn.execute(insert(t.jobs).values(row))
                return self._get(conn, job_id)
            dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
            inserted = conn.execute(
                dialect.insert(t.jobs)
                .values(row)
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(t.jobs.c.id)
            ).scalar()
            if inserted is not None:
                return self._get(conn, job_id)
            found = conn.execute(select(t.jobs).where(t.jobs.c.dedupe_key == dedupe_key)).one()
            return Job.from_row(found)

    @unavailable_on_db_error
    def get(self, job_id: str) -> Job:
        with self.engine.connect() as conn:
            return self._get(conn, job_id)

    @staticmethod
    def _get(conn: Any, job_id: str) -> Job:
        row = conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).one_or_none()
        if row is None:
            raise NotFound(f"No job {job_id!r}.")
        return Job.from_row(row)

    @unavailable_on_db_error
    def list(
        self,
        *,
        kind: str | None = None,
        state: str | None = None,
        site_ids: Collection[str] | None = None,
        limit: int = 50,
        before: str | None = None,
    ) -> list[Job]:
        """Newest first (ids are ULIDs); `before` is the last id of the previous page."""
        query = select(t.jobs).order_by(t.jobs.c.id.desc()).limit(limit)
        if kind is not None:
            query = query.where(t.jobs.c.kind == kind)
        if state is not None:
            query = query.where(t.jobs.c.state == state)
        if site_ids is not None:
            query = query.where(t.jobs.c.site_id.in_(site_ids))
        if before is not None:
            query = query.where(t.jobs.c.id < before)
        with self.engine.connect() as conn:
            return [Job.from_row(row) for row in conn.execute(query)]

    # --- a worker's side ------------------------------------------------------------------

    @unavailable_on_db_error
    def claim(
        self, owner: str, kinds: Collection[str], job_id: str | None = None
    ) -> tuple[Job, Lease] | None:
        """Take one due job — queued and not before now, or running under an expired lease —
        by setting a lease on it, in one statement: PostgreSQL skips rows another claim has
        locked; SQLite has one writer at a time. Runs whose lease expired on their last
        attempt are failed first, so a job that kills its worker is not retried for ever."""
        if not kinds:
            return None
        now = self.clock()
        c = t.jobs.c
        due = or_(
            and_(c.state == QUEUED, c.not_before <= now),
            and_(c.state == RUNNING, c.lease_expires_at < now, c.attempts < c.max_attempts),
        )
        pick = select(c.id).where(due, c.kind.in_(list(kinds)))
        if job_id is not None:
            pick = pick.where(c.id == job_id)
        pick = pick.order_by(c.not_before, c.id).limit(1).with_for_update(skip_locked=True)
        take = (
            update(t.jobs)
            .where(c.id == pick.scalar_subquery())
            .values(
                state=RUNNING,
                attempts=c.attempts + 1,
                lease_owner=owner,
                lease_expires_at=now + self.lease,
                started_at=func.coalesce(c.started_at, now),
            )
            .returning(*t.jobs.c)
        )
        with writing(self.engine) as conn:
            conn.execute(
                update(t.jobs)
                .where(c.state == RUNNING, c.lease_expires_at < now, c.attempts >= c.max_attempts)
                .values({**_finished(FAILED, now), "error": ABANDONED})
            )
            row = conn.execute(take).one_or_none()
        if row is None:
            return None
        job = Job.from_row(row)
        return job, Lease(job.id, owner, job.attempts, now + self.lease)

    @unavailable_on_db_error
    def heartbeat(
        self, lease: Lease, progress: Progress | None = None, checkpoint: Any = KEEP
    ) -> Lease | None:
        """Renew the lease, saving progress and (unless KEEP) the checkpoint; None when the
        lease is lost and the run must stop."""
        now = self.clock()
        values: dict[str, Any] = {"lease_expires_at": now + self.lease}
        if progress is not None:
            values.update(progress.values())
        if checkpoint is not KEEP:
            values["checkpoint"] = checkpoint
        with writing(self.engine) as conn:
            renewed = conn.execute(_held(lease).values(values)).rowcount
        return (
            Lease(lease.job_id, lease.owner, lease.attempt, now + self.lease) if renewed else None
        )

    @unavailable_on_db_error
    def complete(self, lease: Lease, result: Any = None, progress: Progress | None = None) -> bool:
        values = _finished(SUCCEEDED, self.clock())
        values.update(progress.values() if progress else {}, result=result, error=None)
        with writing(self.engine) as conn:
            return bool(conn.execute(_held(lease).values(values)).rowcount)

    @unavailable_on_db_error
    def fail(self, lease: Lease, error: str, progress: Progress | None = None) -> str | None:
        """Record a failed attempt: queued again after a backoff while attempts remain,
        failed for good after the last. The state it ends in; None if the lease was lost."""
        now = self.clock()
        c = t.jobs.c
        retry = c.attempts < c.max_attempts
        values: dict[str, Any] = {
            "state": case((retry, QUEUED), else_=FAILED),
            "not_before": case((retry, now + self.backoff(lease.attempt)), else_=c.not_before),
            "finished_at": case((retry, None), else_=now),
            "lease_owner": None,
            "lease_expires_at": None,
            "error": error,
            **(progress.values() if progress else {}),
        }
        with writing(self.engine) as conn:
            state = conn.execute(_held(lease).values(values).returning(c.state)).scalar()
        return str(state) if state is not None else None

    @unavailable_on_db_error
    def release(self, lease: Lease, progress: Progress | None = None) -> bool:
        """Give the job back unfinished (the worker is shutting down): queued at once, and the
        interrupted run not counted as an attempt. Its checkpoint stays."""
        values: dict[str, Any] = {
            "state": QUEUED,
            "attempts": t.jobs.c.attempts - 1,
            "not_before": self.clock(),
            "lease_owner": None,
            "lease_expires_at": None,
            **(progress.values() if progress else {}),
        }
        with writing(self.engine) as conn:
            return bool(conn.execute(_held(lease).values(values)).rowcount)

    # --- an operator's side ---------------------------------------------------------------

    @unavailable_on_db_error
    def cancel(self, job_id: str) -> Job:
        """Cancel a queued or running job; a running one's worker loses its lease and stops
        at its handler's next check."""
        c = t.jobs.c
        with writing(self.engine) as conn:
            row = conn.execute(
                update(t.jobs)
                .where(c.id == job_id, c.state.in_((QUEUED, RUNNING)))
                .values(_finished(CANCELLED, self.clock()))
                .returning(*t.jobs.c)
            ).one_or_none()
            if row is None:
                job = self._get(conn, job_id)
                raise Conflict(f"Job {job_id} has finished: {job.state}.")
        return Job.from_row(row)


def _held(lease: Lease) -> Update:
    """An update of the job only while this run still holds its lease."""
    c = t.jobs.c
    return update(t.jobs).where(
        c.id == lease.job_id,
        c.state == RUNNING,
        c.lease_owner == lease.owner,
        c.attempts == lease.attempt,
    )


def _finished(state: str, now: datetime) -> dict[str, Any]:
    return {"state": state, "finished_at": now, "lease_owner": None, "lease_expires_at": None}
