"""`offentlig worker` and `offentlig jobs`: run due jobs, look at them, cancel them; and
`run_in_foreground` for commands that run one job now with a progress bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from service.auth.actor import operator
from service.cli import _config, _progress, _table, console, emit, json_option, opened
from service.jobs.model import FAILED, QUEUED, STATES, Job

if TYPE_CHECKING:
    from service.jobs.queue import Progress
    from service.services import Services

COLUMNS = ["id", "kind", "site_id", "state", "progress", "created_at"]


def _printable(job: Job) -> dict[str, Any]:
    shown = job.as_dict()
    done, total = job.progress_done, job.progress_total
    shown["progress"] = f"{done}/{total}" if total is not None else str(done)
    return shown


@click.command()
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
@click.option("--kind", "kinds", multiple=True, help="Only jobs of this kind; repeatable.")
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=None,
    help="Seconds between looks when nothing is due (default: OFFENTLIG_WORKER_POLL_SECONDS).",
)
@json_option
def worker(once: bool, kinds: tuple[str, ...], poll: float | None, as_json: bool) -> None:
    """Run due jobs (snapshots, backfills, culling runs, exports) until stopped.

    SIGTERM or Ctrl-C finishes the current step and gives the job back for another worker."""
    from service.jobs.handlers import HANDLERS, load_features
    from service.jobs.runner import Worker, stop_on_signals

    load_features()
    unknown = sorted(set(kinds) - set(HANDLERS))
    if unknown:
        known = ", ".join(sorted(HANDLERS)) or "none"
        raise click.BadParameter(
            f"no handler for {', '.join(unknown)} (known: {known})", None, param_hint="--kind"
        )
    seconds = poll if poll is not None else float(_config()["WORKER_POLL_SECONDS"])
    with opened() as svc:
        runner = Worker(svc.jobs, svc, kinds=kinds or None, poll_seconds=seconds)
        with stop_on_signals(runner):
            if once:
                finished = runner.run_due()
            else:
                if not as_json:
                    console.print(
                        f"Worker {runner.owner} running: {', '.join(sorted(runner.kinds))}"
                    )
                runner.run_forever()
                finished = []
    rows = [_printable(job) for job in finished]
    emit(rows, as_json, lambda r: _table(r, COLUMNS) if once else console.print("Worker stopped."))


@click.group()
def jobs() -> None:
    """Long work run by `offentlig worker`: list, show, cancel."""


@jobs.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("--kind", default=None)
@click.option("--site", "site_id", default=None, help="Only this site's jobs.")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=100, show_default=True)
@json_option
def jobs_list(
    state: str | None, kind: str | None, site_id: str | None, limit: int, as_json: bool
) -> None:
    """List jobs, newest first."""
    with opened() as svc:
        found = svc.jobs.list(
            state=state, kind=kind, site_ids=[site_id] if site_id else None, limit=limit
        )
    emit([_printable(job) for job in found], as_json, lambda r: _table(r, COLUMNS))


@jobs.command("show")
@click.argument("job_id")
@json_option
def jobs_show(job_id: str, as_json: bool) -> None:
    """One job: its progress, checkpoint, result or error."""
    with opened() as svc:
        job = svc.jobs.get(job_id)
    emit(_printable(job), as_json, _show)


def _show(job: dict[str, Any]) -> None:
    for name, value in job.items():
        if value is not None and name not in ("progress_done", "progress_total"):
            console.print(f"{name + ':':18} {value}", markup=False, highlight=False)


@jobs.command("cancel")
@click.argument("job_id")
@json_option
def jobs_cancel(job_id: str, as_json: bool) -> None:
    """Cancel a queued or running job (a running one stops at its next check)."""
    from service.jobs.control import cancel

    with opened() as svc:
        job = cancel(svc, job_id, operator())
    emit(_printable(job), as_json, lambda j: console.print(f"Cancelled {j['id']} ({j['kind']})."))


def run_in_foreground(
    svc: Services,
    kind: str,
    *,
    description: str,
    as_json: bool,
    site_id: str | None = None,
    params: dict[str, Any] | None = None,
    queued: Job | None = None,
) -> Job:
    """Run one new job of `kind` now (or the `queued` one a feature enqueued), in this
    process, with a progress bar (silent for --json): what `offentlig snapshot run SITE`
    does. Failed or interrupted, it is one clear line; interrupted, it stays queued for
    `offentlig worker` to resume."""
    from service.jobs.runner import Worker, run_now, run_queued, stop_on_signals

    runner = Worker(svc.jobs, svc, kinds=[kind], schedules=())
    with _progress(as_json) as bar, stop_on_signals(runner):
        task = bar.add_task(description, total=None)

        def show(progress: Progress) -> None:
            label = f"{description}: {progress.note}" if progress.note else description
            bar.update(task, completed=progress.done, total=progress.total, description=label)

        if queued is not None:
            job = run_queued(svc, queued, on_progress=show, worker=runner)
        else:
            job = run_now(
                svc,
                kind,
                actor=operator(),
                site_id=site_id,
                params=params,
                on_progress=show,
                worker=runner,
            )
    if job.state == FAILED:
        raise click.ClickException(f"{kind} job {job.id} failed: {job.error}")
    if job.state == QUEUED:
        raise click.ClickException(
            f"Interrupted: {kind} job {job.id} is queued again; `offentlig worker` resumes it."
        )
    return job
