"""`offentlig cull`, `offentlig rules …`, `offentlig holds …`: culling under decisions."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import click
from marshmallow import Schema, ValidationError

from service.auth.actor import operator
from service.cli import _progress, _table, console, emit, json_option, opened

RUN_COLUMNS = [
    "rule",
    "decision_reference",
    "due",
    "culled",
    "held",
    "registered",
    "review_pending",
]


def _loaded(schema: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Options checked by the API's own schema: one clear line for what is wrong."""
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ValidationError as exc:
        raise click.UsageError(json.dumps(exc.messages, ensure_ascii=False)) from None
    return loaded


def _moment(value: str | None) -> datetime | None:
    """A date (the end of that day, UTC) or an aware ISO 8601 date-time, as the API takes."""
    from schemas.retention import Moment

    if value is None:
        return None
    try:
        moment: datetime = Moment().deserialize(value)
    except ValidationError as exc:
        raise click.BadParameter(f"{value!r}: {exc.messages}", param_hint="--as-of") from None
    return moment


def _shown(schema: type[Schema], data: Any, many: bool = False) -> Any:
    """What the API would answer, so that --json prints the same."""
    return schema(many=many).dump(data)


# --- cull ------------------------------------------------------------------------------


@click.command()
@click.option("--execute", is_flag=True, help="Cull (without it: a dry run that culls nothing).")
@click.option("--rule", "rule_ids", multiple=True, help="Only records this rule allows; repeat.")
@click.option("--as-of", default=None, help="Evaluate at this date or date-time (default: now).")
@click.option("--resume", "run_id", default=None, help="Carry on an interrupted run.")
@json_option
def cull(
    execute: bool, rule_ids: tuple[str, ...], as_of: str | None, run_id: str | None, as_json: bool
) -> None:
    """Plan a culling run and show what is due per rule; with --execute, cull it."""
    actor = operator()
    with opened() as svc, _progress(as_json) as progress:
        runs = svc.retention.runs
        if run_id is None:
            run = runs.start(
                actor=actor,
                dry_run=not execute,
                rule_ids=list(rule_ids),
                as_of=_moment(as_of),
                execute=False,
            )
        else:
            run = runs.get(run_id)
        if not run["dry_run"]:
            due = sum(rule["due"] for rule in run["counts"]["rules"].values())
            task = progress.add_task("Culling", total=due)
            run = runs.execute(run["id"], actor=actor, advance=lambda n: progress.advance(task, n))
    from schemas.retention import RunSchema

    emit(_shown(RunSchema, run), as_json, _render_run)


def _render_run(run: dict[str, Any]) -> None:
    rows = [{"rule": rule_id, **counts} for rule_id, counts in run["counts"]["rules"].items()]
    _table(rows, RUN_COLUMNS)
    kind = "Dry run" if run["dry_run"] else "Run"
    console.print(
        f"{kind} {run['id']} ({run['state']}): {run['counts']['items']} records planned,"
        f" {run['counts']['culled']} culled."
    )


# --- rules -----------------------------------------------------------------------------


