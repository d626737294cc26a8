"""Which records are due for culling, under which rule, and which are spared and why.

One streamed query does the work, whatever the size of the archive: each rule's scope and due
date are SQL conditions (the period is subtracted from `as_of` once, so a due date is a range
on a column, never arithmetic per row), a record is a candidate when some rule covers it and
every rule that covers it has come due (the longest retention wins), and holds, pending
reviews and registration are columns of the same rows. Python only names the winning rule.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, not_, or_, select

from service.index import tables as t
from service.retention.rules import CullingRule

DUE, HELD, REVIEW_PENDING, REGISTERED = "due", "held", "review_pending", "registered"
SKIPPED = (HELD, REVIEW_PENDING, REGISTERED)  # in the order they are told
# A record awaiting secrecy review, or decided to need registration and not yet registered.
BLOCKING_REVIEWS = ("pending", "register")
STREAM_ROWS = 2000


@dataclass(frozen=True)
class PlannedItem:
    record_id: str
    site_id: str
    rule_id: str
    outcome: str  # DUE, or the reason it is spared
    due_on: date
    subject: str


def _flag(condition: ColumnElement[bool], name: str) -> Any:
    return case((condition, 1), else_=0).label(name)


def blockers(held: ColumnElement[bool]) -> list[Any]:
    """What spares a due record, as columns named after the outcome they cause."""
    r = t.records.c
    return [
        _flag(held, HELD),
        _flag(r.review.in_(BLOCKING_REVIEWS), REVIEW_PENDING),
        _flag(r.case_number.is_not(None), REGISTERED),
    ]


def outcome(flags: Sequence[int], covers_registered: bool) -> str:
    """DUE, or the first reason a record is spared (`flags`: the `blockers` columns)."""
    for reason, flag in zip(SKIPPED, flags, strict=True):
        if flag and not (reason == REGISTERED and covers_registered):
            return reason
    return DUE


def plan(
    engine: Engine,
    rules: list[CullingRule],
    held: ColumnElement[bool],
    as_of: datetime,
    rule_ids: Collection[str] = (),
) -> Iterator[PlannedItem]:
    """Every record due at `as_of` under the active `rules`, in capture order, streamed.

    `rule_ids` limits the answer to records whose winning rule is one of them; the other
    rules still count, so a longer retention elsewhere keeps a record."""
    if not rules:
        return
    r, channels = t.records, t.channels
    covers = [rule.covers() for rule in rules]
    chosen = [
        c for rule, c in zip(rules, covers, strict=True) if not rule_ids or rule.id in rule_ids
    ]
    if not chosen:
        return
    statement = (
        select(
            r.c.id,
            r.c.site_id,
            r.c.title,
            r.c.published_at,
            r.c.occurred_at,
            channels.c.closed_on,
            *blockers(held),
            *[_flag(c, f"rule_{n}") for n, c in enumerate(covers)],
        )
        .select_from(r.outerjoin(channels, channels.c.site_id == r.c.site_id))
        .where(
            or_(*chosen),
            *[or_(not_(c), rule.due(as_of)) for rule, c in zip(rules, covers, strict=True)],
        )
        .order_by(r.c.pk)
    )
    with (
        engine.connect() as conn,
        closing(conn.execution_options(yield_per=STREAM_ROWS).execute(statement)) as rows,
    ):  # closed even when the caller stops early (a server-side cursor)
        for row in rows:
            record_id, site_id, title, published_at, occurred_at, closed_on = row[:6]
            due_on, winner = max(
                (
                    (rule.culling_date(published_at, occurred_at, closed_on), rule)
                    for rule, covered in zip(rules, row[9:], strict=True)
                    if covered
                ),
                key=lambda found: (found[0], found[1].id),
            )
            if rule_ids and winner.id not in rule_ids:
                continue
            spared = outcome(row[6:9], winner.covers_registered)
            yield PlannedItem(record_id, site_id, winner.id, spared, due_on, title)
