"""A job as the queue, the worker and the API see it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
CANCELLED = "cancelled"
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)


@dataclass(frozen=True)
class Job:
    id: str  # ULID
    kind: str  # "snapshot", "backfill", "culling-run", "export", …
    site_id: str | None
    params: dict[str, Any]
    state: str
    attempts: int  # runs started, the current one included
    max_attempts: int
    lease_owner: str | None  # host:pid:uuid of the worker running it
    lease_expires_at: datetime | None
    progress_done: int
    progress_total: int | None
    progress_note: str | None
    checkpoint: Any  # JSON the handler saved: where a resumed run continues
    result: Any  # JSON the handler returned
    error: str | None
    created_at: datetime
    not_before: datetime
    started_at: datetime | None
    finished_at: datetime | None
    created_by: str | None  # the actor's name
    dedupe_key: str | None

    @classmethod
    def from_row(cls, row: Any) -> Job:
        return cls(**dict(row._mapping))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Lease:
    """A worker's hold on one run of a job. The attempt number fences it: an older run of
    the same job by the same worker can no longer renew or finish it."""

    job_id: str
    owner: str
    attempt: int
    expires_at: datetime
