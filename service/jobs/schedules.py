"""Recurring jobs: schedules the worker consults on every tick.

A schedule provider returns the jobs that should exist now, each with a `dedupe_key` that
names its period ("snapshot:{site}:{period start}"); the queue takes a key once, so asking
again in the same period — on every tick, from every instance — enqueues nothing more.
Periods are ISO 8601 durations (P6M, P1D, PT1H), parsed by `isodate`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeAlias

import isodate

from service.auth.actor import SERVICE
from service.errors import InvalidInput
from service.jobs.model import Job
from service.jobs.queue import DEFAULT_MAX_ATTEMPTS, JobQueue

if TYPE_CHECKING:
    from service.services import Services

log = logging.getLogger("offentlig.jobs")

Period: TypeAlias = isodate.Duration | timedelta
# Where periods are counted from: P6M periods start on 1 January and 1 July.
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_AVERAGE_MONTH = timedelta(days=365.2425 / 12)


def parse_every(text: str, field_name: str = "every") -> Period:
    """A positive ISO 8601 duration; anything else is InvalidInput naming `field_name`."""
    try:
        period: Period = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError):
        period = timedelta(0)
    if _approximate(period) <= timedelta(0):
        raise InvalidInput(errors={field_name: ["Not a positive ISO 8601 duration (e.g. P6M)."]})
    return period


def _approximate(period: Period) -> timedelta:
    if isinstance(period, timedelta):
        return period
    months = float(period.years * 12 + period.months)  # isodate keeps them as Decimal
    approximate: timedelta = period.tdelta + months * _AVERAGE_MONTH
    return approximate


def due(every: str, last_finished: datetime | None, now: datetime) -> bool:
    """Whether work done every `every` is due again: never done, or done a period ago."""
    period = parse_every(every)
    return last_finished is None or last_finished + period <= now


def period_start(every: str, now: datetime, anchor: datetime = EPOCH) -> datetime:
    """The start of the period `now` falls in, periods of `every` counted from `anchor`."""
    if now < anchor:
        raise ValueError(f"{now} is before the schedule's anchor {anchor}")
    period = parse_every(every)
    n = int((now - anchor) / _approximate(period))
    # The estimate is off by at most a period or two where months differ in length.
    for _ in range(10):
        if anchor + period * (n + 1) <= now:
            n += 1
        elif anchor + period * n > now:
            n -= 1
        else:
            return anchor + period * n
    raise ValueError(f"cannot place {now} in the periods of {every}")  # pragma: no cover


@dataclass(frozen=True)
class Planned:
    """A job a schedule wants to exist; enqueued once per `dedupe_key`."""

    kind: str
    dedupe_key: str
    site_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


ScheduleProvider = Callable[["Services", datetime], Iterable[Planned]]


def periodic(
    kind: str,
    every: str,
    targets: Callable[[Services], Iterable[str | None]],
    params: dict[str, Any] | None = None,
    anchor: datetime = EPOCH,
) -> ScheduleProvider:
    """One job of `kind` per target (a site id, or None for the authority) per period."""
    parse_every(every)

    def plan(services: Services, now: datetime) -> Iterable[Planned]:
        start = period_start(every, now, anchor).isoformat().replace("+00:00", "Z")
        for site_id in targets(services):
            key = f"{kind}:{site_id or '-'}:{start}"
            yield Planned(kind, key, site_id, dict(params or {}))

    return plan


def enqueue_due(
    queue: JobQueue, providers: Iterable[ScheduleProvider], services: Services, now: datetime
) -> list[Job]:
    """Enqueue what every schedule wants now; one failing schedule does not stop the rest."""
    jobs = []
    for provider in providers:
        try:
            for planned in provider(services, now):
                jobs.append(
                    queue.enqueue(
                        planned.kind,
                        site_id=planned.site_id,
                        params=planned.params,
                        actor=SERVICE,
                        max_attempts=planned.max_attempts,
                        dedupe_key=planned.dedupe_key,
                    )
                )
        except Exception:
            log.exception("a job schedule failed", extra={"schedule": repr(provider)})
    return jobs
