"""Relevance, its cursors, and snippets, on every backend."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import post_data


def ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [item["id"] for item in answer.json["items"]]


def publish(site, n: int, title: str, text: str, published: str = "2026-10-01T08:00:00Z") -> str:  # type: ignore[no-untyped-def]
    data = post_data(n, title=title, content=f"<p>{text}</p>", published_at=published)
    answer = site.sender.send("post.published", data)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return f"{site.id}.post.{n}"


def walk(client, reader, query: dict[str, Any]) -> list[str]:  # type: ignore[no-untyped-def]
    """Every page of `query`, following `next_cursor` (at most 50 pages)."""
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        answer = client.get(
            "/v1/records",
            query_string={**query, **({"cursor": cursor} if cursor else {})},
            headers=reader,
        )
        seen += ids(answer)
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("more than 50 pages")


FILLER = "Nämnden sammanträdde och gick igenom ärendena på dagordningen i tur och ordning."


@pytest.fixture
def ranked(site) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Records about bygglov, from most to least about it (by any sensible ranking)."""
    return {
        "title_and_text": publish(site, 1, "Bygglov", "Bygglov och bygglovet. " + FILLER),
        "title": publish(site, 2, "Bygglov i centrum", FILLER + " " + FILLER),
        "text_twice": publish(site, 3, "Nämndens möte", f"Bygglov. {FILLER} Bygglovet. {FILLER}"),
        "text_once": publish(site, 4, "Nämndens möte", f"{FILLER} Ett bygglov. {FILLER} {FILLER}"),
        "unrelated": publish(site, 5, "Snöröjning", FILLER),
    }


def test_relevance_is_the_default_with_words_and_ranks_the_title_first(client, reader, ranked):
    found = ids(client.get("/v1/records", query_string={"q": "bygglov"}, headers=reader))
    explicit = client.get(
        "/v1/records", query_string={"q": "bygglov", "sort": "relevance"}, headers=reader
    )

    assert found == ids(explicit)
    assert found[0] == ranked["title_and_text"]
    assert found.index(ranked["title"]) < found.index(ranked["text_once"])
    assert found.index(ranked["text_twice"]) < found.index(ranked["text_once"])
    assert ranked["unrelated"] not in found


def test_without_words_the_default_is_newest_published_first(client, reader, site):
    old = publish(site, 1, "Gammal", "Text", "2020-01-01T00:00:00Z")
    new = publish(site, 2, "Ny", "Text", "2026-01-01T00:00:00Z")

    assert ids(client.get("/v1/records", headers=reader)) == [new, old]


def test_relevance_without_words_is_422_naming_sort(client, reader, site, subtests):
    for query in ({"sort": "relevance"}, {"sort": "relevance", "q": "!!"}):
        with subtests.test(str(query)):
            answer = client.get("/v1/records", query_string=query, headers=reader)

            assert answer.status_code == 422
            assert "sort" in answer.json["errors"]["query"]


@pytest.fixture
def many_matches(site) -> list[str]:  # type: ignore[no-untyped-def]
    """17 records about bygglov with few distinct scores: ties the pk has to break."""
    made = []
    for n in range(1, 18):
        text = " ".join(["Bygglov."] * (1 + n % 3)) + " " + FILLER * (1 + n % 2)
        made.append(publish(site, n, f"Ärende {n}", text))
    publish(site, 99, "Annat", FILLER)
    return made


def test_relevance_cursor_walks_every_match_once_in_order(client, reader, many_matches, subtests):
    everything = ids(
        client.get("/v1/records", query_string={"q": "bygglov", "limit": 500}, headers=reader)
    )
    assert sorted(everything) == sorted(many_matches)
    for limit in (1, 2, 5, 17):
        with subtests.test(limit=limit):
            assert walk(client, reader, {"q": "bygglov", "limit": limit}) == everything


def test_a_date_cursor_is_no_relevance_cursor(client, reader, many_matches):
    dated = client.get("/v1/records", query_string={"limit": 2}, headers=reader)
    answer = client.get(
        "/v1/records",
        query_string={"q": "bygglov", "cursor": dated.json["next_cursor"]},
        headers=reader,
    )

    assert answer.status_code == 422
    assert "cursor" in answer.json["errors"]["query"]


# --- snippets ---------------------------------------------------------------------------------


def test_snippet_marks_the_matched_words_and_escapes_the_rest(client, reader, site):
    publish(
        site,
        1,
        "<script>alert('x')</script> Besluten",
        "Inget om saken här, bara <b>fet</b> text & annat.",
    )

    [item] = client.get("/v1/records", query_string={"q": "beslut"}, headers=reader).json["items"]

    assert item["snippet"] == {
        "field": "title",
        "html": "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; <mark>Besluten</mark>",
    }


