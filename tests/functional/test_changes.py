"""GET /v1/changes (the registry system's sync feed) and GET /v1/stats (the dashboard's counts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import TEST_ACTOR, Sender, comment_data, post_data


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def feed(client, headers, after: int = 0, limit: int = 1000, **query: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = client.get(
        "/v1/changes", query_string={"after": after, "limit": limit, **query}, headers=headers
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json  # type: ignore[no-any-return]


def walk(
    client, headers, after: int = 0, limit: int = 2, **query: Any
) -> tuple[list[dict[str, Any]], int]:  # type: ignore[no-untyped-def]
    items: list[dict[str, Any]] = []
    while True:
        page = feed(client, headers, after, limit, **query)
        items += page["items"]
        if not page["items"]:
            assert page["next_cursor"] == after
            return items, after
        assert page["next_cursor"] == page["items"][-1]["cursor"]
        after = page["next_cursor"]


@pytest.fixture
def history(app, site, client, clock):  # type: ignore[no-untyped-def]
    """What happened, in capture order: (record, change, version, event type)."""
    other, secret = app.extensions["offentlig"].sites.add(
        "Lunds kommun", "https://lund.se", actor=TEST_ACTOR
    )
    lund = Sender(client, other["id"], secret)
    steps: list[tuple[Sender, str, dict[str, Any], tuple[str, ...]]] = [
        (site.sender, "post.published", post_data(1), ("post.1", "version", 1)),
        (lund, "post.published", post_data(1, title="Lund"), ("lund.post.1", "version", 1)),
        (site.sender, "comment.received", comment_data(10), ("comment.10", "version", 1)),
        (site.sender, "post.updated", post_data(1, title="Ny rubrik"), ("post.1", "version", 2)),
        (
            site.sender,
            "comment.approved",
            comment_data(10, status="approved"),
            ("comment.10", "event", 1),
        ),
        (site.sender, "page.published", post_data(3), ("page.3", "version", 1)),
        (
            site.sender,
            "post.trashed",
            post_data(1, title="Ny rubrik", status="trash"),
            ("post.1", "event", 2),
        ),
        # A comment's content and status changed together: a version, then its event.
        (
            site.sender,
            "comment.spam",
            comment_data(10, content="Köp klockor", status="spam"),
            ("comment.10", "version", 2),
        ),
        (
            site.sender,
            "post.deleted",
            post_data(1, title="Utkastets rubrik", status="trash"),
            ("post.1", "event", 2),
        ),
        (
            lund,
            "post.trashed",
            post_data(1, title="Lund", status="trash"),
            ("lund.post.1", "event", 1),
        ),
    ]
    expected = []
    for n, (sender, event_type, data, step) in enumerate(steps):
        clock.now = datetime(2026, 11, 28, 8, tzinfo=UTC) + timedelta(minutes=n)
        answer = sender.send(event_type, data)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        expected.append((*step, event_type))
        if event_type == "comment.spam":
            expected.append(("comment.10", "event", 2, event_type))
    prefix = {"post": site.id, "comment": site.id, "page": site.id, "lund": other["id"]}

    def record(name: str) -> str:
        head = name.split(".")[0]
        return f"{prefix[head]}.{name.removeprefix('lund.')}"

    return {
        "home": site.id,
        "lund": other["id"],
        "expected": [(record(r), c, v, t) for r, c, v, t in expected],
    }


def as_tuples(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(i["record_id"], i["change"], i["version"], i["event_type"]) for i in items]


def test_every_version_and_event_in_capture_order(client, reader, history):
    items = feed(client, reader)["items"]

    assert as_tuples(items) == history["expected"]
    cursors = [i["cursor"] for i in items]
    assert cursors == sorted(set(cursors))
    captured = [at(i["captured_at"]) for i in items]
    assert captured == sorted(captured)
    assert all((i["change"] == "event") == bool(i["event_id"]) for i in items)
    assert {i["site_id"] for i in items} == {history["home"], history["lund"]}


def test_events_in_the_feed_are_the_records_events(client, reader, history):
    items = feed(client, reader)["items"]
    record = f"{history['home']}.post.1"
    detail = client.get(f"/v1/records/{record}", headers=reader).json

    feed_events = [i["event_id"] for i in items if i["record_id"] == record and i["event_id"]]
    assert feed_events == [e["id"] for e in detail["events"]]


@pytest.mark.parametrize("limit", [1, 2, 3, 1000])
def test_walking_page_by_page_has_no_gaps_or_repeats(client, reader, history, limit):
    everything = feed(client, reader)["items"]

    walked, last = walk(client, reader, limit=limit)

    assert walked == everything
    assert last == everything[-1]["cursor"]


def test_resuming_from_the_last_cursor_returns_only_what_is_new(
    site, client, reader, clock, history
):
    _, last = walk(client, reader)
    assert feed(client, reader, after=last) == {"items": [], "next_cursor": last}

    clock.now = datetime(2026, 11, 28, 10, tzinfo=UTC)
    site.sender.send("post.published", post_data(50))
    site.sender.send("post.published", post_data(50))  # unchanged: nothing new
    site.sender.send("comment.unapproved", comment_data(10, content="Köp klockor", status="hold"))
    new, newest = walk(client, reader, after=last)

    assert as_tuples(new) == [
        (f"{site.id}.post.50", "version", 1, "post.published"),
        (f"{site.id}.comment.10", "event", 2, "comment.unapproved"),
    ]
    assert newest > last


def test_cursor_beyond_the_end_is_an_empty_page(client, reader, history):
    assert feed(client, reader, after=10**9) == {"items": [], "next_cursor": 10**9}


def test_site_filter_and_site_limited_tokens(client, reader, token, history):
    home, lund = history["home"], history["lund"]
    limited = token("records:read", site=lund)

    mine, _ = walk(client, limited, limit=1)
    asked, _ = walk(client, reader, site=lund)
    other_site, cursor = walk(client, limited, site=home)

    expected = [t for t in history["expected"] if t[0].startswith(lund)]
    assert as_tuples(mine) == expected
    assert as_tuples(asked) == expected
    assert (other_site, cursor) == ([], 0)


def test_invalid_arguments_are_422(client, reader, subtests):
    for name, value in [
        ("after", "-1"),
        ("after", "abc"),
        ("after", str(2**63)),
        ("limit", "0"),
        ("limit", "1001"),
        ("site", "x" * 41),
    ]:
        with subtests.test(f"{name}={value[:10]}"):
            answer = client.get("/v1/changes", query_string={name: value}, headers=reader)

            assert answer.status_code == 422
            assert name in answer.json["errors"]["query"]


# --- stats --------------------------------------------------------------------------------


@pytest.fixture
def spread(app, site, client, clock):  # type: ignore[no-untyped-def]
    """Captures on several local (Europe/Stockholm) days, around midnight."""
    other, secret = app.extensions["offentlig"].sites.add(
        "Lunds kommun", "https://lund.se", actor=TEST_ACTOR
    )
    lund = Sender(client, other["id"], secret)
    plan = [
        # 23:59 in Stockholm on the 27th, 00:00 on the 28th (UTC+1 in November).
        ("2026-11-27T22:59:00Z", site.sender, "post.published", post_data(1)),
        ("2026-11-27T23:00:00Z", site.sender, "page.published", post_data(2)),
        ("2026-11-28T08:00:00Z", site.sender, "comment.received", comment_data(10)),
        (
            "2026-11-28T09:00:00Z",
            site.sender,
            "comment.approved",
            comment_data(10, status="approved"),
        ),
        ("2026-11-28T10:00:00Z", site.sender, "post.updated", post_data(1, title="Ny")),
        ("2026-11-28T11:00:00Z", lund, "post.published", post_data(1)),
        ("2026-11-01T09:00:00Z", site.sender, "post.published", post_data(3)),
        (
            "2026-10-31T22:30:00Z",
            site.sender,
            "post.published",
            post_data(4),
        ),
        ("2026-10-15T09:00:00Z", site.sender, "comment.received", comment_data(11)),
        ("2025-06-01T09:00:00Z", site.sender, "post.published", post_data(5)),
    ]
    for when, sender, event_type, data in plan:
        clock.now = datetime.fromisoformat(when)
        answer = sender.send(event_type, data)
        assert answer.status_code == 201, answer.get_data(as_text=True)
    clock.now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    return {"home": site.id, "lund": other["id"]}


def days_of(stats: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {
        d["date"]: (d["post"], d["page"], d["comment"], d["total"])
        for d in stats["days"]
        if d["total"]
    }


def test_stats_count_versions_per_local_day_and_kind(client, reader, spread):
    stats = client.get("/v1/stats", headers=reader).json

    assert stats["timezone"] == "Europe/Stockholm"
    assert stats["site_id"] is None
    assert len(stats["days"]) == 30
    assert stats["days"][-1]["date"] == "2026-11-28"
    assert stats["days"][0]["date"] == "2026-10-30"
    assert days_of(stats) == {
        "2026-11-27": (1, 0, 0, 1),
        "2026-11-28": (2, 1, 1, 4),  # post v2, Lund's post, the page at local midnight, comment
        "2026-11-01": (1, 0, 0, 1),
        "2026-10-31": (1, 0, 0, 1),  # 22:30 UTC on Oct 31 is 23:30 in Stockholm
    }
    assert stats["today"] == 4
    assert stats["this_month"] == 6
    assert stats["total"] == 9  # every version ever; the approval is an event, not counted


def test_stats_for_one_site_and_for_a_site_limited_token(client, reader, token, spread):
    home = client.get(f"/v1/stats?site={spread['home']}", headers=reader).json
    limited = client.get("/v1/stats", headers=token("records:read", site=spread["lund"])).json

    assert home["site_id"] == spread["home"]
    assert (home["today"], home["total"]) == (3, 8)
    assert (limited["today"], limited["this_month"], limited["total"]) == (1, 1, 1)
    assert days_of(limited) == {"2026-11-28": (1, 0, 0, 1)}


def test_stats_window(client, reader, spread):
    one = client.get("/v1/stats?days=1", headers=reader).json
    year = client.get("/v1/stats?days=366", headers=reader).json

    assert [d["date"] for d in one["days"]] == ["2026-11-28"]
    assert one["this_month"] == 6  # the month does not depend on the window
    assert len(year["days"]) == 366
    assert sum(d["total"] for d in year["days"]) == 8  # not the one from June 2025
    assert days_of(year)["2026-10-15"] == (0, 0, 1, 1)


def test_stats_invalid_window_is_422(client, reader, subtests):
    for days in ["0", "367", "-1", "x"]:
        with subtests.test(days):
            answer = client.get(f"/v1/stats?days={days}", headers=reader)

            assert answer.status_code == 422
            assert "days" in answer.json["errors"]["query"]
