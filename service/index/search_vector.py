"""`records.search_vector`: the record's terms as PostgreSQL keeps them, a tsvector literal
built here from `service.search.words` (no text search configuration: no stemming or
`unaccent` by PostgreSQL, the same terms as SQLite's FTS5 table). SQLite keeps no value in
the column: triggers feed its FTS5 table (service/index/fulltext.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, TypeDecorator
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

from service.search import words

FIELDS = ("title", "body", "author")

_WEIGHTS = {"title": "A", "body": "B", "author": "C"}
_MAX_POSITION = 16383  # PostgreSQL's largest position
_MAX_POSITIONS = 256  # positions kept per lexeme
_MAX_LEXEMES_BYTES = 900_000  # a tsvector holds at most 1 MB


def tsvector_literal(title: str, body: str, author: str) -> str:
    """The record's terms as a tsvector literal, each position weighted by its field.

    Fields are kept one position apart, so no phrase runs from the title into the text."""
    positions: dict[str, list[str]] = {}
    position = 0
    for name, value in zip(FIELDS, (title, body, author), strict=True):
        weight = _WEIGHTS[name]
        for term in words.terms(value):
            position = min(position + 1, _MAX_POSITION)
            found = positions.setdefault(term, [])
            if len(found) < _MAX_POSITIONS and (not found or found[-1] != f"{position}{weight}"):
                found.append(f"{position}{weight}")
        position += 1
    parts, size = [], 0
    for term, places in positions.items():
        size += len(term.encode()) + 2 * len(places)
        if size > _MAX_LEXEMES_BYTES:
            break
        parts.append(f"'{term}':{','.join(places)}")
    return " ".join(parts)


class SearchDocument:
    """A record's searchable fields, for `records.search_vector`: made into a tsvector only
    when PostgreSQL needs it (SQLite keeps no value there: its triggers feed FTS5)."""

    __slots__ = ("author", "body", "title")

    def __init__(self, title: str, body: str, author: str):
        self.title, self.body, self.author = title, body, author

    def tsvector(self) -> str:
        return tsvector_literal(self.title, self.body, self.author)


class SearchVector(TypeDecorator[Any]):
    """`records.search_vector`: a tsvector on PostgreSQL, an always-empty column on SQLite."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TSVECTOR())
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None or dialect.name != "postgresql":
            return None
        return value.tsvector() if isinstance(value, SearchDocument) else value