def test_snippet_prefers_the_text_and_marks_every_form(client, reader, site):
    text = (
        "Kommunstyrelsen fattade beslutet i går. "
        + FILLER * 3
        + " Besluten om &lt;bygglov&gt; &amp; skolskjuts gäller från mars."
    )
    publish(site, 1, "Beslut", text)

    [item] = client.get("/v1/records", query_string={"q": "beslut skolskj*"}, headers=reader).json[
        "items"
    ]

    snippet = item["snippet"]
    assert snippet["field"] == "text"
    assert (
        "<mark>Besluten</mark> om &lt;bygglov&gt; &amp; <mark>skolskjuts</mark>"
        in (snippet["html"])
    )
    assert snippet["html"].startswith("…")
    assert "<script" not in snippet["html"]


def test_snippet_of_an_author_match_and_none_without_words(client, reader, site):
    publish(site, 1, "Möte", "Nämnden möts.")

    [by_author] = client.get("/v1/records", query_string={"q": "andersson"}, headers=reader).json[
        "items"
    ]
    [listed] = client.get("/v1/records", headers=reader).json["items"]

    assert by_author["snippet"] == {"field": "author", "html": "Anna <mark>Andersson</mark>"}
    assert "snippet" not in listed


# --- many matches: the strategies for common words, forced on a small index -----------------


