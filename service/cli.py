"""`offentlig`: serve, manage sites and tokens, migrate, reindex. Every command takes --json.

Commands import what they need when they run, so `--help` stays fast.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from service.auth.actor import operator
from service.auth.tokens import SCOPES

if TYPE_CHECKING:
    from service.services import Services

console = Console(stderr=False)
FC = TypeVar("FC", bound=Callable[..., Any])
# Capture is CPU work in Python between two short waits (object storage, database): processes
# use both cores where threads of one process queue on the GIL (`make bench` measured it).
DEFAULT_WORKERS = 2 * (os.cpu_count() or 1)
DEFAULT_THREADS = 1

# Annotated: modules in service/commands/ import it while this module imports them.
json_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON instead of text."
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    raise TypeError(f"cannot print {type(value).__name__}")


def emit(data: Any, as_json: bool, render: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, default=_default, ensure_ascii=False, indent=2))
    else:
        render(data)


def _config(**overrides: Any) -> dict[str, Any]:
    from service import config as settings

    return settings.load(overrides)


@contextlib.contextmanager
def opened() -> Iterator[Services]:
    """The collaborators for one command, closed when it is done; the service's own errors
    become one clear line instead of a traceback."""
    from service import services
    from service.errors import OffentligError

    try:
        built = services.build(_config())
    except Exception as exc:  # noqa: BLE001 - a clear line for the operator, not a traceback
        raise click.ClickException(f"cannot open storage or database: {exc}") from exc
    try:
        yield built
    except OffentligError as exc:
        details = f" {json.dumps(exc.errors, ensure_ascii=False)}" if exc.errors else ""
        raise click.ClickException(exc.message + details) from exc
    finally:
        built.close()


@click.group()
@click.version_option(package_name="offentlig")
def main() -> None:
    """Offentlig keeps what a public authority publishes on WordPress as public records."""


# --- serve -----------------------------------------------------------------------------

# A temp file untouched this long belongs to a write whose process died (a live write of a
# multi-GB WARC touches its file all the time).
ABANDONED_WRITE_SECONDS = 600


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=DEFAULT_WORKERS,
    show_default="2 per CPU",
    type=int,
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    default=DEFAULT_THREADS,
    show_default=True,
    type=int,
    help="Threads per worker (more than 1: gthread workers).",
)
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Run the service with gunicorn (migrates the database first)."""
    config = _config()
    with opened() as svc:  # migrates once, before any worker starts
        abandoned = getattr(svc.storage, "remove_abandoned_writes", None)
        if abandoned is not None:  # a filesystem store: what a killed process left behind
            abandoned(ABANDONED_WRITE_SECONDS)

    # Prometheus picks its multi-process mode when it is first imported, and this process
    # has imported it already: gunicorn starts afresh, with the directory in its environment.
    metrics_dir = Path(config["DATA_DIR"]) / "prometheus"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:service.gunicorn_conf",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "service.wsgi:app",
    ]
    os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter, fixed arguments


# --- migrate and reindex ---------------------------------------------------------------


@main.command()
@json_option
def migrate(as_json: bool) -> None:
    """Bring the database schema up to date."""
    with opened():  # opening migrates
        pass
    emit({"migrated": True}, as_json, lambda _: console.print("Database schema is up to date."))


