"""`/v1/jobs`: long work (snapshots, backfills, culling runs, exports), its progress, and
cancelling it. Each feature creates its jobs through its own endpoint."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.jobs import JobListArgsSchema, JobPageSchema, JobSchema
from service.api.auth import actor, principal, require, site_filter
from service.api.context import services
from service.auth.tokens import ADMIN
from service.errors import NotFound
from service.jobs.control import cancel
from service.jobs.model import Job

blp = Blueprint(
    "jobs", __name__, url_prefix="/v1/jobs", description="Long work run by `offentlig worker`."
)


def _visible_job(job_id: str) -> Job:
    """A token limited to one site sees that site's jobs only, not the authority's."""
    job = services().jobs.get(job_id)
    limit = principal().site_id
    if limit is not None and job.site_id != limit:
        raise NotFound(f"No job {job_id!r}.")
    return job


@blp.route("")
class Jobs(MethodView):
    @require(ADMIN)
    @blp.arguments(JobListArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, JobPageSchema)
    def get(
        self, limit: int, cursor: str | None, site: str | None, **filters: Any
    ) -> dict[str, Any]:
        """Jobs, newest first; follow `next_cursor`"""
        jobs = services().jobs.list(
            site_ids=site_filter(site), limit=limit + 1, before=cursor, **filters
        )
        page = jobs[:limit]
        more = len(jobs) > limit
        return {"items": [j.as_dict() for j in page], "next_cursor": page[-1].id if more else None}


@blp.route("/<job_id>")
class JobDetail(MethodView):
    @require(ADMIN)
    @blp.response(200, JobSchema)
    def get(self, job_id: str) -> dict[str, Any]:
        """One job with its progress, checkpoint, result or error"""
        return _visible_job(job_id).as_dict()


@blp.route("/<job_id>/cancel")
class JobCancel(MethodView):
    @require(ADMIN)
    @blp.response(200, JobSchema)
    @blp.alt_response(409, description="The job has finished already.")
    def post(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job (a running one stops at its next check)"""
        job = cancel(services(), _visible_job(job_id).id, actor(), g.get("request_id"))
        return job.as_dict()
