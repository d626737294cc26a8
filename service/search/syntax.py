"""The query language of `q`: what people already type into search boxes.

    snöröjning beslut        every word must occur (each matched by its Swedish stem)
    "lediga platser"         an exact phrase (its words in this order, next to each other)
    snöröj*                  a prefix (matched against the stems as typed, not stemmed)
    -kontakt                 exclude records with this word (or "-phrase", or prefix*)
    plogning OR sandning     either; OR binds tighter than the implicit AND:
                             `gata plogning OR sandning` = gata AND (plogning OR sandning)

Anything else that is not a letter or digit separates words, as in the text: `2019/245`
and `bertil@example.se` are phrases of their words. A query with no words at all has no
full-text condition. Invalid queries raise `QuerySyntaxError`, which the API answers with a
422 naming `q`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.search import words

MAX_TERMS = 32  # bounds the work of one query on either database
MIN_PREFIX = 2  # `k*` would expand to a large part of the vocabulary


class QuerySyntaxError(ValueError):
    """What is wrong with a query, in words for whoever typed it."""


@dataclass(frozen=True)
class Term:
    """Consecutive words (one word, or a phrase); the last may be a prefix."""

    stems: tuple[str, ...]
    prefix: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.stems) > 1


@dataclass(frozen=True)
class Clause:
    """Terms joined by OR; `excluded`: records matching it are left out."""

    terms: tuple[Term, ...]
    excluded: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """Every clause must hold. `included` is never empty."""

    clauses: tuple[Clause, ...]

    @property
    def included(self) -> list[Clause]:
        return [c for c in self.clauses if not c.excluded]

    @property
    def excluded(self) -> list[Clause]:
        return [c for c in self.clauses if c.excluded]

    def highlight(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """What a snippet marks: the stems and prefixes of the included clauses."""
        stems: set[str] = set()
        prefixes: list[str] = []
        for clause in self.included:
            for term in clause.terms:
                *whole, last = term.stems
                stems.update(whole)
                if term.prefix:
                    prefixes.append(last)
                else:
                    stems.add(last)
        return frozenset(stems), tuple(prefixes)


# A quoted phrase (closed or not, perhaps excluded), or a run of anything but space and quotes.
_TOKEN = re.compile(r'(?P<minus>-?)"(?P<phrase>[^"]*)(?P<closed>"?)|(?P<bare>[^\s"]+)')


@dataclass(frozen=True)
class _Token:
    text: str
    quoted: bool
    excluded: bool = False

    @property
    def is_or(self) -> bool:
        return not self.quoted and self.text == "OR"


def _tokens(q: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(words.normalize(q)):
        if match.group("bare") is not None:
            found.append(_Token(match.group("bare"), quoted=False))
        elif not match.group("closed"):
            raise QuerySyntaxError('A phrase is not closed: a " is missing.')
        else:
            found.append(_Token(match.group("phrase"), True, bool(match.group("minus"))))
    return found


def _term(token: _Token) -> tuple[Term | None, bool]:
    """The term a token stands for (None: no words in it), and whether it is excluded."""
    text, excluded, prefix = token.text, token.excluded, False
    if not token.quoted:
        excluded = text.startswith("-")
        prefix = text.endswith("*")
        text = text.lstrip("-").rstrip("*")
    found = [m.group() for m in words.words(text)]
    if not found:
        return None, excluded
    if prefix and len(found[-1]) < MIN_PREFIX:
        raise QuerySyntaxError(
            f"A prefix needs at least {MIN_PREFIX} letters before the *: {token.text!r}."
        )
    stems = [words.stem(w) for w in found]
    if prefix:
        stems[-1] = words.prefix(found[-1])
    return Term(tuple(stems), prefix), excluded


def parse(q: str) -> SearchQuery | None:
    """`q` as a query, or None if it has no words to search for."""
    clauses: list[Clause] = []
    pending_or = False  # the last token was OR: the next term joins the last clause
    for token in _tokens(q):
        if token.is_or:
            if not clauses or pending_or:
                raise QuerySyntaxError("OR needs a word on each side.")
            if clauses[-1].excluded:
                raise QuerySyntaxError("An excluded word (-word) cannot be part of an OR.")
            pending_or = True
            continue
        term, excluded = _term(token)
        if term is None:
            continue  # punctuation only: a separator, as in the text
        if pending_or:
            if excluded:
                raise QuerySyntaxError("An excluded word (-word) cannot be part of an OR.")
            last = clauses[-1]
            clauses[-1] = Clause((*last.terms, term))
            pending_or = False
        else:
            clauses.append(Clause((term,), excluded))
    if pending_or:
        raise QuerySyntaxError("OR needs a word on each side.")
    if not clauses:
        return None
    if sum(len(c.terms) for c in clauses) > MAX_TERMS:
        raise QuerySyntaxError(f"At most {MAX_TERMS} words or phrases.")
    query = SearchQuery(tuple(clauses))
    if not query.included:
        raise QuerySyntaxError("Every word is excluded: give at least one word to search for.")
    return query


def all_words(q: str) -> SearchQuery | None:
    """`q` read as plain words, every one required, with no syntax: for texts kept from
    before the query language (legal holds' queries), which must never fail to parse."""
    terms = [Term((words.stem(m.group()),)) for m in words.words(words.normalize(q))]
    if not terms:
        return None
    return SearchQuery(tuple(Clause((term,)) for term in terms[:MAX_TERMS]))
