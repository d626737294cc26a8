"""A site's snapshots as the API and the CLI list them: queued and running ones (jobs, with
their progress), then finished ones (the index), with the schedule's next due date."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from service.jobs.control import pending, view
from service.jobs.model import Job
from service.snapshots.job import progress_of
from service.snapshots.schedule import KIND, OFF, effective, next_due

if TYPE_CHECKING:
    from service.services import Services


def unfinished(job: Job) -> dict[str, Any]:
    return {**view(job), "progress": progress_of(job)}


def finished(row: Any) -> dict[str, Any]:
    return {**row._mapping, "state": "finished", "progress": None}


def overview(svc: Services, site_id: str) -> dict[str, Any]:
    every = effective(svc.snapshots.site(site_id).snapshot_every)
    done = [finished(row) for row in svc.snapshots.index.of_site(site_id)]
    return {
        "site_id": site_id,
        "every": every or OFF,
        "last": done[0] if done else None,
        "next_due": next_due(svc, site_id, every),
        "items": [unfinished(job) for job in pending(svc, KIND, site_id)] + done,
    }