def _rule_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--decision-reference", required=True, help='e.g. "KS 2026/114 § 12"'),
        click.option("--decision-date", required=True, help="YYYY-MM-DD"),
        click.option("--retention", required=True, help="ISO 8601 duration: P2Y, P6M, P30D."),
        click.option(
            "--counted-from",
            required=True,
            type=click.Choice(["published", "last_change", "channel_closed"]),
        ),
        click.option("--description", default=""),
        click.option("--site", "sites", multiple=True, help="Limit to a site id; repeat."),
        click.option("--kind", "kinds", multiple=True, help="post, page or comment; repeat."),
        click.option("--origin", "origins", multiple=True, help="drawn_up or received; repeat."),
        click.option("--status", "statuses", multiple=True, help="e.g. publish, spam; repeat."),
        click.option("--term", "terms", multiple=True, help="taxonomy:name; repeat."),
        click.option("--covers-registered", is_flag=True, help="May cull registered records."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _rule_body(options: dict[str, Any]) -> dict[str, Any]:
    from schemas.retention import RuleBodySchema

    terms: dict[str, list[str]] = {}
    for term in options["terms"]:
        taxonomy, _, name = term.partition(":")
        if not (taxonomy and name):
            raise click.BadParameter(f"not taxonomy:name: {term!r}", param_hint="--term")
        terms.setdefault(taxonomy, []).append(name)
    scope = {name: list(options[name]) for name in ("sites", "kinds", "origins", "statuses")}
    return _loaded(
        RuleBodySchema(),
        {
            "decision_reference": options["decision_reference"],
            "decision_date": options["decision_date"],
            "description": options["description"],
            "retention": options["retention"],
            "counted_from": options["counted_from"],
            "covers_registered": options["covers_registered"],
            "scope": {**scope, "terms": terms},
        },
    )


@click.group()
def rules() -> None:
    """Culling rules, each citing its culling decision."""


@rules.command("list")
@json_option
def rules_list(as_json: bool) -> None:
    """List every rule, active and superseded."""
    from schemas.retention import RuleSchema

    with opened() as svc:
        found = _shown(RuleSchema, svc.retention.rules.all(), many=True)
    columns = ["id", "decision_reference", "retention", "counted_from", "state", "used"]
    emit(found, as_json, lambda rows: _table(rows, columns))


@rules.command("add")
@_rule_options
@json_option
def rules_add(as_json: bool, **options: Any) -> None:
    """Add a culling rule."""
    from schemas.retention import RuleSchema

    body = _rule_body(options)
    with opened() as svc:
        rule = _shown(RuleSchema, svc.retention.rules.create(body, actor=operator()))
    emit(rule, as_json, lambda r: console.print(f"Rule {r['id']} ({r['decision_reference']})."))


@rules.command("supersede")
@click.argument("rule_id")
@_rule_options
@json_option
def rules_supersede(rule_id: str, as_json: bool, **options: Any) -> None:
    """Replace a rule with a new one; the old one stays, superseded."""
    from schemas.retention import RuleSchema

    body = _rule_body(options)
    with opened() as svc:
        rule = _shown(RuleSchema, svc.retention.rules.supersede(rule_id, body, actor=operator()))
    emit(rule, as_json, lambda r: console.print(f"Rule {r['id']} supersedes {rule_id}."))


# --- holds -----------------------------------------------------------------------------


@click.group()
def holds() -> None:
    """Legal holds: stops on culling."""


@holds.command("list")
@json_option
def holds_list(as_json: bool) -> None:
    """List every hold, active and lifted."""
    from schemas.retention import HoldSchema

    with opened() as svc:
        found = _shown(HoldSchema, svc.retention.holds.all(), many=True)
    columns = ["id", "active", "record_id", "sites", "kinds", "text", "reason", "set_by"]
    emit(found, as_json, lambda rows: _table(rows, columns))


@holds.command("set")
@click.option("--reason", required=True)
@click.option("--record", "record_id", default=None, help="One record's id.")
@click.option("--site", "sites", multiple=True, help="A query: these sites; repeat.")
@click.option("--kind", "kinds", multiple=True, help="A query: these kinds; repeat.")
@click.option("--published-after", default=None)
@click.option("--published-before", default=None)
@click.option("--text", default=None, help="A query: full text, as the API's `q`.")
@json_option
def holds_set(as_json: bool, **options: Any) -> None:
    """Stop culling of one record, or of every record a query finds (now or later)."""
    from schemas.retention import HoldCreateSchema, HoldSchema

    given = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in options.items()
        if value not in (None, ())
    }
    body = _loaded(HoldCreateSchema(), given)
    with opened() as svc:
        hold = _shown(HoldSchema, svc.retention.holds.set(body, actor=operator()))
    emit(hold, as_json, lambda h: console.print(f"Hold {h['id']} set."))


@holds.command("lift")
@click.argument("hold_id")
@click.option("--reason", required=True)
@json_option
def holds_lift(hold_id: str, reason: str, as_json: bool) -> None:
    """Lift a hold (it stays in the register)."""
    from schemas.retention import HoldSchema

    with opened() as svc:
        hold = _shown(HoldSchema, svc.retention.holds.lift(hold_id, reason, actor=operator()))
    emit(hold, as_json, lambda h: console.print(f"Hold {h['id']} lifted."))