@pytest.fixture
def mixed(site) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Records where the words below are common, rare, in phrases and excluded."""
    texts = [
        ("Bygglov beviljat", "Nämnden beviljade bygglov för Storgatan."),
        ("Bygglov avslaget", "Nämnden avslog bygglov för Torget."),
        ("Detaljplan", "Samråd om detaljplan och bygglov."),
        ("Skolskjuts", "Skolskjuts under vintern."),
        ("Bygglov och skolskjuts", "Nämnden och skolan."),
        ("Snöröjning", "Plogning av gator."),
        ("Bygglov", "Ett bygglov till."),
    ]
    return {
        f"r{n}": publish(site, n, title, text, f"2026-10-{n:02d}T08:00:00Z")
        for n, (title, text) in enumerate(texts, start=1)
    }


MANY_QUERIES = [
    {"q": "bygglov", "sort": "-published_at"},
    {"q": "bygglov", "sort": "published_at"},
    {"q": "nämnden -avslog", "sort": "-captured_at"},
    {"q": '"beviljade bygglov" OR skolskjuts', "sort": "-published_at"},
    {"q": "bygglov", "sort": "-published_at", "kind": "post"},
    # Prefixes: FTS5 indexes 4 letters (checked row by row); others are found once.
    {"q": "bygg*", "sort": "-published_at"},
    {"q": "byggl*", "sort": "published_at"},
    {"q": "sk*", "sort": "-published_at"},
    {"q": "nämnden -avsl*", "sort": "-captured_at"},
]


def test_walking_the_date_index_finds_what_finding_first_finds(
    client, reader, mixed, monkeypatch, subtests
):
    from service.index import queries

    def found(query: dict[str, str]) -> list[str]:
        return ids(client.get("/v1/records", query_string=query, headers=reader))

    for query in MANY_QUERIES:
        with subtests.test(str(query)):
            monkeypatch.setattr(queries, "MANY_MATCHES", 10**9)
            first = found(query)
            monkeypatch.setattr(queries, "MANY_MATCHES", -1)

            assert first and found(query) == first


def test_walking_a_date_range_finds_what_finding_first_finds(
    client, reader, site, mixed, monkeypatch, subtests
):
    """Many matches within a date range: the range is walked, each row checked against the
    matches found once; the page and the facets are those of finding the matches first."""
    from service.index import queries

    october = {
        "published_after": "2026-10-02T00:00:00Z",
        "published_before": "2026-10-07T00:00:00Z",
    }
    for query in (
        {"q": "bygglov", "sort": "-published_at", **october},
        {"q": "nämnden OR bygg*", "sort": "published_at", "site": site.id, **october},
        {"q": "bygglov", "sort": "-published_at", "site": site.id, "kind": "post", **october},
    ):
        with subtests.test(str(query)):
            faceted = {**query, "facets": "kind,year,author"}
            monkeypatch.setattr(queries, "MANY_MATCHES", 10**9)
            first = client.get("/v1/records", query_string=faceted, headers=reader).json
            monkeypatch.setattr(queries, "MANY_MATCHES", -1)
            walked = client.get("/v1/records", query_string=faceted, headers=reader).json

            assert first["items"] and ids_of(walked) == ids_of(first)
            assert walked["facets"] == first["facets"]


def ids_of(answer: dict[str, Any]) -> list[str]:
    return [item["id"] for item in answer["items"]]


def test_relevance_over_many_matches_ranks_the_newest_window(
    client, reader, mixed, monkeypatch, subtests
):
    from service.index import queries

    monkeypatch.setattr(queries, "MANY_MATCHES", -1)
    monkeypatch.setattr(queries, "RANK_WINDOW", 3)
    matching = ids(client.get("/v1/records?q=bygglov&sort=-captured_at&limit=50", headers=reader))
    newest = set(matching[:3])

    ranked = ids(client.get("/v1/records?q=bygglov&limit=50", headers=reader))
    assert set(ranked) == newest
    for limit in (1, 2):
        with subtests.test(limit=limit):
            assert walk(client, reader, {"q": "bygglov", "limit": limit}) == ranked


def test_facets_of_a_large_result_are_estimated_from_a_sample(client, reader, mixed, monkeypatch):
    from service.index import facets

    monkeypatch.setattr(facets, "SAMPLE_WINDOWS", 2)
    monkeypatch.setattr(facets, "SAMPLE_WIDTH", 2)
    monkeypatch.setattr(facets, "EXACT_UP_TO", 0)
    answer = client.get("/v1/records?q=bygglov&facets=kind,year", headers=reader).json

    assert answer["facets_sampled"] is True
    # 7 records, two runs of two pks (1-2 and 4-5): bygglov is in 1, 2 and 5.
    scale = 7 / 4
    assert answer["facets"]["kind"] == [{"value": "post", "count": round(3 * scale)}]
    assert answer["facets"]["year"] == [{"value": 2026, "count": round(3 * scale)}]

    for prefix in ("bygg*", "bygglo*"):  # checked row by row; found once
        sampled = client.get(f"/v1/records?q={prefix}&facets=kind", headers=reader).json
        assert sampled["facets"]["kind"] == answer["facets"]["kind"], prefix

    monkeypatch.setattr(facets, "EXACT_UP_TO", 1000)
    exact = client.get("/v1/records?q=bygglov&facets=kind", headers=reader).json
    assert exact["facets_sampled"] is False
    assert exact["facets"]["kind"] == [{"value": "post", "count": 5}]


def test_a_whole_result_is_never_cut_to_the_window(client, reader, mixed, monkeypatch):
    from service.index import queries

    monkeypatch.setattr(queries, "MANY_MATCHES", -1)
    monkeypatch.setattr(queries, "RANK_WINDOW", 2)
    every = ids(client.get("/v1/records?q=bygglov&sort=-published_at&limit=50", headers=reader))

    for sort in ("", "&sort=relevance"):
        lines = client.get(f"/v1/records.jsonl?q=bygglov{sort}", headers=reader)
        found = [json.loads(line)["id"] for line in lines.get_data(as_text=True).splitlines()]
        assert sorted(found) == sorted(every) and len(every) == 5
    newest_first = client.get("/v1/records.jsonl?q=bygglov", headers=reader)
    assert [
        json.loads(line)["id"] for line in newest_first.get_data(as_text=True).splitlines()
    ] == every


def test_a_phrase_over_many_matches_ranks_the_window_by_its_words(
    client, reader, site, monkeypatch, subtests
):
    """Only the phrase's matches, the newest window of them; on SQLite ranked by the
    phrase's words (`bm25()` of the phrase would count it in the whole table first): in the
    title above in the text, twice above once."""
    from service.index import queries

    filler = "Nämnden gick igenom ärendena."
    older = publish(site, 1, "Lediga platser", f"Lediga platser. {filler}", "2026-10-01T08:00:00Z")
    title = publish(site, 2, "Lediga platser", filler, "2026-10-02T08:00:00Z")
    once = publish(
        site, 3, "Förskolan", f"Det finns lediga platser. {filler}", "2026-10-03T08:00:00Z"
    )
    twice = publish(
        site,
        4,
        "Förskolan",
        f"Lediga platser finns. Fler lediga platser. {filler}",
        "2026-10-04T08:00:00Z",
    )
    publish(site, 5, "Lediga tider", f"Platser i skolan. {filler}", "2026-10-05T08:00:00Z")
    monkeypatch.setattr(queries, "MANY_MATCHES", -1)
    monkeypatch.setattr(queries, "RANK_WINDOW", 3)

    ranked = ids(client.get("/v1/records", query_string={"q": '"lediga platser"'}, headers=reader))

    assert ranked == [title, twice, once]  # not the words apart (5), nor older than the window
    assert older not in ranked
    for limit in (1, 2):
        with subtests.test(limit=limit):
            assert walk(client, reader, {"q": '"lediga platser"', "limit": limit}) == ranked


def test_relevance_in_a_date_range_ranks_the_same_window_however_found(
    client, reader, site, mixed, monkeypatch, subtests
):
    """The window's floor through a short date range is found by walking the range (each
    row looked up among the matches found once), else by reading the matches newest first:
    the same records, ranked the same."""
    from service.index import queries

    monkeypatch.setattr(queries, "MANY_MATCHES", -1)
    monkeypatch.setattr(queries, "RANK_WINDOW", 2)
    october = {
        "published_after": "2026-10-01T00:00:00Z",
        "published_before": "2026-10-06T00:00:00Z",
    }
    for query in ({"q": "bygglov", **october}, {"q": "nämnden", "site": site.id, **october}):
        with subtests.test(str(query)):
            monkeypatch.setattr(queries, "RANGE_WALK", -1)
            newest_first = ids(client.get("/v1/records", query_string=query, headers=reader))
            monkeypatch.setattr(queries, "RANGE_WALK", 10**9)
            walked = ids(client.get("/v1/records", query_string=query, headers=reader))

            assert len(newest_first) == 2 and walked == newest_first
            assert walk(client, reader, {**query, "limit": 1}) == walked
