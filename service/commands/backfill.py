"""`offentlig sites set-account`, `offentlig backfill`, `offentlig reconcile`: reading a
site into the archive over XML-RPC."""

from __future__ import annotations

import sys
from typing import Any

import click

from service.cli import _table, console, emit, json_option, opened


def _run_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from schemas.backfill import RUN_ID

    if value is not None:
        try:
            RUN_ID(value)
        except Exception as exc:  # noqa: BLE001 - marshmallow's ValidationError, as one line
            raise click.BadParameter(str(exc)) from None
    return value


@click.command("set-account")
@click.argument("site_id")
@click.option("--username", required=True, help="An Editor or Administrator of the site.")
@click.option(
    "--app-password-stdin",
    is_flag=True,
    help="Read the application password from standard input instead of a hidden prompt.",
)
@click.option(
    "--personal-data",
    "personal_data",
    multiple=True,
    type=click.Choice(["email", "ip"]),
    default=("email",),
    show_default=True,
    help="Commenters' personal data to keep, as the plugin sends it (repeat for several).",
)
@json_option
def set_account(
    site_id: str,
    username: str,
    app_password_stdin: bool,
    personal_data: tuple[str, ...],
    as_json: bool,
) -> None:
    """Set the WordPress account SITE_ID is read with (backfill, reconcile)."""
    from service.auth.actor import operator
    from service.backfill import runs

    if app_password_stdin:
        password = sys.stdin.readline().strip()
    else:
        password = click.prompt("Application password", hide_input=True).strip()
    if not password:
        raise click.BadParameter("is empty", param_hint="application password")
    with opened() as svc:
        checked = runs.set_account(
            svc, site_id, username, password, personal_data, actor=operator()
        )

    def render(data: dict[str, Any]) -> None:
        roles = ", ".join(data["roles"])
        console.print(f"Site {data['site_id']} is read as {data['username']} ({roles}).")

    emit(checked, as_json, render)


_ENQUEUE = click.option(
    "--enqueue",
    is_flag=True,
    help="Only queue it for `offentlig worker` (as the API does) and print its job.",
)


def _run(
    site_id: str, kind: str, as_json: bool, enqueue: bool, run_id: str | None = None
) -> dict[str, Any] | None:
    """Queue the job (audited), then run it here with a progress bar unless `enqueue`; the
    job's result, or None when only queued (the job is printed)."""
    from service.auth.actor import operator
    from service.backfill.job import request
    from service.commands.jobs import _printable, run_in_foreground

    with opened() as svc:
        job, _new = request(svc, kind, site_id, operator(), run_id=run_id)
        if enqueue:
            shown = _printable(job)
            emit(shown, as_json, lambda j: console.print(f"Queued: {kind} job {j['id']}."))
            return None
        done = run_in_foreground(
            svc, kind, description=f"{kind.capitalize()} of {site_id}", as_json=as_json,
            site_id=site_id, queued=job,
        )  # fmt: skip
        result: dict[str, Any] = done.result
        if kind == "reconcile":
            from service.backfill.reports import ReconciliationReports

            result = ReconciliationReports(svc.storage).get(site_id, result["report_id"])
        return result


@click.command()
@click.argument("site_id")
@click.option("--run", "run_id", default=None, callback=_run_id, help="Resume this run (its id).")
@_ENQUEUE
@json_option
def backfill(site_id: str, run_id: str | None, enqueue: bool, as_json: bool) -> None:
    """Capture everything on SITE_ID published before live capture: every published post
    and page, every comment (approved, held, spam, trash). Runs now with a progress bar;
    interrupted, its job stays queued and `offentlig worker` carries it on."""
    from service.backfill.schedule import BACKFILL

    result = _run(site_id, BACKFILL, as_json, enqueue, run_id)
    if result is None:
        return

    def render(data: dict[str, Any]) -> None:
        rows = [{"kind": kind, **tally} for kind, tally in data["kinds"].items()]
        _table(rows, ["kind", "read", "captured", "unchanged", "errors"])
        for error in data["errors"]:
            console.print(f"[red]{error['record_id']}[/]: {error['error']}")
        console.print(f"Run {data['run_id']} (rerun with --run {data['run_id']} to resume).")

    emit(result, as_json, render)


@click.command()
@click.argument("site_id")
@_ENQUEUE
@json_option
def reconcile(site_id: str, enqueue: bool, as_json: bool) -> None:
    """Compare SITE_ID with the archive; capture what is missing or changed, mark what is
    gone from the site; keep the report. Runs now with a progress bar."""
    from service.backfill.schedule import RECONCILE

    report = _run(site_id, RECONCILE, as_json, enqueue)
    if report is None:
        return

    def render(data: dict[str, Any]) -> None:
        _table([data["counts"]], ["read", "unchanged", "missing", "changed", "gone", "errors"])
        for name in ("missing", "changed", "gone"):
            if data[name]:
                console.print(f"{name}: {' '.join(data[name])}")
        for error in data["errors"]:
            console.print(f"[red]{error['record_id']}[/]: {error['error']}")
        console.print(f"Report {data['id']} (sha256 {data['sha256']}).")

    emit(report, as_json, render)


@click.command("set-reconcile-schedule")
@click.argument("site_id")
@click.argument("every")
@json_option
def set_reconcile_schedule(site_id: str, every: str, as_json: bool) -> None:
    """How often SITE is reconciled: an ISO 8601 duration (P1D, the default) or "off".
    Only sites with a WordPress account are reconciled on schedule."""
    from service.auth.actor import operator
    from service.backfill.schedule import RECONCILIATIONS

    with opened() as svc:
        changed = RECONCILIATIONS.change(svc, site_id, every, operator())
    emit(
        changed,
        as_json,
        lambda c: console.print(f"Site {c['site_id']}: {c['every']}, next due {c['next_due']}."),
    )
