"""Schedule periods: ISO 8601 durations, counted from a fixed anchor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.errors import InvalidInput
from service.jobs.schedules import due, period_start, periodic


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("every", "now", "start"),
    [
        ("P6M", at(2026, 11, 28, 9), at(2026, 7, 1)),
        ("P6M", at(2026, 7, 1), at(2026, 7, 1)),
        ("P6M", at(2026, 6, 30, 23, 59, 59), at(2026, 1, 1)),
        ("P1Y", at(2027, 1, 1), at(2027, 1, 1)),
        ("P1M", at(2028, 2, 29, 12), at(2028, 2, 1)),
        ("P1M", at(2026, 12, 31, 23), at(2026, 12, 1)),
        ("P1D", at(2026, 11, 28, 9, 30), at(2026, 11, 28)),
        ("PT1H", at(2026, 11, 28, 9, 30), at(2026, 11, 28, 9)),
        ("P1W", at(2026, 11, 27), at(2026, 11, 21)),  # 2000-01-01 was a Saturday
        ("P1M15D", at(2000, 2, 16), at(2000, 2, 16)),
        ("P1M15D", at(2000, 2, 15, 23), at(2000, 1, 1)),
    ],
)
def test_period_start(every, now, start):
    assert period_start(every, now) == start


def test_every_moment_of_a_period_has_the_same_start():
    moments = [at(2026, 7, 1) + timedelta(days=d, seconds=17) for d in range(0, 184, 7)]

    assert {period_start("P6M", m) for m in moments} == {at(2026, 7, 1)}


def test_due_once_a_period_after_the_last_run():
    last = at(2026, 5, 1, 12)

    assert due("P6M", None, at(2026, 5, 1))
    assert not due("P6M", last, at(2026, 11, 1, 11))
    assert due("P6M", last, at(2026, 11, 1, 12))


@pytest.mark.parametrize("every", ["", "6 months", "P", "P0D", "-P1D", "PT0S", "P6X"])
def test_a_period_must_be_a_positive_iso_duration(every):
    with pytest.raises(InvalidInput) as raised:
        due(every, None, at(2026, 1, 1))
    assert "every" in (raised.value.errors or {})


def test_a_periodic_schedule_names_its_period_in_the_dedupe_key():
    plan = periodic("snapshot", "P6M", lambda _services: ["site1", None])

    planned = list(plan(None, at(2026, 11, 28, 9)))  # type: ignore[arg-type]

    assert [(p.kind, p.site_id, p.dedupe_key) for p in planned] == [
        ("snapshot", "site1", "snapshot:site1:2026-07-01T00:00:00Z"),
        ("snapshot", None, "snapshot:-:2026-07-01T00:00:00Z"),
    ]


def test_a_periodic_schedule_refuses_a_bad_period_when_made():
    with pytest.raises(InvalidInput):
        periodic("snapshot", "every half year", lambda _services: [])
