"""Culling runs: planned (a dry run stops there) → executing → finished | failed.

A run's plan — every record due with the rule that allows it, and every record spared with
why — is kept in storage beside the run's document (`plans`), so it can be paged through and
survives `reindex`. Executing works through the plan's due records; each
is checked once more just before it goes (a hold set meanwhile spares it). A run that was
interrupted, failed, or was executed with a `limit` is carried on by executing it again.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, select

from service.audit.trail import AuditTrail
from service.auth.actor import Actor
from service.capture.snapshot import iso
from service.errors import Conflict, OffentligError
from service.index import tables as t
from service.index.db import unavailable_on_db_error
from service.registers.family import Family
from service.registers.projection import latest_row
from service.registers.register import Register
from service.retention.culling import Culler, Decision
from service.retention.holds import LegalHolds
from service.retention.planning import DUE, SKIPPED, PlannedItem, plan
from service.retention.plans import Plans
from service.retention.rulebook import CullingRules

PLANNED, EXECUTING, FINISHED, FAILED = "planned", "executing", "finished", "failed"
BATCH = 200  # due records checked, logged and erased together
CULLING_THREADS = 16  # records of a batch found and logged side by side
BODY = (
    "state",
    "dry_run",
    "as_of",
    "rule_ids",
    "started_by",
    "created_at",
    "finished_at",
    "counts",
    "error",
)


def _row(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "state": document["state"],
        "dry_run": document["dry_run"],
        "as_of": datetime.fromisoformat(document["as_of"]),
        "rule_ids": " ".join(document["rule_ids"]),
        "started_by": document["started_by"],
        "created_at": datetime.fromisoformat(document["created_at"]),
        "finished_at": datetime.fromisoformat(document["finished_at"])
        if document["finished_at"]
        else None,
        "counts": json.dumps(document["counts"], sort_keys=True),
        "error": document["error"],
    }


# The plan's items go with the runs: `reindex` empties both (see `plans`).
RUNS = Family(
    "culling-runs",
    "offentlig.culling-run/1",
    latest_row(t.culling_runs, _row),
    tables=(t.culling_runs, t.culling_run_items),
)


def view(document: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": document["id"],
        "revision": document["revision"],
        **{name: document[name] for name in BODY},
        "as_of": datetime.fromisoformat(document["as_of"]),
        "created_at": datetime.fromisoformat(document["created_at"]),
        "finished_at": _row(document)["finished_at"],
    }


class CullingRuns:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        audit: AuditTrail,
        rules: CullingRules,
        holds: LegalHolds,
        culler: Culler,
    ):
        storage = culler.storage
        self.engine = engine
        self.register = Register(RUNS, storage, engine, clock)
        self.plans = Plans(storage, engine)
        self.clock = clock
        self.new_id = new_id
        self.audit = audit
        self.rules = rules
        self.holds = holds
        self.culler = culler

    def start(
        self,
        *,
        actor: Actor,
        dry_run: bool = True,
        rule_ids: list[str] | None = None,
        as_of: datetime | None = None,
        limit: int | None = None,
        advance: Callable[[int], None] = lambda n: None,
        execute: bool = True,
    ) -> dict[str, Any]:
        """Plan a run; unless it is a dry run, execute it (up to `limit` records) — now, or
        later with `execute(run_id)` when `execute` is False (to size a progress bar)."""
        moment = as_of or self.clock()
        chosen = sorted(set(rule_ids or ()))
        rules = self.rules.active(chosen)
        run_id = self.new_id()
        counts: dict[str, Counter[str]] = defaultdict(Counter)

        def counted(items: Iterable[PlannedItem]) -> Iterator[PlannedItem]:
            for item in items:
                counts[item.rule_id][item.outcome] += 1
                yield item

        chunks = self.plans.write(
            run_id,
            counted(plan(self.engine, rules, self.holds.held(), moment, chosen)),
            index=not dry_run,
        )
        references = {r.id: r.decision_reference for r in rules if not chosen or r.id in chosen}
        document = self.register.write(
            run_id,
            {
                "state": PLANNED,
                "dry_run": dry_run,
                "as_of": iso(moment),
                "rule_ids": chosen,
                "started_by": actor.name,
                "created_at": iso(self.clock()),
                "finished_at": None,
                "counts": _counts(counts, references, sum(c["items"] for c in chunks)),
                "error": None,
                "plan": chunks,
            },
            actor=actor,
        )
        if dry_run or not execute:
            return view(document)
        return self.execute(run_id, actor=actor, limit=limit, advance=advance)

    def execute(
        self,
        run_id: str,
        *,
        actor: Actor,
        limit: int | None = None,
        advance: Callable[[int], None] = lambda n: None,
    ) -> dict[str, Any]:
        """Cull what the run's plan says is due, or carry on where it stopped."""
        current = self.register.latest(run_id)
        if current["dry_run"]:
            raise Conflict("A dry run is a preview: start a run with dry_run false to cull.")
        if current["state"] == FINISHED:
            return view(current)
        self.plans.ensure_indexed(run_id, current["plan"])
        if current["state"] != EXECUTING:
            current = self._next(current, actor, state=EXECUTING, error=None)
        try:
            done = self._work_through(run_id, actor, limit, advance)
        except OffentligError as exc:
            self._next(current, actor, state=FAILED, error=exc.message)
            raise
        if not done:
            return view(current)
        counts = current["counts"]
        for rule_id, culled in self._culled(run_id).items():
            counts["rules"][rule_id]["culled"] = culled
        counts["culled"] = sum(rule["culled"] for rule in counts["rules"].values())
        finished = self._next(
            current,
            actor,
            state=FINISHED,
            error=None,
            counts=counts,
            finished_at=iso(self.clock()),
        )
        self.audit.record(
            "culling-run.executed",
            run_id,
            actor=actor,
            details={"culled": counts["culled"]},
            decision=True,
        )
        return view(finished)

    def _next(self, current: dict[str, Any], actor: Actor, **changes: Any) -> dict[str, Any]:
        body = {name: current[name] for name in (*BODY, "plan")}
        return self.register.write(
            current["id"], {**body, **changes}, actor=actor, previous=current
        )

    def _work_through(
        self, run_id: str, actor: Actor, limit: int | None, advance: Callable[[int], None]
    ) -> bool:
        """Cull the run's due records in plan order; True once none is left to try."""
        held = self.holds.held()
        left = limit
        after = -1
        while True:
            batch = self._pending(run_id, after, BATCH if left is None else min(BATCH, left))
            if not batch:
                return True
            decisions = self._decisions(run_id, batch)
            self.culler.cull(run_id, decisions, held, actor=actor, threads=CULLING_THREADS)
            advance(len(batch))
            after = batch[-1][0]
            if left is not None:
                left -= len(batch)
                if left <= 0:
                    return not self._pending(run_id, after, 1)

    @unavailable_on_db_error
    def _pending(self, run_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        """The plan's due records from `after` on that are still indexed: not culled, or
        culled only in part (a record's index rows go last)."""
        items, records = t.culling_run_items, t.records
        statement = (
            select(items.c.position, items.c.record_id)
            .join(records, records.c.id == items.c.record_id)
            .where(items.c.run_id == run_id, items.c.outcome == DUE, items.c.position > after)
            .order_by(items.c.position)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(row.position, row.record_id) for row in conn.execute(statement)]

    @unavailable_on_db_error
    def _decisions(self, run_id: str, batch: list[tuple[int, str]]) -> dict[str, Decision]:
        items, rules = t.culling_run_items, t.retention_rules
        positions = [position for position, _ in batch]
        statement = (
            select(
                items.c.record_id,
                rules.c.id,
                rules.c.decision_reference,
                rules.c.covers_registered,
            )
            .join(rules, rules.c.id == items.c.rule_id)
            .where(items.c.run_id == run_id, items.c.position.in_(positions))
        )
        with self.engine.connect() as conn:
            return {
                row.record_id: Decision(row.id, row.decision_reference, row.covers_registered)
                for row in conn.execute(statement)
            }

    @unavailable_on_db_error
    def _culled(self, run_id: str) -> dict[str, int]:
        log = t.culling_log
        statement = (
            select(log.c.rule_id, func.count())
            .where(log.c.run_id == run_id)
            .group_by(log.c.rule_id)
        )
        with self.engine.connect() as conn:
            return {rule_id: count for rule_id, count in conn.execute(statement)}

    def get(self, run_id: str) -> dict[str, Any]:
        return view(self.register.latest(run_id))

    @unavailable_on_db_error
    def plan_page(self, run_id: str, after: int, limit: int) -> dict[str, Any]:
        """A page of the run's plan; each item says whether it was culled."""
        self.plans.ensure_indexed(run_id, self.register.latest(run_id)["plan"])
        items, log = t.culling_run_items, t.culling_log
        statement = (
            select(items, log.c.culled_at)
            .outerjoin(log, and_(log.c.run_id == run_id, log.c.record_id == items.c.record_id))
            .where(items.c.run_id == run_id, items.c.position > after)
            .order_by(items.c.position)
            .limit(limit + 1)
        )
        with self.engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(statement)]
        for row in rows:
            row["culled"] = row.pop("culled_at") is not None
        more = len(rows) > limit
        rows = rows[:limit]
        return {"items": rows, "next_cursor": rows[-1]["position"] if more else None}


def _counts(
    counts: dict[str, Counter[str]], references: dict[str, str], total: int
) -> dict[str, Any]:
    """Per rule: its decision, how many records are due, and how many are spared why."""
    return {
        "items": total,
        "culled": 0,
        "rules": {
            rule_id: {
                "decision_reference": reference,
                DUE: counts[rule_id][DUE],
                "culled": 0,
                **{reason: counts[rule_id][reason] for reason in SKIPPED},
            }
            for rule_id, reference in references.items()
        },
    }
