"""What an operator does to a job, from the CLI or the API alike, with its audit entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from service.auth.actor import Actor
from service.jobs.model import Job

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
