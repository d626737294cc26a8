"""`/v1/retention-rules`, `/v1/holds`, `/v1/culling-runs` and `/v1/culling-log`: culling
under decisions, stops on culling, and the permanent record of what was culled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.retention import (
    CullingLogArgsSchema,
    CullingLogFilterSchema,
    CullingLogPageSchema,
    HoldCreateSchema,
    HoldLiftSchema,
    HoldSchema,
    RuleBodySchema,
    RuleDetailSchema,
    RuleSchema,
    RunCreateSchema,
    RunItemPageSchema,
    RunItemsArgsSchema,
    RunLimitSchema,
    RunSchema,
)
from service.api.auth import actor, require, site_filter
from service.api.context import services
from service.auth.tokens import ADMIN, READ
from service.retention.log import LogFilter

rules_blp = Blueprint(
    "retention-rules",
    __name__,
    url_prefix="/v1/retention-rules",
    description="Culling rules, each citing its culling decision (gallringsbeslut).",
)
holds_blp = Blueprint(
    "holds", __name__, url_prefix="/v1/holds", description="Legal holds (gallringsstopp)."
)
runs_blp = Blueprint(
    "culling-runs",
    __name__,
    url_prefix="/v1/culling-runs",
    description="Culling runs: previewed (dry run) or executed.",
)
log_blp = Blueprint(
    "culling-log", __name__, url_prefix="/v1", description="What was culled, when, why, by whom."
)


@rules_blp.route("")
class Rules(MethodView):
    @require(READ)
    @rules_blp.response(200, RuleSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every culling rule, active and superseded"""
        return services().retention.rules.all()

    @require(ADMIN)
    @rules_blp.arguments(RuleBodySchema)
    @rules_blp.response(201, RuleSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Add a culling rule"""
        return services().retention.rules.create(body, actor=actor())


@rules_blp.route("/<rule_id>")
class Rule(MethodView):
    @require(READ)
    @rules_blp.response(200, RuleDetailSchema)
    def get(self, rule_id: str) -> dict[str, Any]:
        """One rule with every revision of it"""
        return services().retention.rules.get(rule_id)

    @require(ADMIN)
    @rules_blp.arguments(RuleBodySchema)
    @rules_blp.response(200, RuleSchema)
    @rules_blp.alt_response(409, description="The rule has culled records: supersede it.")
    def put(self, body: dict[str, Any], rule_id: str) -> dict[str, Any]:
        """Correct a rule that has culled nothing yet"""
        return services().retention.rules.edit(rule_id, body, actor=actor())


@rules_blp.route("/<rule_id>/supersede")
class RuleSupersession(MethodView):
    @require(ADMIN)
    @rules_blp.arguments(RuleBodySchema)
    @rules_blp.response(201, RuleSchema)
    def post(self, body: dict[str, Any], rule_id: str) -> dict[str, Any]:
        """Replace a rule with a new one; the old one stays in the register, superseded"""
        return services().retention.rules.supersede(rule_id, body, actor=actor())


@holds_blp.route("")
class Holds(MethodView):
    @require(READ)
    @holds_blp.response(200, HoldSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Every legal hold, active and lifted"""
        return services().retention.holds.all()

    @require(ADMIN)
    @holds_blp.arguments(HoldCreateSchema)
    @holds_blp.response(201, HoldSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Stop culling of one record, or of every record a query finds (now or later)"""
        return services().retention.holds.set(body, actor=actor())


@holds_blp.route("/<hold_id>/lift")
class HoldLift(MethodView):
    @require(ADMIN)
    @holds_blp.arguments(HoldLiftSchema)
    @holds_blp.response(200, HoldSchema)
    def post(self, body: dict[str, Any], hold_id: str) -> dict[str, Any]:
        """Lift a hold (a new revision: the hold stays in the register)"""
        return services().retention.holds.lift(hold_id, body["reason"], actor=actor())


@runs_blp.route("")
class Runs(MethodView):
    @require(ADMIN)
    @runs_blp.arguments(RunCreateSchema)
    @runs_blp.response(201, RunSchema)
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Plan a culling run (a dry run by default); with `dry_run: false` also cull, up to
        `limit` records in this request (execute the run again to carry on)"""
        return services().retention.runs.start(actor=actor(), **body)


@runs_blp.route("/<run_id>")
class Run(MethodView):
    @require(READ)
    @runs_blp.response(200, RunSchema)
    def get(self, run_id: str) -> dict[str, Any]:
        """One run: its state and counts per rule"""
        return services().retention.runs.get(run_id)


@runs_blp.route("/<run_id>/execute")
class RunExecution(MethodView):
    @require(ADMIN)
    @runs_blp.arguments(RunLimitSchema)
    @runs_blp.response(200, RunSchema)
    def post(self, body: dict[str, Any], run_id: str) -> dict[str, Any]:
        """Carry on an interrupted, failed or limited run; never culls anything twice"""
        return services().retention.runs.execute(run_id, actor=actor(), limit=body["limit"])


@runs_blp.route("/<run_id>/items")
class RunItems(MethodView):
    @require(READ)
    @runs_blp.arguments(RunItemsArgsSchema, location="query", as_kwargs=True)
    @runs_blp.response(200, RunItemPageSchema)
    def get(self, run_id: str, after: int, limit: int) -> dict[str, Any]:
        """The run's plan: every record due with its rule, every record spared with why"""
        return services().retention.runs.plan_page(run_id, after, limit)


def _filter(args: dict[str, Any]) -> LogFilter:
    return LogFilter(site_filter(args["site"]), args["rule"], args["run"], args["since"])


@log_blp.route("/culling-log")
class CullingLog(MethodView):
    @require(READ)
    @log_blp.arguments(CullingLogArgsSchema, location="query")
    @log_blp.response(200, CullingLogPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every culled record: what, when, under which decision, by whom"""
        return services().retention.log.page(_filter(args), args["cursor"], args["limit"])


@log_blp.route("/culling-log.csv")
class CullingLogCsv(MethodView):
    @require(READ)
    @log_blp.arguments(CullingLogFilterSchema, location="query")
    @log_blp.response(
        200, description="The culling log as CSV (header row first).", content_type="text/csv"
    )
    def get(self, args: dict[str, Any]) -> Response:
        """The culling log as CSV, streamed"""
        # The rows need no request context: they are read from the engine, a batch at a time.
        rows: Iterator[str] = services().retention.log.csv(_filter(args))
        response = Response(rows, mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="culling-log.csv"'
        return response
