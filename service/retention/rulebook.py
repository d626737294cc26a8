"""The register of culling rules: adding, editing and superseding them, each a revision."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select

from service.audit.trail import AuditTrail
from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import Conflict, NotFound
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.registers.register import Register
from service.retention.durations import parse_retention
from service.retention.rules import ACTIVE, BODY, RULES, SUPERSEDED, CullingRule, validate_scope
from service.storage.port import ObjectStore


def decided(body: dict[str, Any]) -> dict[str, Any]:
    """A caller's rule in its stored form (the period checked, the scope sorted)."""
    parse_retention(body["retention"])
    when = body["decision_date"]
    return {
        "decision_reference": body["decision_reference"],
        "decision_date": when.isoformat() if isinstance(when, date) else str(when),
        "description": body.get("description") or "",
        "scope": validate_scope(body.get("scope") or {}),
        "retention": body["retention"],
        "counted_from": body["counted_from"],
        "covers_registered": bool(body.get("covers_registered", False)),
    }


def view(document: dict[str, Any], used: bool = False) -> dict[str, Any]:
    """A rule's revision as the API shows it."""
    return {
        "id": document["id"],
        "revision": document["revision"],
        "recorded_at": datetime.fromisoformat(document["recorded_at"]),
        "recorded_by": document["recorded_by"]["name"],
        **{name: document[name] for name in BODY},
        "decision_date": date.fromisoformat(document["decision_date"]),
        "created_at": datetime.fromisoformat(document["created_at"]),
        "used": used,
    }


class CullingRules:
    def __init__(
        self,
        engine: Engine,
        storage: ObjectStore,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        audit: AuditTrail,
    ):
        self.engine = engine
        self.register = Register(RULES, storage, engine, clock)
        self.clock = clock
        self.new_id = new_id
        self.audit = audit

    def create(
        self, body: dict[str, Any], *, actor: Actor, supersedes: str | None = None
    ) -> dict[str, Any]:
        document = self._write_new(self.new_id(), body, actor=actor, supersedes=supersedes)
        self.audit.record(
            "rule.created",
            document["id"],
            actor=actor,
            details={"decision_reference": document["decision_reference"]},
            decision=True,
        )
        return view(document)

    def _write_new(
        self, rule_id: str, body: dict[str, Any], *, actor: Actor, supersedes: str | None
    ) -> dict[str, Any]:
        document = {
            **decided(body),
            "state": ACTIVE,
            "supersedes": supersedes,
            "superseded_by": None,
            "created_at": iso(self.clock()),
        }
        return self.register.write(rule_id, document, actor=actor)

    def edit(self, rule_id: str, body: dict[str, Any], *, actor: Actor) -> dict[str, Any]:
        """Correct a rule that has culled nothing yet; a used rule is superseded instead."""
        current = self._current(rule_id)
        if self.is_used(rule_id):
            raise Conflict(
                f"Rule {rule_id} has been used by an executed culling run: it is never edited; "
                f"supersede it (POST /v1/retention-rules/{rule_id}/supersede)."
            )
        changed = {**{name: current[name] for name in BODY}, **decided(body)}
        document = self.register.write(rule_id, changed, actor=actor, previous=current)
        self.audit.record("rule.edited", rule_id, actor=actor, decision=True)
        return view(document)

    def supersede(self, rule_id: str, body: dict[str, Any], *, actor: Actor) -> dict[str, Any]:
        """A new rule replaces `rule_id`, which stays in the register as superseded.

        The old rule is marked first: if the new one then fails to be written, the records
        are kept (no rule), never culled under two rules."""
        current = self._current(rule_id)
        new_id = self.new_id()
        kept = {name: current[name] for name in BODY}
        self.register.write(
            rule_id,
            {**kept, "state": SUPERSEDED, "superseded_by": new_id},
            actor=actor,
            previous=current,
        )
        document = self._write_new(new_id, body, actor=actor, supersedes=rule_id)
        self.audit.record(
            "rule.superseded",
            rule_id,
            actor=actor,
            details={"superseded_by": new_id},
            decision=True,
        )
        return view(document)

    def _current(self, rule_id: str) -> dict[str, Any]:
        current = self.register.latest(rule_id)
        if current["state"] != ACTIVE:
            raise Conflict(f"Rule {rule_id} is superseded by {current['superseded_by']}.")
        return current

    def get(self, rule_id: str) -> dict[str, Any]:
        """The rule's latest revision with its whole history, oldest first."""
        history = self.register.history(rule_id)
        if not history:
            raise NotFound(f"No retention rule {rule_id!r}.")
        used = self.is_used(rule_id)
        return {**view(history[-1], used), "history": [view(d, used) for d in history]}

    @unavailable_on_db_error
    def is_used(self, rule_id: str) -> bool:
        r = t.retention_rules
        with self.engine.connect() as conn:
            return bool(conn.execute(select(r.c.used).where(r.c.id == rule_id)).scalar())

    @unavailable_on_db_error
    def all(self) -> list[dict[str, Any]]:
        r = t.retention_rules
        with self.engine.connect() as conn:
            rows = conn.execute(select(r).order_by(r.c.created_at, r.c.id))
            return [_listed(row._mapping) for row in rows]

    @unavailable_on_db_error
    def active(self, rule_ids: Sequence[str] | None = None) -> list[CullingRule]:
        """Every active rule (or those of `rule_ids`; an unknown or superseded one is 409)."""
        r = t.retention_rules
        statement = select(r).where(r.c.state == ACTIVE).order_by(r.c.id)
        with self.engine.connect() as conn:
            rules = [CullingRule.from_row(row) for row in conn.execute(statement)]
        missing = sorted(set(rule_ids or ()) - {rule.id for rule in rules})
        if missing:
            raise Conflict(f"No active retention rules {missing}.")
        return rules


def _listed(row: Any) -> dict[str, Any]:
    return {**row, "scope": json.loads(row["scope"])}
