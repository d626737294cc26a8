"""Culling rules: which records a decision lets the authority cull, and when.

A rule cites its decision ("KS 2026/114 § 12"), names the records it covers (its scope) and
how long they are kept, counted from publication, the last change, or the closing of the
site's channel. A rule that has culled something is never edited, only superseded; a
superseded rule no longer applies. Where several active rules cover a record, the longest
retention wins (the latest culling date); a record no rule covers is kept for ever.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true

from service.errors import InvalidInput
from service.index import tables as t
from service.records.model import KIND_NAMES
from service.registers.family import Family
from service.registers.projection import latest_row
from service.retention.durations import Period, before, later_date, parse_retention

PUBLISHED, LAST_CHANGE, CHANNEL_CLOSED = "published", "last_change", "channel_closed"
COUNTED_FROM = (PUBLISHED, LAST_CHANGE, CHANNEL_CLOSED)
ACTIVE, SUPERSEDED = "active", "superseded"
SCOPE_LISTS = ("sites", "kinds", "origins", "statuses")
# What whoever adds or corrects a rule decides; the rest of its document is the register's.
DECIDED = (
    "decision_reference",
    "decision_date",
    "description",
    "scope",
    "retention",
    "counted_from",
    "covers_registered",
)
# The members of a rule's document (besides the register's envelope).
BODY = (*DECIDED, "state", "supersedes", "superseded_by", "created_at")


def _row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision_reference": document["decision_reference"],
        "decision_date": date.fromisoformat(document["decision_date"]),
        "description": document["description"],
        "scope": json.dumps(document["scope"], sort_keys=True, ensure_ascii=False),
        "retention": document["retention"],
        "counted_from": document["counted_from"],
        "covers_registered": document["covers_registered"],
        "state": document["state"],
        "supersedes": document["supersedes"],
        "superseded_by": document["superseded_by"],
        "created_at": datetime.fromisoformat(document["created_at"]),
    }


RULES = Family(
    "retention-rules",
    "offentlig.retention-rule/1",
    latest_row(t.retention_rules, _row),
    tables=(t.retention_rules,),
)


def _like_term(taxonomy: str, name: str) -> ColumnElement[bool]:
    """`records.terms` keeps each term framed by newlines (`index.rows.terms_text`)."""
    escaped = f"{taxonomy}:{name}".replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return t.records.c.terms.like(f"%\n{escaped}\n%", escape="\\")


@dataclass(frozen=True)
class CullingRule:
    id: str
    decision_reference: str
    retention: Period
    counted_from: str
    covers_registered: bool
    scope: dict[str, Any]

    @classmethod
    def from_row(cls, row: Any) -> CullingRule:
        return cls(
            row.id,
            row.decision_reference,
            parse_retention(row.retention),
            row.counted_from,
            row.covers_registered,
            json.loads(row.scope),
        )

    def covers(self) -> ColumnElement[bool]:
        """The records in this rule's scope (every list: any of its values; lists and
        taxonomies together: all of them; an empty scope covers every record)."""
        r = t.records.c
        columns = {"sites": r.site_id, "kinds": r.kind, "origins": r.origin, "statuses": r.status}
        parts: list[ColumnElement[bool]] = [true()]
        for name, column in columns.items():
            if self.scope.get(name):
                parts.append(column.in_(self.scope[name]))
        for taxonomy, names in sorted((self.scope.get("terms") or {}).items()):
            parts.append(or_(*[_like_term(taxonomy, name) for name in names]))
        return and_(*parts)

    def due(self, as_of: datetime) -> ColumnElement[bool]:
        """The records whose culling date under this rule is at or before `as_of`.

        The period is taken from `as_of` (not added to every row), so the comparison is a
        plain range on an indexed column. A record whose channel is open is not due under a
        `channel_closed` rule; nor one whose site has no channel."""
        if self.counted_from == CHANNEL_CLOSED:
            closed = t.channels.c.closed_on
            return and_(closed.is_not(None), closed <= before(as_of.date(), self.retention))
        counted = {PUBLISHED: t.records.c.published_at, LAST_CHANGE: t.records.c.occurred_at}
        return counted[self.counted_from] <= before(as_of, self.retention)

    def culling_date(self, published_at: datetime, changed_at: datetime, closed_on: Any) -> date:
        """The day this rule lets one record go (for the longest-retention comparison)."""
        if self.counted_from == CHANNEL_CLOSED:
            return later_date(closed_on, self.retention)
        base = published_at if self.counted_from == PUBLISHED else changed_at
        return later_date(base.date(), self.retention)


def validate_scope(scope: dict[str, Any]) -> dict[str, Any]:
    """The scope in its stored form: every list present, sorted and without repeats."""
    shaped: dict[str, Any] = {name: sorted(set(scope.get(name) or [])) for name in SCOPE_LISTS}
    unknown = sorted(set(shaped["kinds"]) - set(KIND_NAMES))
    if unknown:
        raise InvalidInput("Unknown kinds.", errors={"scope": {"kinds": [f"Unknown: {unknown}"]}})
    shaped["terms"] = {
        taxonomy: sorted(set(names))
        for taxonomy, names in sorted((scope.get("terms") or {}).items())
    }
    return shaped
