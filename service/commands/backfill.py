"""`offentlig sites set-account`, `offentlig backfill`, `offentlig reconcile`: reading a
site into the archive over XML-RPC."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import click
from rich.progress import Progress, TaskID

from service.cli import _progress, _table, console, emit, json_option, opened
from service.records.model import Kind


class KindBars:
    """One progress bar per kind of record (the `Progress` that backfill reports to)."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[Kind, TaskID] = {}

    def totals(self, counts: Mapping[Kind, int]) -> None:
        for kind, total in counts.items():
            self.tasks[kind] = self.progress.add_task(f"{kind}s", total=total)

    def advance(self, kind: Kind, n: int) -> None:
        self.progress.advance(self.tasks[kind], n)


@contextmanager
def kind_bars(as_json: bool) -> Iterator[KindBars]:
    with _progress(as_json) as progress:
        yield KindBars(progress)


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


@click.command()
@click.argument("site_id")
@click.option("--run", "run_id", default=None, callback=_run_id, help="Resume this run (its id).")
@json_option
def backfill(site_id: str, run_id: str | None, as_json: bool) -> None:
    """Capture everything on SITE_ID published before live capture: every published post
    and page, every comment (approved, held, spam, trash)."""
    from service.auth.actor import operator
    from service.backfill import runs

    with opened() as svc, kind_bars(as_json) as bars:
        report = runs.backfill(svc, site_id, actor=operator(), run_id=run_id, progress=bars)
    result = report.as_dict()

    def render(data: dict[str, Any]) -> None:
        rows = [{"kind": kind, **tally} for kind, tally in data["kinds"].items()]
        _table(rows, ["kind", "read", "captured", "unchanged", "errors"])
        for error in data["errors"]:
            console.print(f"[red]{error['record_id']}[/]: {error['error']}")
        console.print(f"Run {data['run_id']} (rerun with --run {data['run_id']} to resume).")

    emit(result, as_json, render)


@click.command()
@click.argument("site_id")
@json_option
def reconcile(site_id: str, as_json: bool) -> None:
    """Compare SITE_ID with the archive; capture what is missing or changed, mark what is
    gone from the site; keep the report."""
    from service.auth.actor import operator
    from service.backfill import runs

    with opened() as svc, kind_bars(as_json) as bars:
        report = runs.reconcile(svc, site_id, actor=operator(), progress=bars)

    def render(data: dict[str, Any]) -> None:
        _table([data["counts"]], ["read", "unchanged", "missing", "changed", "gone", "errors"])
        for name in ("missing", "changed", "gone"):
            if data[name]:
                console.print(f"{name}: {' '.join(data[name])}")
        for error in data["errors"]:
            console.print(f"[red]{error['record_id']}[/]: {error['error']}")
        console.print(f"Report {data['id']} (sha256 {data['sha256']}).")

    emit(report, as_json, render)
