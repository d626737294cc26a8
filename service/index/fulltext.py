"""Full-text search, one strategy per database: SQLite FTS5 and PostgreSQL (`swedish`).

Both match records that contain every word of the query, in title, body or author.
"""

from __future__ import annotations

import re
from typing import Protocol

from sqlalchemy import ColumnElement, Integer, bindparam, column, func, literal_column, text

from service.index.tables import records

_WORD = re.compile(r"\w+", re.UNICODE)


class FullText(Protocol):
    def create_statements(self) -> list[str]: ...

    def drop_statements(self) -> list[str]: ...

    def condition(self, query: str) -> ColumnElement[bool] | None:
        """A WHERE clause for `query`, or None when it has no words."""


class SQLiteFullText:
    def create_statements(self) -> list[str]:
        cols = "title, body, author"
        new = "new.pk, new.title, new.body, new.author"
        old = "old.pk, old.title, old.body, old.author"
        return [
            f"CREATE VIRTUAL TABLE records_fts USING fts5({cols}, content='records', "
            "content_rowid='pk', tokenize='unicode61 remove_diacritics 0')",
            "CREATE TRIGGER records_fts_insert AFTER INSERT ON records BEGIN "
            f"INSERT INTO records_fts(rowid, {cols}) VALUES ({new}); END",
            "CREATE TRIGGER records_fts_delete AFTER DELETE ON records BEGIN "
            f"INSERT INTO records_fts(records_fts, rowid, {cols}) VALUES ('delete', {old}); END",
            f"CREATE TRIGGER records_fts_update AFTER UPDATE OF {cols} ON records BEGIN "
            f"INSERT INTO records_fts(records_fts, rowid, {cols}) VALUES ('delete', {old}); "
            f"INSERT INTO records_fts(rowid, {cols}) VALUES ({new}); END",
        ]

    def drop_statements(self) -> list[str]:
        return [
            "DROP TRIGGER IF EXISTS records_fts_update",
            "DROP TRIGGER IF EXISTS records_fts_delete",
            "DROP TRIGGER IF EXISTS records_fts_insert",
            "DROP TABLE IF EXISTS records_fts",
        ]

    def condition(self, query: str) -> ColumnElement[bool] | None:
        words = _WORD.findall(query)
        if not words:
            return None
        # Every word quoted: user input never reaches FTS5's query syntax.
        match = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        matching = (
            text("SELECT rowid FROM records_fts WHERE records_fts MATCH :fts_query")
            # Unique: several conditions (legal holds' queries) can share one statement.
            .bindparams(bindparam("fts_query", match, unique=True))
            .columns(column("rowid", Integer))
        )
        return records.c.pk.in_(matching)


# PostgreSQL's parser keeps `2019/245`, `namn@example.se` and `www.example.se` whole, where
# FTS5 (and the query side here) see separate words: those separators become spaces first,
# so both databases find the same records. (The colon comes last: in `op.execute` a colon
# before a word character would read as a bind parameter.)
_PG_WORDS = "translate(coalesce({column}, ''), '/.@_:', '     ')"
_PG_VECTOR = " || ".join(
    f"setweight(to_tsvector('swedish', {_PG_WORDS.format(column=column)}), '{weight}')"
    for column, weight in (("title", "A"), ("body", "B"), ("author", "C"))
)


class PostgresFullText:
    VECTOR = _PG_VECTOR

    def create_statements(self) -> list[str]:
        return [
            f"ALTER TABLE records ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({self.VECTOR}) STORED",
            "CREATE INDEX ix_records_search_vector ON records USING gin (search_vector)",
        ]

    def drop_statements(self) -> list[str]:
        return [
            "DROP INDEX IF EXISTS ix_records_search_vector",
            "ALTER TABLE records DROP COLUMN IF EXISTS search_vector",
        ]

    def condition(self, query: str) -> ColumnElement[bool] | None:
        words = _WORD.findall(query)
        if not words:
            return None
        tsquery = func.plainto_tsquery(literal_column("'swedish'::regconfig"), " ".join(words))
        condition: ColumnElement[bool] = literal_column("records.search_vector").op("@@")(tsquery)
        return condition


def for_dialect(name: str) -> FullText:
    strategies: dict[str, type[SQLiteFullText] | type[PostgresFullText]] = {
        "sqlite": SQLiteFullText,
        "postgresql": PostgresFullText,
    }
    try:
        return strategies[name]()
    except KeyError:
        raise ValueError(f"unsupported database {name!r}: use SQLite or PostgreSQL") from None
