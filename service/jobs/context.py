"""What a handler sees of its run: the job, the collaborators, progress, checkpoints, and
whether to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from service.errors import Unavailable
from service.jobs.model import Job, Lease
from service.jobs.queue import KEEP, JobQueue, Progress

if TYPE_CHECKING:
    from service.services import Services

log = logging.getLogger("offentlig.jobs")

ProgressCallback = Callable[[Progress], None]


class Stopped(Exception):  # noqa: N818 - a signal to unwind, not an error
    """Raised by `JobContext.stop_point()`: the run ends unfinished, resumable from its last
    checkpoint (the worker is shutting down, or the run lost its lease)."""


class JobContext:
    """Handed to a handler. Call `progress()` as work advances (saved with each heartbeat),
    `checkpoint()` after each unit of work worth not redoing (saved at once), and
    `stop_point()` between units: a run that lost its lease or whose worker is shutting
    down unwinds there. A resumed run finds the last checkpoint in `resume_from`."""

    def __init__(
        self,
        job: Job,
        lease: Lease,
        queue: JobQueue,
        services: Services,
        shutdown: threading.Event,
        on_progress: ProgressCallback | None = None,
    ):
        self.job = job
        self.services = services
        self.clock: Callable[[], datetime] = queue.clock
        self.resume_from: Any = job.checkpoint
        self._lease = lease
        self._queue = queue
        self._shutdown = shutdown
        self._on_progress = on_progress
        self._progress = Progress(job.progress_done, job.progress_total, job.progress_note)
        self._lost = threading.Event()
        self._renewing = threading.Lock()

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    @property
    def site_id(self) -> str | None:
        return self.job.site_id

    @property
    def lease(self) -> Lease:
        return self._lease

    @property
    def lost(self) -> bool:
        return self._lost.is_set()

    def progress(self, done: int, total: int | None = None, note: str | None = None) -> None:
        self._progress = Progress(done, total, note)
        if self._on_progress is not None:
            self._on_progress(self._progress)

    def current(self) -> Progress:
        return self._progress

    def checkpoint(self, data: Any) -> None:
        """Save where a resumed run should continue (JSON), with the progress so far."""
        self.renew(checkpoint=data)

    def should_stop(self) -> bool:
        return self._lost.is_set() or self._shutdown.is_set()

    def stop_point(self) -> None:
        if self.should_stop():
            raise Stopped()

    def renew(self, checkpoint: Any = KEEP) -> bool:
        """Renew the lease (the heartbeat); False once it is lost. A database that cannot be
        reached is retried at the next beat, until the lease runs out."""
        with self._renewing:
            if self._lost.is_set():
                return False
            try:
                renewed = self._queue.heartbeat(self._lease, self._progress, checkpoint)
            except Unavailable as exc:
                if self.clock() < self._lease.expires_at:
                    log.warning("heartbeat failed, retrying", extra={"job": self.job.id})
                    return True
                log.error("lease ran out while the database was unreachable: %s", exc)
                renewed = None
            if renewed is None:
                log.warning("lease lost", extra={"job": self.job.id})
                self._lost.set()
                return False
            self._lease = renewed
            return True
