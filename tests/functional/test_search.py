"""GET /v1/records: Swedish full text, every filter, both sorts, cursor pages that hold still."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import TEST_ACTOR, Sender, comment_data, post_data


def ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [item["id"] for item in answer.json["items"]]


def day(n: int) -> datetime:
    return datetime(2026, 11, 1, 9, 0, tzinfo=UTC) + timedelta(days=n)


@pytest.fixture
def corpus(app, site, client, clock):  # type: ignore[no-untyped-def]
    """A small authority: posts, pages and comments on two sites, captured on separate days."""
    other, secret = app.extensions["offentlig"].sites.add(
        "Lunds kommun", "https://lund.se", actor=TEST_ACTOR
    )
    lund = Sender(client, other["id"], secret)
    deliveries: list[tuple[Sender, str, dict[str, Any]]] = [
        (
            site.sender,
            "post.published",
            post_data(
                1,
                title="Vinterns snöröjning",
                content="<p>Kommunen plogar gator och cykelvägar från klockan fem.</p>",
                published_at="2026-11-20T08:00:00Z",
            ),
        ),
        (
            site.sender,
            "post.published",
            post_data(
                2,
                title="Förskolans öppettider i jul",
                content="<p>Förskolan på Ängsvägen stänger tidigare på julafton.</p>",
                author={"id": 4, "name": "Örjan Öberg"},
                published_at="2026-11-21T08:00:00Z",
            ),
        ),
        (
            site.sender,
            "page.published",
            post_data(
                3,
                title="Kontakt",
                content="<p>Ring växeln.</p>",
                published_at="2026-10-01T08:00:00Z",
            ),
        ),
        (
            site.sender,
            "page.published",
            post_data(
                4,
                title="Äldreboende",
                content="<p>Äldreboendet Solgården har lediga platser.</p>",
                parent=3,
                published_at="2026-10-02T08:00:00Z",
            ),
        ),
        (
            site.sender,
            "post.published",
            post_data(
                5,
                title="Gångvägen vid ån",
                content="<p>Gångvägen är avstängd.</p>",
                published_at="2026-09-01T08:00:00Z",
            ),
        ),
        (
            site.sender,
            "post.trashed",
            post_data(
                5,
                title="Gångvägen vid ån",
                content="<p>Gångvägen är avstängd.</p>",
                published_at="2026-09-01T08:00:00Z",
                status="trash",
            ),
        ),
        (
            site.sender,
            "comment.received",
            comment_data(
                10, post_id=1, content="Min gata har inte plogats.", date="2026-11-22T07:00:00Z"
            ),
        ),
        (
            site.sender,
            "comment.received",
            comment_data(
                11,
                post_id=1,
                content="Tack för snabb snöröjning!",
                status="approved",
                author={"name": "Åsa Åström", "url": "", "user_id": 0},
                date="2026-11-23T07:00:00Z",
            ),
        ),
        (
            lund,
            "post.published",
            post_data(
                1,
                title="Snöröjning i Lund",
                content="<p>Lunds kommun plogar också.</p>",
                author={"id": 9, "name": "Lena Lund"},
                published_at="2026-11-22T08:00:00Z",
            ),
        ),
    ]
    for n, (sender, event_type, data) in enumerate(deliveries):
        clock.now = day(n)
        answer = sender.send(event_type, data)
        assert answer.status_code == 201, answer.get_data(as_text=True)
    home = site.id
    return {
        "home": home,
        "lund": other["id"],
        "post1": f"{home}.post.1",
        "post2": f"{home}.post.2",
        "page3": f"{home}.page.3",
        "page4": f"{home}.page.4",
        "post5": f"{home}.post.5",
        "c10": f"{home}.comment.10",
        "c11": f"{home}.comment.11",
        "lund1": f"{other['id']}.post.1",
    }


# --- full text ----------------------------------------------------------------------------


FULL_TEXT = [
    # A comment's title is "Re: " and its post's title.
    ("snöröjning", {"post1", "c10", "c11", "lund1"}),
    ("SNÖRÖJNING", {"post1", "c10", "c11", "lund1"}),
    ("Snöröjning Lund", {"lund1"}),
    ("äldreboendet", {"page4"}),
    ("Ängsvägen", {"post2"}),
    ("förskolan ängsvägen julafton", {"post2"}),
    ("öberg", {"post2"}),  # author
    ("Åsa", {"c11"}),  # the commenter
    ("gångvägen", {"post5"}),  # trashed records are still found
    ("plogats", {"c10"}),
    ("kontakt", {"page3"}),
    ("snöröjning förskolan", set()),  # every word must occur
    ("snorojning", set()),  # å, ä, ö are letters of their own in Swedish
    ("tunnelbana", set()),
]


def test_full_text(client, reader, corpus, subtests):
    for q, expected in FULL_TEXT:
        with subtests.test(q):
            found = ids(client.get("/v1/records", query_string={"q": q}, headers=reader))

            assert set(found) == {corpus[name] for name in expected}


def test_characters_outside_the_query_language_are_only_text(client, reader, corpus, subtests):
    for q in ["snö* OR kontakt", "NEAR(a b)", "title:kontakt", "'", "()", "a AND b", "x^2"]:
        with subtests.test(q):
            answer = client.get("/v1/records", query_string={"q": q}, headers=reader)

            assert answer.status_code == 200, answer.get_data(as_text=True)


def test_query_without_words_matches_everything(client, reader, corpus):
    everything = ids(client.get("/v1/records", headers=reader))

    assert ids(client.get("/v1/records?q=%20!!%20", headers=reader)) == everything
    assert len(everything) == 8


def test_search_answers_a_register_entry(client, reader, corpus):
    [item] = client.get("/v1/records?q=äldreboendet", headers=reader).json["items"]

    assert item["title"] == "Äldreboende"
    assert item["summary"] == "Äldreboendet Solgården har lediga platser."
    assert item["origin"] == "drawn_up"
    assert item["kind"] == "page"
    assert item["published_at"] == "2026-10-02T08:00:00+00:00"


# --- filters ------------------------------------------------------------------------------


FILTERS: list[tuple[dict[str, str], set[str]]] = [
    ({"kind": "post"}, {"post1", "post2", "post5", "lund1"}),
    ({"kind": "page"}, {"page3", "page4"}),
    ({"kind": "comment"}, {"c10", "c11"}),
    ({"origin": "received"}, {"c10", "c11"}),
    ({"origin": "drawn_up"}, {"post1", "post2", "page3", "page4", "post5", "lund1"}),
    ({"status": "trash"}, {"post5"}),
    ({"status": "hold"}, {"c10"}),
    ({"status": "approved"}, {"c11"}),
    ({"status": "nosuchstatus"}, set()),
    ({"author": "Örjan Öberg"}, {"post2"}),
    ({"author": "Åsa Åström"}, {"c11"}),
    ({"author": "Örjan"}, set()),  # the whole name, not a part
    ({"parent": "{post1}"}, {"c10", "c11"}),
    ({"parent": "{page3}"}, {"page4"}),
    ({"published_after": "2026-11-21T08:00:00Z"}, {"post2", "c10", "c11", "lund1"}),
    ({"published_before": "2026-10-02T08:00:00Z"}, {"page3", "post5"}),
    (
        {"published_after": "2026-10-01T08:00:00Z", "published_before": "2026-11-21T08:00:00Z"},
        {"page3", "page4", "post1"},
    ),
    (
        {
            "published_after": "2026-11-21T09:00:00+01:00",
            "published_before": "2026-11-22T09:00:00+01:00",
        },
        {"post2", "c10"},  # after is inclusive, before exclusive: lund1 is at 08:00Z
    ),
    ({"captured_after": day(7).isoformat()}, {"c11", "lund1"}),
    ({"captured_before": day(2).isoformat()}, {"post1", "post2"}),
    (
        {"captured_after": day(2).isoformat(), "captured_before": day(4).isoformat()},
        {"page3", "page4"},
    ),
    ({"kind": "post", "status": "publish", "q": "snöröjning"}, {"post1", "lund1"}),
]


def test_filters(client, reader, corpus, subtests):
    for query, expected in FILTERS:
        with subtests.test(str(query)):
            query = {k: v.format(**corpus) for k, v in query.items()}
            found = ids(client.get("/v1/records", query_string=query, headers=reader))

            assert set(found) == {corpus[name] for name in expected}


def test_site_filter(client, reader, corpus):
    home = ids(client.get(f"/v1/records?site={corpus['home']}", headers=reader))
    lund = ids(client.get(f"/v1/records?site={corpus['lund']}", headers=reader))
    nobody = ids(client.get("/v1/records?site=nosuchsite", headers=reader))

    assert len(home) == 7
    assert lund == [corpus["lund1"]]
    assert nobody == []


# --- sorting ------------------------------------------------------------------------------


def test_sorts(client, reader, corpus):
    def order(sort: str) -> list[str]:
        found = ids(client.get(f"/v1/records?sort={sort}", headers=reader))
        return [next(k for k, v in corpus.items() if v == record) for record in found]

    by_published = ["post5", "page3", "page4", "post1", "post2", "c10", "lund1", "c11"]
    # post5 was first captured on day 4 (its trash event came on day 5).
    by_captured = ["post1", "post2", "page3", "page4", "post5", "c10", "c11", "lund1"]

    assert order("published_at")[:5] == ["post5", "page3", "page4", "post1", "post2"]
    assert order("published_at") == by_published
    assert order("-published_at") == by_published[::-1]
    assert order("captured_at") == by_captured
    assert order("-captured_at") == by_captured[::-1]
    assert order("-published_at") == ids_default(client, reader, corpus)


def ids_default(client, reader, corpus):  # type: ignore[no-untyped-def]
    found = ids(client.get("/v1/records", headers=reader))
    return [next(k for k, v in corpus.items() if v == record) for record in found]


SORTS = ["published_at", "-published_at", "captured_at", "-captured_at"]

# --- cursor pages -------------------------------------------------------------------------


def walk(client, headers, query: dict[str, Any], between_pages=None) -> tuple[list[str], int]:  # type: ignore[no-untyped-def]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        answer = client.get(
            "/v1/records",
            query_string={**query, **({"cursor": cursor} if cursor else {})},
            headers=headers,
        )
        seen += ids(answer)
        pages += 1
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return seen, pages
        if between_pages:
            between_pages(pages)
        assert pages < 100


@pytest.fixture
def many_posts(site, clock):  # type: ignore[no-untyped-def]
    """23 posts; several share a published_at so the pk has to break ties."""
    for n in range(1, 24):
        clock.now = day(0) + timedelta(minutes=n)
        published = datetime(2026, 11, 1 + n // 3, tzinfo=UTC).isoformat()
        answer = site.sender.send("post.published", post_data(n, published_at=published))
        assert answer.status_code == 201
    return [f"{site.id}.post.{n}" for n in range(1, 24)]


def test_cursor_walks_every_record_once_in_order(client, reader, many_posts, subtests):
    for sort in SORTS:
        everything = ids(
            client.get("/v1/records", query_string={"sort": sort, "limit": 500}, headers=reader)
        )
        for limit in (1, 4, 23, 50):
            with subtests.test(f"{sort} by {limit}"):
                seen, pages = walk(client, reader, {"sort": sort, "limit": limit})

                assert seen == everything
                assert sorted(seen) == sorted(many_posts)
                assert pages == max(1, -(-len(many_posts) // limit))


def test_cursor_keeps_the_filters(client, reader, many_posts):
    seen, _ = walk(client, reader, {"q": "snöröjning", "kind": "post", "limit": 5})

    assert sorted(seen) == sorted(many_posts)


def test_cursor_pages_hold_still_while_records_are_added(
    site, client, reader, clock, many_posts, subtests
):
    added: list[str] = []
    sources = itertools.count(100)

    def insert(page: int) -> None:
        # Between every two pages: one record that sorts first, one that sorts last.
        for published in ("2027-06-01T00:00:00Z", "2020-01-01T00:00:00Z"):
            source = next(sources)
            clock.now = day(30) + timedelta(minutes=source)
            answer = site.sender.send("post.published", post_data(source, published_at=published))
            assert answer.status_code == 201
            added.append(f"{site.id}.post.{source}")

    for sort in SORTS:
        with subtests.test(sort):
            there = set(ids(client.get("/v1/records?limit=500", headers=reader)))
            added.clear()

            seen, _ = walk(client, reader, {"sort": sort, "limit": 4}, between_pages=insert)

            assert added
            assert len(seen) == len(set(seen)), "a record came twice"
            assert there <= set(seen), "a record that was there all along was skipped"
            assert set(seen) - there <= set(added)


def test_cursor_is_opaque_and_url_safe(client, reader, many_posts):
    cursor = client.get("/v1/records?limit=2", headers=reader).json["next_cursor"]

    assert cursor and all(c.isalnum() or c in "-_" for c in cursor)


# --- invalid arguments ----------------------------------------------------------------------


def _cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


INVALID_CURSORS = [
    "not-a-cursor",
    "!!!",
    _cursor([]),
    _cursor({"a": 1}),
    _cursor(["2026-11-28T00:00:00+00:00"]),
    _cursor(["2026-11-28T00:00:00+00:00", "5"]),
    _cursor(["yesterday", 5]),
    _cursor([5, 5]),
    _cursor(["2026-11-28T00:00:00", 5]),  # naive
    _cursor(["0001-01-01T00:00:00+01:00", 5]),  # before year 1 in UTC
    _cursor(["2026-11-28T00:00:00+00:00", 10**30]),
    _cursor(["2026-11-28T00:00:00+00:00", -(10**30)]),
    _cursor(["2026-11-28T00:00:00+00:00", 1.5]),
    _cursor(["2026-11-28T00:00:00+00:00", True]),
    _cursor(["2026-11-28T00:00:00+00:00", 0]),
    _cursor([None, 5]),
    "WyIy\x00",
    "x" * 501,
]


def test_invalid_cursor_is_422(client, reader, many_posts, subtests):
    for cursor in INVALID_CURSORS:
        with subtests.test(cursor[:40]):
            answer = client.get("/v1/records", query_string={"cursor": cursor}, headers=reader)

            assert answer.status_code == 422, answer.get_data(as_text=True)
            assert "cursor" in answer.json["errors"]["query"]


INVALID_FILTERS: list[tuple[dict[str, str], str]] = [
    ({"kind": "blog"}, "kind"),
    ({"origin": "sent"}, "origin"),
    ({"sort": "title"}, "sort"),
    ({"sort": "--published_at"}, "sort"),
    ({"limit": "0"}, "limit"),
    ({"limit": "501"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"published_after": "igår"}, "published_after"),
    ({"published_before": "2026-13-01T00:00:00Z"}, "published_before"),
    ({"captured_after": "2026-11-28T00:00:00"}, "captured_after"),  # naive
    ({"captured_before": "1795860000"}, "captured_before"),
    ({"published_after": "0001-01-01T00:00:00+01:00"}, "published_after"),
    ({"captured_before": "9999-12-31T23:59:59-01:00"}, "captured_before"),
    (
        {"published_after": "2026-11-28T00:00:00Z", "published_before": "2026-11-27T00:00:00Z"},
        "published_before",
    ),
    (
        {"captured_after": "2026-11-28T00:00:00Z", "captured_before": "2026-11-28T00:00:00Z"},
        "captured_before",
    ),
    ({"q": "x" * 501}, "q"),
    ({"q": "snö\x00röjning"}, "q"),
    ({"status": "trash\x00"}, "status"),
    ({"author": "\x00"}, "author"),
    ({"parent": "a\x00b"}, "parent"),
    ({"site": "\x00"}, "site"),
]


def test_invalid_filter_is_422_naming_it(client, reader, corpus, subtests):
    for query, field in INVALID_FILTERS:
        with subtests.test(repr(query)[:60]):
            answer = client.get("/v1/records", query_string=query, headers=reader)

            assert answer.status_code == 422, answer.get_data(as_text=True)
            body = answer.json
            assert set(body) == {"code", "status", "message", "errors"}
            assert field in body["errors"]["query"], body


@pytest.mark.parametrize("query", ["2019/245", "KS 2019 245", "bertil", "example se"])
def test_both_databases_split_numbers_addresses_and_hosts_into_words(site, client, reader, query):
    site.sender.send(
        "post.published",
        post_data(77, title="Beslut KS 2019/245", content="<p>Frågor: bertil@example.se</p>"),
    )

    items = client.get("/v1/records", query_string={"q": query}, headers=reader).json["items"]
    assert [i["id"] for i in items] == [f"{site.id}.post.77"]


# --- facets -------------------------------------------------------------------------------

FACETED = [
    {},
    {"q": "snöröjning"},
    {"q": "snöröjning OR förskolan"},
    {"kind": "post"},
    {"q": "gator", "origin": "drawn_up"},
    {"q": "tunnelbana"},
]


def _counted(items: list[dict[str, Any]]) -> dict[str, dict[Any, int]]:
    from collections import Counter
    from zoneinfo import ZoneInfo

    stockholm = ZoneInfo("Europe/Stockholm")
    return {
        "kind": Counter(i["kind"] for i in items),
        "origin": Counter(i["origin"] for i in items),
        "site": Counter(i["site_id"] for i in items),
        "status": Counter(i["status"] for i in items),
        "author": Counter(i["author"] for i in items),
        "year": Counter(
            datetime.fromisoformat(i["published_at"]).astimezone(stockholm).year for i in items
        ),
    }


def test_facets_count_the_whole_result_not_the_page(client, reader, corpus, subtests):
    names = "kind,origin,site,status,year,author"
    for query in FACETED:
        with subtests.test(str(query)):
            everything = client.get(
                "/v1/records", query_string={**query, "limit": 500}, headers=reader
            ).json["items"]
            answer = client.get(
                "/v1/records", query_string={**query, "limit": 1, "facets": names}, headers=reader
            )

            assert answer.status_code == 200, answer.get_data(as_text=True)
            facets = answer.json["facets"]
            assert set(facets) == set(names.split(","))
            expected = _counted(everything)
            for name, values in facets.items():
                assert {v["value"]: v["count"] for v in values} == dict(expected[name]), name
                counts = [v["count"] for v in values]
                assert counts == sorted(counts, reverse=True)


def test_a_year_is_the_local_year(site, client, reader):
    # 23:30 UTC on New Year's Eve is already the next year in Stockholm.
    site.sender.send("post.published", post_data(1, published_at="2025-12-31T23:30:00Z"))
    site.sender.send("post.published", post_data(2, published_at="2025-12-31T22:30:00Z"))

    answer = client.get("/v1/records?facets=year", headers=reader)

    assert answer.json["facets"] == {
        "year": [{"value": 2025, "count": 1}, {"value": 2026, "count": 1}]
    }


def test_no_facets_unless_asked(client, reader, corpus):
    answer = client.get("/v1/records", headers=reader).json
    assert "facets" not in answer
    assert "facets_sampled" not in answer


@pytest.mark.parametrize("facets", ["kind,colour", "", "kind,kind,kind,kind,kind,kind,kind"])
def test_unknown_facet_is_422_naming_facets(client, reader, corpus, facets):
    answer = client.get("/v1/records", query_string={"facets": facets}, headers=reader)

    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert "facets" in answer.json["errors"]["query"]


# --- whole results as CSV and JSON Lines ----------------------------------------------------

EXPORTED = [
    {},
    {"q": "snöröjning"},
    {"q": "snöröjning", "sort": "relevance"},
    {"kind": "post", "sort": "published_at"},
    {"q": "tunnelbana"},
]


def test_jsonl_streams_every_page_of_the_result(client, reader, corpus, monkeypatch, subtests):
    from service.api import record_exports

    monkeypatch.setattr(record_exports, "PAGE_SIZE", 2)
    for query in EXPORTED:
        with subtests.test(str(query)):
            # A whole result is newest first unless `sort` says otherwise.
            listed = client.get(
                "/v1/records",
                query_string={"sort": "-published_at", **query, "limit": 500},
                headers=reader,
            ).json["items"]
            answer = client.get("/v1/records.jsonl", query_string=query, headers=reader)

            assert answer.status_code == 200, answer.get_data(as_text=True)
            assert answer.mimetype == "application/jsonl"
            lines = answer.get_data(as_text=True).splitlines()
            assert [json.loads(line) for line in lines] == listed


def test_csv_streams_every_page_with_the_register_entry_first(client, reader, corpus, monkeypatch):
    import csv
    import io

    from service.api import record_exports

    monkeypatch.setattr(record_exports, "PAGE_SIZE", 3)
    listed = client.get(
        "/v1/records?limit=500&q=snöröjning&sort=-published_at", headers=reader
    ).json["items"]
    answer = client.get("/v1/records.csv?q=snöröjning", headers=reader)

    assert answer.status_code == 200
    assert answer.mimetype == "text/csv"
    assert "records.csv" in answer.headers["Content-Disposition"]
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["id"] for r in rows] == [i["id"] for i in listed]
    header = list(rows[0])
    assert header[0] == "id"
    assert all(name.startswith("register_entry.") for name in header[1:6])
    by_id = {r["id"]: r for r in rows}
    comment = by_id[corpus["c11"]]
    assert comment["register_entry.sender"] == "Åsa Åström"
    assert comment["origin"] == "received"


def test_csv_cells_never_start_a_formula(site, client, reader):
    site.sender.send("post.published", post_data(1, title='=HYPERLINK("x")', content="<p>-1</p>"))

    text = client.get("/v1/records.csv", headers=reader).get_data(as_text=True)

    import csv
    import io

    [row] = list(csv.DictReader(io.StringIO(text[1:])))
    assert row["title"] == '\'=HYPERLINK("x")'
    assert row["summary"] == "'-1"


@pytest.mark.parametrize("path", ["/v1/records.csv", "/v1/records.jsonl"])
@pytest.mark.parametrize(
    ("query", "field"),
    [({"q": 'snö"'}, "q"), ({"kind": "blog"}, "kind"), ({"sort": "title"}, "sort")],
)
def test_export_with_invalid_arguments_is_422_naming_them(
    client, reader, corpus, path, query, field
):
    answer = client.get(path, query_string=query, headers=reader)

    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert field in answer.json["errors"]["query"]


@pytest.mark.parametrize("path", ["/v1/records.csv", "/v1/records.jsonl"])
def test_export_needs_a_reading_token(client, path):
    assert client.get(path).status_code == 401
