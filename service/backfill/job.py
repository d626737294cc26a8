"""The `backfill` and `reconcile` jobs: reading a site into the archive in the background.

Each is asked for through the API (202 with the job), the CLI (run now, in the foreground,
or `--enqueue`d) or, for reconciliation, the site's schedule, and run by `offentlig worker`.
A run checkpoints after every page of a listing: a run whose worker died, or that was given
back on shutdown, carries on from there with the same run id, so nothing is captured twice
and its report counts every object once. A backfill's run id is the one asked to resume, or
its job's id; a reconciliation's is its job's id, and so its report's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from service.auth.actor import SERVICE, Actor
from service.backfill import runs
from service.backfill.backfill import BackfillReport
from service.backfill.reconcile import Findings, archived_records
from service.backfill.reports import ReconciliationReports
from service.backfill.schedule import BACKFILL, RECONCILE, RECONCILIATIONS
from service.capture.snapshot import iso
from service.errors import Conflict
from service.jobs.context import JobContext
from service.jobs.control import request_once, view
from service.jobs.handlers import register, register_schedule
from service.jobs.model import Job
from service.records.model import Kind

if TYPE_CHECKING:
    from service.services import Services

log = logging.getLogger("offentlig.backfill")

KINDS = (BACKFILL, RECONCILE)


class JobProgress:
    """The pipeline's `Progress`, told to the job: objects read of the site's total, and
    per kind in the note ("post 120/2000 · page 0/50 · comment 0/5000"). The counts come from
    the run's report, so objects read again when a run resumes are not counted twice."""

    def __init__(self, ctx: JobContext, read: Callable[[], Mapping[str, int]]):
        self.ctx = ctx
        self.read = read  # objects read so far, by kind
        self.total: dict[str, int] = {}

    def totals(self, counts: Mapping[Kind, int]) -> None:
        self.total = {str(kind): n for kind, n in counts.items()}
        self._tell()

    def advance(self, kind: Kind, n: int) -> None:
        self._tell()

    def _tell(self) -> None:
        read: Mapping[str, int] = self.read()
        note = " · ".join(f"{kind} {read[kind]}/{self.total.get(kind, '?')}" for kind in read)
        self.ctx.progress(sum(read.values()), sum(self.total.values()) or None, note)


def _checkpoint(ctx: JobContext) -> Callable[[dict[str, Any]], None]:
    """Save where the run is, then stop there if the worker is shutting down or the lease
    is lost (the next run resumes from this very checkpoint)."""

    def save(data: dict[str, Any]) -> None:
        ctx.checkpoint(data)
        ctx.stop_point()

    return save


def _site(ctx: JobContext) -> str:
    if ctx.site_id is None:
        raise ValueError(f"a {ctx.job.kind} job needs a site")
    return ctx.site_id


def run_backfill_job(ctx: JobContext) -> dict[str, Any]:
    site_id = _site(ctx)
    resume = ctx.resume_from or {}
    run_id = ctx.params.get("run_id") or ctx.job.id
    if "report" in resume:
        report = BackfillReport.resumed(resume["report"])
    else:
        report = BackfillReport(run_id, site_id)
    save = _checkpoint(ctx)
    finished = runs.backfill(
        ctx.services, site_id, run_id=run_id, report=report,
        progress=JobProgress(ctx, report.read),
        checkpoint=lambda offsets: save({"offsets": offsets, "report": report.state()}),
        resume_from=resume.get("offsets"),
    )  # fmt: skip
    return finished.as_dict()


def run_reconcile_job(ctx: JobContext) -> dict[str, Any]:
    svc = ctx.services
    site_id = _site(ctx)
    reports = ReconciliationReports(svc.storage)
    try:
        stored = reports.get(site_id, ctx.job.id)
    except FileNotFoundError:
        pass
    else:  # an earlier attempt stored it and died before it could say so
        return summary(stored)
    resume = ctx.resume_from or {}
    archived = archived_records(svc.engine, site_id)
    if "findings" in resume:
        findings = Findings.resumed(site_id, archived, resume["findings"])
    else:
        findings = Findings(archived, started_at=iso(svc.clock()))
    requested = ctx.params.get("requested_by")
    report = runs.reconcile(
        svc, site_id, run_id=ctx.job.id, findings=findings, resume_from=resume.get("offsets"),
        checkpoint=_checkpoint(ctx), progress=JobProgress(ctx, lambda: dict(findings.read)),
        recorded_by=Actor.from_dict(requested) if requested else SERVICE,
    )  # fmt: skip
    return summary(report)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """What the job's result keeps of a reconciliation: the report's key facts (the report
    itself, with its lists of records, is in storage)."""
    return {
        "report_id": report["id"],
        "report_sha256": report["sha256"],
        "counts": report["counts"],
    }


_KIND_PROGRESS = re.compile(r"(\w+) (\d+)/(\d+|\?)")


def progress_of(job: Job) -> dict[str, Any]:
    """The job's progress as the API shows it, per kind parsed back from its note."""
    kinds = {
        kind: {"done": int(done), "total": None if total == "?" else int(total)}
        for kind, done, total in _KIND_PROGRESS.findall(job.progress_note or "")
    }
    return {"done": job.progress_done, "total": job.progress_total, "kinds": kinds}


def status(job: Job) -> dict[str, Any]:
    """A backfill's or reconciliation's job as the API shows it."""
    return {**view(job), "progress": progress_of(job)}


def request(
    svc: Services,
    kind: str,
    site_id: str,
    actor: Actor,
    *,
    run_id: str | None = None,
    request_id: str | None = None,
) -> tuple[Job, bool]:
    """A backfill or reconciliation of the site, queued (`request_once`). A site without a
    WordPress account is a `Conflict` (409) at once, not a failed job."""
    site, account = svc.sites.account(site_id)
    if account is None:
        raise Conflict(runs.NO_ACCOUNT.format(site_id=site.id))
    params: dict[str, Any] = {"requested_by": actor.as_dict()}
    if run_id is not None:
        params["run_id"] = run_id
    return request_once(
        svc, kind, site_id, actor, f"site.{kind}", params=params, request_id=request_id
    )


register(BACKFILL, run_backfill_job)
register(RECONCILE, run_reconcile_job)
register_schedule(RECONCILIATIONS.plan)
