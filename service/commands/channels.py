"""`offentlig channels`: the channel register at the command line."""

from __future__ import annotations

import json
from typing import Any

import click
from marshmallow import ValidationError

from service.auth.actor import operator
from service.channels.model import PLATFORMS
from service.cli import _progress, _table, console, emit, json_option, opened

COLUMNS = ["id", "platform", "name", "url", "status", "started_on", "closed_on"]


@click.group()
def channels() -> None:
    """The channel register: every channel the authority is active on, active and closed."""


@channels.command("list")
@click.option("--status", type=click.Choice(["active", "closed"]), default=None)
@json_option
def channels_list(status: str | None, as_json: bool) -> None:
    """List channels, active and closed."""
    with opened() as svc:
        rows = svc.channels.all(status=status)
    emit(_printable(rows), as_json, lambda r: _table(r, COLUMNS))


@channels.command("add")
@click.option("--platform", required=True, type=click.Choice(PLATFORMS))
@click.option("--name", required=True)
@click.option("--url", required=True, help="The channel's public address (http or https).")
@click.option("--purpose", default="")
@click.option("--responsible-unit", default="")
@click.option("--contact", default="")
@click.option("--started-on", default=None, help="YYYY-MM-DD")
@click.option("--capture", default="", help='How it is captured, e.g. "manual screenshots".')
@click.option("--rule", "rule_ids", multiple=True, help="A culling rule's id; repeatable.")
@json_option
def channels_add(as_json: bool, **given: Any) -> None:
    """Add a channel to the register."""
    from schemas.channels import ChannelCreateSchema

    given["rule_ids"] = list(given["rule_ids"])
    if given["started_on"] is None:
        del given["started_on"]
    try:
        body = ChannelCreateSchema().load(given)
    except ValidationError as exc:
        raise click.BadParameter(json.dumps(exc.messages, ensure_ascii=False)) from None
    note = body.pop("note")
    with opened() as svc:
        channel = svc.channels.create(body, actor=operator(), note=note)
    emit(
        _printable([channel])[0],
        as_json,
        lambda c: console.print(f"Channel [bold]{c['id']}[/] added: {c['name']}"),
    )


@channels.command("close")
@click.argument("channel_id")
@click.option("--on", "closed_on", default=None, help="YYYY-MM-DD (default: today).")
@click.option("--note", default=None, help="Why, kept with the revision.")
@json_option
def channels_close(channel_id: str, closed_on: str | None, note: str | None, as_json: bool) -> None:
    """Close a channel: it stays in the register, its records stay kept."""
    from schemas.channels import ChannelCloseSchema

    try:
        body = ChannelCloseSchema().load({"closed_on": closed_on, "note": note})
    except ValidationError as exc:
        raise click.BadParameter(json.dumps(exc.messages, ensure_ascii=False)) from None
    with opened() as svc:
        channel = svc.channels.close(
            channel_id, body["closed_on"], actor=operator(), note=body["note"]
        )
    emit(
        _printable([channel])[0],
        as_json,
        lambda c: console.print(f"Channel {c['id']} closed on {c['closed_on']}."),
    )


@channels.command("add-missing-sites")
@json_option
def channels_add_missing_sites(as_json: bool) -> None:
    """Give every registered site its channel (sites added before the register, or whose
    channel could not be written when they were added). Safe to run again."""
    added = []
    with opened() as svc, _progress(as_json) as progress:
        missing = svc.channels.sites_without_channel()
        task = progress.add_task("Sites", total=len(missing))
        for site in missing:
            channel = svc.channels.for_site(site, operator())
            if channel is not None:
                added.append(channel)
            progress.advance(task)
    emit(
        _printable(added),
        as_json,
        lambda rows: console.print(f"Added {len(rows)} site channels."),
    )


def _printable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dates as ISO days, for --json and the table alike."""
    return [
        {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()} for row in rows
    ]
