"""`offentlig audit`: the audit trail, newest first, as a table or JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click

from service.cli import _table, console, emit, json_option, opened


class Moment(click.ParamType[datetime]):
    """An ISO 8601 date or time; without a zone it is UTC."""

    name = "ISO time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time, e.g. 2026-11-28T09:00Z", param, ctx)


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    actor = entry["actor"]
    return {
        **entry,
        "actor": f"{actor['kind']}:{actor['name']}",
        "address": actor["address"],
        "details": json.dumps(entry["details"], ensure_ascii=False) if entry["details"] else "",
    }


@click.command("audit")
@click.option("--action", default=None, help="e.g. capture, read-version, read-personal-data.")
@click.option("--actor", default=None, help="Who, by name (token, operator or site).")
@click.option("--subject", default=None, help="What: a record, token or site id.")
@click.option("--since", type=Moment(), default=None, help="From this time on (ISO 8601).")
@click.option("--until", type=Moment(), default=None, help="Before this time (ISO 8601).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@json_option
def audit(
    action: str | None,
    actor: str | None,
    subject: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show the audit trail, newest first.

    Captures and reads still in a running process's buffer (up to AUDIT_FLUSH_SECONDS) are
    not shown yet."""
    from service.audit.queries import AuditQuery

    if since and until and since >= until:
        raise click.BadParameter("must be later than --since", param_hint="--until")
    query = AuditQuery(action, actor, None, subject, since, until, limit)
    with opened() as svc:
        items = svc.audit.entries(query).items

    def render(rows: list[dict[str, Any]]) -> None:
        _table(
            [_row(e) for e in rows],
            ["at", "action", "subject", "actor", "address", "details"],
        )
        if not rows:
            console.print("No audit entries.")

    emit(items, as_json, render)
