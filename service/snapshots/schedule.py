"""Each site's snapshot schedule (DOMAIN rule 8: about every half year, and on demand).

The schedule is part of the site's own revisions in the site register (`snapshot_every`):
absent means the default, `P6M`; `"off"` means no scheduled snapshots (on-demand ones still
run); anything else is a positive ISO 8601 duration. The worker's schedule provider enqueues
one `snapshot` job per site per period, periods of that duration counted from 2000-01-01
(P6M: 1 January and 1 July), each period's job once however many workers ask (its period is
the job's dedupe key).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from service.auth.actor import Actor
from service.errors import InvalidInput, NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.jobs.schedules import Planned, parse_every, period_start, periodic
from service.registers.register import ENVELOPE

if TYPE_CHECKING:
    from service.services import Services

log = logging.getLogger("offentlig.snapshots")

KIND = "snapshot"
DEFAULT_EVERY = "P6M"
OFF = "off"


def checked_every(value: Any) -> str:
    """`"off"` or a positive ISO 8601 duration; anything else is a 422 naming `every`."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(errors={"every": ['An ISO 8601 duration (e.g. "P6M"), or "off".']})
    text = value.strip()
    if text.lower() == OFF:
        return OFF
    parse_every(text)
    return text


def effective(stored: str | None) -> str | None:
    """The schedule in force: the stored value, the default when unset, None when off."""
    if stored is None:
        return DEFAULT_EVERY
    return None if stored == OFF else stored


@unavailable_on_db_error
def site_schedules(engine: Engine) -> dict[str, str | None]:
    """site id → its schedule in force (None: off)."""
    with engine.connect() as conn:
        rows = conn.execute(select(t.sites.c.id, t.sites.c.snapshot_every))
        return {row.id: effective(row.snapshot_every) for row in rows}


def plan_snapshots(services: Services, now: datetime) -> Iterable[Planned]:
    """The schedule provider: this period's snapshot job for every site that has a schedule.
    A schedule that cannot be read (a hand-edited bucket) is logged and skipped."""
    by_every: dict[str, list[str]] = defaultdict(list)
    for site_id, every in site_schedules(services.engine).items():
        if every is not None:
            by_every[every].append(site_id)
    for every, site_ids in sorted(by_every.items()):
        try:
            provider = periodic(KIND, every, _constant(site_ids))
        except InvalidInput:
            log.error("unreadable snapshot schedule %r for sites %s", every, site_ids)
            continue
        yield from provider(services, now)


def _constant(site_ids: list[str]) -> Callable[[Services], list[str]]:
    return lambda _services: site_ids


def next_due(services: Services, site_id: str, every: str | None) -> datetime | None:
    """When the schedule enqueues the site's next snapshot: the start of the next period, or
    of this one while its snapshot is not enqueued yet (a worker enqueues it at its next
    look); None when the schedule is off."""
    if every is None:
        return None
    now = services.clock()
    start = period_start(every, now)
    planned = next(iter(periodic(KIND, every, _constant([site_id]))(services, now)))
    if not _enqueued(services.engine, planned.dedupe_key):
        return start
    following: datetime = start + parse_every(every)
    return following


@unavailable_on_db_error
def _enqueued(engine: Engine, dedupe_key: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(select(t.jobs.c.id).where(t.jobs.c.dedupe_key == dedupe_key))
        return found.first() is not None


def change_schedule(
    services: Services, site_id: str, every: Any, actor: Actor, request_id: str | None = None
) -> dict[str, Any]:
    """A new revision of the site with `snapshot_every` set (audited as a decision)."""
    value = checked_every(every)
    register = services.sites.register
    try:
        current = register.latest(site_id)
    except NotFound:
        raise NotFound(f"No site {site_id!r}.") from None
    body = {name: item for name, item in current.items() if name not in ENVELOPE}
    register.write(site_id, {**body, "snapshot_every": value}, actor=actor, previous=current)
    services.audit.record(
        "set-snapshot-schedule",
        site_id,
        actor=actor,
        details={"every": value},
        decision=True,
        request_id=request_id,
    )
    in_force = effective(value)
    return {
        "site_id": site_id,
        "every": in_force or OFF,
        "next_due": next_due(services, site_id, in_force),
    }