@main.command()
@json_option
def reindex(as_json: bool) -> None:
    """Rebuild the whole database from object storage alone."""
    from service.reindex import reindex as rebuild_all

    with opened() as svc, _progress(as_json) as progress:

        def step(description: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(description, total=total)
            return lambda n: progress.advance(task, n)

        report = rebuild_all(svc.engine, svc.storage, step)
    result = {
        "records": report.records.records,
        "versions": report.records.versions,
        "events": report.records.events,
        "registers": report.entries,
        "audit": report.audit,
        "snapshots": report.snapshots,
        "corrupt": report.corrupt,
    }

    def render(r: dict[str, Any]) -> None:
        registers = ", ".join(f"{n} {name}" for name, n in r["registers"].items())
        console.print(
            f"Indexed {r['records']} records, {r['versions']} versions, {r['events']} events;"
            f" registers: {registers}; {r['audit']} audit entries; {r['snapshots']} snapshots."
        )
        if r["corrupt"]:
            console.print(f"[red]{len(r['corrupt'])} objects failed their hash check.[/]")

    emit(result, as_json, render)
    if report.corrupt:
        for key in report.corrupt:
            click.echo(f"corrupt: {key}", err=True)
        sys.exit(1)


def _progress(as_json: bool) -> Progress:
    """A progress display on stderr for long work; silent for --json or without a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=as_json or not sys.stderr.isatty(),
    )


# --- sites -----------------------------------------------------------------------------


@main.group()
def sites() -> None:
    """Sites whose WordPress sends webhooks here."""


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*[_cell(row.get(c)) for c in columns])
    console.print(table)


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return str(_default(value))
    if isinstance(value, list):
        return " ".join(value)
    return "" if value is None else str(value)


@sites.command("add")
@click.option("--name", required=True, help='e.g. "Staffanstorps kommun"')
@click.option("--url", required=True, help="The site's public URL.")
@json_option
def sites_add(name: str, url: str, as_json: bool) -> None:
    """Add a site and print its id and webhook secret (shown once)."""
    from schemas.admin import SiteCreateSchema

    errors = SiteCreateSchema().validate({"name": name, "url": url})
    if errors:
        raise click.BadParameter(json.dumps(errors), param_hint="--name/--url")
    with opened() as svc:
        site, secret = svc.sites.add(name, url, actor=operator())

    def render(data: dict[str, Any]) -> None:
        console.print(f"Site id:        [bold]{data['id']}[/]")
        console.print(f"Webhook secret: [bold]{data['secret']}[/]")
        console.print("The secret is shown only now: put it in the plugin's settings.")

    emit({**site, "secret": secret}, as_json, render)


@sites.command("list")
@json_option
def sites_list(as_json: bool) -> None:
    """List every site."""
    with opened() as svc:
        rows = svc.sites.all()
    emit(rows, as_json, lambda r: _table(r, ["id", "name", "url", "created_at"]))


# --- tokens ----------------------------------------------------------------------------


@main.group()
def tokens() -> None:
    """API tokens for the plugin, the registry system and admins."""


@tokens.command("create")
@click.option("--name", required=True, help="Who uses it, e.g. diarium.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPES),
    help="Repeat for several scopes.",
)
@click.option("--site", "site_id", default=None, help="Limit the token to one site id.")
@json_option
def tokens_create(name: str, scopes: tuple[str, ...], site_id: str | None, as_json: bool) -> None:
    """Create a token and print it (shown once; stored only as a hash)."""
    with opened() as svc:
        row, token = svc.tokens.create(name, list(scopes), site_id, actor=operator())

    def render(data: dict[str, Any]) -> None:
        console.print(f"Token id: {data['id']}  scopes: {' '.join(data['scopes'])}")
        console.print(f"Token:    [bold]{data['token']}[/]")
        console.print("The token is shown only now.")

    emit({**row, "token": token}, as_json, render)


@tokens.command("list")
@json_option
def tokens_list(as_json: bool) -> None:
    """List tokens (never their values)."""
    with opened() as svc:
        rows = svc.tokens.all()
    emit(rows, as_json, lambda r: _table(r, ["id", "name", "scopes", "site_id", "revoked_at"]))


@tokens.command("revoke")
@click.argument("token_id")
@json_option
def tokens_revoke(token_id: str, as_json: bool) -> None:
    """Revoke a token at once."""
    with opened() as svc:
        svc.tokens.revoke(token_id, actor=operator())
    emit({"revoked": token_id}, as_json, lambda _: console.print(f"Revoked {token_id}."))


# --- storage ---------------------------------------------------------------------------


@main.group()
def storage() -> None:
    """Object storage housekeeping."""


@storage.command("create-bucket")
@click.option("--no-object-lock", is_flag=True, help="Versioning only, without Object Lock.")
@json_option
def storage_create_bucket(no_object_lock: bool, as_json: bool) -> None:
    """Create the S3 bucket named by OFFENTLIG_STORAGE_URL, with versioning and Object Lock."""
    from service.storage import open_store
    from service.storage.s3 import S3Store

    store = open_store(_config())
    if not isinstance(store, S3Store):
        raise click.ClickException("OFFENTLIG_STORAGE_URL is not an s3:// URL")
    store.create_bucket(object_lock=not no_object_lock)
    emit({"bucket": store.bucket}, as_json, lambda d: console.print(f"Bucket {d['bucket']} ready."))


from service.commands.retention import cull, holds, rules  # noqa: E402 - needs the helpers above

main.add_command(cull)
main.add_command(rules)
main.add_command(holds)

if __name__ == "__main__":  # pragma: no cover
    # `python -m service.cli`: run the module proper, which the feature commands below import.
    from service.cli import main as proper

    proper()

# --- commands of features, each in its own module (they import from this one) ------------

from service.commands.channels import channels  # noqa: E402 - needs the helpers above

main.add_command(channels)

from service.commands.jobs import jobs, worker  # noqa: E402 - needs the helpers above

main.add_command(worker)
main.add_command(jobs)

from service.commands.audit import audit  # noqa: E402

main.add_command(audit)

from service.commands.integrity import log_group, verify, verify_proof  # noqa: E402

main.add_command(log_group)
main.add_command(verify)
main.add_command(verify_proof)

from service.commands.snapshots import set_snapshot_schedule, snapshot  # noqa: E402

main.add_command(snapshot)
sites.add_command(set_snapshot_schedule)

from service.commands.backfill import backfill, reconcile, set_account  # noqa: E402

sites.add_command(set_account)
main.add_command(backfill)
main.add_command(reconcile)

from service.commands.exports import export  # noqa: E402

main.add_command(export)
