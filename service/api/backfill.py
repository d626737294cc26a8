"""`/v1/sites/{site}/wordpress-account`, `…/backfills`, `…/reconciliations`,
`…/reconcile-schedule`: reading a site into the archive as jobs (admin), their progress, and
the reconciliation reports the plugin's widget shows."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.backfill import (
    BackfillRequestSchema,
    BackfillStateSchema,
    ReconciliationDetailSchema,
    ReconciliationListArgsSchema,
    ReconciliationListSchema,
    ReconciliationReportSchema,
    WordPressAccountCheckedSchema,
    WordPressAccountSchema,
)
from schemas.jobs import JobSchema
from schemas.snapshots import ScheduleAnswerSchema, ScheduleSchema
from service.api.auth import actor, check_site, require
from service.api.context import services
from service.auth.tokens import ADMIN, READ
from service.backfill import runs
from service.backfill.job import request, status
from service.backfill.reports import ReconciliationReports
from service.backfill.schedule import BACKFILL, RECONCILE, RECONCILIATIONS
from service.capture.snapshot import iso
from service.jobs.control import find
from service.jobs.model import SUCCEEDED, Job
from service.jobs.site_schedules import OFF

blp = Blueprint(
    "backfill",
    __name__,
    url_prefix="/v1/sites",
    description="Reading a site over XML-RPC: its account, backfills and reconciliations.",
)

_REQUEST_ERRORS = (
    (404, "Unknown site."),
    (409, "The site has no WordPress account yet."),
    (503, "Storage or database unreachable; retry later."),
)


def _known(site_id: str) -> None:
    """404 for a site the token may not see or the archive does not have."""
    check_site(site_id)
    services().sites.with_secret(site_id)


def _request_errors(view: Any) -> Any:
    for code, description in _REQUEST_ERRORS:
        view = blp.alt_response(code, description=description)(view)
    return view


@blp.route("/<site_id>/wordpress-account")
class WordPressAccount(MethodView):
    @require(ADMIN)
    @blp.arguments(WordPressAccountSchema)
    @blp.response(200, WordPressAccountCheckedSchema)
    @blp.alt_response(404, description="Unknown site.")
    @blp.alt_response(422, description="Wrong credentials, or not an Editor or Administrator.")
    @blp.alt_response(502, description="WordPress refused (XML-RPC off, an unreadable answer).")
    @blp.alt_response(503, description="WordPress unreachable; retry later.")
    def put(self, body: dict[str, Any], site_id: str) -> dict[str, Any]:
        """Set the account the site is read with (checked against the site; never shown)"""
        check_site(site_id)
        return runs.set_account(
            services(), site_id, body["username"], body["app_password"], body["personal_data"],
            actor=actor(), request_id=g.get("request_id"),
        )  # fmt: skip


Accepted = tuple[dict[str, Any], int, dict[str, str]]


def _accepted(job: Job, detail: str, site_id: str) -> Accepted:
    where = url_for(f"backfill.{detail}", site_id=site_id, job_id=job.id)
    return job.as_dict(), 202, {"Location": where}


@blp.route("/<site_id>/backfills")
class Backfills(MethodView):
    @require(ADMIN)
    @blp.arguments(BackfillRequestSchema)
    @blp.response(202, JobSchema)
    @_request_errors
    def post(self, body: dict[str, Any], site_id: str) -> Accepted:
        """Backfill: capture every post, page and comment on the site (its job; the one
        already queued or running, if any)"""
        _known(site_id)
        job, _new = request(
            services(), BACKFILL, site_id, actor(), run_id=body["run_id"],
            request_id=g.get("request_id"),
        )  # fmt: skip
        return _accepted(job, "BackfillDetail", site_id)


@blp.route("/<site_id>/backfills/<job_id>")
class BackfillDetail(MethodView):
    @require(READ, ADMIN)
    @blp.response(200, BackfillStateSchema)
    @blp.alt_response(404, description="Unknown site or backfill.")
    def get(self, site_id: str, job_id: str) -> dict[str, Any]:
        """One backfill: its state and progress per kind; once done, its counts"""
        _known(site_id)
        job = find(services(), BACKFILL, site_id, job_id)
        return {**status(job), "report": job.result}


@blp.route("/<site_id>/reconciliations")
class Reconciliations(MethodView):
    @require(READ)
    @blp.arguments(ReconciliationListArgsSchema, location="query")
    @blp.response(200, ReconciliationListSchema)
    def get(self, args: dict[str, Any], site_id: str) -> dict[str, Any]:
        """The site's reconciliation reports, newest first (counts only), and its schedule"""
        _known(site_id)
        svc = services()
        reports = ReconciliationReports(svc.storage)
        every = RECONCILIATIONS.in_force(svc.engine).get(site_id)
        return {
            "site_id": site_id,
            "every": every or OFF,
            "next_due": RECONCILIATIONS.next_due(svc, site_id, every),
            "items": reports.newest(site_id, args["limit"]),
        }

    @require(ADMIN)
    @blp.response(202, JobSchema)
    @_request_errors
    def post(self, site_id: str) -> Accepted:
        """Reconcile: compare the site with the archive, capture what differs, keep the
        report (its job; the one already queued or running, if any)"""
        _known(site_id)
        job, _new = request(services(), RECONCILE, site_id, actor(), request_id=g.get("request_id"))
        return _accepted(job, "ReconciliationDetail", site_id)


@blp.route("/<site_id>/reconciliations/latest")
class LatestReconciliation(MethodView):
    @require(READ)
    @blp.response(200, ReconciliationReportSchema)
    @blp.alt_response(404, description="Unknown site, or never reconciled.")
    def get(self, site_id: str) -> dict[str, Any]:
        """The site's latest reconciliation report, with the record ids it found"""
        _known(site_id)
        return ReconciliationReports(services().storage).latest(site_id)


@blp.route("/<site_id>/reconciliations/<job_id>")
class ReconciliationDetail(MethodView):
    @require(READ, ADMIN)
    @blp.response(200, ReconciliationDetailSchema)
    @blp.alt_response(404, description="Unknown site or reconciliation.")
    def get(self, site_id: str, job_id: str) -> dict[str, Any]:
        """One reconciliation: its report once finished (`state: succeeded`), else its
        job's state and progress"""
        _known(site_id)
        svc = services()
        try:
            report = ReconciliationReports(svc.storage).get(site_id, job_id)
        except FileNotFoundError:
            job = status(find(svc, RECONCILE, site_id, job_id))
            times = {name: job[name] and iso(job[name]) for name in ("started_at", "finished_at")}
            return {**job, **times}
        return {**report, "state": SUCCEEDED}


@blp.route("/<site_id>/reconcile-schedule")
class ReconcileSchedule(MethodView):
    @require(ADMIN)
    @blp.arguments(ScheduleSchema)
    @blp.response(200, ScheduleAnswerSchema)
    def put(self, body: dict[str, Any], site_id: str) -> dict[str, Any]:
        """Set how often the site is reconciled ("P1D", the default, or "off"; audited)"""
        _known(site_id)
        return RECONCILIATIONS.change(
            services(), site_id, body["every"], actor(), g.get("request_id")
        )
