"""When the next culling comes: the earliest day a culling run would find records due, and
how many, for the dashboard widget.

It plans as if at a moment far ahead (every covered record with the day its winning rule
makes it due, and whether a hold, review or registration spares it) and takes the earliest
day among the records that nothing spares. That reads every covered record of the sites
asked about, so the answer is kept for a few minutes per process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import cachetools
from sqlalchemy import Engine

from service.retention.holds import LegalHolds
from service.retention.planning import DUE, plan
from service.retention.rulebook import CullingRules

HORIZON = timedelta(days=366 * 200)  # past every retention an authority decides on


@dataclass(frozen=True)
class NextCulling:
    date: date  # today, when records are due already
    records: int  # due on or before that day

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date, "records": self.records}


class CullingForecast:
    def __init__(
        self,
        engine: Engine,
        rules: CullingRules,
        holds: LegalHolds,
        clock: Callable[[], datetime],
        cache_seconds: float = 300,
    ):
        self.engine = engine
        self.rules = rules
        self.holds = holds
        self.clock = clock
        self._recent: cachetools.TTLCache[tuple[str, ...] | None, NextCulling | None] = (
            cachetools.TTLCache(maxsize=256, ttl=cache_seconds)
        )
        self._lock = threading.Lock()

    def next(self, site_ids: list[str] | None) -> NextCulling | None:
        """None when no active rule makes any unspared record of these sites due, ever."""
        key = tuple(sorted(site_ids)) if site_ids is not None else None
        with self._lock:
            if key in self._recent:
                return self._recent[key]
        found = self._compute(site_ids)
        with self._lock:
            self._recent[key] = found
        return found

    def forget(self) -> None:
        """Drop the kept answers (after a rule or hold changed in this process)."""
        with self._lock:
            self._recent.clear()

    def _compute(self, site_ids: list[str] | None) -> NextCulling | None:
        rules = self.rules.active()
        if not rules:
            return None
        today = self.clock().astimezone(UTC).date()
        far = datetime.combine(today, time(), UTC) + HORIZON
        wanted = set(site_ids) if site_ids is not None else None
        days = sorted(
            max(item.due_on, today)
            for item in plan(self.engine, rules, self.holds.held(), far)
            if item.outcome == DUE and (wanted is None or item.site_id in wanted)
        )
        if not days:
            return None
        first = days[0]
        return NextCulling(first, sum(1 for day in days if day <= first))
