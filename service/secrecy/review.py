"""The secrecy review (DOMAIN rule 5): records that may be secret wait in a queue until a
reviewer decides, and a record decided secret is kept but hidden.

Each record's review is a per-record register entry (`sites/{site}/{folder}/{n}/review/…`),
one revision per flag or decision, shown in the `reviews` table and on the record's row
(`records.review`, `records.secret`) and followed through the change feed."""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, select

from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import Conflict, NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.index.rows import parse_time, register_change_row
from service.records.model import parse_record_id
from service.registers.family import Family
from service.registers.projection import latest_row_shown_on_record
from service.registers.register import Register
from service.secrecy.detect import Finding
from service.storage.port import ObjectStore


class ReviewState(enum.StrEnum):
    PENDING = "pending"  # flagged, waiting for a reviewer
    CLEARED = "cleared"  # not secret
    REGISTER = "register"  # not secret, but to be registered in the registry system
    # Kept, but hidden from callers without `records:read-secret`.
    SECRET = "secret"  # noqa: S105 - a review state, not a password


DECISIONS = (ReviewState.CLEARED, ReviewState.REGISTER, ReviewState.SECRET)
# A new version with findings leaves these as they are: already queued, or decided secret.
KEPT_ON_NEW_FINDINGS = frozenset({ReviewState.PENDING, ReviewState.SECRET})
SCREEN = Actor("service", "secrecy screen")
MAX_FLAG_ATTEMPTS = 5


def _row(document: dict[str, Any]) -> dict[str, Any]:
    site_id, _, _ = parse_record_id(document["id"])
    flagged_at = document["flagged_at"]
    return {
        "site_id": site_id,
        "state": document["state"],
        "version": document["version"],
        "findings": json.dumps(document["findings"], ensure_ascii=False),
        "flagged_at": parse_time(flagged_at) if flagged_at else None,
        "note": document["note"],
        "recorded_at": parse_time(document["recorded_at"]),
        "recorded_by": document["recorded_by"]["name"],
    }


def _on_record(latest: Row[Any]) -> dict[str, Any]:
    """A record is secret exactly while its latest decision says so."""
    return {"review": latest.state, "secret": latest.state == ReviewState.SECRET}


def _feed(document: dict[str, Any]) -> dict[str, Any]:
    return register_change_row(document, "review", f"review.{document['state']}")


REVIEW = Family(
    "review",
    "offentlig.review/1",
    latest_row_shown_on_record(t.reviews, _row, _on_record),
    tables=(t.reviews,),
    per_record=True,
    feed=_feed,
)


def finding_entry(finding: Finding) -> dict[str, Any]:
    """A finding as review documents keep it: identity numbers masked, never the number."""
    return {
        "reason": str(finding.reason),
        "field": str(finding.field),
        "match": finding.match,
        "term": finding.term,
    }


def review_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A `reviews` row as the API shows it."""
    return {**row, "findings": json.loads(row["findings"])}


def document_view(document: dict[str, Any]) -> dict[str, Any]:
    """A revision just written, shown as its row will be."""
    return review_view({"id": document["id"], "revision": document["revision"], **_row(document)})


class Reviews:
    def __init__(self, storage: ObjectStore, engine: Engine, clock: Callable[[], datetime]):
        self.register = Register(REVIEW, storage, engine, clock)
        self.engine = engine
        self.clock = clock

    def current(self, record_id: str) -> dict[str, Any] | None:
        """The latest revision in storage, or None if the record was never reviewed."""
        try:
            return self.register.latest(record_id)
        except NotFound:
            return None

    def flag(
        self, record_id: str, version: int, findings: Sequence[Finding]
    ) -> dict[str, Any] | None:
        """Queue the record for review because `version` has `findings`, unless it is queued
        already or decided secret (a secret record stays secret). None if left as it was."""
        for _ in range(MAX_FLAG_ATTEMPTS):
            previous = self.current(record_id)
            if previous is not None and previous["state"] in KEPT_ON_NEW_FINDINGS:
                return None
            body = {
                "state": str(ReviewState.PENDING),
                "version": version,
                "findings": [finding_entry(f) for f in findings],
                "flagged_at": iso(self.clock()),
                "note": None,
            }
            try:
                return self.register.write(record_id, body, actor=SCREEN, previous=previous)
            except Conflict:
                continue  # a decision or another capture came first: look again
        raise Conflict(f"review of {record_id} kept changing; not flagged")

    def decide(
        self, record_id: str, decision: ReviewState, note: str | None, version: int, *, actor: Actor
    ) -> dict[str, Any]:
        """A reviewer's decision about the record as of `version` (its latest); a later
        decision may reverse it. The findings and when it was flagged carry over."""
        if decision not in DECISIONS:
            raise ValueError(f"not a decision: {decision}")
        previous = self.current(record_id)
        body = {
            "state": str(decision),
            "version": version,
            "findings": previous["findings"] if previous else [],
            "flagged_at": previous["flagged_at"] if previous else None,
            "note": note,
        }
        return self.register.write(record_id, body, actor=actor, previous=previous)

    @unavailable_on_db_error
    def entry(self, record_id: str) -> dict[str, Any] | None:
        """The review as the index shows it, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(t.reviews).where(t.reviews.c.id == record_id)).first()
        return review_view(row._mapping) if row is not None else None
