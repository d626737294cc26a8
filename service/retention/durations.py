"""Retention periods as ISO 8601 durations (P2Y, P6M, P30D), parsed by `isodate`."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any, TypeAlias, TypeVar, cast

import isodate

from service.errors import InvalidInput

# An `isodate.Duration` (years, months) or a `timedelta` (weeks, days); isodate is untyped.
Period: TypeAlias = Any
Moment = TypeVar("Moment", date, datetime)

HINT = "An ISO 8601 duration of years, months, weeks or days, e.g. P2Y, P6M or P30D."


def parse_retention(text: str) -> Period:
    """The period `text` names; `InvalidInput` naming `retention` unless it is a positive
    number of years, months, weeks or days (hours are no unit of an archive's retention)."""
    try:
        period: Period = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, TypeError):
        raise InvalidInput("Invalid retention.", errors={"retention": [HINT]}) from None
    days = period.tdelta if isinstance(period, isodate.Duration) else period
    months = period.years * 12 + period.months if isinstance(period, isodate.Duration) else 0
    bad = days.seconds or days.microseconds or days.days < 0 or months < 0 or months % 1
    if bad or not (days or months):
        raise InvalidInput("Invalid retention.", errors={"retention": [HINT]})
    return period


def before(moment: Moment, period: Period) -> Moment:
    return cast(Moment, moment - period)


def later_date(day: date, period: Period) -> date:
    """`day + period`, as isodate counts it (a month on from 31 January is 28 or 29
    February), without isodate's Decimal arithmetic: planning does this once per record."""
    if not isinstance(period, isodate.Duration):
        return day + period  # type: ignore[no-any-return]
    months = day.month - 1 + int(period.years * 12 + period.months)
    year, month = day.year + months // 12, months % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last)) + period.tdelta  # type: ignore[no-any-return]
