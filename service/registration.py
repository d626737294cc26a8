"""Registration (DOMAIN rule 5): the registry system (diarium) writes back the case number
(diarienummer) under which it registered a record.

Each record's registration is a per-record register entry
(`sites/{site}/{folder}/{n}/registration/…`), shown in the `registrations` table and on the
record's row (`records.case_number`, `records.registered_at`) and followed through the change
feed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, select

from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.index.rows import parse_time, register_change_row
from service.registers.family import Family
from service.registers.projection import latest_row_shown_on_record
from service.registers.register import Register
from service.storage.port import ObjectStore

# What the registry system writes; the rest of a revision is the service's.
FIELDS = ("case_number", "case_title", "registered_at", "registered_by")


def _row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "case_number": document["case_number"],
        "case_title": document["case_title"],
        "registered_at": parse_time(document["registered_at"]),
        "registered_by": document["registered_by"],
        "version": document["version"],
        "recorded_at": parse_time(document["recorded_at"]),
    }


def _on_record(latest: Row[Any]) -> dict[str, Any]:
    return {"case_number": latest.case_number, "registered_at": latest.registered_at}


def _feed(document: dict[str, Any]) -> dict[str, Any]:
    change = "registered" if document["revision"] == 1 else "updated"
    return register_change_row(document, "registration", f"registration.{change}")


REGISTRATION = Family(
    "registration",
    "offentlig.registration/1",
    latest_row_shown_on_record(t.registrations, _row, _on_record),
    tables=(t.registrations,),
    per_record=True,
    feed=_feed,
)


def registration_view(document: dict[str, Any]) -> dict[str, Any]:
    return {"id": document["id"], "revision": document["revision"], **_row(document)}


class Registrations:
    def __init__(self, storage: ObjectStore, engine: Engine, clock: Callable[[], datetime]):
        self.register = Register(REGISTRATION, storage, engine, clock)
        self.engine = engine
        self.clock = clock

    def record(
        self,
        record_id: str,
        case_number: str,
        *,
        case_title: str | None,
        registered_at: datetime | None,
        registered_by: str | None,
        version: int,
        actor: Actor,
    ) -> tuple[dict[str, Any], bool]:
        """Register the record under `case_number` as of `version` (its latest); the same
        registration again changes nothing. Without `registered_at`, the time of the first
        registration (or now) is kept. Returns the entry and whether it was written."""
        try:
            previous: dict[str, Any] | None = self.register.latest(record_id)
        except NotFound:
            previous = None
        if registered_at is not None:
            when = iso(registered_at)
        else:  # not said: when it was first registered, or now
            when = previous["registered_at"] if previous else iso(self.clock())
        body = {
            "case_number": case_number,
            "case_title": case_title,
            "registered_at": when,
            "registered_by": registered_by,
        }
        if previous is not None and {name: previous[name] for name in FIELDS} == body:
            return registration_view(previous), False
        document = self.register.write(
            record_id, {**body, "version": version}, actor=actor, previous=previous
        )
        return registration_view(document), True

    @unavailable_on_db_error
    def entry(self, record_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.registrations).where(t.registrations.c.id == record_id)
            ).first()
        return dict(row._mapping) if row is not None else None
