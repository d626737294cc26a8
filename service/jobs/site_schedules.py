"""Work done every period for each site (snapshots, reconciliation), the period kept in the
site's own revisions in the site register.

A site document's member (`snapshot_every`, `reconcile_every`) is absent for the default,
`"off"` for no scheduled jobs (on-demand ones still run), or a positive ISO 8601 duration;
the `sites` table shows it in the column of the same name. The worker's schedule provider
enqueues one job per site per period, periods of that duration counted from 2000-01-01, each
period's job once however many workers ask (its period is the job's dedupe key).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
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

log = logging.getLogger("offentlig.jobs")

OFF = "off"


@dataclass(frozen=True)
class SiteSchedule:
    kind: str  # the job kind it enqueues
    member: str  # the site document's member, and the `sites` column showing it
    default: str  # in force while the member is absent
    audit_action: str  # the audit entry of a change
    needs_account: bool = False  # only sites with a WordPress account to read them with

    def checked(self, value: Any) -> str:
        """`"off"` or a positive ISO 8601 duration; anything else is a 422 naming `every`."""
        example = f'An ISO 8601 duration (e.g. "{self.default}"), or "off".'
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(errors={"every": [example]})
        text = value.strip()
        if text.lower() == OFF:
            return OFF
        parse_every(text)
        return text

    def effective(self, stored: str | None) -> str | None:
        """The schedule in force: the stored value, the default when unset, None when off."""
        if stored is None:
            return self.default
        return None if stored == OFF else stored

    @unavailable_on_db_error
    def in_force(self, engine: Engine) -> dict[str, str | None]:
        """site id → its schedule in force (None: off), of the sites it applies to."""
        every = t.sites.c[self.member]
        query = select(t.sites.c.id, every.label("every"))
        if self.needs_account:
            query = query.where(t.sites.c.wordpress_username.is_not(None))
        with engine.connect() as conn:
            return {row.id: self.effective(row.every) for row in conn.execute(query)}

    def plan(self, services: Services, now: datetime) -> Iterable[Planned]:
        """The schedule provider: this period's job for every site that has a schedule. A
        schedule that cannot be read (a hand-edited bucket) is logged and skipped."""
        by_every: dict[str, list[str]] = defaultdict(list)
        for site_id, every in self.in_force(services.engine).items():
            if every is not None:
                by_every[every].append(site_id)
        for every, site_ids in sorted(by_every.items()):
            try:
                provider = periodic(self.kind, every, _constant(site_ids))
            except InvalidInput:
                log.error("unreadable %s schedule %r for sites %s", self.kind, every, site_ids)
                continue
            yield from provider(services, now)

    def next_due(self, services: Services, site_id: str, every: str | None) -> datetime | None:
        """When the schedule enqueues the site's next job: the start of the next period, or
        of this one while its job is not enqueued yet (a worker enqueues it at its next
        look); None when the schedule is off."""
        if every is None:
            return None
        now = services.clock()
        start = period_start(every, now)
        planned = next(iter(periodic(self.kind, every, _constant([site_id]))(services, now)))
        if not _enqueued(services.engine, planned.dedupe_key):
            return start
        following: datetime = start + parse_every(every)
        return following

    def change(
        self,
        services: Services,
        site_id: str,
        every: Any,
        actor: Actor,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        """A new revision of the site with the schedule set (audited as a decision)."""
        value = self.checked(every)
        register = services.sites.register
        try:
            current = register.latest(site_id)
        except NotFound:
            raise NotFound(f"No site {site_id!r}.") from None
        body = {name: item for name, item in current.items() if name not in ENVELOPE}
        register.write(site_id, {**body, self.member: value}, actor=actor, previous=current)
        services.audit.record(
            self.audit_action,
            site_id,
            actor=actor,
            details={"every": value},
            decision=True,
            request_id=request_id,
        )
        in_force = self.effective(value)
        return {
            "site_id": site_id,
            "every": in_force or OFF,
            "next_due": self.next_due(services, site_id, in_force),
        }


def _constant(site_ids: list[str]) -> Any:
    return lambda _services: site_ids


@unavailable_on_db_error
def _enqueued(engine: Engine, dedupe_key: str) -> bool:
    with engine.connect() as conn:
        found = conn.execute(select(t.jobs.c.id).where(t.jobs.c.dedupe_key == dedupe_key))
        return found.first() is not None
