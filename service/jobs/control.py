"""What an operator does to a job, from the CLI or the API alike, with its audit entry:
ask for a site's job (once at a time), cancel one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.auth.actor import Actor
from service.errors import NotFound
from service.jobs.model import QUEUED, RUNNING, Job

if TYPE_CHECKING:
    from service.services import Services


def cancel(services: Services, job_id: str, actor: Actor, request_id: str | None = None) -> Job:
    job = services.jobs.cancel(job_id)
    services.audit.record(
        "cancel-job",
        job.id,
        actor=actor,
        details={"kind": job.kind, "site_id": job.site_id},
        decision=True,
        request_id=request_id,
    )
    return job


def find(services: Services, kind: str, site_id: str, job_id: str) -> Job:
    """The site's job of `kind`; `NotFound` for any other (its feature's 404)."""
    try:
        job = services.jobs.get(job_id)
    except NotFound:
        job = None
    if job is None or job.kind != kind or job.site_id != site_id:
        raise NotFound(f"No {kind} {job_id!r} of site {site_id!r}.")
    return job


def pending(services: Services, kind: str, site_id: str) -> list[Job]:
    """The site's jobs of `kind` not yet finished, newest first."""
    found: list[Job] = []
    for state in (RUNNING, QUEUED):
        found += services.jobs.list(kind=kind, state=state, site_ids=[site_id], limit=100)
    return sorted(found, key=lambda job: job.id, reverse=True)


def request_once(
    services: Services,
    kind: str,
    site_id: str,
    actor: Actor,
    action: str,
    *,
    params: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> tuple[Job, bool]:
    """A site's job asked for now: a new one (audited as `action`), or the one of its kind
    already queued or running for the site (two at once of one site help nobody). True if
    the job is new."""
    waiting = pending(services, kind, site_id)
    if waiting:
        return waiting[0], False
    job = services.jobs.enqueue(kind, site_id=site_id, params=params, actor=actor)
    details = {"job_id": job.id, **{k: v for k, v in (params or {}).items() if k == "run_id"}}
    services.audit.record(
        action, site_id, actor=actor, details=details, decision=True, request_id=request_id
    )
    return job, True


def view(job: Job) -> dict[str, Any]:
    """A site's job as its feature's endpoints show it (snapshots, backfills, …)."""
    return {
        "id": job.id,
        "site_id": job.site_id,
        "state": job.state,
        "requested_at": job.created_at,
        "requested_by": job.created_by,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "error": job.error,
    }
