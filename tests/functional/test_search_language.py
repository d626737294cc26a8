"""The query language of `q` on both databases: Swedish stems, phrases, prefixes, exclusions,
OR, and a 422 naming `q` for what cannot be read. One table of queries and the records they
must find, run on every backend: SQLite and PostgreSQL find the same."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import post_data

DOCUMENTS = {
    "d1": ("Beslutet om snöröjning", "Kommunstyrelsen fattade beslutet i går."),
    "d2": ("Besluten i nämnden", "Nämnden fattade flera beslut om skolskjuts."),
    "d3": ("Nytt beslut", "Ett beslut om bygglov för kvarteret Ekorren."),
    "d4": ("Året som gått", "Under år 2025 byggdes tio nya förskolor."),
    "d5": ("Ar och hektar", "Tomten är tre ar stor."),
    "d6": ("Lediga platser", "Äldreboendet Solgården har lediga platser från mars."),
    "d7": ("Platser lediga", "Inga platser är lediga just nu."),
    "d8": ("Snöröjningen startar", "Plogning och sandning av gator."),
    "d9": ("Kontakt", "Ring växeln om bygglov. Dnr KS 2019/245, frågor till bertil@example.se."),
}


@pytest.fixture
def documents(site) -> dict[str, str]:  # type: ignore[no-untyped-def]
    found = {}
    for n, (name, (title, text)) in enumerate(DOCUMENTS.items(), start=1):
        published = f"2026-10-{n:02d}T08:00:00Z"
        data = post_data(n, title=title, content=f"<p>{text}</p>", published_at=published)
        answer = site.sender.send("post.published", data)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        found[name] = f"{site.id}.post.{n}"
    return found


# Every query, and the records it must find, on every database.
QUERIES: list[tuple[str, set[str]]] = [
    # Swedish stems: each form finds the others.
    ("beslut", {"d1", "d2", "d3"}),
    ("beslutet", {"d1", "d2", "d3"}),
    ("besluten", {"d1", "d2", "d3"}),
    ("BESLUTEN", {"d1", "d2", "d3"}),
    ("snöröjningen", {"d1", "d8"}),
    ("nämnd", {"d2"}),
    # å, ä, ö are letters: "år" is not "ar".
    ("år", {"d4"}),
    ("ar", {"d5"}),
    ("snorojning", set()),
    # Every word must occur.
    ("beslut nämnden", {"d2"}),
    ("lediga platser", {"d6", "d7"}),
    ("beslut tunnelbana", set()),
    # Phrases: the words in this order, next to each other (by their stems).
    ('"lediga platser"', {"d6"}),
    ('"platser lediga"', {"d7"}),
    ('"fattade beslutet"', {"d1"}),
    ('"fattar beslut"', {"d1"}),
    ('"beslut om"', {"d1", "d2", "d3"}),
    ('"om beslut"', set()),
    # Prefixes, against the stems as typed.
    ("snöröj*", {"d1", "d8"}),
    ("kommunsty*", {"d1"}),
    ("bygg*", {"d3", "d4", "d9"}),
    ("ekorr*", {"d3"}),
    # Exclusions.
    ("beslut -bygglov", {"d1", "d2"}),
    ("beslut -skolskj*", {"d1", "d3"}),
    ('platser -"lediga platser"', {"d7"}),
    ("beslut -beslut", set()),
    # OR, tighter than the implicit AND.
    ("skolskjuts OR bygglov", {"d2", "d3", "d9"}),
    ("beslut skolskjuts OR bygglov", {"d2", "d3"}),
    ('ekorren OR "lediga platser" OR hektar', {"d3", "d5", "d6"}),
    ("plogning OR sandning -gator", set()),
    # Other characters separate words, as in the text.
    ("2019/245", {"d9"}),
    ("KS 2019 245", {"d9"}),
    ("bertil@example.se", {"d9"}),
    ("växeln, (bygglov)!", {"d9"}),
    ("(ring växeln)", {"d9"}),
    ("title:kontakt", set()),  # "title" is a word like any other
    ("a - b", set()),
]


def ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return [item["id"] for item in answer.json["items"]]


def test_each_query_form_finds_the_same_records_on_every_database(
    client, reader, documents, subtests
):
    for q, expected in QUERIES:
        with subtests.test(q):
            found = ids(client.get("/v1/records", query_string={"q": q}, headers=reader))

            assert sorted(found) == sorted(documents[name] for name in expected)


def test_words_without_letters_are_no_condition(client, reader, documents):
    everything = ids(client.get("/v1/records", headers=reader))

    assert ids(client.get("/v1/records", query_string={"q": ' !! "" * - '}, headers=reader)) == (
        everything
    )


INVALID = [
    ('snö"', "phrase is not closed"),
    ('"lediga platser', "phrase is not closed"),
    ("-kontakt", "Every word is excluded"),
    ('-"lediga platser" -år', "Every word is excluded"),
    ("OR kontakt", "OR needs a word on each side"),
    ("kontakt OR", "OR needs a word on each side"),
    ("kontakt OR OR beslut", "OR needs a word on each side"),
    ("kontakt OR -beslut", "cannot be part of an OR"),
    ("-kontakt OR beslut", "cannot be part of an OR"),
    ("k*", "at least 2 letters"),
    (" ".join(f"ord{n}" for n in range(33)), "At most 32"),
]


def test_invalid_query_is_422_naming_q_and_what_is_wrong(client, reader, documents, subtests):
    for q, reason in INVALID:
        with subtests.test(q):
            answer = client.get("/v1/records", query_string={"q": q}, headers=reader)

            assert answer.status_code == 422, answer.get_data(as_text=True)
            body = answer.json
            assert set(body) == {"code", "status", "message", "errors"}
            [message] = body["errors"]["query"]["q"]
            assert reason in message


def test_a_decomposed_å_is_the_letter_å(client, reader, documents):
    decomposed = "a\u030ar"  # a + combining ring above

    assert ids(client.get("/v1/records", query_string={"q": decomposed}, headers=reader)) == [
        documents["d4"]
    ]
