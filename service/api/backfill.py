"""`/v1/sites/{site}/wordpress-account`, `…/backfills`, `…/reconciliations`: reading a site
into the archive (admin), and the reconciliation reports the plugin's widget shows."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.backfill import (
    BackfillReportSchema,
    BackfillRequestSchema,
    ReconciliationListArgsSchema,
    ReconciliationListSchema,
    ReconciliationReportSchema,
    WordPressAccountCheckedSchema,
    WordPressAccountSchema,
)
from service.api.auth import actor, check_site, require
from service.api.context import services
from service.auth.tokens import ADMIN, READ
from service.backfill import runs
from service.backfill.reports import ReconciliationReports

blp = Blueprint(
    "backfill",
    __name__,
    url_prefix="/v1/sites",
    description="Reading a site over XML-RPC: its account, backfills and reconciliations.",
)

_READ_ERRORS = (
    (404, "Unknown site."),
    (409, "The site has no WordPress account yet."),
    (502, "WordPress refused (XML-RPC off, an unreadable answer)."),
    (503, "WordPress, storage or database unreachable; retry later."),
)


def _known(site_id: str) -> None:
    """404 for a site the token may not see or the archive does not have."""
    check_site(site_id)
    services().sites.with_secret(site_id)


def _read_errors(view: Any) -> Any:
    for status, description in _READ_ERRORS:
        view = blp.alt_response(status, description=description)(view)
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


@blp.route("/<site_id>/backfills")
class Backfills(MethodView):
    @require(ADMIN)
    @blp.arguments(BackfillRequestSchema)
    @blp.response(201, BackfillReportSchema)
    @_read_errors
    def post(self, body: dict[str, Any], site_id: str) -> dict[str, Any]:
        """Backfill: capture every post, page and comment on the site (runs to its end)"""
        check_site(site_id)
        report = runs.backfill(
            services(), site_id, actor=actor(), run_id=body["run_id"],
            request_id=g.get("request_id"),
        )  # fmt: skip
        return report.as_dict()


@blp.route("/<site_id>/reconciliations")
class Reconciliations(MethodView):
    @require(READ)
    @blp.arguments(ReconciliationListArgsSchema, location="query")
    @blp.response(200, ReconciliationListSchema)
    def get(self, args: dict[str, Any], site_id: str) -> dict[str, Any]:
        """The site's reconciliation reports, newest first (counts only)"""
        _known(site_id)
        reports = ReconciliationReports(services().storage)
        return {"items": reports.newest(site_id, args["limit"])}

    @require(ADMIN)
    @blp.response(201, ReconciliationReportSchema)
    @_read_errors
    def post(self, site_id: str) -> dict[str, Any]:
        """Reconcile: compare the site with the archive, capture what differs, keep the report"""
        check_site(site_id)
        return runs.reconcile(services(), site_id, actor=actor(), request_id=g.get("request_id"))


@blp.route("/<site_id>/reconciliations/latest")
class LatestReconciliation(MethodView):
    @require(READ)
    @blp.response(200, ReconciliationReportSchema)
    @blp.alt_response(404, description="Unknown site, or never reconciled.")
    def get(self, site_id: str) -> dict[str, Any]:
        """The site's latest reconciliation report, with the record ids it found"""
        _known(site_id)
        return ReconciliationReports(services().storage).latest(site_id)
