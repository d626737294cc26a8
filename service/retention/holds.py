"""Legal holds (gallringsstopp): a stop on culling, for one record or for every record a query
finds, including records captured after the hold was set.

A hold is evaluated whenever culling is planned (and again just before each record is
culled), never by flagging records when it is set: that is how a query hold covers what is
captured later. A hold on one record is also put on its objects in storage where the store
supports object lock, so not even a culling bug could erase them; a query hold is not
mapped onto objects (it would have to follow every later capture), planning alone keeps it.
Lifting a hold is a new revision: the hold stays in the register.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, false, or_, select, true

from service.audit.trail import AuditTrail
from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import Conflict, InvalidInput
from service.index import fulltext
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.records import keys
from service.records.model import parse_record_id
from service.registers.family import Family
from service.registers.projection import latest_row
from service.registers.register import Register
from service.search import syntax
from service.search.syntax import SearchQuery
from service.storage.port import ObjectStore

QUERY = ("sites", "kinds", "published_after", "published_before", "text")
BODY = ("reason", "set_by", "set_at", "lifted_at", "lifted_by", "lift_reason", "record_id", "query")


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _row(document: dict[str, Any]) -> dict[str, Any]:
    query = document["query"] or {}
    return {
        "reason": document["reason"],
        "set_by": document["set_by"],
        "set_at": datetime.fromisoformat(document["set_at"]),
        "lifted_at": _moment(document["lifted_at"]),
        "lifted_by": document["lifted_by"],
        "lift_reason": document["lift_reason"],
        "record_id": document["record_id"],
        "sites": " ".join(query.get("sites") or []),
        "kinds": " ".join(query.get("kinds") or []),
        "published_after": _moment(query.get("published_after")),
        "published_before": _moment(query.get("published_before")),
        "text": query.get("text"),
    }


def _feed(document: dict[str, Any]) -> dict[str, Any]:
    """A hold set or lifted, in the change feed: on its record, or (a query hold) on none."""
    record_id = document["record_id"]
    return {
        "site_id": record_id.rsplit(".", 2)[0] if record_id else None,
        "record_id": record_id,
        "change": "hold",
        "version": document["revision"],
        "event_id": document["id"],
        "event_type": "hold.lifted" if document["lifted_at"] else "hold.set",
        "captured_at": datetime.fromisoformat(document["recorded_at"]),
    }


HOLDS = Family(
    "holds",
    "offentlig.legal-hold/1",
    latest_row(t.legal_holds, _row),
    tables=(t.legal_holds,),
    feed=_feed,
)


@dataclass(frozen=True)
class LegalHold:
    id: str
    record_id: str | None
    sites: list[str]
    kinds: list[str]
    published_after: datetime | None
    published_before: datetime | None
    text: str | None

    @classmethod
    def from_row(cls, row: Any) -> LegalHold:
        return cls(
            row.id,
            row.record_id,
            row.sites.split(),
            row.kinds.split(),
            row.published_after,
            row.published_before,
            row.text,
        )

    def covers(self, search: fulltext.FullText) -> ColumnElement[bool]:
        """The records this hold stops culling of, as /v1/records would find them."""
        r = t.records.c
        if self.record_id is not None:
            return r.id == self.record_id
        parts: list[ColumnElement[bool]] = [true()]
        if self.sites:
            parts.append(r.site_id.in_(self.sites))
        if self.kinds:
            parts.append(r.kind.in_(self.kinds))
        if self.published_after is not None:
            parts.append(r.published_at >= self.published_after)
        if self.published_before is not None:
            parts.append(r.published_at < self.published_before)
        words = _hold_query(self.text) if self.text else None
        if words is not None:
            parts.append(search.condition(words))
        return and_(*parts)


def _hold_query(text: str) -> SearchQuery | None:
    """A hold's text in the query language; one kept from before it (or otherwise not
    parseable) is read as plain words, every one required: a hold never stops working."""
    try:
        return syntax.parse(text)
    except syntax.QuerySyntaxError:
        return syntax.all_words(text)


def view(document: dict[str, Any]) -> dict[str, Any]:
    return _listed({"id": document["id"], "revision": document["revision"], **_row(document)})


class LegalHolds:
    def __init__(
        self,
        engine: Engine,
        storage: ObjectStore,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        audit: AuditTrail,
    ):
        self.engine = engine
        self.storage = storage
        self.register = Register(HOLDS, storage, engine, clock)
        self.clock = clock
        self.new_id = new_id
        self.audit = audit
        self.search = fulltext.for_dialect(engine.dialect.name)

    def set(self, body: dict[str, Any], *, actor: Actor) -> dict[str, Any]:
        """A hold on one record (`record_id`) or on a query (at least one of `QUERY`)."""
        record_id = body.get("record_id")
        query = {name: body.get(name) for name in QUERY if body.get(name)}
        if bool(record_id) == bool(query):
            raise InvalidInput(
                "A hold names one record or a query, not both and not neither.",
                errors={"record_id": ["Give record_id, or sites/kinds/dates/text."]},
            )
        if record_id is not None and not self._record_exists(record_id):
            raise InvalidInput("No such record.", errors={"record_id": [f"No {record_id!r}."]})
        if query.get("text"):
            try:
                words = syntax.parse(str(query["text"]))
            except syntax.QuerySyntaxError as exc:
                raise InvalidInput(f"Invalid text: {exc}", errors={"text": [str(exc)]}) from None
            if words is None:
                raise InvalidInput("No words to search for.", errors={"text": ["Give some words."]})
        for name in ("published_after", "published_before"):
            moment = query.get(name)
            if isinstance(moment, datetime):
                query[name] = iso(moment)
        document = self.register.write(
            self.new_id(),
            {
                "reason": body["reason"],
                "set_by": actor.name,
                "set_at": iso(self.clock()),
                "lifted_at": None,
                "lifted_by": None,
                "lift_reason": None,
                "record_id": record_id,
                "query": query or None,
            },
            actor=actor,
        )
        if record_id is not None:
            self._hold_objects(record_id, on=True)
        self.audit.record(
            "hold.set",
            document["id"],
            actor=actor,
            details={"reason": body["reason"]},
            decision=True,
        )
        return view(document)

    def lift(self, hold_id: str, reason: str, *, actor: Actor) -> dict[str, Any]:
        current = self.register.latest(hold_id)
        if current["lifted_at"] is not None:
            raise Conflict(f"Hold {hold_id} was lifted already.")
        body = {name: current[name] for name in BODY}
        document = self.register.write(
            hold_id,
            {
                **body,
                "lifted_at": iso(self.clock()),
                "lifted_by": actor.name,
                "lift_reason": reason,
            },
            actor=actor,
            previous=current,
        )
        record_id = current["record_id"]
        if record_id is not None and not any(h.record_id == record_id for h in self.active()):
            self._hold_objects(record_id, on=False)
        self.audit.record(
            "hold.lifted", hold_id, actor=actor, details={"reason": reason}, decision=True
        )
        return view(document)

    def _hold_objects(self, record_id: str, *, on: bool) -> None:
        """Mirror a one-record hold onto its objects, where storage can hold objects."""
        if not self.storage.capabilities().object_lock:
            return
        for key in self.storage.list(keys.record_prefix(*parse_record_id(record_id))):
            self.storage.set_legal_hold(key, on)

    @unavailable_on_db_error
    def _record_exists(self, record_id: str) -> bool:
        with self.engine.connect() as conn:
            found = conn.execute(select(t.records.c.id).where(t.records.c.id == record_id))
            return found.first() is not None

    @unavailable_on_db_error
    def all(self) -> list[dict[str, Any]]:
        h = t.legal_holds
        with self.engine.connect() as conn:
            rows = conn.execute(select(h).order_by(h.c.set_at, h.c.id))
            return [_listed(row._mapping) for row in rows]

    @unavailable_on_db_error
    def active(self) -> list[LegalHold]:
        h = t.legal_holds
        with self.engine.connect() as conn:
            rows = conn.execute(select(h).where(h.c.lifted_at.is_(None)).order_by(h.c.id))
            return [LegalHold.from_row(row) for row in rows]

    def held(self, holds: list[LegalHold] | None = None) -> ColumnElement[bool]:
        """Records under any active hold (of `holds`, when the caller read them already)."""
        found = self.active() if holds is None else holds
        return or_(false(), *[hold.covers(self.search) for hold in found])

    @unavailable_on_db_error
    def covering(self, record_id: str) -> list[str]:
        """The active holds that stop culling of one record."""
        holds = self.active()
        if not holds:
            return []
        flags = [hold.covers(self.search).label(f"h{n}") for n, hold in enumerate(holds)]
        with self.engine.connect() as conn:
            row = conn.execute(select(*flags).where(t.records.c.id == record_id)).first()
        return [hold.id for hold, flag in zip(holds, row or (), strict=False) if flag]


def _listed(row: Any) -> dict[str, Any]:
    return {
        **row,
        "sites": row["sites"].split(),
        "kinds": row["kinds"].split(),
        "active": row["lifted_at"] is None,
    }
