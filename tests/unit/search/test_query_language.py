"""The query language, its compilation to FTS5 and tsquery, the tsvector, and snippets."""

from __future__ import annotations

import pytest

from service.index.search_vector import tsvector_literal
from service.search import words
from service.search.compile import to_fts5, to_fts5_words, to_tsquery
from service.search.snippets import snippet
from service.search.syntax import Clause, QuerySyntaxError, SearchQuery, Term, all_words, parse


def test_words_are_stemmed_in_swedish_and_keep_å_ä_ö():
    assert words.term_text("Beslutet, besluten och BESLUT") == "beslut beslut och beslut"
    assert words.term_text("år ar Ängsvägen") == "år ar ängsväg"
    assert words.term_text("KS 2019/245 bertil@example.se snake_case") == (
        "ks 2019 245 bertil exampl se snak cas"
    )
    assert words.term_text("x" * 101 + " kvar") == "kvar"  # no words longer than 100


PARSED = [
    ("beslut gata", SearchQuery((Clause((Term(("beslut",)),)), Clause((Term(("gat",)),))))),
    ('"lediga platser"', SearchQuery((Clause((Term(("led", "plats")),)),))),
    ("Snöröj*", SearchQuery((Clause((Term(("snöröj",), prefix=True),)),))),
    (
        "a OR b -c",
        SearchQuery((Clause((Term(("a",)), Term(("b",)))), Clause((Term(("c",)),), excluded=True))),
    ),
    ('x -"y z"', SearchQuery((Clause((Term(("x",)),)), Clause((Term(("y", "z")),), True)))),
    ("e-tj*", SearchQuery((Clause((Term(("e", "tj"), prefix=True),)),))),
]


@pytest.mark.parametrize(("q", "expected"), PARSED)
def test_parse(q, expected):
    assert parse(q) == expected


@pytest.mark.parametrize("q", ["", "   ", "!! ()", '""', "- *"])
def test_no_words_no_query(q):
    assert parse(q) is None


@pytest.mark.parametrize("q", ['a"', "OR a", "a OR", "a OR OR b", "-a", "a OR -b", "k*"])
def test_invalid(q):
    with pytest.raises(QuerySyntaxError):
        parse(q)


def test_compiled_for_each_database():
    query = parse('gata -kontakt "lediga platser" plogning OR sand*')
    assert query is not None

    assert to_fts5(query) == (
        '(("gat") AND ("led" + "plats") AND ("plogning" OR "sand" *)) NOT ("kontak")'
    )
    assert to_fts5_words(query) == (
        '(("gat") AND (("led" AND "plats")) AND ("plogning" OR "sand" *))'
    )
    assert to_tsquery(query) == (
        "(('gat')) & !(('kontak')) & (('led' <-> 'plats')) & (('plogning') | ('sand':*))"
    )


def test_old_hold_texts_read_as_plain_words():
    assert all_words('budget "2027') == SearchQuery(
        (Clause((Term(("budget",)),)), Clause((Term(("2027",)),)))
    )


def test_tsvector_weights_fields_and_keeps_them_apart():
    assert tsvector_literal("Beslut", "beslutet om bygglov", "Anna") == (
        "'beslut':1A,3B 'om':4B 'bygglov':5B 'ann':7C"
    )


def test_snippet_marks_matches_and_escapes_the_rest():
    query = parse("beslut")
    assert query is not None
    found = snippet("Titel", "<b> & beslutet", "Anna", query)
    assert found is not None
    assert (found.field, found.html) == ("text", "&lt;b&gt; &amp; <mark>beslutet</mark>")
    assert snippet("Titel", "inget", "Anna", query) is None
