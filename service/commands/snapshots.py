"""`offentlig snapshot run|list` and `offentlig sites set-snapshot-schedule`."""

from __future__ import annotations

from typing import Any

import click

from service.auth.actor import operator
from service.cli import _table, console, emit, json_option, opened

COLUMNS = ["id", "state", "ended_at", "pages", "bytes"]
SUMMARY = ("pages", "requisites", "bytes", "errors", "refusals")


@click.group()
def snapshot() -> None:
    """Whole-site snapshots (WARC): take one now, list a site's."""


@snapshot.command("run")
@click.argument("site_id")
@json_option
def snapshot_run(site_id: str, as_json: bool) -> None:
    """Take a snapshot of SITE now, in this process, with a progress bar."""
    from service.commands.jobs import run_in_foreground
    from service.snapshots.schedule import KIND

    with opened() as svc:
        site = svc.snapshots.site(site_id)
        job = run_in_foreground(
            svc, KIND, description=f"Snapshot of {site.name}", as_json=as_json, site_id=site_id
        )
    emit(job.result, as_json, _summary)


def _summary(result: dict[str, Any]) -> None:
    rows = [{"what": name, "count": result[name]} for name in SUMMARY]
    rows.append({"what": "limits", "count": ", ".join(result["limits_hit"]) or "none"})
    _table(rows, ["what", "count"])
    console.print(f"Snapshot {result['snapshot_id']}: {result['manifest_key']}")


@snapshot.command("list")
@click.argument("site_id")
@json_option
def snapshot_list(site_id: str, as_json: bool) -> None:
    """SITE's snapshots: queued and running, then finished, newest first."""
    from service.snapshots.listing import overview

    with opened() as svc:
        found = overview(svc, site_id)

    def render(data: dict[str, Any]) -> None:
        rows = [{**item, **(item["progress"] or {})} for item in data["items"]]
        _table(rows, COLUMNS)
        console.print(f"Schedule: {data['every']}; next due: {data['next_due'] or 'never'}")

    emit(found, as_json, render)


@click.command("set-snapshot-schedule")
@click.argument("site_id")
@click.argument("every")
@json_option
def set_snapshot_schedule(site_id: str, every: str, as_json: bool) -> None:
    """How often SITE is snapshotted: an ISO 8601 duration (P6M, the default) or "off"."""
    from service.snapshots.schedule import change_schedule

    with opened() as svc:
        changed = change_schedule(svc, site_id, every, operator())
    emit(
        changed,
        as_json,
        lambda c: console.print(f"Site {c['site_id']}: {c['every']}, next due {c['next_due']}."),
    )
