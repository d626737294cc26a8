"""The worker: claim a due job, run its kind's handler while a thread renews the lease,
record the outcome; and the same for one job run in the foreground.

A handler that raises fails the attempt (retried after a backoff while attempts remain);
one that unwinds with `Stopped` because its worker is shutting down gives the job back
(queued, resumable from its checkpoint); one that lost its lease just ends — the job is
someone else's, or cancelled.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Collection, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from service.auth.actor import Actor
from service.errors import InvalidInput, Unavailable
from service.jobs.context import JobContext, ProgressCallback, Stopped
from service.jobs.handlers import HANDLERS, SCHEDULES, Handler
from service.jobs.model import Job, Lease
from service.jobs.queue import JobQueue
from service.jobs.schedules import ScheduleProvider, enqueue_due

if TYPE_CHECKING:
    from service.services import Services

log = logging.getLogger("offentlig.jobs")
_ERROR_MAX = 4000


def worker_name() -> str:
    """host:pid:uuid — which process holds a lease, and which of its workers."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        services: Services,
        *,
        handlers: Mapping[str, Handler] = HANDLERS,
        schedules: Collection[ScheduleProvider] = SCHEDULES,
        kinds: Collection[str] | None = None,
        poll_seconds: float = 5.0,
    ):
        self.queue = queue
        self.services = services
        self.handlers = handlers
        self.schedules = schedules
        self.wanted = set(kinds) if kinds else None
        self.poll_seconds = poll_seconds
        self.owner = worker_name()
        self.stopping = threading.Event()

    @property
    def kinds(self) -> set[str]:
        """The kinds this worker takes: those it has a handler for (and was asked to run)."""
        known = set(self.handlers)
        return known & self.wanted if self.wanted is not None else known

    def stop(self) -> None:
        """Finish the current step, give the current job back, take no more."""
        self.stopping.set()

    def run_forever(self) -> None:
        while not self.stopping.is_set():
            if not self.run_due():
                self.stopping.wait(self.poll_seconds)

    def run_due(self) -> list[Job]:
        """Enqueue what the schedules want, then run every job that is due now."""
        finished: list[Job] = []
        try:
            enqueue_due(self.queue, self.schedules, self.services, self.queue.clock())
            while not self.stopping.is_set():
                claimed = self.queue.claim(self.owner, self.kinds)
                if claimed is None:
                    break
                finished.append(self.run(*claimed))
        except Unavailable as exc:
            log.warning("job queue unavailable: %s", exc.message)
        return finished

    def run(self, job: Job, lease: Lease, on_progress: ProgressCallback | None = None) -> Job:
        """Run one claimed job to its outcome; the job as it is afterwards."""
        ctx = JobContext(job, lease, self.queue, self.services, self.stopping, on_progress)
        done = threading.Event()
        beat = threading.Thread(
            target=_keep_alive,
            args=(ctx, done, self.queue.lease.total_seconds() / 3),
            name=f"heartbeat-{job.id}",
            daemon=True,
        )
        beat.start()
        log.info("job started", extra={"job": job.id, "kind": job.kind, "attempt": lease.attempt})
        try:
            self._outcome(ctx)
        finally:
            done.set()
            beat.join(timeout=max(self.queue.lease.total_seconds(), 1))
        return self.queue.get(job.id)

    def _outcome(self, ctx: JobContext) -> None:
        job = ctx.job
        try:
            result = self.handlers[job.kind](ctx)
            json.dumps(result)  # a result the database cannot keep fails here, not later
        except Stopped:
            if ctx.lost:
                log.warning("job stopped: lease lost", extra={"job": job.id})
            elif self.queue.release(ctx.lease, ctx.current()):
                log.info("job given back unfinished", extra={"job": job.id})
        except Exception as exc:
            log.exception("job attempt failed", extra={"job": job.id})
            error = f"{type(exc).__name__}: {exc}"[:_ERROR_MAX]
            state = self.queue.fail(ctx.lease, error, ctx.current())
            log.info("job attempt recorded", extra={"job": job.id, "state": state})
        else:
            if not self.queue.complete(ctx.lease, result, ctx.current()):
                log.warning("job finished after losing its lease", extra={"job": job.id})


def _keep_alive(ctx: JobContext, done: threading.Event, interval: float) -> None:
    while not done.wait(interval):
        if not ctx.renew():
            return


def run_now(
    services: Services,
    kind: str,
    *,
    actor: Actor,
    site_id: str | None = None,
    params: dict[str, Any] | None = None,
    handlers: Mapping[str, Handler] = HANDLERS,
    on_progress: ProgressCallback | None = None,
    worker: Worker | None = None,
) -> Job:
    """Run one new job in this process now (a command's foreground run): enqueued for the
    record, claimed by id at once, run once. Interrupted (see `stop_on_signals`), it is
    left queued for `offentlig worker` to resume from its checkpoint."""
    if kind not in handlers:
        raise InvalidInput(errors={"kind": [f"No handler for job kind {kind!r}."]})
    job = services.jobs.enqueue(kind, site_id=site_id, params=params, actor=actor, max_attempts=1)
    return run_queued(services, job, handlers=handlers, on_progress=on_progress, worker=worker)


def run_queued(
    services: Services,
    job: Job,
    *,
    handlers: Mapping[str, Handler] = HANDLERS,
    on_progress: ProgressCallback | None = None,
    worker: Worker | None = None,
) -> Job:
    """Run a job already queued (a feature enqueued it with its own document), in this
    process now; a worker that took it first runs it instead, and this returns it as it is."""
    queue = services.jobs
    runner = worker or Worker(queue, services, handlers=handlers, kinds=[job.kind], schedules=())
    claimed = queue.claim(runner.owner, [job.kind], job_id=job.id)
    if claimed is None:  # a worker took it in the same instant
        return queue.get(job.id)
    return runner.run(*claimed, on_progress=on_progress)


@contextlib.contextmanager
def stop_on_signals(worker: Worker) -> Iterator[None]:
    """SIGTERM or SIGINT asks `worker` to stop after the current step; a second one acts as
    it would have without us."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handle(signum: int, _frame: Any) -> None:
        log.info("stopping after the current step", extra={"signal": signum})
        worker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler or signal.SIG_DFL)

    for sig in previous:
        signal.signal(sig, handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler or signal.SIG_DFL)
