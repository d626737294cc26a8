"""The channel register: kept in storage (`authority/channels/{id}/…`), shown in the `channels`
table, every change audited. There is no delete: a channel is closed, and stays listed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from service.auth.actor import Actor
from service.auth.audit import AuditLog
from service.channels.model import (
    EDITABLE,
    SITE_CAPTURE,
    body_of,
    channel_of_document,
    channel_of_row,
    row_of,
)
from service.errors import Conflict, NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.registers.family import Family
from service.registers.projection import latest_row
from service.registers.register import Register
from service.storage.port import ObjectStore

CHANNELS = Family(
    "channels", "offentlig.channel/1", latest_row(t.channels, row_of), tables=(t.channels,)
)
# Channel ids are ULIDs (a site's channel has the site's): nothing else names a channel.
_ID = re.compile(r"[0-9A-Za-z_-]{1,40}")


def _known_id(channel_id: str) -> str:
    if not _ID.fullmatch(channel_id):
        raise NotFound(f"No channel {channel_id!r}.")
    return channel_id


class ChannelRegister:
    def __init__(
        self,
        engine: Engine,
        storage: ObjectStore,
        audit: AuditLog,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        zone: ZoneInfo,
    ):
        self.engine = engine
        self.register = Register(CHANNELS, storage, engine, clock)
        self.audit = audit
        self.clock = clock
        self.new_id = new_id
        self.zone = zone

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    # --- reading ------------------------------------------------------------------------

    @unavailable_on_db_error
    def all(self, status: str | None = None, platform: str | None = None) -> list[dict[str, Any]]:
        """Every channel, active and closed, in the order they were added."""
        query = select(t.channels).order_by(t.channels.c.id)
        if status is not None:
            query = query.where(t.channels.c.status == status)
        if platform is not None:
            query = query.where(t.channels.c.platform == platform)
        with self.engine.connect() as conn:
            return [channel_of_row(dict(row._mapping)) for row in conn.execute(query)]

    def history(self, channel_id: str) -> list[dict[str, Any]]:
        """Every revision of a channel, oldest first, from storage."""
        revisions = self.register.history(_known_id(channel_id))
        if not revisions:
            raise NotFound(f"No channel {channel_id!r}.")
        return [channel_of_document(d) for d in revisions]

    # --- changing -----------------------------------------------------------------------

    def create(
        self, fields: dict[str, Any], *, actor: Actor, note: str | None = None
    ) -> dict[str, Any]:
        body = body_of(fields, site_id=None, note=note, today=self.today())
        return self._write(self.new_id(), body, None, "channel.created", actor)

    def change(
        self,
        channel_id: str,
        fields: dict[str, Any],
        *,
        actor: Actor,
        revision: int | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """A new revision with `fields` changed; `revision`, when given, must be the latest
        (optimistic locking: a stale one is 409). Nothing changed: no new revision."""
        current = self._latest(channel_id, revision)
        merged = {**{name: current[name] for name in EDITABLE}, **fields}
        body = body_of(merged, site_id=current["site_id"], note=note, today=self.today())
        if all(body[name] == current[name] for name in EDITABLE):
            return channel_of_document(current)
        return self._write(channel_id, body, current, "channel.changed", actor)

    def close(
        self, channel_id: str, closed_on: date | None, *, actor: Actor, note: str | None = None
    ) -> dict[str, Any]:
        """Close a channel on `closed_on` (default: today); it and its records stay."""
        current = self._latest(channel_id, None)
        if current["closed_on"] is not None:
            raise Conflict(f"Channel {channel_id!r} was closed on {current['closed_on']}.")
        fields = {
            **{name: current[name] for name in EDITABLE},
            "closed_on": closed_on or self.today(),
        }
        body = body_of(fields, site_id=current["site_id"], note=note, today=self.today())
        return self._write(channel_id, body, current, "channel.closed", actor)

    # --- every registered site is a channel ---------------------------------------------

    def for_site(self, site: dict[str, Any], actor: Actor) -> dict[str, Any] | None:
        """The channel of a registered WordPress site, unless it has one: its id is the site's,
        so two callers racing for it make one channel (the other gets None)."""
        created_at: datetime = site["created_at"]
        fields = {
            "platform": "wordpress",
            "name": site["name"],
            "url": site["url"],
            "started_on": created_at.astimezone(self.zone).date(),
            "capture": SITE_CAPTURE,
        }
        body = body_of(fields, site_id=site["id"], note=None, today=self.today())
        try:
            return self._write(site["id"], body, None, "channel.created", actor)
        except Conflict:
            return None

    @unavailable_on_db_error
    def sites_without_channel(self) -> list[dict[str, Any]]:
        query = (
            select(t.sites.c.id, t.sites.c.name, t.sites.c.url, t.sites.c.created_at)
            .outerjoin(t.channels, t.channels.c.site_id == t.sites.c.id)
            .where(t.channels.c.id.is_(None))
            .order_by(t.sites.c.created_at, t.sites.c.id)
        )
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # --- one write ----------------------------------------------------------------------

    def _latest(self, channel_id: str, expected: int | None) -> dict[str, Any]:
        try:
            current = self.register.latest(_known_id(channel_id))
        except NotFound:
            raise NotFound(f"No channel {channel_id!r}.") from None
        if expected is not None and expected != current["revision"]:
            raise Conflict(
                f"Channel {channel_id!r} is at revision {current['revision']}, not {expected};"
                " read it and try again."
            )
        return current

    def _write(
        self,
        channel_id: str,
        body: dict[str, Any],
        previous: dict[str, Any] | None,
        action: str,
        actor: Actor,
    ) -> dict[str, Any]:
        document = self.register.write(channel_id, body, actor=actor, previous=previous)
        changed = [n for n in EDITABLE if previous is None or previous[n] != body[n]]
        self.audit.record(
            action,
            channel_id,
            actor=actor,
            details={"revision": document["revision"], "fields": changed, "note": body["note"]},
            decision=True,
        )
        return channel_of_document(document)
